#!/usr/bin/env bash
# Builds the documentation site (mkdocs.yml, sources in docs/) with
# `mkdocs build --strict`: a broken link, an unresolved API reference or any
# other warning fails the build. Writes to site/ (git-ignored), or to the
# directory given as the first argument. Installs tfbsl[docs] into .venv first
# if the docs tools are missing there (as demo.sh and test.sh install theirs).
# TFBSL_PYTHON names another interpreter to build with (the test suite's own).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/site}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac   # relative to where it was called
cd "$root"
python="${TFBSL_PYTHON:-.venv/bin/python}"
if ! "$python" -c "import mkdocs, material, mkdocstrings_handlers.python, mkdocs_jupyter" 2>/dev/null; then
    source scripts/_venv.sh docs
    python=.venv/bin/python
fi
export NO_MKDOCS_2_WARNING=1 TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore::DeprecationWarning
"$python" -m mkdocs build --strict --site-dir "$out"
echo "Built: $out/index.html"
