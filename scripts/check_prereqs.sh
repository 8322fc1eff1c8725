#!/usr/bin/env bash
# `make setup`, step one: say what is missing before anything is installed, in one message per gap.
set -uo pipefail
PYTHON="${1:-python3}"
missing=0

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  found="$("$PYTHON" --version 2>/dev/null || echo 'not found')"
  echo "setup: Python 3.11 or newer is needed ($PYTHON: $found); install it or run make PYTHON=/path/to/python3.11" >&2
  missing=1
elif ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "setup: $PYTHON lacks venv/ensurepip (on Debian: apt-get install python3-venv)" >&2
  missing=1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null; then
  echo "setup: Node.js 20 or newer with npm is needed for the mini-program's tests (found: $(node --version 2>/dev/null || echo none))" >&2
  missing=1
fi
if ! command -v make >/dev/null; then
  echo "setup: GNU make is needed" >&2
  missing=1
fi
exit "$missing"
