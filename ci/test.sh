#!/usr/bin/env bash
# The whole test run, from a fresh clone: set-up, lint, types, then the test suite.
# The suite starts its own servers (registry, token server, PostgreSQL, SMTP and webhook receivers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup-test.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
.venv/bin/python -m pytest -q "$@"
