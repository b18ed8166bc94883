// The browser tests' JupyterLab: the driver in src/bench/lab-driver.ts (shared with the
// front-end latency benchmark), plus when the tests can run here.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM, LAB_VENV } from "../../src/bench/lab-driver";

export {
  kernelIdle,
  LAB_VENV,
  labArgs,
  labCommand,
  labEnv,
  openLab,
  type RunningServer,
  startServer,
  TOKEN,
  waitForServer,
} from "../../src/bench/lab-driver";

export const LABEXTENSION = join(__dirname, "..", "..", "widgets", "labextension");

/** Why a JupyterLab test cannot run here, or null; in CI (`CI` set) nothing is skipped. */
export function labSkipReason(): string | null {
  if (process.env.CI) return null;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found`;
  if (!existsSync(join(LAB_VENV, "bin", "jupyter")))
    return `no JupyterLab venv at ${LAB_VENV} (npm start or widgets/build.sh makes it)`;
  if (!existsSync(join(LABEXTENSION, "package.json")))
    return "widgets/labextension not built (run widgets/build.sh)";
  return null;
}
