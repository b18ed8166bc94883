#!/usr/bin/env node
import { Command } from "commander";
import { seglensVersion } from "../util/version";
import { addFeaturesCommand } from "./features-command";
import { reportFailure } from "./report-failure";

/** Builds the `seglens` command line (design §6). */
export function createProgram(): Command {
  const program = new Command("seglens")
    .description("Joint k-means segmentation of every layer of a vision transformer")
    .version(seglensVersion())
    .showHelpAfterError();
  addFeaturesCommand(program);
  return program;
}

if (require.main === module) {
  createProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.exitCode = reportFailure(error);
    });
}
