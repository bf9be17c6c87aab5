package notify

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Event kinds, as rules name them.
const (
	NewSuspect     = "new_suspect"
	RepeatOffender = "repeat_offender"
	SweepEnd       = "sweep_end"
)

// Config is notify.yaml.
type Config struct {
	Channels []Channel `yaml:"channels"`
	Rules    []Rule    `yaml:"rules"`
	// MaxAttempts bounds the deliveries of one event to one channel.
	// Default 8.
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the wait after the first failure, doubled after each
	// next one up to MaxBackoff. Defaults 10s and 30m.
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// Timeout bounds one delivery. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Channel is one place events go.
type Channel struct {
	// Name is how rules refer to it. Required, unique.
	Name string `yaml:"name"`
	// Type is webhook, dingtalk, wecom, feishu or smtp. Required.
	Type string `yaml:"type"`
	// URL is the webhook or robot URL (webhook, dingtalk, wecom, feishu).
	URL string `yaml:"url"`
	// Secret signs robot messages (dingtalk: the robot's SEC… secret;
	// feishu: the signing key). Empty: unsigned.
	Secret string `yaml:"secret"`
	// SMTP mail (type smtp): server host:port, sender, recipients and
	// optional PLAIN credentials (sent only over TLS or to localhost).
	Addr     string   `yaml:"addr"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
}

// Rule says which events go where.
type Rule struct {
	// On is new_suspect, repeat_offender or sweep_end. Required.
	On string `yaml:"on"`
	// MinScore: new_suspect only for suspects scoring at least this.
	// Default 0 (every suspect).
	MinScore float64 `yaml:"min_score"`
	// MinConfirmed: repeat_offender only for sellers with at least this
	// many confirmed listings on the site. Default 3.
	MinConfirmed int `yaml:"min_confirmed"`
	// Channels are channel names. At least one.
	Channels []string `yaml:"channels"`
}

// LoadConfig reads and validates a notify.yaml.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes and validates; name is used in errors.
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalWithOptions(data, &c, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

func (c *Config) defaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Backoff <= 0 {
		c.Backoff = 10 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	for i := range c.Rules {
		if c.Rules[i].MinConfirmed <= 0 {
			c.Rules[i].MinConfirmed = 3
		}
	}
}

func (c *Config) validate() error {
	names := map[string]bool{}
	for i, ch := range c.Channels {
		if ch.Name == "" {
			return fmt.Errorf("channels[%d].name: required", i)
		}
		if names[ch.Name] {
			return fmt.Errorf("channels[%d].name: %q used twice", i, ch.Name)
		}
		names[ch.Name] = true
		switch ch.Type {
		case "webhook", "dingtalk", "wecom", "feishu":
			if !strings.HasPrefix(ch.URL, "http://") && !strings.HasPrefix(ch.URL, "https://") {
				return fmt.Errorf("channels[%d].url: an http(s) URL is required for %s", i, ch.Type)
			}
		case "smtp":
			if ch.Addr == "" || ch.From == "" || len(ch.To) == 0 {
				return fmt.Errorf("channels[%d] (%s): smtp needs addr, from and to", i, ch.Name)
			}
		default:
			return fmt.Errorf("channels[%d].type: %q is not webhook, dingtalk, wecom, feishu or smtp", i, ch.Type)
		}
	}
	for i, r := range c.Rules {
		switch r.On {
		case NewSuspect, RepeatOffender, SweepEnd:
		default:
			return fmt.Errorf("rules[%d].on: %q is not new_suspect, repeat_offender or sweep_end", i, r.On)
		}
		if len(r.Channels) == 0 {
			return fmt.Errorf("rules[%d].channels: at least one", i)
		}
		for _, n := range r.Channels {
			if !names[n] {
				return fmt.Errorf("rules[%d].channels: no channel named %q", i, n)
			}
		}
	}
	return nil
}
