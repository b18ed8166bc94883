import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeImage } from "../images/decode-image";
import { listImages } from "../images/list-images";
import { createRgbImage, type RgbImage } from "../images/rgb-image";
import { encodePng } from "../render/label-map";
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
async function eightPhotos(dir: string): Promise<string[]> {
  const samples = listImages([join(REPO, "models", "samples")]);
  const paths = [...samples];
  for (const [i, sample] of samples.slice(0, 8 - samples.length).entries()) {
    const path = join(dir, `mirrored-${i}.png`);
    writeFileSync(path, await encodePng(mirrored(await decodeImage(sample))));
    paths.push(path);
  }
  return paths;
}

function timeCli(args: string[], cache: string): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, [join(REPO, "dist", "cli", "main.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, SEGLENS_CACHE: cache },
  });
  if (run.status !== 0) throw new Error(`seglens ${args[0]} failed: ${run.stderr.trim()}`);
  return performance.now() - start;
}

/**
 * `seglens figure` end to end (a fresh process each time, as a user runs it) on ViT-S/16 with 8
 * photos: cold (empty caches: graph editing, inference, k-means, rendering) and warm (features
 * from the on-disk cache).
 */
export async function benchFigure(): Promise<BenchResult[]> {
  const folder = ensureBenchVit(join(REPO, "models", "bench"), "vit-small-patch16");
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-figure-"));
  try {
    const images = await eightPhotos(dir);
    const args = ["figure", "--model", folder, "--images", ...images, "--out", join(dir, "figure.png")];
    const cache = join(dir, "cache");
    const cold = timeCli(args, cache);
    const warm = Math.min(timeCli(args, cache), timeCli(args, cache));
    return [
      { name: "seglens figure, ViT-S/16, 8 photos, 12 layers, cold caches", value: cold / 1000, unit: "s" },
      {
        name: "seglens figure, ViT-S/16, 8 photos, 12 layers, warm feature cache",
        value: warm / 1000,
        unit: "s",
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
