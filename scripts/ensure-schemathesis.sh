#!/usr/bin/env bash
# Prints the path of the schemathesis CLI, installing it (pinned, from PyPI) into .tools/venv when
# missing. Used by `scripts/schemathesis.ts`; not part of `make test`.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.tools/venv"
stamp="$venv/.schemathesis-$SCHEMATHESIS_VERSION"

if [ -f "$stamp" ] && [ -x "$venv/bin/st" ]; then echo "$venv/bin/st"; exit 0; fi
if [ ! -x "$venv/bin/pip" ]; then
  mkdir -p "$root/.tools"
  python3 -m venv "$venv" >&2
fi
echo "Installing schemathesis==$SCHEMATHESIS_VERSION from PyPI into .tools/venv ..." >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
touch "$stamp"
echo "$venv/bin/st"
