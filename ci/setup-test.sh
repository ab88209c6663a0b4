#!/usr/bin/env bash
# The test set-up on a fresh Debian machine: the run set-up (ci/setup.sh), then the Debian packages
# the suite starts or calls (registry server, skopeo, PostgreSQL, shellcheck, headless Chromium and
# its driver for the HTML report, and Debian's own externally managed python3 with venv support, the
# interpreter the GitHub Action test installs with) when missing, and the extras test, lint, docs
# and postgres (what ci/test.sh runs; `dev` is all four) at the exact versions of ci/constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh

need_apt=()
command -v docker-registry >/dev/null 2>&1 || command -v registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need_apt+=(skopeo)
command -v pg_virtualenv >/dev/null 2>&1 || need_apt+=(postgresql postgresql-common)
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
[ -x /usr/bin/python3 ] || need_apt+=(python3)
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ci/setup-test.sh: need ${need_apt[*]} but this machine has no apt-get; install them and re-run" >&2
    exit 2
  fi
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "ci/setup-test.sh: installing Debian packages: ${need_apt[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

.venv/bin/python -m pip install -q --disable-pip-version-check -c ci/constraints.txt -e '.[test,lint,docs,postgres]'
