#!/bin/sh
# Create the project's virtual environment. On a fresh Debian machine `python3 -m venv`
# needs the python3-venv package: install it when we are root, else say what to run.
set -eu
PY="${1:-python3}"; VENV="${2:-.venv}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "penmotor needs Python >= 3.11 (found: $("$PY" --version 2>&1))" >&2; exit 1
fi
if "$PY" -m venv "$VENV" 2>/dev/null; then exit 0; fi
rm -rf "$VENV"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt-get update -qq && (apt-get install -y -qq "python$ver-venv" || apt-get install -y -qq python3-venv)
    exec "$PY" -m venv "$VENV"
fi
echo "python3 -m venv failed: install the venv module (Debian: sudo apt-get install python3-venv)" >&2
exit 1
