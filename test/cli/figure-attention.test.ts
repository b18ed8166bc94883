import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { extractAttentionRows } from "../../src/features/attention-rows";
import { imagePixels } from "../../src/features/extract-features";
import { prepareRequest } from "../../src/features/feature-request";
import { heatColour } from "../../src/lenses/attention-colours";
import { attentionMap, displayLevels, type Head } from "../../src/lenses/attention-maps";
import { attentionFigure } from "../../src/render/attention-figure";
import { panelBox } from "../../src/render/figure";
import { loadSharp } from "../../src/util/load-sharp";
import { expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
const env = () => ({ ...process.env, SEGLENS_CACHE: join(temp.path, "cache"), HF_HUB_OFFLINE: "1" });
afterAll(() => temp.remove());

const IMAGES = "models/samples";

/** The decoded RGB pixels of a PNG, and its width. */
async function pixelsOf(file: string): Promise<{ data: Buffer; width: number }> {
  const { data, info } = await loadSharp()(readFileSync(file)).removeAlpha().raw().toBuffer({
    resolveWithObject: true,
  });
  return { data, width: info.width };
}

/**
 * Checks that every panel of the CLI's figure (drawn with --opacity 1: heat colours only) shows,
 * at the centre of each patch, the colour of the library's display level for that patch.
 */
async function expectPanelsMatchLibrary(file: string, model: string, heads: Head[]): Promise<void> {
  const prepared = await prepareRequest({ model, images: [IMAGES] });
  const set = await extractAttentionRows(prepared.tapped, {
    inputs: imagePixels(prepared.images, prepared.preprocess),
    threads: 1,
    graphsDir: join(temp.path, "graphs"),
  });
  // The figure's geometry: the same spec the command draws, without photos (they do not move panels).
  const spec = attentionFigure(set, { model, images: prepared.images, photos: [], heads, opacity: 1 });
  const png = await pixelsOf(file);
  const [gh, gw] = set.grid;
  const dims = [set.numImages, set.heads, gh * gw] as const;
  let row = 0;
  for (const head of heads) {
    for (const layer of set.layers) {
      for (let image = 0; image < set.numImages; image++) {
        const levels = displayLevels(attentionMap(set.rows.get(layer) as Float32Array, dims, image, head));
        const box = panelBox(spec, row, image);
        for (let p = 0; p < gh * gw; p++) {
          // Patch centres, below the caption band in the panel's top-left corner.
          const y = box.y + Math.floor(((Math.floor(p / gw) + 0.5) * box.side) / gh) + (p < gw ? 6 : 0);
          const x = box.x + Math.floor((((p % gw) + 0.5) * box.side) / gw) + 8;
          const at = (y * png.width + x) * 3;
          const shown = [...png.data.subarray(at, at + 3)];
          const expected = [...heatColour(levels[p] as number)];
          shown.forEach((c, i) => {
            expect(
              Math.abs(c - (expected[i] as number)),
              `head ${head} L${layer} image ${image} patch ${p}`,
            ).toBeLessThanOrEqual(1);
          });
        }
      }
      row++;
    }
  }
}

describe("seglens figure --lens attention", () => {
  it("CLS row, registers dropped: layers × images of the head mean, the library's maps pixel for pixel", async () => {
    const model = "models/fixtures/dinov2-reg-tf4";
    const file = join(temp.path, "reg.png");
    const run = runCli(
      [
        "figure",
        "--lens",
        "attention",
        "--model",
        model,
        "--images",
        IMAGES,
        "--opacity",
        "1",
        "--out",
        file,
      ],
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 5 panels/);
    await expectPanelsMatchLibrary(file, model, ["mean"]);
  });

  it("no CLS (SigLIP): --heads 0,3 draws a block of rows per head, the patch queries' mean", async () => {
    const model = "models/fixtures/siglip-tf4";
    const file = join(temp.path, "siglip.png");
    const run = runCli(
      ["figure", "--lens", "attention", "--heads", "0,3", "--model", model, "--images", IMAGES].concat([
        "--opacity",
        "1",
        "--out",
        file,
      ]),
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/4 × 5 panels/);
    await expectPanelsMatchLibrary(file, model, [0, 3]);
  });

  it("an SVG names the lens, the reduction and the heads; --heads all gives every head", () => {
    const file = join(temp.path, "all.svg");
    const run = runCli(
      ["figure", "--lens", "attention", "--heads", "all", "--model", "models/fixtures/vit-tf4"].concat([
        "--images",
        IMAGES,
        "--layers",
        "2",
        "--out",
        file,
      ]),
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/4 × 5 panels/);
    const svg = readFileSync(file, "utf8");
    expect(svg).toContain("vit-tf4 · attention · CLS → patches");
    for (const head of [0, 1, 2, 3]) expect(svg).toContain(`>head ${head}<`);
    expect(svg).toContain(">max of each map<");
  });

  it("--lens clusters draws exactly what the figure without --lens draws", () => {
    const args = ["figure", "--model", "models/fixtures/dinov2-tf4", "--images", IMAGES, "--k", "3"];
    const plain = runCli([...args, "--out", join(temp.path, "plain.svg")], env());
    const clusters = runCli([...args, "--lens", "clusters", "--out", join(temp.path, "clusters.svg")], env());
    expect(plain.status, plain.stderr).toBe(0);
    expect(clusters.status, clusters.stderr).toBe(0);
    expect(readFileSync(join(temp.path, "clusters.svg"))).toEqual(readFileSync(join(temp.path, "plain.svg")));
  });
});

describe("seglens figure --lens attention refuses", () => {
  const base = ["figure", "--model", "models/fixtures/vit-tf4", "--images", IMAGES];
  const out = () => ["--out", join(temp.path, "refused.png")];

  it.each([
    [
      ["--lens", "attention", "--rows", "models"],
      /--lens attention draws layers × images: --rows "models" --cols "images" is not available/,
    ],
    [["--lens", "attention", "--cols", "reps"], /--rows "layers" --cols "reps" is not available/],
    [["--lens", "attention", "--heads", "4"], /--heads "4" names head 4; the model has heads 0..3/],
    [
      ["--lens", "attention", "--heads", "first"],
      /invalid --heads entry "first"; expected mean, all, or head numbers/,
    ],
    [
      ["--heads", "0"],
      /--heads chooses attention heads: use it with --lens attention \(the lens is "clusters"\)/,
    ],
    [
      ["--lens", "attention", "--layers", "0"],
      /--lens attention needs blocks from 1 up; --layers "0" names only layer 0/,
    ],
    [["--lens", "saliency"], /invalid --lens "saliency": expected one of clusters, pca, attention/],
  ])("%j", (flags, message) => {
    expectOneLineFailure(runCli([...base, ...flags, ...out()], env()), message);
  });
});
