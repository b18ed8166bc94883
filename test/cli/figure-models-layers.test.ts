import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchingBlock } from "../../src/features/relative-depth";
import { expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";
import { writeTestVit } from "../support/test-vit";

// A 6-block random ViT (made by the graph builder) beside the bundled 2-block DINOv2: models of
// different depth in one models × layers figure.
const temp = testCacheDir();
const SHALLOW = "models/fixtures/dinov2-tf4";
let deep: string;
const env = () => ({ ...process.env, SEGLENS_CACHE: join(temp.path, "cache"), HF_HUB_OFFLINE: "1" });

beforeAll(() => {
  deep = writeTestVit(join(temp.path, "vit-6-blocks"));
});
afterAll(() => temp.remove());

describe("matchingBlock(layer, depth, otherDepth)", () => {
  it("maps blocks by relative depth, never below 1 or past the other model's depth; 0 stays 0", () => {
    expect([3, 6, 9, 12].map((l) => matchingBlock(l, 12, 24))).toEqual([6, 12, 18, 24]);
    expect([1, 2, 12].map((l) => matchingBlock(l, 12, 6))).toEqual([1, 1, 6]);
    expect([1, 2, 3, 4, 5, 6].map((l) => matchingBlock(l, 6, 2))).toEqual([1, 1, 1, 1, 2, 2]);
    expect(matchingBlock(0, 12, 24)).toBe(0);
  });
});

describe("seglens figure --rows models --cols layers", () => {
  it("a 6-block and a 2-block model side by side: a column per layer of the first, each panel in its own numbering", () => {
    const file = join(temp.path, "models-layers.svg");
    const run = runCli(
      [
        "figure",
        "--models",
        `${deep},${SHALLOW}`,
        "--rows",
        "models",
        "--cols",
        "layers",
        "--images",
        "models/samples",
        "--image",
        "coffee.png",
        "--k",
        "4",
        "--out",
        file,
      ],
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 6 panels/);
    const svg = readFileSync(file, "utf8");
    // One photo per model (they preprocess differently), drawn under each of its 6 panels.
    expect(svg.match(/<image /g)).toHaveLength(2);
    expect(svg.match(/<use href="#photo-\d"/g)).toHaveLength(12);
    expect(svg).toContain("models × layers · coffee.png · tokens · K=4");
    // Column titles in the first model's numbering; captions in each model's own.
    for (let l = 1; l <= 6; l++) expect(svg).toContain(`>layer ${l}<`);
    const captions = [...svg.matchAll(/fill="#ffffff">(L\d+)</g)].map((m) => m[1]);
    expect(captions).toEqual(["L1", "L2", "L3", "L4", "L5", "L6", "L1", "L1", "L1", "L1", "L2", "L2"]);
    expect(svg).toMatch(/>6 blocks</);
    expect(svg).toMatch(/>2 blocks</);
    expect(svg).toMatch(/>PB -?\d\.\d\d LC -?\d\.\d\d</);
  });

  it("--layers names the first model's blocks; the deeper model's out-of-range blocks are not an error", () => {
    const file = join(temp.path, "two.png");
    const run = runCli(
      [
        "figure",
        "--models",
        `${SHALLOW},${deep}`,
        "--rows",
        "models",
        "--cols",
        "layers",
        "--layers",
        "1,2",
        "--images",
        "models/samples/chelsea.png",
        "--out",
        file,
      ],
      env(),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 × 2 panels/);
  });

  it("--cols layers without --rows models, or a bad --image, is refused in one line", () => {
    expectOneLineFailure(
      runCli(
        [
          "figure",
          "--model",
          SHALLOW,
          "--cols",
          "layers",
          "--images",
          "models/samples",
          "--out",
          join(temp.path, "x.png"),
        ],
        env(),
      ),
      /--cols layers draws models × layers: use it with --rows models/,
    );
    expectOneLineFailure(
      runCli(
        [
          "figure",
          "--models",
          `${SHALLOW},${deep}`,
          "--rows",
          "models",
          "--cols",
          "layers",
          "--image",
          "9",
          "--images",
          "models/samples",
          "--out",
          join(temp.path, "y.png"),
        ],
        env(),
      ),
      /--image "9" is not one of the 5 images: give 1\.\.5, a file name among them, or all/,
    );
  });
});
