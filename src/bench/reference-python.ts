import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seglensCacheDir } from "../util/cache-dir";

// Bump when the package list changes, so existing venvs get the new packages.
const PACKAGES = ["torch", "transformers", "numpy", "scikit-learn"];
const STAMP = ".seglens-bench-v2";

/**
 * The Python of a throwaway venv with the reference pipelines' packages (PyTorch, transformers,
 * scikit-learn), made on first use under the seglens cache; `SEGLENS_BENCH_PYTHON` overrides it.
 * Undefined when it cannot be made (no python3, or the packages cannot be installed).
 */
export function referencePython(log: (line: string) => void): string | undefined {
  if (process.env.SEGLENS_BENCH_PYTHON) return process.env.SEGLENS_BENCH_PYTHON;
  const venv = join(seglensCacheDir(), "bench-venv");
  const python = join(venv, "bin", "python");
  if (existsSync(join(venv, STAMP))) return python;
  log(`preparing the reference venv at ${venv} (${PACKAGES.join(", ")}; once; --no-reference skips it)`);
  const steps: [string, string[]][] = [
    ["python3", ["-m", "venv", venv]],
    [python, ["-m", "pip", "install", "-qq", "--retries", "0", "--timeout", "10", ...PACKAGES]],
  ];
  for (const [command, args] of steps) {
    if (command === "python3" && existsSync(python)) continue;
    if (spawnSync(command, args, { stdio: "inherit" }).status !== 0) {
      log("could not prepare the reference venv; references are left out");
      return undefined;
    }
  }
  writeFileSync(join(venv, STAMP), `${PACKAGES.join("\n")}\n`);
  return python;
}
