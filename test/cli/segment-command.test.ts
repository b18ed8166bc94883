import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/features/npy";
import { loadSharp } from "../../src/util/load-sharp";
import { type CliRun, expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";
const env = { ...process.env, SEGLENS_CACHE: join(temp.path, "cache") };

function seglens(...args: string[]): CliRun {
  return runCli(args, env);
}

describe("seglens segment", () => {
  const out = join(temp.path, "seg");
  const masks = join(temp.path, "masks");
  beforeAll(async () => {
    // Masks: top half class 1, bottom half class 2, in each sample photo's own size.
    mkdirSync(masks);
    for (const file of readdirSync("models/samples").filter((f) => /\.(png|jpg)$/.test(f))) {
      const { width = 0, height = 0 } = await loadSharp()(join("models/samples", file)).metadata();
      const classes = Buffer.alloc(width * height, 2);
      classes.fill(1, 0, width * Math.floor(height / 2));
      await loadSharp()(classes, { raw: { width, height, channels: 1 } })
        .png()
        .toFile(join(masks, `${basename(file, extname(file))}.png`));
    }
  });

  it("writes aligned int32 label maps, meta.json with k/seed/restarts/inertia and metrics.json with mIoU", () => {
    const run = seglens(
      "segment",
      "--model",
      MODEL,
      "--images",
      "models/samples",
      "--k",
      "4",
      "--masks",
      masks,
      "--out",
      out,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const keys = ["tokens", "q", "k", "v"].flatMap((rep) => [`${rep}_L1`, `${rep}_L2`]);
    for (const key of keys) {
      const labels = readNpy(join(out, `labels_${key}.npy`));
      expect(labels.dtype).toBe("int32");
      expect(labels.dims).toEqual([5, 4, 4]);
      expect(Math.max(...labels.data)).toBeLessThan(4);
      expect(Math.min(...labels.data)).toBeGreaterThanOrEqual(0);
    }
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta).toMatchObject({
      model: MODEL,
      k: 4,
      normalize: "l2",
      seed: 0,
      restarts: 5,
      grid: [4, 4],
      prefix_tokens: 1,
    });
    expect(Object.keys(meta.inertia).sort()).toEqual([...keys].sort());
    for (const value of Object.values(meta.inertia)) expect(value).toBeGreaterThan(0);
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(Object.keys(metrics).sort()).toEqual([...keys].sort());
    for (const m of Object.values(metrics) as Record<string, number>[]) {
      expect(Object.keys(m).sort()).toEqual(["ba", "lc", "miou", "miou_many_to_one", "pb"]);
      expect(m.miou).toBeGreaterThanOrEqual(0);
      expect(m.miou).toBeLessThanOrEqual(1);
    }
  });

  it("the same seed gives identical labels (now from the warm feature cache); --probe adds content-free maps", () => {
    const again = join(temp.path, "seg-again");
    const run = seglens(
      "segment",
      "--model",
      MODEL,
      "--images",
      "models/samples",
      "--k",
      "4",
      "--reps",
      "tokens",
      "--probe",
      "--out",
      again,
    );
    expect(run.status).toBe(0);
    expect(readNpy(join(again, "labels_tokens_L2.npy")).data).toEqual(
      readNpy(join(out, "labels_tokens_L2.npy")).data,
    );
    const probe = JSON.parse(readFileSync(join(again, "probe", "meta.json"), "utf8"));
    expect(probe.images).toHaveLength(8);
    expect(readNpy(join(again, "probe", "labels_tokens_L1.npy")).dims).toEqual([8, 4, 4]);
  });

  it("--k 40: one line naming the flag and the range", () => {
    const run = seglens(
      "segment",
      "--model",
      MODEL,
      "--images",
      "models/samples",
      "--k",
      "40",
      "--out",
      join(temp.path, "x"),
    );
    expectOneLineFailure(run, /^seglens: invalid --k "40": expected an integer in 2\.\.32$/m, 2);
  });
});

describe("seglens figure", () => {
  it("--out F.png: a PNG with a row per layer and a column per image (its folder made as needed)", async () => {
    const file = join(temp.path, "new", "folder", "layers.png");
    const run = seglens("figure", "--model", MODEL, "--images", "models/samples", "--out", file);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/2 × 5 panels/);
    expect(run.stdout).toMatch(/tiny random-weight test model/);
    const { format, width, height } = await loadSharp()(file).metadata();
    expect(format).toBe("png");
    expect(width).toBeGreaterThan(5 * 128);
    expect(height).toBeGreaterThan(2 * 128);
  });

  it("--rows models --models A,B --cols images --out F.svg: one row per model", () => {
    const file = join(temp.path, "models.svg");
    const run = seglens(
      "figure",
      "--model",
      MODEL,
      "--models",
      `${MODEL},models/fixtures/dinov2-reg-tf4`,
      "--rows",
      "models",
      "--images",
      "models/samples/chelsea.png",
      "models/samples/coffee.png",
      "--out",
      file,
    );
    expect(run.stderr).toBe("");
    const svg = readFileSync(file, "utf8");
    // 4 panels over the 2 photos, each embedded once (both models preprocess alike).
    expect(svg.match(/<use href="#photo-\d"/g)).toHaveLength(4);
    expect(svg.match(/<image /g)).toHaveLength(2);
    expect(svg).toContain("dinov2-reg-tf4");
  });

  it("--rows models --models A,B without --model, offline: the default model is never looked up", () => {
    const file = join(temp.path, "models-only.png");
    const run = runCli(
      [
        "figure",
        "--models",
        `${MODEL},models/fixtures/dinov2-reg-tf4`,
        "--rows",
        "models",
        "--images",
        "models/samples/coffee.png",
        "--out",
        file,
      ],
      { ...env, HF_HUB_OFFLINE: "1" },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 1 panels/);
    expect(run.stdout).not.toMatch(/could not be fetched|bundled tiny random-weight model instead/);
  });

  it("--cols reps: the four representations of the first image per layer", () => {
    const file = join(temp.path, "reps.svg");
    const run = seglens(
      "figure",
      "--model",
      MODEL,
      "--images",
      "models/samples",
      "--cols",
      "reps",
      "--out",
      file,
    );
    expect(run.status).toBe(0);
    const svg = readFileSync(file, "utf8");
    expect(svg.match(/<use href="#photo-0"/g)).toHaveLength(8);
    expect(svg.match(/<image /g)).toHaveLength(1);
  });

  it("no --model, Hub unreachable, nothing cached: draws the bundled tiny model and says so", () => {
    const file = join(temp.path, "default.png");
    const offline = { ...env, HF_ENDPOINT: "http://127.0.0.1:9", HF_HUB_CACHE: join(temp.path, "empty-hub") };
    const run = runCli(["figure", "--images", "models/samples/coffee.png", "--out", file], offline);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /dino-vits16 could not be fetched .*using the bundled tiny random-weight model instead/,
    );
    expect(run.stdout).toMatch(/tiny random-weight test model/);
  });

  it("--out F.jpg: one line saying .png or .svg", () => {
    const run = seglens(
      "figure",
      "--model",
      MODEL,
      "--images",
      "models/samples",
      "--out",
      join(temp.path, "f.jpg"),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/must end in \.png or \.svg/);
  });
});
