#!/usr/bin/env bash
# The run set-up, kept light: a virtualenv in .venv with driftwatch and its runtime dependencies.
# What only the tests need (registry server, PostgreSQL, validators) is in ci/setup-test.sh.
# Every package comes at the exact version of ci/constraints.txt (renewed by ci/refresh-constraints.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -c ci/constraints.txt -e .
