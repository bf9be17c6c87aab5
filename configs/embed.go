// Package configs embeds the default configuration files, so that
// `markwatch demo` runs with nothing but the binary.
package configs

import "embed"

// FS holds markwatch.yaml, signals.yaml, sweeps.yaml, marks/, sites/ and
// exports/ (takedown profiles).
//
//go:embed markwatch.yaml signals.yaml sweeps.yaml marks sites exports
var FS embed.FS
