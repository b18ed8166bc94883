import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildVitOnnx, type VitShape } from "../../src/bench/bench-vit";

/** A small random ViT: 6 blocks of width 32 on a 4 × 4 grid of 8-px patches. */
export const SMALL_VIT: VitShape = Object.freeze({
  depth: 6,
  hiddenSize: 32,
  heads: 4,
  mlpSize: 64,
  patchSize: 8,
  imageSize: 32,
});

/**
 * Writes a random-weight ViT made by the graph builder, in Hub layout (`onnx/model.onnx`,
 * `config.json`, `preprocessor_config.json`: resize to the model's input, mean and std 0.5), into
 * `folder`; returns `folder`. Only `shape`'s fields given differ from {@link SMALL_VIT}: e.g.
 * `{ depth: 12, patchSize: 16, imageSize: 224 }` is a 12-block model with ViT-S/16's 14 × 14 grid.
 */
export function writeTestVit(folder: string, shape: Partial<VitShape> = {}, seed = 3): string {
  const full = { ...SMALL_VIT, ...shape };
  mkdirSync(join(folder, "onnx"), { recursive: true });
  writeFileSync(join(folder, "onnx", "model.onnx"), buildVitOnnx(full, seed));
  writeFileSync(
    join(folder, "config.json"),
    JSON.stringify({ model_type: "vit", num_hidden_layers: full.depth }),
  );
  writeFileSync(
    join(folder, "preprocessor_config.json"),
    JSON.stringify({
      image_processor_type: "ViTImageProcessor",
      size: { height: full.imageSize, width: full.imageSize },
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
    }),
  );
  return folder;
}
