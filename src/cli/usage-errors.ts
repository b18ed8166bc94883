import { type Command, CommanderError } from "commander";
import { InputError } from "../errors";

/**
 * Routes commander's own failures (unknown option, missing value, unknown command, …) through
 * seglens' reporter: commander prints nothing and exits nowhere; each failure becomes an
 * InputError worded like every other bad input, naming what is allowed. `--help` and `--version`
 * still print and end with a `CommanderError` of exit code 0. Applied to `program` and every
 * subcommand, after all of them are added (commander copies these settings only at creation).
 */
export function routeCommanderErrors(program: Command): void {
  for (const command of allCommands(program)) {
    // writeErr carries only error output (help after a failure); the reporter says it in one line.
    command.configureOutput({ outputError: () => {}, writeErr: () => {} });
    command.exitOverride((error) => {
      throw error.exitCode === 0 ? error : usageError(error, command);
    });
  }
}

/** Whether `error` is commander's way of saying help or the version was printed: not a failure. */
export function isHelpExit(error: unknown): boolean {
  return error instanceof CommanderError && error.exitCode === 0;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** `seglens segment`, for messages. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The option of `command` whose flags commander quoted in `message` (`'--out <DIR>'`). */
function quotedOption(command: Command, message: string) {
  const flags = /'([^']+)'/.exec(message)?.[1];
  return command.options.find((option) => option.flags === flags);
}

function optionList(command: Command): string {
  const flags = command.options.filter((o) => !o.hidden && o.long !== undefined).map((o) => o.long);
  return [...flags, "--help"].join(", ");
}

function commandList(command: Command): string {
  return command.commands.map((c) => c.name()).join(", ");
}

/** commander's "(Did you mean --k?)" hint, in the same sentence. */
function suggestion(message: string): string {
  const match = /\(Did you mean (.+)\?\)/.exec(message);
  return match === null ? "" : ` (did you mean ${match[1]}?)`;
}

function usageError(error: CommanderError, command: Command): InputError {
  const name = fullName(command);
  const message = error.message.replace(/^error: /, "");
  switch (error.code) {
    case "commander.unknownOption": {
      const flag = /unknown option '(.+?)'(?:\s|$)/s.exec(message)?.[1] ?? message;
      return new InputError(
        `unknown option "${flag}" for \`${name}\`${suggestion(message)}; its options are ${optionList(command)}`,
      );
    }
    case "commander.unknownCommand":
      return new InputError(
        `unknown command "${command.args[0] ?? ""}"${suggestion(message)}; the commands are ${commandList(command)}`,
      );
    case "commander.optionMissingArgument": {
      const option = quotedOption(command, message);
      const what = option === undefined ? "" : `: ${option.description}`;
      return new InputError(`${option?.flags ?? message} needs a value${what}`);
    }
    case "commander.missingMandatoryOptionValue": {
      const option = quotedOption(command, message);
      const what = option === undefined ? "" : ` (${option.description})`;
      return new InputError(`\`${name}\` needs ${option?.flags ?? message}${what}`);
    }
    case "commander.help":
      // `seglens help nosuch`: commander would print the whole help on stderr.
      return new InputError(
        `unknown command "${command.args.at(-1) ?? ""}"; the commands are ${commandList(command)}`,
      );
    case "commander.excessArguments":
      return new InputError(
        `\`${name}\` takes no arguments besides its options; got "${command.args.join(" ")}" (options start with --; \`${name} --help\` lists them)`,
      );
    case "commander.invalidArgument": {
      // Only commander's own checks get here (seglens' parsers throw InputError themselves).
      const match = /option '(.+?)' argument '(.*)' is invalid\. (.*)$/s.exec(message);
      if (match === null) return new InputError(message);
      const reason = (match[3] as string).replace(/^Allowed choices are (.*)\.$/, "expected one of $1");
      return new InputError(`invalid ${(match[1] as string).split(" ")[0]} "${match[2]}": ${reason}`);
    }
    default:
      return new InputError(`${message} (\`${name} --help\` shows the usage)`);
  }
}
