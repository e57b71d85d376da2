#!/usr/bin/env bash
# The README's test command: installs tfbsl with its test extra and runs the whole suite.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" test
exec .venv/bin/python -m pytest -x -q -n 2 --durations=15 "$@"
