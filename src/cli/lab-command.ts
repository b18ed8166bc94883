import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { isatty } from "node:tty";
import type { Command } from "commander";
import { InputError } from "../errors";
import { installKernelspec } from "../kernel/kernelspec";
import { installLabextension, LABEXTENSION_SOURCE } from "../kernel/labextension";

const REPO = resolve(__dirname, "..", "..");
const QUICKSTART = join(REPO, "notebooks", "quickstart.ipynb");
// Bump the stamp when the package list changes, so existing venvs get the new packages.
const PACKAGES = ["jupyterlab==4.6.*", "ipywidgets==8.1.*", "nbclient", "nbformat"];
const STAMP = ".seglens-lab-v1";
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function run(command: string, args: string[], what: string, cwd = REPO): void {
  const result = spawnSync(command, args, { stdio: "inherit", cwd });
  if (result.status !== 0) {
    throw new InputError(
      `${what} failed (${command} ${args.join(" ")} exited with ${result.status ?? result.signal})`,
    );
  }
}

/** The project-local venv with JupyterLab, ipywidgets and nbclient (`SEGLENS_LAB_VENV` overrides `.venv`). */
function ensureVenv(log: (line: string) => void): string {
  const venv = process.env.SEGLENS_LAB_VENV ?? join(REPO, ".venv");
  const python = join(venv, "bin", "python");
  if (existsSync(join(venv, STAMP))) return venv;
  log(`preparing ${venv} (${PACKAGES.join(", ")}; once)`);
  if (!existsSync(python))
    run("python3", ["-m", "venv", venv], "creating the venv (is python3-venv installed?)");
  run(
    python,
    ["-m", "pip", "install", "-q", "--retries", "0", "--timeout", "10", ...PACKAGES],
    "installing JupyterLab",
  );
  writeFileSync(join(venv, STAMP), `${PACKAGES.join("\n")}\n`);
  return venv;
}

/** The explorer's labextension, built from widgets/ when it is not there yet (~80 s once). */
function ensureLabextension(log: (line: string) => void): void {
  if (existsSync(join(LABEXTENSION_SOURCE, "package.json"))) return;
  log("building the explorer widget's labextension (once)");
  run("npm", ["ci", "--prefix", "widgets", "--no-audit", "--no-fund"], "installing the widget's packages");
  run("bash", [join(REPO, "widgets", "build.sh")], "building the labextension");
}

/** Runs JupyterLab until it exits, in the user's folder so paths among `args` hold. */
function runLab(jupyter: string, args: string[]): Promise<void> {
  const child = spawn(jupyter, args, { stdio: "inherit" });
  // A terminal's Ctrl-C reaches JupyterLab itself (same process group), which asks to confirm;
  // passing it on too would skip the question, so seglens just waits. Signals sent to seglens alone
  // (a supervisor's or a test's SIGTERM) are passed on, so no server outlives seglens.
  const interactive = isatty(0);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === "SIGINT" && interactive) return;
    stopping = true;
    child.kill(signal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return new Promise((done, fail) => {
    child.on("error", (error) =>
      fail(new InputError(`starting JupyterLab (${jupyter}) failed`, { cause: error })),
    );
    child.on("exit", (status, signal) => {
      for (const s of SIGNALS) process.off(s, onSignal);
      if (status === 0 || stopping) done();
      else fail(new InputError(`JupyterLab (${jupyter} ${args.join(" ")}) exited with ${status ?? signal}`));
    });
  });
}

/**
 * Runs the quickstart headlessly (any cell error fails) and says which model it used: the
 * executed copy goes to a temporary folder, whose first code cell printed the model, or why the
 * bundled tiny model stood in.
 */
function checkQuickstart(jupyter: string, log: (line: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "seglens-quickstart-"));
  try {
    const executed = join(dir, "quickstart.ipynb");
    run(
      jupyter,
      ["execute", "--kernel_name=seglens", "--timeout=600", `--output=${executed}`, QUICKSTART],
      "the quickstart notebook",
    );
    log("quickstart notebook ran without errors");
    log(quickstartModel(readFileSync(executed, "utf8")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the executed quickstart's first code cell printed about its model, as a sentence. */
export function quickstartModel(notebookJson: string): string {
  const notebook = JSON.parse(notebookJson) as { cells?: { cell_type?: string; outputs?: unknown[] }[] };
  const first = notebook.cells?.find((cell) => cell.cell_type === "code");
  const text = (first?.outputs ?? [])
    .map((output) => {
      const o = output as { output_type?: string; text?: string | string[] };
      return o.output_type === "stream" ? [o.text ?? ""].flat().join("") : "";
    })
    .join("")
    .trim();
  const chosen = /^model: (.+)$/m.exec(text);
  if (chosen !== null) return `the quickstart used ${chosen[1]}`;
  if (/using the bundled tiny random-weight model/.test(text)) {
    return `the quickstart used the bundled tiny random-weight model (offline fallback): ${text.split("\n")[0]}`;
  }
  return `the quickstart did not say which model it used (its first cell printed "${text.split("\n")[0] ?? ""}")`;
}

/**
 * `seglens lab [--check] [jupyterArgs...]`: everything a notebook needs — a venv with JupyterLab,
 * the seglens kernelspec and labextension installed into it — then JupyterLab on the quickstart
 * notebook, with any further arguments passed to `jupyter lab`; with `--check`, the quickstart runs
 * headlessly instead and any cell error fails the command (it takes no JupyterLab arguments).
 *
 * @example
 * ```sh
 * seglens lab --no-browser --port=8899   # or: npm start -- --no-browser --port=8899
 * ```
 */
export function addLabCommand(program: Command): void {
  program
    .command("lab")
    .description(
      "set up JupyterLab with the seglens kernel and widget, and open the quickstart notebook; " +
        "other arguments go to `jupyter lab` (e.g. --no-browser --port=8899)",
    )
    .argument("[jupyterArgs...]", "arguments for `jupyter lab`, e.g. --no-browser --port=8899")
    .option("--check", "run the quickstart notebook headlessly instead, failing on any cell error")
    .allowUnknownOption() // JupyterLab's options, which commander leaves in jupyterArgs
    .action(async (jupyterArgs: string[], flags: { check?: boolean }) => {
      if (flags.check && jupyterArgs.length > 0) {
        throw new InputError(
          `lab --check runs the quickstart headlessly and takes no JupyterLab arguments; got "${jupyterArgs.join(" ")}": drop them or drop --check`,
        );
      }
      const log = (line: string) => process.stderr.write(`seglens lab: ${line}\n`);
      const venv = ensureVenv(log);
      ensureLabextension(log);
      const scope = { kind: "prefix" as const, prefix: venv };
      log(`kernelspec in ${installKernelspec({ scope })}`);
      log(`labextension in ${installLabextension({ scope })}`);
      // The venv's kernelspec and labextension first, before any `seglens install --user` of
      // another checkout in the user's data folder: Jupyter searches JUPYTER_PATH before it.
      const own = join(venv, "share", "jupyter");
      process.env.JUPYTER_PATH = [own, process.env.JUPYTER_PATH].filter((p) => p).join(delimiter);
      const jupyter = join(venv, "bin", "jupyter");
      if (flags.check) {
        checkQuickstart(jupyter, log);
        return;
      }
      // As root (containers), JupyterLab refuses to start without --allow-root. The server opens the
      // first file argument, so a notebook the user names comes before the quickstart.
      const root = process.getuid?.() === 0 ? ["--allow-root"] : [];
      await runLab(jupyter, ["lab", ...root, ...jupyterArgs, QUICKSTART]);
    });
}
