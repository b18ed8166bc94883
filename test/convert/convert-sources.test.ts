import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../src/checkpoints/open-checkpoint";
import type { Architecture } from "../../src/convert/architecture";
import { sourceArchitecture } from "../../src/convert/source-architecture";
import { writeConvertedModel } from "../../src/convert/write-converted-model";
import { tensorPixels } from "../../src/features/extract-features";
import { collectFeatures } from "../../src/features/feature-set";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { REPS } from "../../src/vocabulary";
import { checkAttentionRows } from "../support/attention-reference";
import { compare, reference } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

/** What models/fixtures/sources/<id>/reference/meta.json says. */
interface SourceMeta {
  id: string;
  kind: "transformers" | "timm" | "checkpoint";
  mirrors: { weights: string };
  num_layers: number;
  num_heads: number;
  hidden_size: number;
  prefix_tokens: number;
  grid: [number, number];
}

const SOURCES = "models/fixtures/sources";
const sources: (SourceMeta & { dir: string })[] = readdirSync(SOURCES)
  .filter((id) => existsSync(join(SOURCES, id, "reference", "meta.json")))
  .map((id) => ({
    ...(JSON.parse(readFileSync(join(SOURCES, id, "reference", "meta.json"), "utf8")) as SourceMeta),
    dir: join(SOURCES, id),
  }));
const temp = testCacheDir();
afterAll(() => temp.remove());

// The converted graph computes in float32 like PyTorch; differences are rounding (seen: ≤ 3e-6).
const TOLERANCE = 1e-4;

describe.each(sources)("source checkpoint $id ($kind)", (source) => {
  it("converts to ONNX whose tokens, q, k, v of every layer match PyTorch", async () => {
    const checkpoint = await openCheckpoint(join(source.dir, source.mirrors.weights));
    let architecture: Architecture;
    try {
      // What the converter reads: config.json where the source has one (transformers and timm
      // repos; research files have none, and their heads come from the catalog).
      const configPath = join(source.dir, "config.json");
      const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, "utf8")) : undefined;
      architecture = sourceArchitecture(
        source.kind === "transformers" ? "transformers" : "timm",
        checkpoint,
        config,
        { heads: source.num_heads },
        source.id,
      );
      await writeConvertedModel(checkpoint, architecture, join(temp.path, source.id), {
        grid: source.grid,
        preprocessor: {},
        label: source.id,
      });
    } finally {
      await checkpoint.close();
    }
    expect(architecture.spec.depth).toBe(source.num_layers);
    const pixels = reference(source.dir, "pixel_values");
    const tapped = prepareTappedModel(join(temp.path, source.id, "onnx", "model.onnx"), {
      cacheDir: temp.path,
    });
    const set = await collectFeatures(tapped, {
      inputs: tensorPixels(pixels.data, pixels.dims as [number, number, number, number]),
      layers: Array.from({ length: source.num_layers + 1 }, (_, l) => l),
      threads: 1,
    });
    expect(set.layout.prefixTokens).toBe(source.prefix_tokens);
    expect(set.layout.grid).toEqual(source.grid);
    for (const rep of REPS) {
      for (let layer = rep === "tokens" ? 0 : 1; layer <= source.num_layers; layer++) {
        const key = `${rep}_L${layer}`;
        const { maxAbsDiff, maxAbsRef } = compare(
          set.arrays.get(key) as Float32Array,
          reference(source.dir, key).data,
        );
        expect(maxAbsDiff, `${key} max abs error`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, maxAbsRef));
      }
    }
    // The converter's attention is explicit, so the attention lens reads it too.
    await checkAttentionRows(join(temp.path, source.id, "onnx", "model.onnx"), source.dir, {
      prefixTokens: source.prefix_tokens,
      numLayers: source.num_layers,
      tolerance: 1e-5,
      cacheDir: temp.path,
    });
  });
});
