import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterColour } from "../../src/render/palette";
import { loadSharp } from "../../src/util/load-sharp";
import { expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";
import { writeTestVit } from "../support/test-vit";

// Every figure type from one command, and figures small enough to share: a 12-block random ViT
// with ViT-S/16's 14 × 14 grid, a 6-block one and the bundled 2-block DINOv2.
const temp = testCacheDir();
const SHALLOW = "models/fixtures/dinov2-tf4";
let deep: string;
let vit12: string;
const env = () => ({ ...process.env, SEGLENS_CACHE: join(temp.path, "cache"), HF_HUB_OFFLINE: "1" });
const captions = (svg: string) => [...svg.matchAll(/fill="#ffffff">(L\d+)</g)].map((m) => m[1]);

beforeAll(() => {
  deep = writeTestVit(join(temp.path, "vit-6-blocks"));
  vit12 = writeTestVit(join(temp.path, "vit-12-blocks"), { depth: 12, patchSize: 16, imageSize: 224 });
});
afterAll(() => temp.remove());

describe("seglens figure --rows models --cols reps", () => {
  it("a row per model at the first model's --layers block matched by relative depth, a column per representation", () => {
    const file = join(temp.path, "models-reps.svg");
    const run = runCli(
      [
        "figure",
        "--models",
        `${deep},${SHALLOW}`,
        "--rows",
        "models",
        "--cols",
        "reps",
        "--layers",
        "3",
      ].concat(["--image", "chelsea.png", "--images", "models/samples", "--k", "3", "--out", file]),
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 4 panels/);
    const svg = readFileSync(file, "utf8");
    expect(svg).toContain("models × representations · chelsea.png · K=3");
    for (const rep of ["tokens", "q", "k", "v"]) expect(svg).toContain(`>${rep}<`);
    // Block 3 of 6 is block 1 of the 2-block model.
    expect(captions(svg)).toEqual(["L3", "L3", "L3", "L3", "L1", "L1", "L1", "L1"]);
    expect(svg.match(/>PB -?\d\.\d\d LC -?\d\.\d\d</g)).toHaveLength(8);
  });

  it("--depth with one fraction: each model at its own block there (default: each model's last block)", () => {
    const file = join(temp.path, "models-reps-depth.svg");
    const args = ["figure", "--models", `${SHALLOW},${deep}`, "--rows", "models", "--cols", "reps"];
    const run = runCli(
      [...args, "--reps", "k,v", "--depth", "0.5", "--images", "models/samples/coffee.png", "--out", file],
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(captions(readFileSync(file, "utf8"))).toEqual(["L1", "L1", "L3", "L3"]);
    const last = join(temp.path, "models-reps-last.svg");
    expect(
      runCli([...args, "--reps", "k", "--images", "models/samples/coffee.png", "--out", last], env()).status,
    ).toBe(0);
    expect(captions(readFileSync(last, "utf8"))).toEqual(["L2", "L6"]);
  });
});

describe("seglens figure --image all", () => {
  it("models × layers: a block of model rows per image, each block headed by the image's name", () => {
    const file = join(temp.path, "all.svg");
    const run = runCli(
      [
        "figure",
        "--models",
        `${deep},${SHALLOW}`,
        "--rows",
        "models",
        "--cols",
        "layers",
        "--layers",
        "2,4,6",
      ].concat(["--image", "all", "--images", "models/samples", "--k", "3", "--out", file]),
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/10 × 3 panels/);
    const svg = readFileSync(file, "utf8");
    expect(svg).toContain("models × layers · 5 images · tokens · K=3");
    const headings = [...svg.matchAll(/font-size="13" fill="#333">([^<]+)</g)].map((m) => m[1]);
    expect(headings).toEqual(["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "rocket.jpg"]);
    // 5 images as each of the 2 models sees them, embedded once each.
    expect(svg.match(/<image /g)).toHaveLength(10);
  });

  it("layers × representations: --image picks the photo; all gives a block of layer rows per image", () => {
    const one = join(temp.path, "layers-reps.svg");
    const base = [
      "figure",
      "--model",
      deep,
      "--cols",
      "reps",
      "--layers",
      "1,6",
      "--images",
      "models/samples",
    ];
    const run = runCli([...base, "--image", "2", "--k", "3", "--out", one], env());
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(one, "utf8")).toContain("vit-6-blocks · camera.png · K=3");
    const all = join(temp.path, "layers-reps-all.svg");
    const blocks = runCli([...base, "--image", "all", "--k", "3", "--out", all], env());
    expect(blocks.status, blocks.stderr).toBe(0);
    expect(blocks.stdout).toMatch(/10 × 4 panels/);
    expect(readFileSync(all, "utf8").match(/font-size="13" fill="#333">/g)).toHaveLength(5);
  });

  it("--image with --cols images is refused in one line", () => {
    expectOneLineFailure(
      runCli(
        [
          "figure",
          "--model",
          deep,
          "--images",
          "models/samples",
          "--image",
          "all",
          "--out",
          join(temp.path, "x.svg"),
        ],
        env(),
      ),
      /^seglens: --image chooses the image of a figure of one image per block: use it with --cols reps or --cols layers$/,
    );
  });
});

describe("seglens figure --opacity", () => {
  it("is a number in 0..1 shown in --help; outside it is refused in one line", () => {
    const help = runCli(["figure", "--help"]).stdout.replace(/\s+/g, " ");
    expect(help).toMatch(
      /--opacity <O> weight of the label colours over the image, 0\.\.1: 0 = the image only, 1 = labels only \(default: 0\.6\)/,
    );
    expect(help).toMatch(/--depth <F1,F2,\.\.\.> .*fractions of each model's depth, 0\.\.1/);
    for (const value of ["1.5", "-0.1", "half", "1e0"]) {
      expectOneLineFailure(
        runCli(
          ["figure", "--model", deep, "--images", "models/samples", "--opacity", value, "--out", "o.svg"],
          env(),
        ),
        new RegExp(
          `^seglens: invalid --opacity "${value.replace(".", "\\.")}": expected a number in 0\\.\\.1$`,
        ),
      );
    }
  });

  it("0 draws the image only; 0.3 draws the labels at that weight", () => {
    const zero = join(temp.path, "zero.svg");
    const faint = join(temp.path, "faint.svg");
    const base = ["figure", "--model", deep, "--images", "models/samples/coffee.png", "--k", "3"];
    expect(runCli([...base, "--opacity", "0", "--out", zero], env()).status).toBe(0);
    expect(runCli([...base, "--opacity", "0.3", "--out", faint], env()).status).toBe(0);
    expect(readFileSync(zero, "utf8")).not.toContain("<path");
    expect(readFileSync(faint, "utf8").match(/fill-opacity="0.3"/g)).toHaveLength(6);
  });
});

describe("figure size: a 12-layer × 5-image figure of a 12-block model on a 14 × 14 grid", () => {
  it("the SVG is under 1 MB: photos embedded once, label maps as paths; it rasterizes with the labels' colours", async () => {
    const file = join(temp.path, "twelve.svg");
    const run = runCli(["figure", "--model", vit12, "--images", "models/samples", "--out", file], env());
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/12 × 5 panels/);
    expect(statSync(file).size).toBeLessThan(1_000_000);
    const svg = readFileSync(file, "utf8");
    expect(svg.match(/<image /g)).toHaveLength(5);
    expect(svg.match(/<use href="#photo-\d" /g)).toHaveLength(60);
    expect(svg.match(/<g transform=[^>]*fill-opacity="0.6"/g)).toHaveLength(60);
    expect((svg.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(60);
    // Rasterized by sharp (librsvg) at opacity 1, a patch centre is exactly one of the K colours.
    const solid = join(temp.path, "solid.png");
    expect(
      runCli(
        ["figure", "--model", vit12, "--images", "models/samples", "--opacity", "1", "--out", solid],
        env(),
      ).status,
    ).toBe(0);
    const { data, info } = await loadSharp()(solid).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const palette = Array.from({ length: 6 }, (_, k) => clusterColour(k).join(","));
    for (const [row, column] of [
      [0, 0],
      [11, 4],
      [5, 2],
    ] as const) {
      const x = 12 + 150 + column * 132 + 4; // inside patch (0, 0) of the panel, 128 px / 14 wide
      const y = 12 + 30 + 20 + row * 132 + 4;
      const o = (y * info.width + x) * 3;
      expect(palette).toContain([...data.subarray(o, o + 3)].join(","));
    }
  });
});
