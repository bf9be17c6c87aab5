package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/markwatch/markwatch/configs"
)

// Config is configs/markwatch.yaml: where things are and how the crawler
// behaves by default. Every field is optional; the comment states the default.
type Config struct {
	// Listen is the address of the review server and /metrics. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// DataDir holds the SQLite store and preserved evidence. Default ./data.
	DataDir string `yaml:"data_dir"`
	// Redis is a redis:// URL (several comma-separated addresses make a
	// Cluster). Empty: run with the in-process frontier.
	Redis string `yaml:"redis"`
	// RedisFailoverBudget is how long one Redis operation keeps retrying
	// while Redis is unreachable (a failover, a restart) before it fails.
	// Default 15s.
	RedisFailoverBudget Duration `yaml:"redis_failover_budget"`
	// Durability is how many replicas must confirm seeds and findings
	// batches (WAIT) before they count as written. Default replicas 1,
	// timeout 500ms for a Cluster or Sentinel URL; off for one server.
	Durability Durability `yaml:"durability"`
	// Sites, Marks are directories of *.yaml files; Signals, Sweeps are files.
	// Relative paths are relative to this file. Defaults: sites, marks,
	// signals.yaml, sweeps.yaml.
	Sites   string `yaml:"sites"`
	Marks   string `yaml:"marks"`
	Signals string `yaml:"signals"`
	Sweeps  string `yaml:"sweeps"`
	// Crawl holds the crawler defaults that site adapters may not override.
	Crawl Crawl `yaml:"crawl"`
	// Log configures structured logging.
	Log Log `yaml:"log"`
	// Images configures the image channel (listing photos: fetch, compare
	// with the marks' reference images, OCR). Off unless enabled.
	Images Images `yaml:"images"`

	// dir is where relative paths resolve: a directory on disk, or the
	// embedded defaults when fsys is configs.FS.
	fsys fs.FS
	dir  string
	file string
}

// Crawl is the crawler's global defaults.
type Crawl struct {
	// UserAgent sent with every request and matched against robots.txt
	// groups. Default "markwatch/0.1 (+https://github.com/markwatch/markwatch)".
	UserAgent string `yaml:"user_agent"`
	// ConnectTimeout bounds TCP connect. Default 5s.
	ConnectTimeout Duration `yaml:"connect_timeout"`
	// HeaderTimeout bounds the wait for response headers. Default 10s.
	HeaderTimeout Duration `yaml:"header_timeout"`
	// Timeout bounds a whole request, body included. Default 30s.
	Timeout Duration `yaml:"timeout"`
	// BodyLimit is the largest body read, in bytes; longer bodies are
	// truncated and counted. Default 4194304 (4 MiB).
	BodyLimit int64 `yaml:"body_limit"`
	// MaxRedirects bounds a redirect chain. Default 5.
	MaxRedirects int `yaml:"max_redirects"`
	// Retries is the retry budget of a task (failed fetches before it is
	// dead-lettered). Default 3.
	Retries int `yaml:"retries"`
	// Concurrency is the number of tasks a worker runs at once. Default 8.
	Concurrency int `yaml:"concurrency"`
	// Lease is how long a leased task stays invisible to other workers
	// without a heartbeat. Default 30s.
	Lease Duration `yaml:"lease"`
}

// Durability is queue.Durability as configured; replicas: 0 turns it off.
type Durability struct {
	// Replicas that must confirm a write. Default: 1 for a Cluster or
	// Sentinel URL, 0 (off) for one server.
	Replicas *int `yaml:"replicas"`
	// Timeout of one confirmation. Default 500ms.
	Timeout Duration `yaml:"timeout"`
}

// Log configures slog.
type Log struct {
	// Level: debug, info, warn, error. Default info.
	Level string `yaml:"level"`
	// Format: json, text, or auto (text on a terminal, else json). Default auto.
	Format string `yaml:"format"`
}

// Provision fills defaults.
func (c *Config) Provision() error {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen, "127.0.0.1:8080")
	def(&c.DataDir, "data")
	def(&c.Sites, "sites")
	def(&c.Marks, "marks")
	def(&c.Signals, "signals.yaml")
	def(&c.Sweeps, "sweeps.yaml")
	def(&c.Crawl.UserAgent, "markwatch/0.1 (+https://github.com/markwatch/markwatch)")
	defDur := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	defDur(&c.Crawl.ConnectTimeout, 5*time.Second)
	defDur(&c.Crawl.HeaderTimeout, 10*time.Second)
	defDur(&c.Crawl.Timeout, 30*time.Second)
	defDur(&c.Crawl.Lease, 30*time.Second)
	if c.Crawl.BodyLimit == 0 {
		c.Crawl.BodyLimit = 4 << 20
	}
	if c.Crawl.MaxRedirects == 0 {
		c.Crawl.MaxRedirects = 5
	}
	if c.Crawl.Retries == 0 {
		c.Crawl.Retries = 3
	}
	if c.Crawl.Concurrency == 0 {
		c.Crawl.Concurrency = 8
	}
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "auto")
	return nil
}

