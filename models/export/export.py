#!/usr/bin/env python3
"""Export a vision transformer to ONNX in Hub layout, for models of the catalog with no ready export.

    python models/export/export.py mae-base                      # a catalog id (models/catalog.json)
    python models/export/export.py mugs-vitb16 --checkpoint mugs_vitb16.pth
    python models/export/export.py --tool transformers --model facebook/vit-mae-base --patch mae-no-mask --out DIR

Writes DIR/config.json, DIR/preprocessor_config.json, DIR/onnx/model.onnx (+ onnx/model.onnx_data
when the weights exceed protobuf's 2 GB) and DIR/seglens_export.json (recipe, versions, check).
DIR defaults to seglens' model folder, `$SEGLENS_CACHE/models/<id>` (else
`$XDG_CACHE_HOME/seglens/models/<id>`, else `~/.cache/seglens/models/<id>`), where
`seglens features --model <id>` finds it. See README.md beside this file.

Recipes (the catalog's "export" objects):
- tool "transformers": `AutoModel.from_pretrained(model)` (the vision tower for CLIP/SigLIP), as
  optimum exports it (TorchScript, opset 17, dynamic batch/height/width); `patch: mae-no-mask` sets
  mask_ratio 0 and replaces ViTMAE's random_masking by the identity (all patches, in order).
- tool "timm": `timm.create_model(model, pretrained=True)`; the export runs `forward_features`.
- tool "checkpoint": a timm architecture (`model`, `model_args`) loaded from a research checkpoint
  (`checkpoint` URL or --checkpoint PATH): DINO/iBOT/Mugs teacher or MoCo v3 base_encoder weights.

Testing without downloads: --tiny-config DIR builds a transformers model from a fixture's
config.json (random weights), --tiny builds the timm architecture at 32 px / 8 px patches / 2 blocks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
CATALOG = HERE.parent / "catalog.json"
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
PIL_FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}
# Largest weights kept inside model.onnx: protobuf refuses messages over 2 GiB.
INLINE_LIMIT = 1_800_000_000
TINY_TIMM = dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=4)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    recipe = recipe_from_args(args)
    out = Path(args.out) if args.out else default_out(recipe["id"])
    model, size, configs = build(recipe, args)
    params = sum(p.numel() for p in model.parameters())
    print(f"export: {recipe['id']}: {recipe['tool']} {recipe['model']}, {params / 1e6:.1f} M parameters, {size} px", file=sys.stderr)
    check_params(recipe, params, tiny=bool(args.tiny or args.tiny_config))
    tmp = Path(tempfile.mkdtemp(prefix="seglens-export-"))
    try:
        staged = tmp / "out"
        (staged / "onnx").mkdir(parents=True)
        configs(staged)
        onnx_file = export_onnx(model, recipe, size, staged / "onnx" / "model.onnx", args.opset, tmp)
        diff = check_onnx(model, onnx_file, size)
        if args.fp16:
            write_fp16(onnx_file, staged / "onnx" / "model_fp16.onnx")
        info = dict(recipe=recipe, parameters=params, input_size=size, max_abs_diff_vs_torch=diff, versions=versions())
        (staged / "seglens_export.json").write_text(json.dumps(info, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"export: wrote {out} (onnxruntime vs torch: max |diff| {diff:.2e})", file=sys.stderr)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("id", nargs="?", help="catalog id, e.g. mae-base")
    p.add_argument("--catalog", default=str(CATALOG))
    p.add_argument("--tool", choices=["transformers", "timm", "checkpoint"], help="without a catalog id")
    p.add_argument("--model", help="transformers or timm model id (without a catalog id)")
    p.add_argument("--patch", choices=["mae-no-mask"])
    p.add_argument("--checkpoint", help="weights (URL or path) for tool checkpoint; overrides the catalog's")
    p.add_argument("--input-size", type=int, help="export resolution (default: the catalog's, else the config's)")
    p.add_argument("--out", help="output folder (default: seglens' model folder for the id)")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--fp16", action="store_true", help="also write onnx/model_fp16.onnx (fp16 weights, fp32 inputs/outputs)")
    p.add_argument("--tiny-config", help="testing: a folder with config.json (+ preprocessor_config.json); random weights")
    p.add_argument("--tiny", action="store_true", help="testing: the timm architecture at 32 px, patch 8, 2 blocks, random weights")
    args = p.parse_args(argv)
    if args.id is None and (args.tool is None or args.model is None):
        p.error("give a catalog id, or --tool and --model")
    return args


def recipe_from_args(args: argparse.Namespace) -> dict:
    if args.id is not None and args.tool is None:
        entries = {m["id"]: m for m in json.loads(Path(args.catalog).read_text())["models"]}
        if args.id not in entries:
            sys.exit(f"export: unknown catalog id {args.id!r}; known: {', '.join(sorted(entries))}")
        entry = entries[args.id]
        if "export" not in entry:
            sys.exit(f"export: {args.id!r} has a ready ONNX on the Hub ({entry['hub']['repo']}): no export needed")
        recipe = dict(entry["export"], id=args.id, input_size=entry["input_size"], params_m=entry["params_m"])
    else:
        recipe = dict(id=args.id or args.model.replace("/", "--"), tool=args.tool, model=args.model)
        if args.patch:
            recipe["patch"] = args.patch
    if args.checkpoint:
        recipe["checkpoint"] = args.checkpoint
    if args.input_size:
        recipe["input_size"] = args.input_size
    if recipe["tool"] == "checkpoint" and not recipe.get("checkpoint") and not args.tiny:
        sys.exit(f"export: {recipe['id']!r} needs --checkpoint PATH (see the catalog entry's notes for where to get it)")
    return recipe


def default_out(model_id: str) -> Path:
    """seglens' model folder, as src/util/cache-dir.ts and exportFolder() in src/models/resolve-model.ts."""
    root = os.environ.get("SEGLENS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "seglens"
    )
    return Path(root) / "models" / model_id


