import type { Command } from "commander";
import { InputError } from "../errors";
import {
  type InstallScope,
  installKernelspec,
  KERNEL_DISPLAY_NAME,
  uninstallKernelspec,
} from "../kernel/kernelspec";
import { installLabextension, LABEXTENSION_SOURCE, uninstallLabextension } from "../kernel/labextension";

interface ScopeFlags {
  user?: boolean;
  sysPrefix?: boolean;
  prefix?: string;
}

/** The install scope from `--user | --sys-prefix | --prefix P` (default `--user`); at most one. */
export function scopeFromFlags(flags: ScopeFlags): InstallScope {
  const given = [
    flags.user && "--user",
    flags.sysPrefix && "--sys-prefix",
    flags.prefix !== undefined && "--prefix",
  ];
  const chosen = given.filter((flag): flag is string => typeof flag === "string");
  if (chosen.length > 1) {
    throw new InputError(
      `conflicting flags: ${chosen.join(", ")}; give one of --user, --sys-prefix, --prefix P`,
    );
  }
  if (flags.prefix !== undefined) return { kind: "prefix", prefix: flags.prefix };
  return flags.sysPrefix ? { kind: "sys-prefix" } : { kind: "user" };
}

/** Runs a file operation of (un)install; a file system refusal (EACCES, ENOENT, …) is bad input, named. */
function asInputError<T>(scope: InstallScope, operation: () => T): T {
  try {
    return operation();
  } catch (cause) {
    const { code, path } = cause as NodeJS.ErrnoException;
    if (code === undefined) throw cause;
    const where = scope.kind === "prefix" ? `--prefix "${scope.prefix}"` : `the ${scope.kind} data dir`;
    throw new InputError(
      `cannot write the kernel into ${where}: ${code}${path === undefined ? "" : ` at "${path}"`}`,
      {
        cause,
      },
    );
  }
}

function addScopeOptions(command: Command): Command {
  return command
    .option("--user", "the per-user Jupyter data dir (default)")
    .option("--sys-prefix", "the data dir of the Python on PATH (python3, or $PYTHON): a venv or conda env")
    .option("--prefix <dir>", "<dir>/share/jupyter");
}

/**
 * `seglens install` / `seglens uninstall`: the "TypeScript (seglens)" kernelspec and
 * the explorer's prebuilt labextension.
 */
export function addInstallCommand(program: Command): void {
  addScopeOptions(
    program.command("install").description(`install the ${KERNEL_DISPLAY_NAME} Jupyter kernel`),
  ).action((flags: ScopeFlags) => {
    const scope = scopeFromFlags(flags);
    const dir = asInputError(scope, () => installKernelspec({ scope }));
    process.stdout.write(`installed kernelspec "seglens" (${KERNEL_DISPLAY_NAME}) in ${dir}\n`);
    const lab = asInputError(scope, () => installLabextension({ scope }));
    if (lab !== undefined) process.stdout.write(`installed labextension "seglens" in ${lab}\n`);
    else {
      process.stderr.write(
        `warning: the labextension is not built (${LABEXTENSION_SOURCE}); run widgets/build.sh, or the explorer widget will not render\n`,
      );
    }
  });
  addScopeOptions(
    program.command("uninstall").description(`remove the ${KERNEL_DISPLAY_NAME} Jupyter kernel`),
  ).action((flags: ScopeFlags) => {
    const scope = scopeFromFlags(flags);
    const dir = asInputError(scope, () => uninstallKernelspec({ scope }));
    process.stdout.write(`removed ${dir}\n`);
    process.stdout.write(`removed ${asInputError(scope, () => uninstallLabextension({ scope }))}\n`);
  });
}
