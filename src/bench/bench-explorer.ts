import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createExplorerEngine } from "../explorer/explorer-engine";
import { decodeImage } from "../images/decode-image";
import { encodePng } from "../images/encode-png";
import { listImages } from "../images/list-images";
import { createRgbImage, type RgbImage } from "../images/rgb-image";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit } from "./bench-vit";

const REPO = resolve(__dirname, "..", "..");

function mirrored(image: RgbImage): RgbImage {
  const [height, width] = image.dims;
  const out = createRgbImage(height, width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      out.data.set(
        image.data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
        (y * width + width - 1 - x) * 3,
      );
  return out;
}

/** Eight photo files: the five samples and three of them mirrored. */
export async function eightPhotos(dir: string): Promise<string[]> {
  const samples = listImages([join(REPO, "models", "samples")]);
  const paths = [...samples];
  for (const [i, sample] of samples.slice(0, 8 - samples.length).entries()) {
    const path = join(dir, `mirrored-${i}.png`);
    writeFileSync(path, await encodePng(mirrored(await decodeImage(sample))));
    paths.push(path);
  }
  return paths;
}

/** The value below which a fraction `p` of `values` lie (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/**
 * The explorer's kernel-side work for a K change on ViT-S/16 with 8 photos, features cached: 12
 * joint k-means fits, alignment through depth, PB/LC/BA, the uint8 frame (what a K slider move
 * waits for, before the comm message and the browser's drawing).
 */
export async function benchExplorer(): Promise<BenchResult[]> {
  const folder = ensureBenchVit(join(REPO, "models", "bench"), "vit-small-patch16");
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-explorer-"));
  // No frame cache: every K change below waits for its k-means, as one not seen before does.
  const engine = createExplorerEngine({ images: await eightPhotos(dir), frameCacheSize: 0 });
  const request = {
    models: [folder],
    k: 6,
    rep: "tokens" as const,
    layerRange: undefined,
    normalize: "l2" as const,
  };
  try {
    const signal = new AbortController().signal;
    setMaxListeners(256, signal); // every fit of a frame listens to it at once
    const first = performance.now();
    await engine.compute(request, signal, () => {});
    const firstFrame = performance.now() - first;
    const times: number[] = [];
    for (const k of [3, 8, 5, 12, 4, 7, 6, 10, 2, 9, 11, 6, 5, 8, 3, 4, 7, 12, 9, 6]) {
      const start = performance.now();
      await engine.compute({ ...request, k }, signal, () => {});
      times.push(performance.now() - start);
    }
    return [
      {
        name: "explorer first frame, ViT-S/16, 8 photos, 12 layers (cold features)",
        value: firstFrame,
        unit: "ms",
      },
      {
        name: "explorer K change → new frame, kernel side, median of 20",
        value: percentile(times, 0.5),
        unit: "ms",
      },
      {
        name: "explorer K change → new frame, kernel side, p95 of 20",
        value: percentile(times, 0.95),
        unit: "ms",
      },
    ];
  } finally {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
