#!/usr/bin/env bash
# Creates (once) the Python venv the kernel integration tests drive the kernel with:
# jupyter_client, nbclient, nbformat, ipywidgets. It lives in the checkout (.venv-test/, gitignored),
# so two checkouts never share or overwrite it, and reruns find it ready. pip sees a local mirror
# only here, hence --retries 0 --timeout 10. SEGLENS_TEST_VENV overrides the place. Prints the venv path.
set -euo pipefail
venv="${SEGLENS_TEST_VENV:-$(cd "$(dirname "$0")/../.." && pwd)/.venv-test}"
stamp="$venv/.seglens-ready-1"
mkdir -p "$(dirname "$venv")"
# Test files run in parallel and each calls this script: one creates the venv, the others wait.
exec 9>"$venv.lock"
flock 9
if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --disable-pip-version-check --retries 0 --timeout 10 -q \
    "jupyter_client>=8,<9" "nbclient>=0.10,<1" "nbformat>=5,<6" "ipywidgets>=8.1,<9" >&2
  touch "$stamp"
fi
echo "$venv"
