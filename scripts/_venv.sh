# Sourced by demo.sh and test.sh: make .venv if missing, install tfbsl with the given extra.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[$1]"
export TF_CPP_MIN_LOG_LEVEL=2 MPLBACKEND=Agg PYTHONUNBUFFERED=1
