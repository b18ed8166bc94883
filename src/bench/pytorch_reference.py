"""PyTorch reference for `npm run bench`: the same work as seglens' feature extraction.

Builds a random-weight transformers ViTModel of the benchmark shape, hooks every block's query,
key and value projections and block outputs (keeping the tensors, as seglens returns them), and
times a forward pass per batch. Prints one JSON object: {"<model id>": ms per image, ...}.
"""
import argparse
import json
import re
import time

import torch
from transformers import ViTConfig, ViTModel

PROJECTIONS = ("query", "key", "value", "q_proj", "k_proj", "v_proj")
# Blocks are `encoder.layer.N` in transformers 4.x and `layers.N` in 5.x.
BLOCK = re.compile(r"(^|\.)layers?\.\d+$")


def hooked_model(shape):
    config = ViTConfig(
        hidden_size=shape["hiddenSize"], num_hidden_layers=shape["depth"], num_attention_heads=shape["heads"],
        intermediate_size=shape["mlpSize"], patch_size=shape["patchSize"], image_size=shape["imageSize"],
        attn_implementation="eager",
    )
    model = ViTModel(config, add_pooling_layer=False).eval()
    kept = []
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        is_block = BLOCK.search(name) is not None
        if leaf in PROJECTIONS or is_block:
            module.register_forward_hook(lambda _m, _i, out: kept.append(out[0] if isinstance(out, tuple) else out))
    return model, kept


def ms_per_image(shape, images, repeats):
    model, kept = hooked_model(shape)
    pixels = torch.randn(images, 3, shape["imageSize"], shape["imageSize"])
    best = float("inf")
    with torch.inference_mode():
        for run in range(repeats + 1):  # the first run warms up
            kept.clear()
            start = time.perf_counter()
            model(pixel_values=pixels)
            elapsed = time.perf_counter() - start
            if run > 0:
                best = min(best, elapsed)
    assert len(kept) == 4 * shape["depth"], f"hooked {len(kept)} tensors, expected {4 * shape['depth']}"
    return 1000 * best / images


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", required=True, help="JSON: {id: {shape, images}}")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    result = {}
    for model_id, job in json.loads(args.shapes).items():
        result[model_id] = ms_per_image(job["shape"], job["images"], args.repeats)
    result["torch"] = torch.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