def check_params(recipe: dict, params: int, tiny: bool) -> None:
    expected = recipe.get("params_m")
    if expected and not tiny and abs(params / 1e6 - expected) > 0.15 * expected:
        print(f"export: warning: {params / 1e6:.0f} M parameters, the catalog says ~{expected} M", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Building the model


def build(recipe: dict, args: argparse.Namespace):
    """(torch module taking pixel_values, input size, function writing config files to a folder)."""
    if recipe["tool"] == "transformers":
        return build_transformers(recipe, args.tiny_config)
    return build_timm(recipe, args.tiny)


class LastHiddenState(nn.Module):
    """A transformers vision model returning only last_hidden_state (the taps are found in the graph)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=pixel_values).last_hidden_state


def build_transformers(recipe: dict, tiny_config: str | None):
    import transformers as T

    source = tiny_config or recipe["model"]
    config = T.AutoConfig.from_pretrained(source)
    vision = {"clip": T.CLIPVisionModel, "siglip": T.SiglipVisionModel}.get(config.model_type)
    if vision is not None and hasattr(config, "vision_config"):
        config = config.vision_config
    cls = vision or T.AutoModel
    torch.manual_seed(0)
    model = cls.from_config(config) if tiny_config else cls.from_pretrained(recipe["model"], config=config)
    model.eval()
    if recipe.get("patch") == "mae-no-mask":
        keep_all_mae_tokens(model)
    size = recipe.get("input_size") if not tiny_config else None
    size = size or int(getattr(model.config, "image_size", 224))

    def configs(folder: Path) -> None:
        model.config.save_pretrained(folder)
        if tiny_config and (Path(tiny_config) / "preprocessor_config.json").exists():
            shutil.copy(Path(tiny_config) / "preprocessor_config.json", folder / "preprocessor_config.json")
        else:
            T.AutoImageProcessor.from_pretrained(source).save_pretrained(folder)

    # eval() on the wrapper too: torch.onnx.export restores the wrapper's mode recursively afterwards.
    return LastHiddenState(model).eval(), size, configs


def keep_all_mae_tokens(model: nn.Module) -> None:
    """ViTMAE without masking: mask_ratio 0 and random_masking = identity (models/fixtures/hf_models.py)."""

    def keep_all(sequence: torch.Tensor, noise=None, **_):
        b, n, _ = sequence.shape
        mask = sequence.new_zeros(b, n)
        ids_restore = torch.arange(n, device=sequence.device).unsqueeze(0).expand(b, n)
        return sequence, mask, ids_restore

    model.config.mask_ratio = 0.0
    model.embeddings.random_masking = keep_all


class ForwardFeatures(nn.Module):
    """A timm model's token sequence after the blocks (and its final norm), no pooling or head."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model.forward_features(pixel_values)


def build_timm(recipe: dict, tiny: bool):
    import timm

    kwargs = dict(recipe.get("model_args") or {})
    if tiny:
        kwargs.update(TINY_TIMM)
        if "pe_core" in recipe["model"]:
            kwargs["ref_feat_shape"] = (4, 4)
    torch.manual_seed(0)
    pretrained = recipe["tool"] == "timm" and not tiny
    model = timm.create_model(recipe["model"], pretrained=pretrained, num_classes=0, **kwargs).eval()
    if recipe["tool"] == "checkpoint" and recipe.get("checkpoint"):
        load_checkpoint(model, recipe["checkpoint"])
    size = int(model.patch_embed.img_size[0]) if tiny else int(recipe.get("input_size") or model.pretrained_cfg["input_size"][-1])

    def configs(folder: Path) -> None:
        write_json(folder / "config.json", timm_config(model, recipe, kwargs))
        write_json(folder / "preprocessor_config.json", timm_preprocessor(model, recipe, size))

    return ForwardFeatures(model).eval(), size, configs


def load_checkpoint(model: nn.Module, source: str) -> None:
    """Loads a research checkpoint into a timm ViT, whatever wraps its weights (see clean_state_dict)."""
    if source.startswith(("http://", "https://")):
        raw = torch.hub.load_state_dict_from_url(source, map_location="cpu", check_hash=False, weights_only=False)
    else:
        raw = torch.load(source, map_location="cpu", weights_only=False)
    state = clean_state_dict(raw)
    own = model.state_dict()
    state = {k: v for k, v in state.items() if k in own}
    if "pos_embed" in state and state["pos_embed"].shape != own["pos_embed"].shape:
        from timm.layers import resample_abs_pos_embed

        grid = model.patch_embed.grid_size
        state["pos_embed"] = resample_abs_pos_embed(state["pos_embed"], list(grid), num_prefix_tokens=model.num_prefix_tokens)
    missing = [k for k in own if k not in state and not k.startswith(("head.", "fc_norm."))]
    if missing:
        sys.exit(f"export: the checkpoint lacks {len(missing)} weights of the model, e.g. {missing[:5]}: wrong architecture or checkpoint?")
    model.load_state_dict(state, strict=False)


def clean_state_dict(raw) -> dict:
    """The backbone's weights with timm names from the wrappers research code saves.

    Unwraps "teacher" (DINO, iBOT, Mugs full checkpoints), "state_dict", "model", "target_encoder"
    (I-JEPA style), "encoder"; keeps only `base_encoder` weights when present (MoCo v3, whose
    checkpoints also hold the momentum encoder and predictor); strips "module.", "backbone.",
    "encoder." prefixes.
    """
    state = raw
    changed = True
    while changed and isinstance(state, dict):
        changed = False
        for key in ("teacher", "state_dict", "model", "target_encoder", "encoder"):
            if isinstance(state.get(key), dict):
                state, changed = state[key], True
                break
    if any("base_encoder." in k for k in state):
        state = {k.split("base_encoder.", 1)[1]: v for k, v in state.items() if "base_encoder." in k}
    cleaned = {}
    for key, value in state.items():
        for prefix in ("module.", "backbone.", "encoder."):
            while key.startswith(prefix):
                key = key[len(prefix):]
        cleaned[key] = value
    return cleaned


def timm_config(model: nn.Module, recipe: dict, kwargs: dict) -> dict:
    cfg = {k: v for k, v in model.pretrained_cfg.items() if isinstance(v, (str, int, float, bool, list, tuple, type(None)))}
    return dict(architecture=recipe["model"].split(".")[0], num_features=int(model.num_features), model_args=kwargs,
                pretrained_cfg=cfg, num_prefix_tokens=int(model.num_prefix_tokens))


def timm_preprocessor(model: nn.Module, recipe: dict, size: int) -> dict:
    """timm's eval transform (resize the short side to size / crop_pct, centre crop) as a Bit config.

    Research checkpoints get the DINO-style evaluation transform they were evaluated with:
    shortest edge 256/224 of the size, bicubic, ImageNet mean/std.
    """
    if recipe["tool"] == "checkpoint":
        crop_pct, resample, mean, std = 224 / 256, "bicubic", IMAGENET_MEAN, IMAGENET_STD
    else:
        cfg = model.pretrained_cfg
        crop_pct, resample = cfg.get("crop_pct") or 1.0, cfg.get("interpolation") or "bicubic"
        mean, std = list(cfg.get("mean") or IMAGENET_MEAN), list(cfg.get("std") or IMAGENET_STD)
    return {
        "image_processor_type": "BitImageProcessor",
        "do_resize": True,
        "size": {"shortest_edge": int(math.floor(size / crop_pct))},
        "resample": PIL_FILTERS.get(resample, 3),
        "do_center_crop": True,
        "crop_size": {"height": size, "width": size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": mean,
        "image_std": std,
        "do_convert_rgb": True,
    }


# ---------------------------------------------------------------------------------------------
# Export and check


@contextlib.contextmanager
def interpolate_without_antialias():
    """The TorchScript exporter has no antialiased bicubic (DINOv2 with registers asks for it)."""
    original = torch.nn.functional.interpolate

    def interpolate(*args, **kwargs):
        kwargs["antialias"] = False
        return original(*args, **kwargs)

    torch.nn.functional.interpolate = interpolate
    try:
        yield
    finally:
        torch.nn.functional.interpolate = original


def export_onnx(model: nn.Module, recipe: dict, size: int, path: Path, opset: int, tmp: Path) -> Path:
    """TorchScript export as optimum does it, then weights moved to model.onnx_data when too large."""
    import onnx

    pixel_values = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    axes = {"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}}
    if recipe["tool"] == "transformers":
        axes = {"pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
                "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}
    raw = tmp / "raw" / "model.onnx"
    raw.parent.mkdir()
    with interpolate_without_antialias(), torch.no_grad():
        torch.onnx.export(model, (pixel_values,), str(raw), dynamo=False, input_names=["pixel_values"],
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True)
    proto = onnx.load(str(raw))
    if any(n.op_type.startswith("Random") for n in proto.graph.node):
        sys.exit("export: the graph still has random ops (masking?): refusing to write it")
    weights = sum(len(t.raw_data) for t in proto.graph.initializer)
    if weights > INLINE_LIMIT:
        onnx.save_model(proto, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.name + "_data", size_threshold=1024)
        (path.parent / (path.name + "_data")).chmod(0o644)
    else:
        onnx.save_model(proto, str(path))
    return path


def check_onnx(model: nn.Module, path: Path, size: int) -> float:
    """max |onnxruntime - torch| on a seeded input; exits when it exceeds 1e-3 of the output's scale."""
    import numpy as np
    import onnxruntime as ort

    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(x).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    actual = session.run(["last_hidden_state"], {"pixel_values": x.numpy()})[0]
    diff = float(np.abs(actual - expected).max())
    if diff > 1e-3 * max(1.0, float(np.abs(expected).max())):
        sys.exit(f"export: onnxruntime and torch disagree (max |diff| {diff:.3e}): the export is wrong")
    return diff


def write_fp16(src: Path, dst: Path) -> None:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True)
    onnx.save_model(model, str(dst))


def versions() -> dict:
    import importlib.metadata as md

    out = {}
    for pkg in ("torch", "transformers", "timm", "onnx", "onnxruntime"):
        with contextlib.suppress(md.PackageNotFoundError):
            out[pkg] = md.version(pkg)
    return out


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, default=list) + "\n")


if __name__ == "__main__":
    sys.exit(main())
