import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { quickstartModel } from "../../src/cli/lab-command";
import { expectOneLineFailure, runCli, runCliAsync } from "../support/cli";
import { LAB_VENV as labVenv } from "../widgets/jupyterlab-server";

// The checkout's JupyterLab venv (.venv, which widgets/build.sh also uses; made here on first use);
// offline, the notebook uses the bundled tiny model.

describe("seglens lab --check", () => {
  it("refuses JupyterLab arguments with --check in one line, exit 2, before any setup", () => {
    const run = runCli(["lab", "--check", "--port=8899"], {
      ...process.env,
      SEGLENS_LAB_VENV: "/nonexistent",
    });
    expectOneLineFailure(run, /takes no JupyterLab arguments; got "--port=8899"/, 2);
  });

  it("installs the kernel and widget into the venv and runs notebooks/quickstart.ipynb without a cell error", async () => {
    const run = await runCliAsync(["lab", "--check"], {
      ...process.env,
      SEGLENS_LAB_VENV: labVenv,
      HF_ENDPOINT: "http://127.0.0.1:9", // no network in tests: the bundled model stands in
    });
    expect(run.stderr).toMatch(/kernelspec in .*share\/jupyter\/kernels\/seglens/);
    expect(run.stderr).toMatch(/quickstart notebook ran without errors/);
    expect(run.stderr).toMatch(
      /\nseglens lab: the quickstart used the bundled tiny random-weight model \(offline fallback\): dino-vits16 could not be fetched \(/,
    );
    expect(run.status).toBe(0);
  }, 300_000);

  it("quickstartModel() reads the model from the executed notebook's first code cell", () => {
    const notebook = (text: string) =>
      JSON.stringify({
        cells: [
          { cell_type: "markdown", source: "# seglens quickstart" },
          { cell_type: "code", outputs: [{ output_type: "stream", name: "stdout", text: [text] }] },
        ],
      });
    expect(quickstartModel(notebook("model: dino-vits16\n"))).toBe("the quickstart used dino-vits16");
    expect(
      quickstartModel(
        notebook(
          "dino-vits16 could not be fetched (offline); using the bundled tiny random-weight model instead\n",
        ),
      ),
    ).toBe(
      "the quickstart used the bundled tiny random-weight model (offline fallback): dino-vits16 could not be fetched (offline); using the bundled tiny random-weight model instead",
    );
    expect(quickstartModel(notebook(""))).toMatch(/did not say which model it used/);
  });

  // The other notebooks, offline on the bundled models, with the kernelspec the check installed.
  const notebooks = readdirSync("notebooks").filter((f) => f.endsWith(".ipynb") && f !== "quickstart.ipynb");
  it.each(notebooks)(
    "notebooks/%s runs headlessly without a cell error",
    async (notebook) => {
      const run = await runCommand(join(labVenv, "bin", "jupyter"), [
        "execute",
        "--kernel_name=seglens",
        "--timeout=600",
        join("notebooks", notebook),
      ]);
      expect(run.stderr).not.toMatch(/CellExecutionError|Error:/);
      expect(run.status).toBe(0);
    },
    600_000,
  );
});

function runCommand(command: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: { ...process.env, HF_ENDPOINT: "http://127.0.0.1:9" } });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (status) => done({ status, stderr }));
  });
}
