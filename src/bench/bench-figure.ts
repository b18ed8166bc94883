import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createProgram } from "../cli/main";
import { eightPhotos } from "./bench-explorer";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit } from "./bench-vit";

const REPO = resolve(__dirname, "..", "..");

/** Runs the `seglens` command line in this process (so its memory counts in this job's peak RSS). */
async function timeCli(args: string[], cache: string): Promise<number> {
  process.env.SEGLENS_CACHE = cache;
  const start = performance.now();
  await createProgram().parseAsync(args, { from: "user" });
  return performance.now() - start;
}

/**
 * `seglens figure` end to end on ViT-S/16 with 8 photos, run in this process: cold (empty caches:
 * graph editing, inference, k-means, rendering) and warm (features from the on-disk cache); and
 * the size of the SVG of 12 layers × the 5 sample photos (label maps as paths, photos once).
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
    const svg = join(dir, "figure.svg");
    await timeCli(
      ["figure", "--model", folder, "--images", join(REPO, "models", "samples"), "--out", svg],
      cache,
    );
    return [
      { name: "seglens figure, ViT-S/16, 8 photos, 12 layers, cold caches", value: cold / 1000, unit: "s" },
      {
        name: "seglens figure, ViT-S/16, 8 photos, 12 layers, warm feature cache",
        value: warm / 1000,
        unit: "s",
      },
      {
        name: "seglens figure SVG, ViT-S/16, 12 layers × 5 sample photos",
        value: statSync(svg).size / 1e3,
        unit: "kB",
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
