/**
 * A real JupyterLab driven by headless Chromium: started from a venv, reached on loopback with a
 * token, and controlled through `window.jupyterapp` (exposed with --LabApp.expose_app_in_browser).
 * Used by the front-end latency benchmark and by the browser tests (dev tooling: playwright-core
 * is a dev dependency).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`). */
export const CHROMIUM = "/usr/bin/chromium";
/** The venv with JupyterLab that widgets/build.sh makes (`SEGLENS_LAB_VENV` overrides it). */
export const LAB_VENV = process.env.SEGLENS_LAB_VENV ?? join(homedir(), ".cache", "seglens", "lab-venv");
export const TOKEN = "seglens-test-token";

/** Launches Debian's Chromium headless and kept off the network (notes/facts.md). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Waits until `url` answers 200, failing early if `server` exits. */
export async function waitForServer(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}

/** A running server process with its combined output. */
export interface RunningServer {
  process: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  base: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `command args` (a JupyterLab on `port`) and waits until its API answers. */
export async function startServer(
  command: string,
  args: string[],
  options: { port: number; env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<RunningServer> {
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d));
  child.stderr?.on("data", (d: Buffer) => (log += d));
  const base = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM"); // the server shuts its kernels down on SIGTERM
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  try {
    await waitForServer(`${base}/api/status?token=${TOKEN}`, child, options.timeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  return { process: child, base, log: () => log, stop };
}

/** The arguments that make JupyterLab testable: loopback, fixed token, app exposed, no browser. */
export function labArgs(port: number): string[] {
  return [
    "--allow-root",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    `--IdentityProvider.token=${TOKEN}`,
    "--LabApp.expose_app_in_browser=True",
  ];
}

type Lab = {
  commands: { execute(id: string, args?: unknown): Promise<unknown> };
  shell: {
    currentWidget?: { sessionContext?: { session?: { kernel?: { status: string; name: string } } } };
  };
};

/**
 * The environment of a JupyterLab isolated in `dir`: its own data, config and runtime folders;
 * with `prefix`, kernelspecs and labextensions installed there (`seglens install --prefix`) are found.
 */
export function labEnv(dir: string, prefix?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUPYTER_DATA_DIR: join(dir, "data"),
    JUPYTER_CONFIG_DIR: join(dir, "config"),
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
    ...(prefix === undefined ? {} : { JUPYTER_PATH: join(prefix, "share", "jupyter") }),
    PATH: `${join(LAB_VENV, "bin")}:${process.env.PATH}`,
  };
}

/** Opens JupyterLab at `path` (e.g. `lab/tree/x.ipynb`) and waits until it has restored. */
export async function openLab(page: Page, server: RunningServer, path: string): Promise<void> {
  await page.goto(`${server.base}/${path}?token=${TOKEN}`);
  await labRestored(page);
}

/** Waits until JupyterLab in `page` has started and restored its layout (all commands exist). */
export async function labRestored(page: Page): Promise<void> {
  await page.waitForFunction(() => "jupyterapp" in globalThis, undefined, { timeout: 60_000 });
  await page.evaluate(
    () => (globalThis as unknown as { jupyterapp: { restored: Promise<void> } }).jupyterapp.restored,
  );
}

/** Runs a JupyterLab command in the page (`notebook:run-all-cells`, `docmanager:open`, …). */
export async function labCommand(page: Page, id: string, args?: unknown): Promise<void> {
  await page.evaluate(
    async ([command, commandArgs]) => {
      const lab = (globalThis as unknown as { jupyterapp: Lab }).jupyterapp;
      await lab.commands.execute(command as string, commandArgs);
    },
    [id, args] as const,
  );
}

/** Accepts the kernel dialog if JupyterLab asks, then waits until the notebook's `kernel` is idle. */
export async function kernelIdle(page: Page, kernel: string): Promise<void> {
  // JupyterLab 4.6 asks which kernel to start unless "Always start the preferred kernel" is set.
  await page
    .locator(".jp-Dialog .jp-mod-accept")
    .click({ timeout: 20_000 })
    .catch(() => undefined);
  await page.waitForFunction(
    (name) => {
      const lab = (globalThis as unknown as { jupyterapp: Lab }).jupyterapp;
      const current = lab.shell.currentWidget?.sessionContext?.session?.kernel;
      return current?.status === "idle" && current.name === name;
    },
    kernel,
    { timeout: 60_000 },
  );
}
