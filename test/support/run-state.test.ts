import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { LAB_VENV } from "../widgets/jupyterlab-server";

// Two checkouts on one machine test side by side: nothing a test run installs or writes is shared
// between them (test/support/run-state.ts, vitest.config.ts).
describe("test state stays in the checkout or the run's own folder", () => {
  it("seglens' cache, the Hugging Face cache and Jupyter's folders are inside this run's temp folder", () => {
    for (const name of [
      "SEGLENS_CACHE",
      "HF_HOME",
      "HF_HUB_CACHE",
      "JUPYTER_DATA_DIR",
      "JUPYTER_CONFIG_DIR",
      "JUPYTER_RUNTIME_DIR",
      "IPYTHONDIR",
    ]) {
      expect(relative(tmpdir(), process.env[name] ?? ""), name).toMatch(/^seglens-vitest-\d+\//);
    }
    // No kernelspec or labextension of another checkout is found through the user's JUPYTER_PATH.
    expect(process.env.JUPYTER_PATH).toBe("");
    expect(process.env.HF_ENDPOINT).toBe("http://127.0.0.1:9");
  });

  it("the kernel test venv is .venv-test/ and JupyterLab's is .venv, both in the checkout", () => {
    const env = { ...process.env };
    delete env.SEGLENS_TEST_VENV;
    const venv = execFileSync("bash", ["test/kernel/setup-venv.sh"], { encoding: "utf8", env }).trim();
    expect(venv).toBe(resolve(".venv-test"));
    expect(LAB_VENV).toBe(process.env.SEGLENS_LAB_VENV ?? resolve(".venv"));
  }, 300_000);
});
