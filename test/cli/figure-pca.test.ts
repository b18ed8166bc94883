import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PcaMaps, pcaMaps } from "../../src/lenses/pca-request";
import { loadSharp } from "../../src/util/load-sharp";
import { expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

// The bundled 2-block DINOv2 (a 4 × 4 patch grid) over the five sample photos.
const MODEL = "models/fixtures/dinov2-tf4";
const IMAGES = "models/samples";
const temp = testCacheDir();
const env = () => ({ ...process.env, SEGLENS_CACHE: join(temp.path, "cache"), HF_HUB_OFFLINE: "1" });
const base = ["figure", "--lens", "pca", "--model", MODEL, "--images", IMAGES];

let library: PcaMaps;
let foreground: PcaMaps;
beforeAll(async () => {
  library = await pcaMaps({ model: MODEL, images: [IMAGES], reps: "tokens" });
  foreground = await pcaMaps({ model: MODEL, images: [IMAGES], reps: "tokens", foreground: 0.5 });
});
afterAll(() => temp.remove());

interface Panel {
  x: number;
  y: number;
  side: number;
  png: Buffer;
}

/** The finished-picture panels of a figure SVG, in drawing order (row by row). */
function panelsOf(svg: string): Panel[] {
  return [
    ...svg.matchAll(
      /<image x="(\d+)" y="(\d+)" width="(\d+)" height="\d+" preserveAspectRatio="none" xlink:href="data:image\/png;base64,([^"]+)"/g,
    ),
  ].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    side: Number(m[3]),
    png: Buffer.from(m[4] as string, "base64"),
  }));
}

/** The pixel at the centre of every patch of a `side`-pixel picture of a 4 × 4 grid, 16 × RGB. */
function patchCentres(
  raw: Buffer,
  width: number,
  left: number,
  top: number,
  side: number,
  channels: number,
): number[] {
  const out: number[] = [];
  for (let py = 0; py < 4; py++) {
    for (let px = 0; px < 4; px++) {
      const x = left + Math.floor(((px + 0.5) * side) / 4);
      const y = top + Math.floor(((py + 0.5) * side) / 4);
      const o = (y * width + x) * channels;
      out.push(raw[o] as number, raw[o + 1] as number, raw[o + 2] as number);
    }
  }
  return out;
}

/** The library's RGB of image `image` at `key`, 16 × RGB. */
function expected(maps: PcaMaps, key: string, image: number): number[] {
  return [...(maps.layers.get(key)?.rgb.subarray(image * 48, (image + 1) * 48) ?? [])];
}

