package deploy

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// cliCommand is a kong command read from cmd/markwatch's source: its flags
// (name → takes a value) and subcommands. Reading the source rather than
// running `markwatch --help` keeps the test fast and independent of whether
// a subcommand is built yet, while still catching a flag renamed in Go but
// not in deploy/.
type cliCommand struct {
	flags       map[string]bool
	subcommands map[string]*cliCommand
	positional  bool
}

type cli struct {
	root *cliCommand // the CLI struct, with the global flags
}

// loadCLI reads the command tree from ../cmd/markwatch/*.go.
func loadCLI(t *testing.T) cli {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "cmd", "markwatch", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("cmd/markwatch sources not found: %v", err)
	}
	structs := map[string]*ast.StructType{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if st, ok := ts.Type.(*ast.StructType); ok {
					structs[ts.Name.Name] = st
				}
			}
			return true
		})
	}
	if structs["CLI"] == nil {
		t.Fatal("cmd/markwatch: no CLI struct")
	}
	var build func(name string, depth int) *cliCommand
	build = func(name string, depth int) *cliCommand {
		c := &cliCommand{flags: map[string]bool{"--help": false}, subcommands: map[string]*cliCommand{}}
		st := structs[name]
		if st == nil || depth > 5 {
			return c
		}
		for _, field := range st.Fields.List {
			var tag reflect.StructTag
			if field.Tag != nil {
				raw, _ := strconv.Unquote(field.Tag.Value)
				tag = reflect.StructTag(raw)
			}
			typeName := ""
			switch ft := field.Type.(type) {
			case *ast.Ident:
				typeName = ft.Name
			case *ast.StarExpr:
				if id, ok := ft.X.(*ast.Ident); ok {
					typeName = id.Name
				}
			}
			if len(field.Names) == 0 { // embedded, e.g. Globals
				embedded := build(typeName, depth+1)
				for k, v := range embedded.flags {
					c.flags[k] = v
				}
				for k, v := range embedded.subcommands {
					c.subcommands[k] = v
				}
				continue
			}
			for _, id := range field.Names {
				if !id.IsExported() {
					continue
				}
				flagName := tag.Get("name")
				if flagName == "" {
					flagName = kebab(id.Name)
				}
				_, isCmd := tag.Lookup("cmd")
				_, isArg := tag.Lookup("arg")
				switch {
				case isCmd:
					c.subcommands[flagName] = build(typeName, depth+1)
				case isArg:
					c.positional = true
				default:
					c.flags["--"+flagName] = typeName != "bool"
				}
			}
		}
		return c
	}
	return cli{root: build("CLI", 0)}
}

// kebab turns a Go field name into kong's flag name: LogLevel → log-level.
func kebab(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]) ||
			(i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// validate checks a markwatch argument list: global flags, a known
// subcommand path, and flags that subcommand (or the globals) accepts.
func (c cli) validate(args []string) error {
	cmd := c.root
	global := c.root.flags
	path := []string{"markwatch"}
	sawCommand := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") {
			name, _, hasValue := strings.Cut(a, "=")
			takesValue, ok := cmd.flags[name]
			if !ok {
				takesValue, ok = global[name]
			}
			if !ok {
				return fmt.Errorf("%s has no flag %s", strings.Join(path, " "), name)
			}
			if takesValue && !hasValue {
				if i+1 >= len(args) {
					return fmt.Errorf("%s %s needs a value", strings.Join(path, " "), name)
				}
				i++
			}
			continue
		}
		if sub, ok := cmd.subcommands[a]; ok {
			cmd = sub
			path = append(path, a)
			sawCommand = true
			continue
		}
		if !cmd.positional {
			return fmt.Errorf("%s: unknown subcommand or argument %q", strings.Join(path, " "), a)
		}
	}
	if !sawCommand {
		return fmt.Errorf("no subcommand in %q", args)
	}
	if len(cmd.subcommands) > 0 {
		return fmt.Errorf("%s needs a subcommand", strings.Join(path, " "))
	}
	return nil
}

// TestCLIReader: the source reader knows the commands deploy/ runs and
// rejects what kong would reject.
func TestCLIReader(t *testing.T) {
	c := loadCLI(t)
	good := [][]string{
		{"worker", "--redis", "redis://r:6379/0", "--metrics", "0.0.0.0:9101"},
		{"--config", "/c.yaml", "scheduler", "--redis=redis://r", "--metrics", ":9102"},
		{"serve", "--addr", "0.0.0.0:8080", "--data", "/data"},
		{"demo", "--addr", "127.0.0.1:1", "--once"},
	}
	for _, args := range good {
		if err := c.validate(args); err != nil {
			t.Errorf("validate(%q) = %v, want nil", args, err)
		}
	}
	bad := [][]string{
		{"worker", "--metrics-addr", ":9101"},
		{"wrker"},
		{"serve", "--addr"},
		{"queue"},
		{"--config", "/c.yaml"},
	}
	for _, args := range bad {
		if err := c.validate(args); err == nil {
			t.Errorf("validate(%q) = nil, want an error", args)
		}
	}
	for in, want := range map[string]string{"LogLevel": "log-level", "MaxPages": "max-pages", "RunID": "run-id", "Addr": "addr"} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}
