#!/usr/bin/env bash
# Builds the prebuilt JupyterLab 4 extension `seglens` into widgets/labextension/ (not committed:
# CI and `npm run build` in widgets/ make it). Needs `npm ci` in widgets/ and a Python venv with
# JupyterLab, whose core package.json the builder reads: the checkout's .venv, the one `seglens lab`
# (npm start) and the browser tests use (JupyterLab 4 and Notebook 7), created here on first use. Set
# SEGLENS_LAB_VENV to use another venv.
# Takes ~60 s on 2 cores (webpack ~54 s, mostly minifying plotly) with the venv present, plus ~15 s
# to create it.
set -euo pipefail
cd "$(dirname "$0")"

venv="${SEGLENS_LAB_VENV:-$(cd .. && pwd)/.venv}"
if [ ! -x "$venv/bin/jupyter" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --retries 0 --timeout 10 "jupyterlab==4.6.*" "ipywidgets==8.1.*" "notebook==7.*"
elif [ ! -x "$venv/bin/jupyter-notebook" ]; then
  # Venvs made before the Notebook 7 browser test lack it.
  "$venv/bin/pip" install -q --retries 0 --timeout 10 "notebook==7.*"
fi
# JupyterLab 4.6's `jupyter labextension build` only forwards to the separate `jupyter-builder`, which
# wants @jupyter/builder and downloads @jupyterlab/core-meta; @jupyterlab/builder's own CLI needs just
# the core package.json of the installed JupyterLab (its "staging" folder), so use that.
core="$("$venv/bin/python" -c 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))')"

node_modules/.bin/tsc -p tsconfig.json --noEmit
node scripts/build-lib.mjs
node scripts/build-cdn.mjs
node_modules/.bin/build-labextension --core-path "$core" .
