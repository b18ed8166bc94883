/**
 * A real JupyterLab driven by headless Chromium: started from a venv, reached on loopback with a
 * token, and controlled through `window.jupyterapp` (exposed with --LabApp.expose_app_in_browser).
 * Used by the front-end latency benchmark and by the browser tests (dev tooling: playwright-core
 * is a dev dependency).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`). */
export const CHROMIUM = "/usr/bin/chromium";
/**
 * The checkout's venv with JupyterLab: the `.venv` that `seglens lab` (npm start) and widgets/build.sh
 * make and use (`SEGLENS_LAB_VENV` overrides it). Each checkout has its own, so the kernelspec and
 * labextension `seglens lab` installs into it always run that checkout's build.
 */
export const LAB_VENV = process.env.SEGLENS_LAB_VENV ?? resolve(__dirname, "..", "..", ".venv");
export const TOKEN = "seglens-test-token";

/**
 * Launches Debian's Chromium headless and kept off the network: without these flags it reaches out
 * for component updates, sync and QUIC probes; `--no-sandbox` because the tests may run as root.
 */
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
  /** The process started (JupyterLab itself, or a command that runs it, such as `seglens lab`). */
  process: ChildProcess;
  /** The Jupyter server's own process id, from its server info file. */
  serverPid: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Waits until the Jupyter server writes its info file (`jpserver-<pid>.json`, once it listens) into
 * `runtimeDir`, which must be this server's alone; returns its port and pid.
 */
async function serverInfo(
  runtimeDir: string,
  server: ChildProcess,
  deadline: number,
): Promise<{ port: number; pid: number }> {
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    const files = (() => {
      try {
        return readdirSync(runtimeDir).filter((f) => /^jpserver-\d+\.json$/.test(f));
      } catch {
        return []; // not created yet
      }
    })();
    for (const file of files) {
      try {
        const { port, pid } = JSON.parse(readFileSync(join(runtimeDir, file), "utf8")) as {
          port: number;
          pid: number;
        };
        if (port > 0) return { port, pid };
      } catch {
        // being written
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no server info file in ${runtimeDir}`);
}

/**
 * Starts `command args` (a JupyterLab with {@link labArgs}, which picks its own free port) and
 * waits until its API answers. `env.JUPYTER_RUNTIME_DIR` must be a folder of this server's own
 * ({@link labEnv}): the port is read from the info file the server writes there.
 */
export async function startServer(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<RunningServer> {
  const runtimeDir = options.env.JUPYTER_RUNTIME_DIR;
  if (runtimeDir === undefined) throw new TypeError("startServer needs env.JUPYTER_RUNTIME_DIR (see labEnv)");
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d));
  child.stderr?.on("data", (d: Buffer) => (log += d));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM"); // the server shuts its kernels down on SIGTERM (slowly on a busy machine)
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  // A loaded machine (2 cores shared with other work) can take a minute to start JupyterLab.
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    const { port, pid } = await serverInfo(runtimeDir, child, deadline);
    const base = `http://127.0.0.1:${port}`;
    await waitForServer(`${base}/api/status?token=${TOKEN}`, child, deadline - Date.now());
    return { process: child, serverPid: pid, base, log: () => log, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  }
}

/**
 * The arguments that make JupyterLab testable: loopback, a port the system picks when the server
 * binds (no port chosen beforehand that another process could take meanwhile; no retrying on
 * another one), fixed token, app exposed, no browser.
 */
export function labArgs(): string[] {
  return [
    "--allow-root",
    "--no-browser",
    "--ip=127.0.0.1",
    "--port=0",
    "--ServerApp.port_retries=0",
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
  // The page loads all of JupyterLab's front end: on a busy machine that can take longer than
  // playwright's default 30 s.
  await page.goto(`${server.base}/${path}?token=${TOKEN}`, { timeout: 120_000 });
  await labRestored(page);
}

/** Waits until JupyterLab in `page` has started and restored its layout (all commands exist). */
export async function labRestored(page: Page): Promise<void> {
  await page.waitForFunction(() => "jupyterapp" in globalThis, undefined, { timeout: 120_000 });
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

/**
 * Waits until the notebook's `kernel` is idle, accepting JupyterLab's kernel dialog whenever it
 * shows (JupyterLab 4.6 asks which kernel to start unless "Always start the preferred kernel" is
 * set; on a busy machine the dialog can come late, so it is watched for, not waited for once).
 */
export async function kernelIdle(page: Page, kernel: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await page.waitForFunction(
      (name) => {
        const lab = (globalThis as unknown as { jupyterapp: Lab }).jupyterapp;
        const current = lab.shell.currentWidget?.sessionContext?.session?.kernel;
        if (current?.status === "idle" && current.name === name) return "idle";
        const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
        return doc.querySelector(".jp-Dialog .jp-mod-accept") === null ? false : "dialog";
      },
      kernel,
      { timeout: Math.max(1, deadline - Date.now()) },
    );
    if ((await state.jsonValue()) === "idle") return;
    await page
      .locator(".jp-Dialog .jp-mod-accept")
      .click({ timeout: Math.max(1, deadline - Date.now()) })
      .catch(() => undefined); // closed meanwhile
  }
}
