#!/usr/bin/env python3
"""Runs export.py's recipes on tiny random-weight models: no download, a few seconds each.

    python models/export/self_test.py OUT_DIR      # (test_export.sh makes the venv and calls this)

transformers recipes use the tiny configs of models/fixtures/ (the same architectures as the Hub
models, 2 blocks, 32 px); timm and checkpoint recipes use the timm architectures at 32 px with
2 blocks. Checkpoint recipes load a synthetic checkpoint wrapped the way the research code saves
it (MoCo v3's module.base_encoder, DINO/iBOT's teacher/backbone) and must reproduce the weights
they were made from. Each export is then checked by export.py against torch (onnxruntime), and
test_export.sh runs `seglens features` on every folder written here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# (catalog id, extra arguments): the catalog's recipe at a tiny size.
TRANSFORMERS = [
    ("mae-base", ["--tiny-config", str(FIXTURES / "vitmae-tf4")]),
    ("dinov2-giant", ["--tiny-config", str(FIXTURES / "dinov2-tf4")]),
    ("dinov2-reg-giant", ["--tiny-config", str(FIXTURES / "dinov2-reg-tf4")]),
    ("dinov3-vit7b16", ["--tiny-config", str(FIXTURES / "dinov3-tf4")]),
    ("vit-large-in21k", ["--tiny-config", str(FIXTURES / "vit-tf4")]),
]
TIMM = ["openclip-vitb16-laion2b", "pe-core-b16"]
CHECKPOINTS = {"mocov3-vits16": "moco", "ibot-vits16": "dino-teacher", "mugs-vitb16": "dino-teacher"}


def synthetic_checkpoint(model_id: str, style: str, folder: Path) -> tuple[Path, torch.nn.Module]:
    """A checkpoint wrapping a random tiny model's weights as the research code saves them."""
    import timm

    recipe = export.recipe_from_args(export.parse_args([model_id, "--tiny"]))
    kwargs = dict(recipe.get("model_args") or {}, **export.TINY_TIMM)
    torch.manual_seed(123)
    reference = timm.create_model(recipe["model"], pretrained=False, num_classes=0, **kwargs).eval()
    for p in reference.parameters():
        torch.nn.init.normal_(p, std=0.2)
    weights = reference.state_dict()
    if style == "moco":
        raw = {"epoch": 300, "state_dict": {
            **{f"module.base_encoder.{k}": v for k, v in weights.items()},
            **{f"module.momentum_encoder.{k}": torch.zeros_like(v) for k, v in weights.items()},
            "module.predictor.0.weight": torch.zeros(4, 4),
        }}
    else:
        raw = {"teacher": {**{f"backbone.{k}": v for k, v in weights.items()}, "head.mlp.0.weight": torch.zeros(4, 4)},
               "student": {"backbone.cls_token": torch.zeros(1)}, "epoch": 100}
    path = folder / f"{model_id}-checkpoint.pth"
    torch.save(raw, path)
    return path, reference


def run(args: list[str]) -> None:
    code = export.main(args)
    if code != 0:
        raise SystemExit(code)


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for model_id, extra in TRANSFORMERS:
        run([model_id, *extra, "--out", str(out / model_id)])
        done.append(model_id)
    run(["mae-base", "--tiny-config", str(FIXTURES / "vitmae-tf4"), "--fp16", "--out", str(out / "mae-base-fp16")])
    done.append("mae-base-fp16")
    # Weights over the inline limit go to onnx/model.onnx_data (forced here with a zero limit).
    limit, export.INLINE_LIMIT = export.INLINE_LIMIT, 0
    try:
        run(["dinov3-vit7b16", "--tiny-config", str(FIXTURES / "dinov3-tf4"), "--out", str(out / "dinov3-external")])
    finally:
        export.INLINE_LIMIT = limit
    assert (out / "dinov3-external" / "onnx" / "model.onnx_data").stat().st_size > 0, "no external data written"
    done.append("dinov3-external")
    for model_id in TIMM:
        run([model_id, "--tiny", "--out", str(out / model_id)])
        done.append(model_id)
    for model_id, style in CHECKPOINTS.items():
        checkpoint, reference = synthetic_checkpoint(model_id, style, out)
        run([model_id, "--tiny", "--checkpoint", str(checkpoint), "--out", str(out / model_id)])
        x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(5))
        with torch.no_grad():
            expected = reference.forward_features(x).numpy()
        session = ort.InferenceSession(str(out / model_id / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
        actual = session.run(None, {"pixel_values": x.numpy()})[0]
        diff = float(np.abs(actual - expected).max())
        assert diff < 1e-4, f"{model_id}: the checkpoint's weights were not loaded (max |diff| {diff})"
        print(f"self-test: {model_id}: {style} checkpoint loaded, ONNX = reference model (max |diff| {diff:.1e})")
        done.append(model_id)
    # The MAE export must not sample: two runs give the same tokens, all patches kept.
    session = ort.InferenceSession(str(out / "mae-base" / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32), dtype=np.float32)
    a, b = (session.run(None, {"pixel_values": x})[0] for _ in range(2))
    assert a.shape == (1, 17, 32) and np.array_equal(a, b), f"MAE export masks or shuffles: {a.shape}"
    print(f"self-test: {len(done)} exports in {out}: {', '.join(done)}")
    (out / "exports.txt").write_text("\n".join(done) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