// Validate checks values.
func (c *Config) Validate() error {
	var errs []error
	if c.Crawl.BodyLimit < 1024 {
		errs = append(errs, Errorf("crawl.body_limit", "must be at least 1024 bytes, got %d", c.Crawl.BodyLimit))
	}
	if c.Crawl.MaxRedirects < 0 || c.Crawl.MaxRedirects > 20 {
		errs = append(errs, Errorf("crawl.max_redirects", "must be 0..20, got %d", c.Crawl.MaxRedirects))
	}
	if r := c.Durability.Replicas; r != nil && (*r < 0 || *r > 16) {
		errs = append(errs, Errorf("durability.replicas", "must be 0..16, got %d", *r))
	}
	if c.Images.MaxPerListing < 0 || c.Images.MaxPerListing > 20 {
		errs = append(errs, Errorf("images.max_per_listing", "must be 0..20, got %d", c.Images.MaxPerListing))
	}
	switch c.Images.OCR {
	case "", "off", "hit", "slang", "category", "all":
	default:
		errs = append(errs, Errorf("images.ocr", "must be off, hit, slang, category or all, got %q", c.Images.OCR))
	}
	if c.Images.OCRWorkers < 0 || c.Images.MaxBytes < 0 || c.Images.MaxPixels < 0 {
		errs = append(errs, Errorf("images", "ocr_workers, max_bytes and max_pixels must not be negative"))
	}
	if c.Durability.Timeout < 0 {
		errs = append(errs, Errorf("durability.timeout", "must not be negative"))
	}
	if c.RedisFailoverBudget < 0 {
		errs = append(errs, Errorf("redis_failover_budget", "must not be negative"))
	}
	if c.Crawl.Retries < 0 {
		errs = append(errs, Errorf("crawl.retries", "must not be negative"))
	}
	if c.Crawl.Concurrency < 1 || c.Crawl.Concurrency > 1024 {
		errs = append(errs, Errorf("crawl.concurrency", "must be 1..1024, got %d", c.Crawl.Concurrency))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, Errorf("log.level", "must be debug, info, warn or error, got %q", c.Log.Level))
	}
	switch c.Log.Format {
	case "json", "text", "auto":
	default:
		errs = append(errs, Errorf("log.format", "must be json, text or auto, got %q", c.Log.Format))
	}
	return errors.Join(errs...)
}

// Load reads the config file at file, or the embedded defaults when file is
// empty.
func Load(file string) (*Config, error) {
	c := &Config{}
	if file == "" {
		c.fsys, c.dir, c.file = configs.FS, ".", "(embedded)/markwatch.yaml"
		if err := DecodeFile(configs.FS, "markwatch.yaml", c); err != nil {
			return nil, err
		}
		return c, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := Decode(file, data, c); err != nil {
		return nil, err
	}
	c.fsys, c.dir, c.file = os.DirFS("/"), filepath.Dir(file), file
	return c, nil
}

// File is the file the config was read from.
func (c *Config) File() string { return c.file }

// SitesLocation is where site adapters are read from.
func (c *Config) SitesLocation() Location { return c.location(c.Sites) }

// MarksLocation is where mark files are read from.
func (c *Config) MarksLocation() Location { return c.location(c.Marks) }

// SignalsLocation is the signals file.
func (c *Config) SignalsLocation() Location { return c.location(c.Signals) }

// SweepsLocation is the sweeps file.
func (c *Config) SweepsLocation() Location { return c.location(c.Sweeps) }

func (c *Config) location(p string) Location {
	if c.fsys == nil { // a Config built in code: paths are on disk
		return Dir(p)
	}
	if c.fsys == configs.FS && !filepath.IsAbs(p) {
		return Location{FS: configs.FS, Path: path.Clean(p), label: "(embedded)/"}
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dir, p)
	}
	return Dir(p)
}

// Location is a file or directory of configuration, on disk or embedded.
type Location struct {
	FS    fs.FS
	Path  string // slash-separated, relative to FS
	label string // prefix for messages
}

// Dir returns the Location of a path on disk (file or directory).
func Dir(p string) Location {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	return Location{FS: os.DirFS("/"), Path: strings.TrimPrefix(filepath.ToSlash(abs), "/"), label: "/"}
}

// String is the location as a user would write it.
func (l Location) String() string { return l.label + l.Path }

// Files lists the *.yaml and *.yml files of a directory location, sorted, or
// the location itself when it is a file.
func (l Location) Files() ([]string, error) {
	st, err := fs.Stat(l.FS, l.Path)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", l, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return []string{l.Path}, nil
	}
	ents, err := fs.ReadDir(l.FS, l.Path)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", l, err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			out = append(out, path.Join(l.Path, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Decode decodes one file of the location (a name returned by Files) into v.
// Error messages name the file as the user knows it.
func (l Location) Decode(name string, v any) error {
	data, err := fs.ReadFile(l.FS, name)
	if err != nil {
		return fmt.Errorf("config: %s%s: %w", l.label, name, errors.Unwrap(err))
	}
	return Decode(l.label+name, data, v)
}

// ReadFile returns a file's bytes.
func (l Location) ReadFile(name string) ([]byte, error) { return fs.ReadFile(l.FS, name) }

// SetSites points the sites location at a directory on disk (--sites).
func (c *Config) SetSites(dir string) { c.Sites = mustAbs(dir) }

// SetMarks points the marks location at a directory or file on disk (--marks).
func (c *Config) SetMarks(dir string) { c.Marks = mustAbs(dir) }

func mustAbs(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
