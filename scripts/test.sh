#!/usr/bin/env bash
# The README's test command: installs tfbsl with its test extra, lints, runs the
# whole suite on TensorFlow, then the backend-independent tests (tests/backends)
# again on JAX. Extra arguments go to pytest (both runs); given test paths, only
# those run, on TensorFlow. A ruff finding fails the command before pytest starts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" test
.venv/bin/python -m ruff check tfbsl tests benchmarks
.venv/bin/python -m pytest -x -q -n 2 --durations=15 "$@"
for arg in "$@"; do
    if [ -e "${arg%%::*}" ]; then exit 0; fi
done
KERAS_BACKEND=jax exec .venv/bin/python -m pytest -x -q -n 2 --durations=5 tests/backends "$@"
