#!/usr/bin/env bash
# Runs markwatch's benchmarks and writes a table to bench/RESULTS.md (raw
# output in bench/raw.txt). Targets are in each issue; the table shows every
# metric a benchmark reports (ns/op, B/op, and custom ones such as titles/s).
# Usage: scripts/bench.sh [go test -bench regexp] (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null
pattern="${1:-.}"
mkdir -p bench
pkgs=$(go list ./... | grep -E '/(matchers|crawler|queue|store|review)$' || true)
go test -run '^$' -bench "$pattern" -benchmem -count 1 -timeout 30m $pkgs | tee bench/raw.txt
{
	echo "# Benchmark results"
	echo
	echo "Machine: $(nproc) cores, $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ)."
	echo
	echo "| package | benchmark | metrics |"
	echo "|---|---|---|"
	awk '
		/^pkg: / { pkg = $2; sub(".*/", "", pkg) }
		/^Benchmark/ {
			name = $1; sub(/-[0-9]+$/, "", name)
			m = ""
			for (i = 3; i + 1 <= NF; i += 2) m = m (m == "" ? "" : ", ") $i " " $(i+1)
			printf "| %s | %s | %s |\n", pkg, name, m
		}' bench/raw.txt
} >bench/RESULTS.md
echo "wrote bench/RESULTS.md"
