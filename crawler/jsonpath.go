package crawler

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSON paths in adapters are dotted keys with numeric indexes: "data.items",
// "shop.name", "images.0" or "images[0]". That is all a search API needs,
// so a small walker over encoding/json's generic values does it; a full
// JSONPath library (filters, recursive descent) would add a dependency and a
// query language adapter authors do not need. A key containing a dot can be
// quoted: `meta."x.y"`.

// parsePath splits a path into steps; "" and "$" are the value itself.
func parsePath(p string) ([]string, error) {
	p = strings.TrimSpace(p)
	p = strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
	if p == "" {
		return nil, nil
	}
	var steps []string
	for i := 0; i < len(p); {
		switch p[i] {
		case '.':
			i++
			if i == len(p) || p[i] == '.' {
				return nil, fmt.Errorf("bad JSON path %q: empty step", p)
			}
		case '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("bad JSON path %q: unclosed [", p)
			}
			idx := p[i+1 : i+j]
			if _, err := strconv.Atoi(idx); err != nil {
				return nil, fmt.Errorf("bad JSON path %q: index %q is not a number", p, idx)
			}
			steps = append(steps, idx)
			i += j + 1
		case '"':
			j := strings.IndexByte(p[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("bad JSON path %q: unclosed quote", p)
			}
			steps = append(steps, p[i+1:i+1+j])
			i += j + 2
		default:
			j := strings.IndexAny(p[i:], ".[")
			if j < 0 {
				j = len(p) - i
			}
			steps = append(steps, p[i:i+j])
			i += j
		}
	}
	return steps, nil
}

// walk follows steps from v; ok is false when a step is missing.
func walk(v any, steps []string) (any, bool) {
	for _, s := range steps {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[s]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// jsonText renders a scalar as text; arrays of scalars are joined with sep
// (first element when sep is empty); objects and null are empty.
func jsonText(v any, sep string) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		var parts []string
		for _, e := range x {
			if t := jsonText(e, ""); t != "" {
				if sep == "" {
					return t
				}
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, sep)
	}
	return ""
}

// truthy is what a no_results path must be to count as "nothing found".
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != "" && x != "0" && x != "false"
	case json.Number:
		f, err := x.Float64()
		return err == nil && f != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return false
}
