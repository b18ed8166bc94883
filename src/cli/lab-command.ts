import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors";
import { installKernelspec } from "../kernel/kernelspec";
import { installLabextension, LABEXTENSION_SOURCE } from "../kernel/labextension";

const REPO = resolve(__dirname, "..", "..");
const QUICKSTART = join(REPO, "notebooks", "quickstart.ipynb");
// Bump the stamp when the package list changes, so existing venvs get the new packages.
const PACKAGES = ["jupyterlab==4.6.*", "ipywidgets==8.1.*", "nbclient", "nbformat"];
const STAMP = ".seglens-lab-v1";

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

/**
 * `seglens lab [--check]`: everything a notebook needs — a venv with JupyterLab, the seglens
 * kernelspec and labextension installed into it — then JupyterLab on the quickstart notebook; with
 * `--check`, the quickstart runs headlessly instead and any cell error fails the command.
 */
export function addLabCommand(program: Command): void {
  program
    .command("lab")
    .description("set up JupyterLab with the seglens kernel and widget, and open the quickstart notebook")
    .option("--check", "run the quickstart notebook headlessly instead, failing on any cell error")
    .allowExcessArguments(false)
    .action((flags: { check?: boolean }) => {
      const log = (line: string) => process.stderr.write(`seglens lab: ${line}\n`);
      const venv = ensureVenv(log);
      ensureLabextension(log);
      const scope = { kind: "prefix" as const, prefix: venv };
      log(`kernelspec in ${installKernelspec({ scope })}`);
      log(`labextension in ${installLabextension({ scope })}`);
      const jupyter = join(venv, "bin", "jupyter");
      if (flags.check) {
        run(
          jupyter,
          ["execute", "--kernel_name=seglens", "--timeout=600", QUICKSTART],
          "the quickstart notebook",
        );
        log("quickstart notebook ran without errors");
        return;
      }
      // As root (containers), JupyterLab refuses to start without --allow-root.
      const root = process.getuid?.() === 0 ? ["--allow-root"] : [];
      run(jupyter, ["lab", ...root, QUICKSTART], "JupyterLab");
    });
}
