import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createProgram } from "../cli/main";
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

/** Runs the `seglens` command line in this process (so its memory counts in this job's peak RSS). */
async function timeCli(args: string[], cache: string): Promise<number> {
  process.env.SEGLENS_CACHE = cache;
  const start = performance.now();
  await createProgram().parseAsync(args, { from: "user" });
  return performance.now() - start;
}

/**
 * `seglens figure` end to end on ViT-S/16 with 8 photos, run in this process: cold (empty caches:
 * graph editing, inference, k-means, rendering) and warm (features from the on-disk cache).
 */
export async function benchFigure(): Promise<BenchResult[]> {
  const folder = ensureBenchVit(join(REPO, "models", "bench"), "vit-small-patch16");
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-figure-"));
  try {
    const images = await eightPhotos(dir);
    const args = ["figure", "--model", folder, "--images", ...images, "--out", join(dir, "figure.png")];
    const cache = join(dir, "cache");
    const cold = await timeCli(args, cache);
    const warm = Math.min(await timeCli(args, cache), await timeCli(args, cache));
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
