import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { features } from "../../src/features/features";
import { blocksAtDepths, parseDepths } from "../../src/features/relative-depth";
import { segment } from "../../src/segmentation/segment";
import { expectOneLineFailure, runCli, runCliMany } from "../support/cli";
import { testCacheDir } from "../support/temp";
import { writeTestVit } from "../support/test-vit";

// --depth, the relative form of --layers: fractions of each model's depth. A 6-block random ViT
// beside the bundled 2-block DINOv2.
const temp = testCacheDir();
const SHALLOW = "models/fixtures/dinov2-tf4";
const IMAGE = "models/samples/coffee.png";
let deep: string;
const env = () => ({ ...process.env, SEGLENS_CACHE: join(temp.path, "cache"), HF_HUB_OFFLINE: "1" });

beforeAll(() => {
  deep = writeTestVit(join(temp.path, "vit-6-blocks"));
});
afterAll(() => temp.remove());

describe("blocksAtDepths(fractions, depth) and parseDepths(spec)", () => {
  it("round(f · depth), at least 1 for f > 0, 0 for f = 0; sorted, without repeats", () => {
    expect(blocksAtDepths([0.25, 0.5, 1], 12)).toEqual([3, 6, 12]);
    expect(blocksAtDepths([1, 0.5, 0.25, 0], 6)).toEqual([0, 2, 3, 6]);
    expect(blocksAtDepths([0.25, 0.5, 1], 2)).toEqual([1, 2]);
    expect(parseDepths("0.25, .5,1")).toEqual([0.25, 0.5, 1]);
    expect(() => parseDepths("0.5,1.5")).toThrow(/invalid --depth entry "1\.5"; expected fractions/);
  });
});

describe("--depth on features and segment", () => {
  it("features --depth 0.5,1 writes blocks 3 and 6 of a 6-block model; meta.json lists them as layers", () => {
    const out = join(temp.path, "features");
    const run = runCli(
      ["features", "--model", deep, "--images", IMAGE, "--reps", "tokens", "--depth", "0.5,1", "--out", out],
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["meta.json", "tokens_L3.npy", "tokens_L6.npy"]);
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect([meta.num_layers, meta.layers]).toEqual([6, [3, 6]]);
  });

  it("segment --depth 0,0.5 clusters the embeddings and block 3", () => {
    const out = join(temp.path, "segment");
    const run = runCli(
      [
        "segment",
        "--model",
        deep,
        "--images",
        IMAGE,
        "--reps",
        "tokens",
        "--depth",
        "0,0.5",
        "--k",
        "3",
        "--out",
        out,
      ],
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith("labels_"))).toEqual([
      "labels_tokens_L0.npy",
      "labels_tokens_L3.npy",
    ]);
    expect(JSON.parse(readFileSync(join(out, "meta.json"), "utf8")).layers).toEqual([0, 3]);
  });

  it("--layers with --depth, or a fraction outside 0..1, is refused in one line by features, segment and figure", async () => {
    const commands = ["features", "segment", "figure"];
    const out = (c: string) => join(temp.path, `refused-${c}${c === "figure" ? ".png" : ""}`);
    const base = (c: string) => [c, "--model", deep, "--images", IMAGE, "--out", out(c)];
    const runs = await runCliMany(
      [
        ...commands.map((c) => [...base(c), "--layers", "1", "--depth", "0.5"]),
        ...commands.map((c) => [...base(c), "--depth", "0.5,1.5"]),
      ],
      { env: env() },
    );
    for (const run of runs.slice(0, 3)) {
      expectOneLineFailure(
        run,
        /^seglens: --layers "1" and --depth "0\.5" both choose blocks: give one \(--layers block numbers, --depth fractions of each model's depth\)$/,
      );
    }
    for (const run of runs.slice(3)) {
      expectOneLineFailure(
        run,
        /^seglens: invalid --depth entry "1\.5"; expected fractions of the model's depth from 0 to 1/,
      );
    }
    for (const c of commands) expect(existsSync(out(c))).toBe(false);
  });
});

describe("figure --depth", () => {
  it("models × layers: a column per fraction, every model at its own blocks there, captioned in its own numbering", () => {
    const file = join(temp.path, "depth.svg");
    const run = runCli(
      ["figure", "--models", `${deep},${SHALLOW}`, "--rows", "models", "--cols", "layers"].concat([
        "--depth",
        "0.25,0.5,1",
        "--images",
        IMAGE,
        "--k",
        "3",
        "--out",
        file,
      ]),
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 3 panels/);
    const svg = readFileSync(file, "utf8");
    for (const f of ["0.25", "0.5", "1"]) expect(svg).toContain(`>depth ${f}<`);
    const captions = [...svg.matchAll(/fill="#ffffff">(L\d+)</g)].map((m) => m[1]);
    // 6 blocks: round(1.5) = 2, 3, 6; 2 blocks: round(0.5) = 1, 1, 2.
    expect(captions).toEqual(["L2", "L3", "L6", "L1", "L1", "L2"]);
  });

  it("layers × images: one row per block the fractions select", () => {
    const file = join(temp.path, "rows.svg");
    const run = runCli(
      ["figure", "--model", deep, "--depth", "0.5,1", "--images", IMAGE, "--k", "3", "--out", file],
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 1 panels/);
    const svg = readFileSync(file, "utf8");
    expect(svg).toContain(">layer 3<");
    expect(svg).toContain(">layer 6<");
  });
});

describe("figure --depth 0: the embeddings have no q, k, v", () => {
  it("--cols reps --depth 0,1 leaves the embeddings' row out with a note; --depth 0 alone is refused", () => {
    const base = ["figure", "--model", deep, "--images", IMAGE, "--cols", "reps", "--k", "3"];
    const run = runCli([...base, "--depth", "0,1", "--out", join(temp.path, "reps01.svg")], env());
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe("note: layer 0 (the embeddings) has no q, k, v: the figure leaves its row out\n");
    expect(run.stdout).toMatch(/1 × 4 panels/);
    expectOneLineFailure(
      runCli([...base, "--depth", "0", "--out", join(temp.path, "reps0.svg")], env()),
      /^seglens: --cols reps shows q, k, v, and --depth "0" is layer 0, the embeddings, which have tokens but no q, k, v; choose layers from 1 up, or --cols images$/,
    );
  });
});

describe("features() and segment() with depth", () => {
  it("select the blocks at those fractions; depth with layers is an InputError", async () => {
    const set = await features({ model: deep, images: [IMAGE], reps: "tokens", depth: [0.5, 1] });
    expect([...set.arrays.keys()].sort()).toEqual(["tokens_L3", "tokens_L6"]);
    const seg = await segment({
      model: deep,
      images: [IMAGE],
      reps: "tokens",
      depth: [1],
      k: 3,
      restarts: 1,
    });
    expect([...seg.labels.keys()]).toEqual(["tokens_L6"]);
    await expect(features({ model: deep, images: [IMAGE], layers: "1", depth: [0.5] })).rejects.toThrow(
      InputError,
    );
    await expect(features({ model: deep, images: [IMAGE], depth: [Number.NaN] })).rejects.toThrow(
      /invalid --depth entry "NaN"/,
    );
  });
});
