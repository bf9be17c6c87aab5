#!/usr/bin/env bash
# Installs what markwatch's tests and demo need on a Debian machine with Go.
# Usage: scripts/setup.sh [demo|test]
#   demo: nothing beyond Go (the demo is one self-contained binary).
#   test: redis-server (queue and scheduler tests), chromium (review UI
#         browser test), prometheus (promtool rule tests and the Prometheus
#         integration test), tesseract with its Simplified Chinese and
#         English data (image OCR tests) and a CJK font (the fake
#         marketplace renders brand text into product images).
# As root it installs missing Debian packages with apt-get; otherwise it
# prints the exact install line and fails.
set -euo pipefail

need_go() {
	if ! command -v go >/dev/null 2>&1; then
		echo "setup: Go is not installed (need Go 1.26 or newer: https://go.dev/doc/install)" >&2
		exit 1
	fi
}

# pkg_for BINARY -> Debian package providing it
pkg_for() {
	case "$1" in
	redis-server | redis-cli) echo redis-server ;;
	chromium) echo chromium ;;
	promtool | prometheus) echo prometheus ;;
	tesseract) echo tesseract-ocr ;;
	# files, not binaries: checked by path below
	/usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata) echo tesseract-ocr-chi-sim ;;
	/usr/share/tesseract-ocr/*/tessdata/eng.traineddata) echo tesseract-ocr-eng ;;
	/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf) echo fonts-droid-fallback ;;
	*) echo "$1" ;;
	esac
}

# present NAME: a binary on PATH, or (a path with a glob) an existing file
present() {
	case "$1" in
	/*) compgen -G "$1" >/dev/null ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

install_missing() {
	local missing=() pkgs=()
	for bin in "$@"; do
		present "$bin" || missing+=("$bin")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	for bin in "${missing[@]}"; do pkgs+=("$(pkg_for "$bin")"); done
	# de-duplicate
	mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing ${missing[*]}; install them with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${pkgs[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${pkgs[*]} with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
	# Debian's prometheus package may start its service on :9090; markwatch's
	# tests start their own private instance on a free port, so stop the
	# packaged one that this install just started.
	if [[ " ${pkgs[*]} " == *" prometheus "* ]]; then
		pkill -x prometheus 2>/dev/null || true
	fi
	for bin in "${missing[@]}"; do
		if ! present "$bin"; then
			echo "setup: $bin still missing after installing ${pkgs[*]}" >&2
			exit 1
		fi
	done
}

need_go
case "${1:-test}" in
demo) ;;
test) install_missing redis-server redis-cli chromium promtool prometheus tesseract \
	'/usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata' \
	'/usr/share/tesseract-ocr/*/tessdata/eng.traineddata' \
	/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ;;
*)
	echo "usage: scripts/setup.sh [demo|test]" >&2
	exit 2
	;;
esac
