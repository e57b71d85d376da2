#!/usr/bin/env bash
# The README's test command: installs tfbsl with its test extra, lints, and runs the whole suite.
# A ruff finding fails the command before pytest starts (set -e).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" test
.venv/bin/python -m ruff check tfbsl tests benchmarks
exec .venv/bin/python -m pytest -x -q -n 2 --durations=15 "$@"
