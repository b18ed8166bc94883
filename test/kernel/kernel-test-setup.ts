import { execFileSync, type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { installKernelspec } from "../../src/kernel/kernelspec";

const HERE = resolve("test", "kernel");

/** What a kernel test needs: the venv's Python, the data dir holding the kernelspec, a work folder. */
export interface KernelTestSetup {
  python: string;
  jupyterPath: string;
  work: string;
}

/**
 * Makes (once, cached) the test venv with jupyter_client and nbclient, installs the seglens
 * kernelspec (running dist/) into `<dir>/prefix`, and an empty `<dir>/work` for the kernel to run in.
 */
export function setUpKernelTest(dir: string): KernelTestSetup {
  const venv = execFileSync("bash", [join(HERE, "setup-venv.sh")], { encoding: "utf8" }).trim();
  installKernelspec({ scope: { kind: "prefix", prefix: join(dir, "prefix") } });
  const work = join(dir, "work");
  mkdirSync(work, { recursive: true });
  return { python: join(venv, "bin", "python"), jupyterPath: join(dir, "prefix", "share", "jupyter"), work };
}

/** Runs the Python script `test/kernel/<script>` with `args`, finding the kernelspec through JUPYTER_PATH. */
export function runKernelScript(
  setup: KernelTestSetup,
  script: string,
  args: readonly string[],
  timeoutMs: number,
): SpawnSyncReturns<string> {
  return spawnSync(setup.python, [join(HERE, script), ...args], {
    encoding: "utf8",
    env: { ...process.env, JUPYTER_PATH: setup.jupyterPath },
    timeout: timeoutMs,
  });
}

/** What {@link runKernelScriptAsync} returns once the script has exited. */
export interface KernelScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * {@link runKernelScript} without blocking this process, so that servers it runs (a fake Hub on
 * loopback) can answer the kernel; `env` adds to the environment, which the kernel inherits. The
 * script is killed after `timeoutMs`.
 */
export function runKernelScriptAsync(
  setup: KernelTestSetup,
  script: string,
  args: readonly string[],
  timeoutMs: number,
  env: Readonly<Record<string, string>> = {},
): Promise<KernelScriptRun> {
  return new Promise((done, fail) => {
    const child = spawn(setup.python, [join(HERE, script), ...args], {
      env: { ...process.env, ...env, JUPYTER_PATH: setup.jupyterPath },
      timeout: timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}
