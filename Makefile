# Convenience targets; the README's two commands are scripts/demo.sh and
# scripts/test.sh, which need nothing but bash and Go.
.PHONY: demo test bench build

build:
	go build -trimpath -o bin/markwatch ./cmd/markwatch

demo:
	scripts/demo.sh

test:
	scripts/test.sh

# bench runs every benchmark and writes a table to bench/RESULTS.md.
bench:
	scripts/bench.sh
