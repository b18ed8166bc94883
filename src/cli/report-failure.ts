import { CancelledError, InputError, NetworkError, UnsupportedModelError } from "../errors";

/**
 * Prints a failure as one line on stderr and returns the exit status: 2 for bad input (the user
 * can fix the command), 1 for anything else. Unexpected errors keep their stack for bug reports.
 */
export function reportFailure(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof InputError || error instanceof UnsupportedModelError) {
    stderr.write(`seglens: ${error.message}\n`);
    return 2;
  }
  if (error instanceof NetworkError || error instanceof CancelledError) {
    stderr.write(`seglens: ${error.message}\n`);
    return 1;
  }
  stderr.write(
    `seglens: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}
