#!/usr/bin/env node
import { Command } from "commander";
import { seglensVersion } from "../util/version";
import { addFeaturesCommand } from "./features-command";
import { addFigureCommand } from "./figure-command";
import { addInstallCommand } from "./install-command";
import { addLabCommand } from "./lab-command";
import { addModelsCommand } from "./models-command";
import { reportFailure } from "./report-failure";
import { addSegmentCommand } from "./segment-command";

/** Builds the `seglens` command line (design §6). */
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
  return program;
}

if (require.main === module) {
  createProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.exitCode = reportFailure(error);
    });
}
