// `npm start` as a user meets it: `seglens lab` serves JupyterLab on the quickstart
// notebook, headless Chromium runs every cell in the seglens kernel and sees the explorer; then a
// SIGTERM to the seglens process alone must stop JupyterLab and its kernel too. Offline, the
// notebook uses the bundled tiny model; dist/ is built by `npm test`.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, launchChromium } from "../widgets/browser-page";
import {
  kernelIdle,
  LAB_VENV,
  labArgs,
  labCommand,
  labEnv,
  labSkipReason,
  openLab,
  type RunningServer,
  startServer,
  TOKEN,
} from "../widgets/jupyterlab-server";

const ROOT = join(__dirname, "..", "..");
const QUICKSTART = join(ROOT, "notebooks", "quickstart.ipynb");
const reason = labSkipReason();
if (reason) console.warn(`[seglens] npm start test skipped: ${reason}`);

/** A code cell as the page reports it: its execution count and its outputs as nbformat JSON. */
interface CellRun {
  executionCount: number | null;
  outputs: { output_type: string; ename?: string; evalue?: string }[];
}

/** The part of JupyterLab's notebook model the page-side checks read. */
type LabNotebook = {
  shell: {
    currentWidget?: {
      content?: {
        model?: {
          cells: Iterable<{
            type: string;
            executionCount?: number | null;
            outputs?: { toJSON(): unknown[] };
          }>;
        };
      };
      sessionContext?: { session?: { kernel?: { status: string } } };
    };
  };
};

/** The code cells of the notebook in front, read in the page. */
function codeCells(page: Page): Promise<CellRun[]> {
  return page.evaluate(() => {
    const widget = (globalThis as unknown as { jupyterapp: LabNotebook }).jupyterapp.shell.currentWidget;
    return [...(widget?.content?.model?.cells ?? [])]
      .filter((cell) => cell.type === "code")
      .map((cell) => ({
        executionCount: cell.executionCount ?? null,
        outputs: (cell.outputs?.toJSON() ?? []) as CellRun["outputs"],
      }));
  });
}

/** Processes whose command line names `marker` (kernels by their connection file in the runtime folder). */
function processesNaming(marker: string): string[] {
  return readdirSync("/proc")
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
        return args.includes(marker) ? [`${pid}: ${args}`] : [];
      } catch {
        return []; // exited meanwhile
      }
    });
}

describe.skipIf(reason !== null)(`npm start${reason ? ` (skipped: ${reason})` : ""}`, () => {
  const quickstartBefore = readFileSync(QUICKSTART, "utf8");
  const checkpointsBefore = existsSync(join(ROOT, "notebooks", ".ipynb_checkpoints"));
  let dir = "";
  let lab: RunningServer | null = null;
  let browser: Browser | null = null;
  let page: Page | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "seglens-lab-serve-"));
    // JupyterLab autosaves open notebooks and checkpoints them on open: autosave off and checkpoints
    // in the temp folder, so running the cells leaves notebooks/ untouched.
    const settings = join(dir, "config", "lab", "user-settings", "@jupyterlab", "docmanager-extension");
    mkdirSync(settings, { recursive: true });
    writeFileSync(
      join(dir, "config", "jupyter_server_config.json"),
      JSON.stringify({ FileCheckpoints: { checkpoint_dir: join(dir, "checkpoints") } }),
    );
    writeFileSync(join(settings, "plugin.jupyterlab-settings"), JSON.stringify({ autosave: false }));
    lab = await startServer(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "lab", ...labArgs()], {
      cwd: ROOT,
      timeoutMs: 240_000,
      env: {
        ...labEnv(dir),
        SEGLENS_LAB_VENV: LAB_VENV,
        HF_ENDPOINT: "http://127.0.0.1:9", // no network in tests: the bundled model stands in
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    // The server's root is notebooks/, the folder of the notebook `seglens lab` opens.
    await openLab(page, lab, "lab/tree/quickstart.ipynb");
    await page.locator(".jp-Notebook").waitFor({ timeout: 120_000 });
    await kernelIdle(page, "seglens");
  }, 480_000);

  afterAll(async () => {
    await browser?.close();
    await lab?.stop(); // only if the SIGTERM test did not get that far
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("runs every cell of the quickstart in the seglens kernel without an error output, and shows the explorer", async () => {
    if (!page) throw new Error(`no page; seglens lab log:\n${lab?.log()}`);
    const current = page;
    try {
      await labCommand(current, "notebook:run-all-cells");
      // A failing cell may leave later ones unrun (stop_on_error): wait for every cell to run, or an error.
      await current.waitForFunction(
        () => {
          const widget = (globalThis as unknown as { jupyterapp: LabNotebook }).jupyterapp.shell
            .currentWidget;
          const cells = [...(widget?.content?.model?.cells ?? [])].filter((cell) => cell.type === "code");
          const settled = cells.every(
            (cell) =>
              cell.executionCount != null ||
              (cell.outputs?.toJSON() ?? []).some(
                (o) => (o as { output_type: string }).output_type === "error",
              ),
          );
          return settled && widget?.sessionContext?.session?.kernel?.status === "idle";
        },
        undefined,
        { timeout: 240_000, polling: 500 },
      );
      const cells = await codeCells(current);
      const errors = cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error"));
      expect(errors).toEqual([]);
      expect(cells.map((c) => c.executionCount)).toEqual(cells.map((_, i) => i + 1));
      // The model line of the first cell and the figure's PNG of the third.
      expect(cells[0]?.outputs.map((o) => o.output_type)).toContain("stream");
      expect(cells[2]?.outputs.map((o) => o.output_type)).toContain("display_data");

      await current.locator(".seglens-panel").first().waitFor({ timeout: 120_000 });
      await expect(current.locator(".seglens-panel").count()).resolves.toBeGreaterThan(0);
      await expect(current.locator(".seglens-error:visible").count()).resolves.toBe(0);
    } finally {
      mkdirSync(ARTIFACTS, { recursive: true });
      await current.screenshot({ path: join(ARTIFACTS, "lab-serve-quickstart.png"), fullPage: true });
    }
  }, 420_000);

  it("a SIGTERM to the seglens process stops JupyterLab and its kernel; seglens exits 0", async () => {
    if (!lab) throw new Error("no server");
    const child = lab.process;
    if (child.exitCode !== null) throw new Error(`seglens lab exited early:\n${lab.log()}`);
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    await expect(exited).resolves.toBe(0);
    await expect(fetch(`${lab.base}/api/status?token=${TOKEN}`)).rejects.toThrow();
    expect(existsSync(`/proc/${lab.serverPid}`)).toBe(false);
    expect(processesNaming(join(dir, "runtime"))).toEqual([]);
    expect(readFileSync(QUICKSTART, "utf8")).toBe(quickstartBefore);
    expect(existsSync(join(ROOT, "notebooks", ".ipynb_checkpoints"))).toBe(checkpointsBefore);
  }, 120_000);
});
