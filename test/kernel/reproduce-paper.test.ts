import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildVitOnnx } from "../../src/bench/bench-vit";
import { type FigureRow, figureSize } from "../../src/render/figure";
import { createFakeHub, type FakeHub, type FakeRepo, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";
import { type KernelTestSetup, runKernelScriptAsync, setUpKernelTest } from "./kernel-test-setup";

// notebooks/reproduce-paper.ipynb executed by nbclient on the real seglens kernel, twice: offline
// (the bundled stand-ins) and online against a loopback Hub that serves tiny models under the
// catalog's repos, so that every branch a user with internet takes runs here too.
const NOTEBOOK = resolve("notebooks", "reproduce-paper.ipynb");
const temp = testCacheDir();
afterAll(() => temp.remove());

interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

interface CellOutput {
  output_type: string;
  text?: string;
  data?: Record<string, unknown>;
}

interface NotebookRun {
  status: number | null;
  stderr: string;
  /** Per code cell, its outputs. */
  outputs: CellOutput[][];
}

const cells = (JSON.parse(readFileSync(NOTEBOOK, "utf8")) as { cells: NotebookCell[] }).cells;
const codeCells = cells.filter((cell) => cell.cell_type === "code").length;
const sourceOf = (cell: NotebookCell): string =>
  typeof cell.source === "string" ? cell.source : cell.source.join("");

/** Per "## " heading of the notebook, the indices (among code cells) of the code cells under it. */
function sections(): Map<string, number[]> {
  const found = new Map<string, number[]>();
  let heading = "";
  let code = 0;
  for (const cell of cells) {
    const title = /^## (.+)$/m.exec(sourceOf(cell))?.[1];
    if (cell.cell_type === "markdown" && title !== undefined) heading = title;
    if (cell.cell_type !== "code") continue;
    found.set(heading, [...(found.get(heading) ?? []), code++]);
  }
  return found;
}
const parts = sections();

/** The title of section "<number>. …". */
function heading(number: string): string {
  const title = [...parts.keys()].find((key) => key.startsWith(`${number}. `));
  expect(title, `a section "## ${number}. …"`).toBeDefined();
  return title as string;
}
const outputsOf = (run: NotebookRun, number: string): CellOutput[] =>
  (parts.get(heading(number)) ?? []).flatMap((i) => run.outputs[i] ?? []);
const textOf = (run: NotebookRun, number: string): string =>
  outputsOf(run, number)
    .map((o) => o.text ?? "")
    .join("");
const pngsOf = (run: NotebookRun, number: string): string[] =>
  outputsOf(run, number)
    .map((o) => o.data?.["image/png"])
    .filter((png): png is string => typeof png === "string");

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(base64: string): [width: number, height: number] {
  const bytes = Buffer.from(base64, "base64");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/**
 * The size of a figure grid of `columns` columns and `blocks` blocks of `rows` rows, each block
 * headed when `headed`, with a footnote when `footnote` (the notebook's stand-in or cut note).
 */
function gridSize(grid: {
  columns: number;
  blocks: number;
  rows: number;
  headed: boolean;
  footnote: boolean;
}): [width: number, height: number] {
  const rows = Array.from({ length: grid.blocks * grid.rows }, (_, r): FigureRow => {
    const row: FigureRow = { title: "", panels: [] };
    if (grid.headed && r % grid.rows === 0) row.heading = "";
    return row;
  });
  const spec = { title: "", columns: new Array<string>(grid.columns).fill(""), rows, k: 6 };
  return figureSize(grid.footnote ? { ...spec, footnote: "" } : spec);
}

/** The metric lines the notebook prints, `  PB    label  0.12 -0.03 …`, split. */
function metricLines(text: string): { metric: string; label: string; values: string[] }[] {
  return text
    .split("\n")
    .map((line) => /^ {2}(PB|LC|BA) +(\S+)((?: +\S+)+)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({
      metric: match[1] as string,
      label: match[2] as string,
      values: (match[3] as string).trim().split(/ +/),
    }));
}

/**
 * Section `number` printed `lines` metric lines of `metrics`, each with finite values: one per shown
 * block, `blocks` of them when given.
 */
function expectMetrics(
  run: NotebookRun,
  number: string,
  metrics: string[],
  lines: number,
  blocks?: number,
): void {
  const found = metricLines(textOf(run, number));
  expect(found.length, `section ${number}`).toBe(lines);
  expect([...new Set(found.map((line) => line.metric))].sort()).toEqual([...metrics].sort());
  for (const line of found) {
    if (blocks !== undefined) expect(line.values.length, `${line.metric} ${line.label}`).toBe(blocks);
    expect(line.values.length).toBeGreaterThan(0);
    for (const value of line.values) {
      expect(value, `${line.metric} ${line.label}`).toMatch(/^-?\d+\.\d\d$/);
      expect(Number.isFinite(Number(value))).toBe(true);
    }
  }
}

function expectCleanRun(run: NotebookRun): void {
  expect(run.stderr).not.toMatch(/Traceback/);
  expect(run.status).toBe(0);
  expect(run.outputs.length).toBe(codeCells);
  expect(run.outputs.flat().filter((o) => o.output_type === "error")).toEqual([]);
}

function expectSectionsShowOrSayHub(run: NotebookRun): void {
  for (const number of ["1", "2", "3", "4"]) {
    const pngs = pngsOf(run, number);
    for (const png of pngs) expect(png.startsWith("iVBORw0KGgo"), `section ${number}: a PNG`).toBe(true);
    expect(pngs.length > 0 || /needs the Hub/.test(textOf(run, number)), `section ${number}`).toBe(true);
  }
}

/**
 * A folder of `count` photos: sample photos, and past the 5 samples, copies of one under other
 * names (sorted after them).
 */
function imageFolder(count: number): string {
  const folder = join(temp.path, `images-${count}`);
  if (existsSync(folder)) return folder;
  mkdirSync(folder);
  const samples = ["astronaut.png", "chelsea.png", "rocket.jpg", "camera.png", "coffee.png"];
  for (let i = 0; i < count; i++) {
    const file = samples[i] ?? "chelsea.png";
    copyFileSync(join("models", "samples", file), join(folder, samples[i] ?? `z-copy-${i}.png`));
  }
  return folder;
}

let setup: KernelTestSetup | undefined;
/** Runs the notebook under nbclient in a work folder of its own, on `images` photos (SEGLENS_IMAGES). */
async function runNotebook(name: string, images: number, env: Record<string, string>): Promise<NotebookRun> {
  setup ??= setUpKernelTest(temp.path);
  const work = join(temp.path, name, "work");
  mkdirSync(work, { recursive: true });
  const run = await runKernelScriptAsync(setup, "run_notebook.py", [NOTEBOOK, work], 400_000, {
    HF_HOME: join(temp.path, name, "hf"),
    HF_HUB_CACHE: join(temp.path, name, "hf", "hub"),
    SEGLENS_CACHE: join(temp.path, name, "seglens"),
    SEGLENS_IMAGES: imageFolder(images),
    ...env,
  });
  const outputs =
    run.status === 0 ? (JSON.parse(run.stdout) as { outputs: CellOutput[] }[]).map((c) => c.outputs) : [];
  return { status: run.status, stderr: run.stderr, outputs };
}

const TOKEN = "hf_reproduce_paper_test";

/**
 * Tiny models under the repos of the catalog ids the notebook uses: dino-vitb16 and the DINOv3
 * ONNX repos as ready ONNX, MAE and DINOv3 ViT-H+ (gated: `TOKEN`) as source checkpoints that are
 * converted on first use. dinov3-vitl16 has 4 blocks beside 2-block S and B: models of different
 * depth. `gatedSmall` makes the ViT-S ONNX repo gated too, with another token.
 */
function paperRepos(gatedSmall = false): Record<string, FakeRepo> {
  const deeper = repoFromFolder("models/fixtures/vit-tf4");
  const config = JSON.parse(readFileSync("models/fixtures/vit-tf4/config.json", "utf8")) as object;
  deeper.files["config.json"] = Buffer.from(JSON.stringify({ ...config, num_hidden_layers: 4 }));
  deeper.files["onnx/model.onnx"] = buildVitOnnx({
    depth: 4,
    hiddenSize: 32,
    heads: 4,
    mlpSize: 64,
    patchSize: 8,
    imageSize: 32,
  });
  const dinov3 = "models/fixtures/dinov3-tf4";
  return {
    "Xenova/dino-vitb16": repoFromFolder("models/fixtures/vit-tf4"),
    "facebook/vit-mae-base": repoFromFolder("models/fixtures/sources/vit-mae"),
    "onnx-community/dinov3-vits16-pretrain-lvd1689m-ONNX": repoFromFolder(
      dinov3,
      gatedSmall ? { gatedToken: "hf_another" } : {},
    ),
    "onnx-community/dinov3-vitb16-pretrain-lvd1689m-ONNX": repoFromFolder(dinov3),
    "onnx-community/dinov3-vitl16-pretrain-lvd1689m-ONNX": deeper,
    "facebook/dinov3-vith16plus-pretrain-lvd1689m": repoFromFolder("models/fixtures/sources/dinov3-gated", {
      gatedToken: TOKEN,
    }),
  };
}

describe("notebooks/reproduce-paper.ipynb", () => {
  it("is committed without outputs", () => {
    expect(codeCells).toBeGreaterThan(0);
    for (const cell of cells.filter((c) => c.cell_type === "code")) {
      expect(cell.outputs).toEqual([]);
      expect(cell.execution_count).toBeNull();
    }
  });

  describe("offline (HF_HUB_OFFLINE=1, no token, empty caches), on the folder SEGLENS_IMAGES names", () => {
    let run: NotebookRun;
    beforeAll(async () => {
      run = await runNotebook("offline", 7, { HF_HUB_OFFLINE: "1", HF_TOKEN: "" });
    }, 420_000);

    it("runs every cell without an error output, on the 7 images of the folder", () => {
      expectCleanRun(run);
      expect(
        run.outputs
          .flat()
          .map((o) => o.text ?? "")
          .join(""),
      ).toContain(`7 images from ${join(temp.path, "images-7")}; K = 6`);
    });

    it("sections 1, 2 and 4 draw inline PNGs with the bundled stand-ins; section 3 says it needs the Hub", () => {
      expectSectionsShowOrSayHub(run);
      expect(pngsOf(run, "1").length).toBe(1);
      expect(pngsOf(run, "2").length).toBe(2);
      expect(pngsOf(run, "4").length).toBe(2);
      for (const number of ["1", "2", "4"])
        expect(textOf(run, number)).toMatch(/stands? in: the finding needs the Hub/);
      const scaling = textOf(run, "3");
      expect(scaling).toMatch(
        /^3\. scaling within a family: needs the Hub \(dinov3-vits16, dinov3-vitb16, dinov3-vitl16\); skipped offline/m,
      );
      expect(scaling).toMatch(
        /^3\. scaling beyond ViT-L: skipped: dinov3-vith16plus is gated; .*set HF_TOKEN/m,
      );
      expect(pngsOf(run, "3")).toEqual([]);
    });

    it("draws CL vs MIM as one figure: tokens, q, k, v of both models, a block of rows per depth", () => {
      // The 2-block stand-ins at depth 0.5 (block 1) and 1 (block 2): 2 blocks of 2 model rows.
      const [figure] = pngsOf(run, "1");
      expect(pngSize(figure as string)).toEqual(
        gridSize({ columns: 4, blocks: 2, rows: 2, headed: true, footnote: true }),
      );
    });

    it("figures of every image show the first 6 of the 7 images", () => {
      // Position vs locality: both models at 4 fractions of the depth, a block of rows per image.
      const [photos, probe] = pngsOf(run, "2");
      expect(pngSize(photos as string)).toEqual(
        gridSize({ columns: 4, blocks: 6, rows: 2, headed: true, footnote: true }),
      );
      // The probe's 8 content-free images are all shown, a row per model.
      expect(pngSize(probe as string)).toEqual(
        gridSize({ columns: 8, blocks: 1, rows: 2, headed: false, footnote: true }),
      );
      // Boundary artifacts: a row per block of high BA (both of the 2) × images; then tokens, q, k, v.
      const [tokens, reps] = pngsOf(run, "4");
      expect(pngSize(tokens as string)).toEqual(
        gridSize({ columns: 6, blocks: 1, rows: 2, headed: false, footnote: true }),
      );
      expect(pngSize(reps as string)).toEqual(
        gridSize({ columns: 4, blocks: 1, rows: 2, headed: false, footnote: true }),
      );
    });

    it("prints the metrics of each finding with finite values, one per block of the 2-block stand-ins", () => {
      expectMetrics(run, "1", ["PB", "LC"], 4 * 2 * 2, 2); // 4 representations × 2 metrics × 2 models
      expectMetrics(run, "2", ["PB", "LC"], 2 * 2 * 2, 2); // 2 models × 2 metrics × photos and probe
      expectMetrics(run, "4", ["BA"], 4, 2); // the 4 representations
      expect(textOf(run, "4")).toMatch(/^dinov3-tf4: the highest token BA is at blocks 1, 2$/m);
    });

    it("lists the sections that need the Hub at the end, and saves the figures it drew", () => {
      expect(
        run.outputs
          .at(-1)
          ?.map((o) => o.text ?? "")
          .join(""),
      ).toBe(
        "Needs the Hub for the paper's models: 1. CL vs MIM; 2. positional bias vs locality; 3. scaling within a family; 4. boundary artifacts.\n" +
          "Skipped (the section says why): 3. scaling beyond ViT-L.\n",
      );
      const saved = join(temp.path, "offline", "out", "reproduce-paper");
      for (const name of [
        "cl-vs-mim",
        "position-vs-locality",
        "positional-probe",
        "boundary-dinov3-tf4-tokens",
        "boundary-dinov3-tf4-reps",
      ]) {
        expect(existsSync(join(saved, `${name}.png`)), name).toBe(true);
      }
    });
  });

  describe("online: a loopback Hub serves tiny models under the catalog's repos, the gated one with a token", () => {
    let hub: FakeHub;
    let run: NotebookRun;
    beforeAll(async () => {
      hub = await createFakeHub(paperRepos());
      run = await runNotebook("online", 3, {
        HF_ENDPOINT: hub.endpoint,
        HF_HUB_OFFLINE: "",
        HF_TOKEN: TOKEN,
        SEGLENS_MEMORY_LIMIT: "off",
      });
    }, 420_000);
    afterAll(() => hub.close());

    it("runs every cell without an error output and every section on the catalog's models", () => {
      expectCleanRun(run);
      expectSectionsShowOrSayHub(run);
      expect(
        run.outputs
          .flat()
          .map((o) => o.text ?? "")
          .join(""),
      ).not.toMatch(/stands? in|needs the Hub|skipped/);
      expect(
        run.outputs
          .at(-1)
          ?.map((o) => o.text ?? "")
          .join(""),
      ).toBe("Every section ran on the paper's models.\n");
      // mae-base and the gated ViT-H+ were converted on first use, through the token.
      expect(
        hub.requests.some((r) => r.path.includes("vit-mae-base") && r.path.endsWith("model.safetensors")),
      ).toBe(true);
      const gated = hub.requests.filter(
        (r) => r.path.includes("dinov3-vith16plus") && r.path.endsWith("model.safetensors"),
      );
      expect(gated.length).toBeGreaterThan(0);
      expect(gated.every((r) => r.host === "cdn" || r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    });

    it("draws each finding's figures: CL vs MIM, position vs locality, S/B/L/H+ scaling, border artifacts", () => {
      const sizes = (number: string) => pngsOf(run, number).map((png) => pngSize(png));
      const grid = (columns: number, blocks: number, rows: number, headed: boolean) =>
        gridSize({ columns, blocks, rows, headed, footnote: false });
      // Both 2-block ViT-B stand-ins × tokens, q, k, v, a block of rows per depth (0.5 and 1).
      expect(sizes("1")).toEqual([grid(4, 2, 2, true)]);
      // Both models × 4 fractions of the depth, a block per image (all 3); the probe's 8 images.
      expect(sizes("2")).toEqual([grid(4, 3, 2, true), grid(8, 1, 2, false)]);
      // S, B, L and the gated H+ (converted with the token) in one figure, at 4 fractions of the depth.
      expect(sizes("3")).toEqual([grid(4, 1, 4, false)]);
      // ViT-L's 4 blocks of highest token BA × the 3 images; then × tokens, q, k, v.
      expect(sizes("4")).toEqual([grid(3, 1, 4, false), grid(4, 1, 4, false)]);
      expectMetrics(run, "1", ["PB", "LC"], 4 * 2 * 2, 2);
      expectMetrics(run, "2", ["PB", "LC"], 2 * 2 * 2, 2);
      // BA of ViT-L's 4 blocks in 4 representations, then BA of S, B and L at the same relative depth.
      const boundary = metricLines(textOf(run, "4"));
      expect(boundary.map((line) => `${line.label}:${line.values.length}`)).toEqual([
        "dinov3-vitl16/tokens:4",
        "dinov3-vitl16/q:4",
        "dinov3-vitl16/k:4",
        "dinov3-vitl16/v:4",
        "dinov3-vits16:2",
        "dinov3-vitb16:2",
        "dinov3-vitl16:2",
      ]);
    });

    it("matches models of different depth by relative depth, each with its own block numbers", () => {
      const scaling = textOf(run, "3");
      // At every block of the shallowest (2 blocks): the 4-block L shows its blocks 2 and 4.
      expect(scaling).toMatch(/^ {2}block dinov3-vits16 +1 +2$/m);
      expect(scaling).toMatch(/^ {2}block dinov3-vitl16 +2 +4$/m);
      expect(scaling).toMatch(/^ {2}block dinov3-vith16plus +1 +2$/m);
      expectMetrics(run, "3", ["PB", "LC", "BA"], 4 * 3, 2); // S, B, L, H+ × PB, LC, BA
    });
  });

  describe("online without a token, where the Hub answers that a repo is gated", () => {
    let hub: FakeHub;
    let run: NotebookRun;
    beforeAll(async () => {
      hub = await createFakeHub(paperRepos(true));
      run = await runNotebook("gated", 3, { HF_ENDPOINT: hub.endpoint, HF_HUB_OFFLINE: "", HF_TOKEN: "" });
    }, 420_000);
    afterAll(() => hub.close());

    it("skips the sections with a gated model, saying how to get access, and runs the others", () => {
      expectCleanRun(run);
      expect(pngsOf(run, "1").length).toBe(1);
      expect(pngsOf(run, "2").length).toBe(2);
      const scaling = textOf(run, "3");
      expect(scaling).toMatch(
        /^3\. scaling within a family: skipped: Hub repo "onnx-community\/dinov3-vits16-pretrain-lvd1689m-ONNX" is gated: accept its conditions at .*HF_TOKEN/m,
      );
      expect(scaling).toMatch(
        /^3\. scaling beyond ViT-L: skipped: dinov3-vith16plus is gated; .*set HF_TOKEN/m,
      );
      expect(textOf(run, "4")).toMatch(/^4\. boundary artifacts: skipped: Hub repo .* is gated/m);
      expect([...pngsOf(run, "3"), ...pngsOf(run, "4")]).toEqual([]);
      expect(
        run.outputs
          .at(-1)
          ?.map((o) => o.text ?? "")
          .join(""),
      ).toBe(
        "Skipped (the section says why): 3. scaling within a family; 3. scaling beyond ViT-L; 4. boundary artifacts.\n",
      );
      // The catalog says ViT-H+ is gated: without a token, it is not even asked for.
      expect(hub.requests.filter((r) => r.path.includes("dinov3-vith16plus"))).toEqual([]);
    });
  });
});