describe("seglens figure --lens pca", () => {
  it("layers × images at opacity 1: every panel holds the library's PCA colours, in the SVG and in the PNG", async () => {
    const svgFile = join(temp.path, "pca.svg");
    const pngFile = join(temp.path, "pca.png");
    for (const out of [svgFile, pngFile]) {
      const run = runCli([...base, "--opacity", "1", "--out", out], env());
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/2 × 5 panels/);
    }
    const svg = readFileSync(svgFile, "utf8");
    expect(svg).toContain("dinov2-tf4 · tokens · PCA");
    expect(svg.match(/>PC1-3 \d+%</g)).toHaveLength(2);
    const panels = panelsOf(svg);
    expect(panels).toHaveLength(10);
    const sharp = loadSharp();
    const figure = await sharp(readFileSync(pngFile)).raw().toBuffer({ resolveWithObject: true });
    for (const [p, panel] of panels.entries()) {
      const key = `tokens_L${Math.floor(p / 5) + 1}`;
      const want = expected(library, key, p % 5);
      const { data, info } = await sharp(panel.png).raw().toBuffer({ resolveWithObject: true });
      expect(patchCentres(data, info.width, 0, 0, info.width, info.channels)).toEqual(want);
      const drawn = patchCentres(
        figure.data,
        figure.info.width,
        panel.x,
        panel.y,
        panel.side,
        figure.info.channels,
      );
      for (const [i, v] of drawn.entries()) expect(Math.abs(v - (want[i] as number))).toBeLessThanOrEqual(2);
    }
  });

  it("--pca-foreground 0.5: the background patches are black, the foreground holds the second PCA's colours", async () => {
    const file = join(temp.path, "pca-foreground.svg");
    const run = runCli([...base, "--opacity", "1", "--pca-foreground", "0.5", "--out", file], env());
    expect(run.status, run.stderr).toBe(0);
    const svg = readFileSync(file, "utf8");
    expect(svg).toContain("PCA (foreground &#62; 0.5)");
    const layer = foreground.layers.get("tokens_L2");
    const kept = layer?.fitted.reduce((s, f) => s + f, 0) ?? 0;
    expect(kept).toBeGreaterThan(1);
    expect(kept).toBeLessThan(80);
    const panels = panelsOf(svg).slice(5);
    for (const [i, panel] of panels.entries()) {
      const { data, info } = await loadSharp()(panel.png).raw().toBuffer({ resolveWithObject: true });
      const drawn = patchCentres(data, info.width, 0, 0, info.width, info.channels);
      expect(drawn).toEqual(expected(foreground, "tokens_L2", i));
      for (let patch = 0; patch < 16; patch++) {
        if (layer?.fitted[i * 16 + patch] === 0)
          expect(drawn.slice(patch * 3, patch * 3 + 3)).toEqual([0, 0, 0]);
      }
    }
  });

  it("--cols reps: a column per representation of one image, each panel captioned with its variance explained", () => {
    const file = join(temp.path, "pca-reps.svg");
    const run = runCli([...base, "--cols", "reps", "--image", "coffee.png", "--out", file], env());
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 4 panels/);
    const svg = readFileSync(file, "utf8");
    expect(svg).toContain("dinov2-tf4 · coffee.png · PCA");
    expect(svg.match(/fill="#ffffff">PC1-3 \d+%</g)).toHaveLength(8);
  });

  it("--lens clusters is the figure without --lens, byte for byte", () => {
    const files = ["plain.svg", "clusters.svg"].map((name) => join(temp.path, name));
    const common = ["figure", "--model", MODEL, "--images", IMAGES, "--k", "3"];
    expect(runCli([...common, "--out", files[0] as string], env()).status).toBe(0);
    expect(runCli([...common, "--lens", "clusters", "--out", files[1] as string], env()).status).toBe(0);
    expect(readFileSync(files[1] as string).equals(readFileSync(files[0] as string))).toBe(true);
  });

  it("refuses an unknown lens, k-means flags, rows of models and a foreground without the PCA lens, in one line each", () => {
    const out = ["--out", join(temp.path, "never.png")];
    const cases: [string[], RegExp][] = [
      [
        ["figure", "--lens", "tsne", "--images", IMAGES, ...out],
        /^seglens: invalid --lens "tsne": expected one of clusters, pca/,
      ],
      [
        [...base, "--k", "4", ...out],
        /^seglens: --k chooses how k-means clusters and does not apply to --lens pca/,
      ],
      [[...base, "--max-iter", "4", ...out], /^seglens: --max-iter chooses how k-means clusters/],
      [
        [...base, "--rows", "models", ...out],
        /^seglens: --lens pca draws a row per layer of one model .*--rows "models"/,
      ],
      [
        ["figure", "--model", MODEL, "--images", IMAGES, "--pca-foreground", "0.5", ...out],
        /^seglens: --pca-foreground applies to --lens pca/,
      ],
      [
        [...base, "--pca-foreground", "1", ...out],
        /^seglens: invalid --pca-foreground "1": expected a number in 0\.\.1, 1 excluded/,
      ],
      [
        [...base, "--pca-foreground", "0.99999", ...out],
        /^seglens: PCA foreground threshold "0.99999" keeps \d of 80 patches/,
      ],
    ];
    for (const [args, message] of cases) expectOneLineFailure(runCli(args, env()), message);
  });
});
