#!/usr/bin/env bash
# Test export.py's recipes on tiny random-weight models, then run `seglens features` on every
# export. Needs the local PyPI mirror (or internet) and a built seglens (npm run build); no model
# download. Not part of CI: `npm test` never needs Python.
#
#   bash models/export/test_export.sh [OUT_DIR]
#
# The venv lives under $SEGLENS_EXPORT_VENV (default ~/.cache/seglens/export-venv) and is reused
# while its package list is unchanged (the make_venv logic of models/fixtures/generate.sh).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${SEGLENS_EXPORT_VENV:-$HOME/.cache/seglens/export-venv}"
OUT="${1:-$(mktemp -d -t seglens-export-test-XXXXXX)}"
PYTHON="${PYTHON:-python3}"
export PYTHONDONTWRITEBYTECODE=1
export PIP_RETRIES="${PIP_RETRIES:-0}" PIP_TIMEOUT="${PIP_TIMEOUT:-10}" PIP_DISABLE_PIP_VERSION_CHECK=1

PACKAGES=(torch==2.13.0 torchvision==0.28.0 numpy==2.4.6 onnx==1.23.1 onnxruntime==1.30.0 onnxscript==0.7.2 pillow
          transformers==5.18.0 huggingface_hub==1.33.0 timm==1.0.29)

want="${PACKAGES[*]}"
if [[ ! -f "$VENV/.seglens-ok" || "$(cat "$VENV/.seglens-ok")" != "$want" ]]; then
  echo "creating $VENV ..." >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q "${PACKAGES[@]}"
  echo "$want" > "$VENV/.seglens-ok"
fi

# Where the mirror's torchvision is a CUDA build next to a CPU torch, its compiled ops do not load
# and `import torchvision` (hence timm) fails registering them ("operator torchvision::nms does not
# exist"). export.py uses none of those ops: in this throwaway venv only, skip their registration.
if ! "$VENV/bin/python" -c "import torchvision" 2>/dev/null; then
  meta="$("$VENV/bin/python" -c 'import importlib.util as u; print(u.find_spec("torchvision").submodule_search_locations[0])')/_meta_registrations.py"
  echo "# seglens test venv: ops of this torchvision build cannot load beside a CPU torch" > "$meta"
  "$VENV/bin/python" -c "import timm" >/dev/null
fi

"$VENV/bin/python" "$HERE/self_test.py" "$OUT"

cd "$ROOT"
[[ -f dist/cli/main.js ]] || npm run build >/dev/null
failed=0
while read -r id; do
  if node dist/cli/main.js features --model "$OUT/$id" --images models/samples/coffee.png --out "$OUT/features-$id" >"$OUT/features-$id.log" 2>&1; then
    echo "seglens features on $id: $(sed -n 1p "$OUT/features-$id.log")"
  else
    echo "seglens features on $id FAILED: $(cat "$OUT/features-$id.log")" >&2
    failed=1
  fi
done < "$OUT/exports.txt"
exit "$failed"
