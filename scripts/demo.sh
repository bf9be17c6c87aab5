#!/usr/bin/env bash
# The demo command: builds markwatch and runs the one-process demo (fake
# marketplace, sweep, matcher, store, review app and /metrics) on embedded
# defaults. Extra arguments go to `markwatch demo` (e.g. --once, --addr).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh demo
mkdir -p bin
go build -trimpath -o bin/markwatch ./cmd/markwatch
exec bin/markwatch demo "$@"
