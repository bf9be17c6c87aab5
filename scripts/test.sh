#!/usr/bin/env bash
# The test command: set-up, then formatting, vet and the race-enabled test
# suite. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
echo "== go vet"
go vet ./...
echo "== go test -race"
# The drills run the markwatch binary (without the race detector): built
# once here rather than once per test package.
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/markwatch" ./cmd/markwatch
# Four packages at a time on two cores: the slow packages spend much of
# their time waiting on processes of their own (Redis failovers, a real
# Prometheus scraping, headless Chromium), so two at a time left about a
# quarter of the CPU idle (measured: 3 min 57 s at -p 2, 3 min 9 s at -p 4,
# quiet machine). The longest packages go first, so that none of them is
# left running alone at the end.
MARKWATCH_BIN="$bindir/markwatch" go test -race -count=1 -p 4 -timeout 20m \
	./queue/ ./store/ ./deploy/ ./review/ ./cmd/markwatch/ ./demo/ ./crawler/ ./...
