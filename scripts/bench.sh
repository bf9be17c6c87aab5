#!/usr/bin/env bash
# Runs markwatch's benchmarks and writes a table to bench/RESULTS.md (raw
# `go test -bench` output in bench/raw.txt). Each row shows every metric the
# benchmark reports: ns/op, B/op and the custom ones (titles/s, pages/s,
# tasks/s, bytes per entry, ratios against the bare baseline measured in the
# same run). The targets are stated in the issues and in the README.
# Usage: scripts/bench.sh [FILTER] — FILTER is a regexp on "package benchmark"
# lines below (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null
filter="${1:-.}"
mkdir -p bench
: >bench/raw.txt

# package ; -bench regexp ; extra flags
plan=(
	"./matchers/;Pipeline|BareScan|Build;"
	"./crawler/;BenchmarkCrawl;-benchtime 3x"
	"./queue/;Frontier;"
	"./store/;Ingest;"
	"./review/;QueuePage;-benchtime 20x"
	# The whole job (worker, serve, Redis, fake marketplace as processes)
	# against bare Colly, interleaved rounds (MARKWATCH_BENCH_ROUNDS, 3).
	"./bench/;WholeJob;-benchtime 1x"
)
for row in "${plan[@]}"; do
	IFS=';' read -r pkg pattern flags <<<"$row"
	echo "$pkg $pattern" | grep -Eq -- "$filter" || continue
	echo "== $pkg -bench '$pattern' $flags" >&2
	# shellcheck disable=SC2086
	go test -run '^$' -bench "$pattern" -benchmem -count 1 -timeout 30m $flags "$pkg" | tee -a bench/raw.txt
done

# The table replaces the head of bench/RESULTS.md (everything before its
# first "## " section); the dated sections below it, written by hand from
# interleaved rounds, are kept. A filtered run prints its table only.
table=$(mktemp)
trap 'rm -f "$table"' EXIT
{
	echo "# Benchmark results"
	echo
	echo "Machine: $(nproc) cores, $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ). Raw output: bench/raw.txt. Dated sections below were written by hand from interleaved rounds."
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
} >"$table"
if [ "$filter" != "." ]; then
	cat "$table"
	echo "filtered run: bench/RESULTS.md left as it was" >&2
	exit 0
fi
if [ -f bench/RESULTS.md ]; then
	echo >>"$table"
	awk 'found || /^## / { found = 1; print }' bench/RESULTS.md >>"$table"
fi
cat "$table" >bench/RESULTS.md
echo "wrote bench/RESULTS.md (the table; dated sections kept)" >&2
