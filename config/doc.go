// Package config is markwatch's one path for reading configuration: strict
// YAML decoding (unknown fields and duplicate keys are errors) into typed
// structs, then Provision (fill defaults, compile) and Validate, with every
// error naming the file, line and field at fault.
//
// The top-level file (configs/markwatch.yaml) is a Config. The other
// configuration files (sites, marks, signals, sweeps) are decoded by the
// packages that own their types, through Location.Decode, from a Location that is
// either a directory on disk or the defaults embedded in the binary.
package config
