package crawler

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Step is one transform step of a field (Field.Transform). In YAML it is a
// step name, or a map for regex:
//
//	transform: [urldecode, html_text, trim]
//	transform: [{regex: '^(\d+)-.*$', replace: '$1'}]
type Step struct {
	// Name is urldecode, html_text, trim, collapse_space, json_unescape,
	// url or regex.
	Name string
	// Regex and Replace, for regex: every match of Regex is replaced by
	// Replace ($1 for the first group; empty deletes the match).
	Regex   string
	Replace string

	re *regexp.Regexp
}

// stepNames are the steps an adapter may name.
var stepNames = []string{"urldecode", "html_text", "trim", "collapse_space", "json_unescape", "url", "regex"}

// UnmarshalYAML reads a step name or a {regex, replace} map.
func (s *Step) UnmarshalYAML(data []byte) error {
	var name string
	if err := yaml.Unmarshal(data, &name); err == nil {
		s.Name = name
		return nil
	}
	var r struct {
		Regex   string `yaml:"regex"`
		Replace string `yaml:"replace"`
	}
	if err := yaml.UnmarshalWithOptions(data, &r, yaml.Strict()); err != nil {
		return fmt.Errorf("a transform step is a name (%s) or {regex: …, replace: …}: %w", strings.Join(stepNames, ", "), err)
	}
	s.Name, s.Regex, s.Replace = "regex", r.Regex, r.Replace
	return nil
}

// compile checks the step; at is its field path for messages.
func (s *Step) compile() error {
	switch s.Name {
	case "urldecode", "html_text", "trim", "collapse_space", "json_unescape", "url":
		return nil
	case "regex":
		if s.Regex == "" {
			return errors.New("regex needs a pattern")
		}
		re, err := regexp.Compile(s.Regex)
		if err != nil {
			return fmt.Errorf("bad regular expression: %v", err)
		}
		s.re = re
		return nil
	}
	return fmt.Errorf("unknown transform step %q (want one of %s)", s.Name, strings.Join(stepNames, ", "))
}

// apply runs the step on v; base resolves the url step.
func (s *Step) apply(v string, base *url.URL) string {
	switch s.Name {
	case "urldecode":
		if d, err := url.QueryUnescape(v); err == nil {
			return d
		}
		if d, err := url.PathUnescape(v); err == nil {
			return d
		}
		return v
	case "html_text":
		return htmlText(v)
	case "trim":
		return strings.TrimSpace(v)
	case "collapse_space":
		return collapse(v)
	case "json_unescape":
		var out string
		if err := json.Unmarshal([]byte(`"`+strings.ReplaceAll(v, `"`, `\"`)+`"`), &out); err == nil {
			return out
		}
		return v
	case "url":
		return resolve(base, v)
	case "regex":
		return s.re.ReplaceAllString(v, s.Replace)
	}
	return v
}

// htmlText is the text of an HTML fragment: tags dropped, entities decoded.
func htmlText(v string) string {
	if !strings.ContainsAny(v, "<&") {
		return v
	}
	nodes, err := html.ParseFragment(strings.NewReader(v), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return v
	}
	var b strings.Builder
	var walkText func(*html.Node)
	walkText = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walkText(c)
		}
	}
	for _, n := range nodes {
		walkText(n)
	}
	return b.String()
}

// ignoreRule is one entry of Field.Ignore: an exact value, "prefix*",
// "*suffix" or "*part*", compared without case.
type ignoreRule struct {
	text           string
	prefix, suffix bool // text must start / end the value
}

func compileIgnore(list []string) []ignoreRule {
	var out []ignoreRule
	for _, e := range list {
		e = strings.ToLower(strings.TrimSpace(e))
		r := ignoreRule{text: e, prefix: true, suffix: true}
		if strings.HasPrefix(e, "*") {
			r.text, r.prefix = strings.TrimPrefix(r.text, "*"), false
		}
		if strings.HasSuffix(r.text, "*") && len(r.text) > 0 {
			r.text, r.suffix = strings.TrimSuffix(r.text, "*"), false
		}
		out = append(out, r)
	}
	return out
}

func (r ignoreRule) match(v string) bool {
	v = strings.ToLower(v)
	switch {
	case r.prefix && r.suffix:
		return v == r.text
	case r.prefix:
		return strings.HasPrefix(v, r.text)
	case r.suffix:
		return strings.HasSuffix(v, r.text)
	}
	return strings.Contains(v, r.text)
}

// placeholderImage matches the blank, 1×1 and loading images pages show
// before the real one is loaded.
var placeholderImage = regexp.MustCompile(`(?i)((^|[/_.-])(1x1|1px|blank|spacer|pixel|transparent|placeholder|loading|lazy)(-[0-9x]+)?|/s)\.(gif|png|jpe?g|webp|svg)(\?.*)?$`)

// unusable reports whether v cannot be the value of field name: empty,
// listed in ignore, or (for url and image) a data:, javascript: or about:
// URI, or (for image) a placeholder image.
func unusable(name, v string, ignore []ignoreRule) bool {
	if strings.TrimSpace(v) == "" {
		return true
	}
	for _, r := range ignore {
		if r.match(v) {
			return true
		}
	}
	if name == "url" || name == "image" {
		l := strings.ToLower(strings.TrimSpace(v))
		if strings.HasPrefix(l, "data:") || strings.HasPrefix(l, "javascript:") || strings.HasPrefix(l, "about:") {
			return true
		}
	}
	return name == "image" && placeholderImage.MatchString(v)
}
