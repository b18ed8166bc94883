import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCliAsync } from "../support/cli";

// The JupyterLab venv that widgets/build.sh makes (.ci/run builds the widget before the tests), so
// this test does not create a second one; offline, the notebook uses the bundled tiny model.
const labVenv = process.env.SEGLENS_LAB_VENV ?? join(homedir(), ".cache", "seglens", "lab-venv");

describe("seglens lab --check", () => {
  it("installs the kernel and widget into the venv and runs notebooks/quickstart.ipynb without a cell error", async () => {
    const run = await runCliAsync(["lab", "--check"], {
      ...process.env,
      SEGLENS_LAB_VENV: labVenv,
      HF_ENDPOINT: "http://127.0.0.1:9", // no network in tests: the bundled model stands in
    });
    expect(run.stderr).toMatch(/kernelspec in .*share\/jupyter\/kernels\/seglens/);
    expect(run.stderr).toMatch(/quickstart notebook ran without errors/);
    expect(run.status).toBe(0);
  }, 300_000);
});
