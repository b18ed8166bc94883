import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The folder holding one test run's state, removed when the run ends (test/support/global-setup.ts):
 * named after the vitest process, which loads the config and runs the global setup. Only those two
 * may use it (in a test file it would name the worker's pid); tests read the environment instead.
 */
export const RUN_STATE_DIR = join(tmpdir(), `seglens-vitest-${process.pid}`);

/**
 * The environment every test (and every process it starts) runs in: seglens' cache, the Hugging
 * Face cache and Jupyter's data, config and runtime folders all inside {@link RUN_STATE_DIR}, so a
 * run neither reads nor changes the user's, and runs of two checkouts never meet. Kernelspecs and
 * labextensions are found only in the venvs and prefixes the tests name (JUPYTER_PATH is cleared).
 * The Hub endpoint is a closed loopback port: tests that want a Hub start their own fake one.
 */
export function runStateEnv(dir: string = RUN_STATE_DIR): Record<string, string> {
  return {
    SEGLENS_CACHE: join(dir, "seglens"),
    HF_HOME: join(dir, "huggingface"),
    HF_HUB_CACHE: join(dir, "huggingface", "hub"),
    HF_ENDPOINT: "http://127.0.0.1:9",
    JUPYTER_DATA_DIR: join(dir, "jupyter", "data"),
    JUPYTER_CONFIG_DIR: join(dir, "jupyter", "config"),
    JUPYTER_RUNTIME_DIR: join(dir, "jupyter", "runtime"),
    JUPYTER_PATH: "",
    JUPYTER_CONFIG_PATH: "",
    IPYTHONDIR: join(dir, "ipython"),
  };
}
