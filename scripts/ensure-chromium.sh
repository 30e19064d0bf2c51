#!/usr/bin/env bash
# Prints the path of a Chromium binary, installing Debian's `chromium` package when none is on the
# machine. Used by the headless-browser check of the codec server (test/e2e/codec-ui.test.ts) and
# called by `make test` before jest, so the install happens once and outside any test's timeout.
# Installing needs root (as in the Dockerfile and CI images) or passwordless sudo.
set -euo pipefail

for candidate in "${CHROMIUM_PATH:-}" chromium chromium-browser google-chrome; do
  [ -n "$candidate" ] || continue
  if found="$(command -v "$candidate" 2>/dev/null)"; then echo "$found"; exit 0; fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "no Chromium found and no apt-get to install it: install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != "0" ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "no Chromium found; installing it needs root: run 'sudo apt-get install -y chromium' or set CHROMIUM_PATH" >&2
    exit 1
  fi
fi
echo "Installing Debian's chromium package (once) ..." >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >&2
command -v chromium
