#!/usr/bin/env bash
# Prints the path of Prometheus's promtool, for the check of deploy/prometheus/ in
# test/integration/deploy/alert-rules.test.ts. Order: $PROMTOOL, then `promtool` on PATH, then
# .tools/promtool, filled from Debian's `prometheus` package: the .deb is downloaded and only its
# promtool binary unpacked (dpkg-deb -x), so nothing is installed system-wide and no Prometheus
# server is started. Called by `make test` before jest, so no test waits for the download.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tools/promtool"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${PROMTOOL:-}" ]; then
  if works "$PROMTOOL"; then echo "$PROMTOOL"; exit 0; fi
  echo "PROMTOOL is set to '$PROMTOOL' but that is not a working promtool binary; unset it or point it at one." >&2
  exit 1
fi
if onpath="$(command -v promtool 2>/dev/null)" && works "$onpath"; then echo "$onpath"; exit 0; fi
if works "$dest/promtool"; then echo "$dest/promtool"; exit 0; fi

for tool in apt-get dpkg-deb; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "no promtool found and no $tool to fetch Debian's: install Prometheus's promtool and set PROMTOOL" >&2
    exit 1
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "Fetching promtool from Debian's prometheus package (once) ..." >&2
if ! (cd "$work" && apt-get download -qq prometheus >&2 2>/dev/null); then
  # A fresh image has no package lists yet; refreshing them needs root.
  sudo=""
  if [ "$(id -u)" != "0" ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "apt-get download prometheus failed and refreshing the package lists needs root: run 'sudo apt-get update' or set PROMTOOL" >&2
      exit 1
    fi
  fi
  $sudo apt-get update -qq >&2
  (cd "$work" && apt-get download -qq prometheus >&2)
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
mkdir -p "$dest"
install -m 0755 "$work/x/usr/bin/promtool" "$dest/promtool"
if ! works "$dest/promtool"; then
  echo "the promtool unpacked from Debian's prometheus package does not run: $dest/promtool" >&2
  exit 1
fi
echo "$dest/promtool"
