package config

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// unknownField explains an unknown key of a strictly decoded file: the
// dotted path of the key and, from the Go type the file decodes into, the
// valid field name nearest to it ("min_prise: unknown field; did you mean
// min_price?"), or the list of valid names when none is close. ok is false
// when the key cannot be found in the file.
func unknownField(data []byte, v any, key string, line, col int) (path, msg string, ok bool) {
	keys, ok := keyPathAt(data, line, col)
	if !ok {
		return "", "", false
	}
	path = strings.ReplaceAll(strings.Join(keys, "."), ".[", "[")
	msg = "unknown field"
	names := fieldNamesAt(reflect.TypeOf(v), keys[:len(keys)-1])
	if len(names) == 0 {
		return path, msg, true
	}
	if best := nearest(key, names); best != "" {
		return path, msg + "; did you mean " + best + "?", true
	}
	return path, msg + "; valid fields here: " + strings.Join(names, ", "), true
}

// keyPathAt returns the keys (and "[i]" for list items) leading from the
// document's root to the mapping key at line:col, that key last.
func keyPathAt(data []byte, line, col int) ([]string, bool) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, false
	}
	for _, doc := range f.Docs {
		if p, ok := findKey(doc.Body, nil, line, col); ok {
			return p, true
		}
	}
	return nil, false
}

func findKey(n ast.Node, path []string, line, col int) ([]string, bool) {
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, mv := range n.Values {
			if p, ok := findKey(mv, path, line, col); ok {
				return p, true
			}
		}
	case *ast.MappingValueNode:
		tk := n.Key.GetToken()
		if tk == nil {
			return nil, false
		}
		here := append(slices.Clip(path), tk.Value)
		if tk.Position != nil && tk.Position.Line == line && tk.Position.Column == col {
			return here, true
		}
		return findKey(n.Value, here, line, col)
	case *ast.SequenceNode:
		for i, item := range n.Values {
			if p, ok := findKey(item, append(slices.Clip(path), "["+strconv.Itoa(i)+"]"), line, col); ok {
				return p, true
			}
		}
	case *ast.TagNode:
		return findKey(n.Value, path, line, col)
	case *ast.AnchorNode:
		return findKey(n.Value, path, line, col)
	}
	return nil, false
}

// fieldNamesAt follows keys from t (map keys, "[i]" list items, struct
// fields by their yaml names) and returns the yaml field names of the
// struct it ends at, sorted; nil when the path leaves what reflection can
// follow (a type with its own unmarshaller may still end at a struct).
func fieldNamesAt(t reflect.Type, keys []string) []string {
	for _, k := range keys {
		t = indirect(t)
		switch {
		case t == nil:
			return nil
		case strings.HasPrefix(k, "["):
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil
			}
			t = t.Elem()
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			f, ok := yamlFields(t)[k]
			if !ok {
				return nil
			}
			t = f
		default:
			return nil
		}
	}
	t = indirect(t)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for name := range yamlFields(t) {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func indirect(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// yamlFields maps a struct's yaml field names to their types, inlined
// structs included, as goccy/go-yaml names them (the tag's name, else the
// lower-cased Go name).
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") || (f.Anonymous && name == "") {
			if ft := indirect(f.Type); ft.Kind() == reflect.Struct {
				for n, typ := range yamlFields(ft) {
					out[n] = typ
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// nearest returns the name closest to key by edit distance (a swap of two
// neighbours counts as one edit) when it is close enough to be a typo:
// at most 2 edits, and at most a third of the key's length.
func nearest(key string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(key), n); d < bestD && d <= max(1, len([]rune(key))/3) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
