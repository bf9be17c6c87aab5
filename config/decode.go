package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
)

// Error is a configuration problem located in a file. Line and Column are
// 1-based; zero when unknown.
type Error struct {
	File   string
	Line   int
	Column int
	Field  string // dotted path of the field at fault, e.g. "search.max_pages"
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldError is what a Validate method returns for a bad value: the path of
// the field (dotted, with [i] for list items, relative to the decoded
// document) and what is wrong. Decode turns it into an *Error with the line.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// Errorf returns a *FieldError for the field at path.
func Errorf(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Provisioner is implemented by config types that fill defaults or compile
// derived state after decoding and before validation.
type Provisioner interface{ Provision() error }

// Validator is implemented by config types that check their values. Return
// FieldErrors (joined with errors.Join for several) so that the file and line
// can be named.
type Validator interface{ Validate() error }

// DecodeFile reads name from fsys and decodes it into v; see Decode.
func DecodeFile(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return Decode(name, data, v)
}

// Decode strictly decodes YAML data (read from file, used in messages) into
// v, then calls v's Provision and Validate methods if it has them. Every error
// is an *Error, or several joined, naming file, line and field.
func Decode(file string, data []byte, v any) error {
	if err := yaml.UnmarshalWithOptions(data, v, yaml.Strict()); err != nil {
		return locateDecodeError(file, data, v, err)
	}
	if p, ok := v.(Provisioner); ok {
		if err := p.Provision(); err != nil {
			return locate(file, data, err)
		}
	}
	if val, ok := v.(Validator); ok {
		if err := val.Validate(); err != nil {
			return locate(file, data, err)
		}
	}
	return nil
}

func locateDecodeError(file string, data []byte, v any, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{File: file, Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Column = tk.Position.Line, tk.Position.Column
			e.Field = tokenPath(tk.Position.Line, data)
			if q, ok := strings.CutPrefix(e.Msg, "unknown field "); ok {
				if key, err := strconv.Unquote(q); err == nil {
					if path, msg, ok := unknownField(data, v, key, e.Line, e.Column); ok {
						e.Field, e.Msg = path, msg
					}
				}
			}
		}
		return e
	}
	// Errors from text unmarshalers (a bad duration, a bad date) carry no
	// position: find the line holding the value.
	var ve *ValueError
	if errors.As(err, &ve) {
		e := &Error{File: file, Msg: ve.Msg, Line: ve.Line, Column: ve.Column}
		if e.Line == 0 {
			e.Line, e.Column = valueLine(data, ve.Value)
		}
		if e.Line > 0 {
			e.Field = tokenPath(e.Line, data)
		}
		return e
	}
	return locate(file, data, err)
}

// tokenPath is a best effort: the key on the error's line, if any.
func tokenPath(line int, data []byte) string {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	l := strings.TrimSpace(lines[line-1])
	l = strings.TrimPrefix(l, "- ")
	if i := strings.Index(l, ":"); i > 0 {
		key := strings.TrimSpace(l[:i])
		if !strings.ContainsAny(key, " {[\"'") {
			return key
		}
	}
	return ""
}

// locate turns FieldErrors inside err into *Errors with line numbers.
func locate(file string, data []byte, err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) && !isFieldError(err) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, locate(file, data, e))
		}
		return errors.Join(out...)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		return &Error{File: file, Msg: err.Error()}
	}
	e := &Error{File: file, Field: fe.Path, Msg: fe.Msg}
	e.Line, e.Column = Position(data, fe.Path)
	return e
}

func isFieldError(err error) bool {
	_, ok := err.(*FieldError)
	return ok
}

// Position returns the line and column of the value at the dotted field path
// in data, or of its nearest ancestor that exists; zeros when not found.
func Position(data []byte, path string) (line, col int) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return 0, 0
	}
	for p := path; p != ""; p = parentPath(p) {
		yp, err := yaml.PathString("$." + p)
		if err != nil {
			continue
		}
		node, err := yp.FilterFile(f)
		if err != nil || node == nil {
			continue
		}
		if tk := node.GetToken(); tk != nil && tk.Position != nil {
			return tk.Position.Line, tk.Position.Column
		}
	}
	return 0, 0
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// valueLine finds the first line where value stands as a mapping value or a
// list item, and the column where it starts.
func valueLine(data []byte, value string) (line, col int) {
	if value == "" {
		return 0, 0
	}
	for i, l := range strings.Split(string(data), "\n") {
		for _, lead := range []string{": ", "- ", ": \"", "- \"", ": '", "- '"} {
			if j := strings.Index(l, lead+value); j >= 0 {
				return i + 1, j + len(lead) + 1
			}
		}
	}
	return 0, 0
}
