#!/usr/bin/env node
import { Command } from "commander";
import { InputError } from "../errors";
import { seglensVersion } from "../util/version";
import { addFeaturesCommand } from "./features-command";
import { addFigureCommand } from "./figure-command";
import { addInstallCommand } from "./install-command";
import { exitOnSignals } from "./interrupt";
import { addLabCommand } from "./lab-command";
import { addModelsCommand } from "./models-command";
import { reportFailure } from "./report-failure";
import { addSegmentCommand } from "./segment-command";
import { routeCommanderErrors } from "./usage-errors";

/** Builds the `seglens` command line; its own failures reach the caller as errors (see `runCli`). */
export function createProgram(): Command {
  const program = new Command("seglens")
    .description("Joint k-means segmentation of every layer of a vision transformer")
    .version(seglensVersion());
  addFeaturesCommand(program);
  addSegmentCommand(program);
  addFigureCommand(program);
  addModelsCommand(program);
  addInstallCommand(program);
  addLabCommand(program);
  routeCommanderErrors(program);
  return program;
}

// Once a failure is reported, work still winding down (a worker thread, a download) gets this long.
const EXIT_GRACE_MS = 5000;

/**
 * Runs `seglens <args>` and resolves with the exit status. Every failure ends as one line
 * `seglens: …` on stderr (see `reportFailure`): 2 for bad input, 1 for a bug, 130 for Ctrl-C.
 */
export async function runCli(args: readonly string[]): Promise<number> {
  try {
    const program = createProgram();
    if (args.length === 0) {
      const commands = program.commands.map((c) => c.name()).join(", ");
      throw new InputError(`missing command; the commands are ${commands} (seglens --help describes them)`);
    }
    await program.parseAsync([...args], { from: "user" });
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}

if (require.main === module) {
  // Errors raised outside the command's promise (a stream's or a worker's error event) still end
  // in one line rather than Node's stack trace.
  const fail = (error: unknown) => {
    process.exit(reportFailure(error));
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  exitOnSignals();
  void runCli(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
    if (status !== 0) setTimeout(() => process.exit(status), EXIT_GRACE_MS).unref();
  });
}
