#!/usr/bin/env bash
# The run set-up, kept light: a virtualenv in .venv with driftwatch and its runtime dependencies.
# What only the tests need (registry server, PostgreSQL, validators) is in ci/setup-test.sh.
# Every package comes at the exact version of ci/constraints.txt (renewed by ci/refresh-constraints.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# A fresh Debian/Ubuntu has python3 without venv (ensurepip is in python3-venv): install it, as
# ci/setup-test.sh installs its packages, or say what is missing.
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if [ "$PYTHON" = python3 ] && command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "ci/setup.sh: installing Debian packages: python3 python3-venv" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
  else
    echo "ci/setup.sh: $PYTHON cannot make a virtual environment: need Python 3.10+ with venv and ensurepip (Debian: python3-venv)" >&2
    exit 2
  fi
fi
# A .venv left without pip by an earlier failed attempt is made again, not reused.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  "$PYTHON" -m venv --clear .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -c ci/constraints.txt -e .
