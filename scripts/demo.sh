#!/usr/bin/env bash
# The README's demo command: trains a small Bayesian network on a 1-D regression,
# writes its plots under demo_output/ and prints a coverage table.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" demo
exec .venv/bin/python -m tfbsl.demo "$@"
