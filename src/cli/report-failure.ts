import { CancelledError, InputError, NetworkError, UnsupportedModelError } from "../errors";
import { signalExitStatus, stopSignal } from "./interrupt";
import { isHelpExit } from "./usage-errors";

/** Options of {@link reportFailure}. */
export interface ReportOptions {
  /** Default process.stderr. */
  stderr?: NodeJS.WritableStream;
  /** Print the stack (and causes) after the line; default `SEGLENS_DEBUG=1`. */
  debug?: boolean;
}

/** Exit status for bad input, an unsupported model or a failed download: the user can act on it. */
export const EXIT_USAGE = 2;
/** Exit status for a bug in seglens. */
export const EXIT_INTERNAL = 1;

/** Error text on one line: a message with line breaks (onnxruntime's, say) would break the one-line contract. */
function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(" ");
}

function stackOf(error: unknown): string {
  const lines: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 5; depth++) {
    lines.push(depth === 0 ? "" : "caused by:", e instanceof Error ? (e.stack ?? String(e)) : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return `${lines.filter((l) => l !== "").join("\n")}\n`;
}

/**
 * Prints a failure as exactly one line `seglens: …` on stderr and returns the exit status: 2 for
 * bad input, an unsupported model or a network failure (the user can act on it), 130 for Ctrl-C
 * (143 for SIGTERM), 1 for anything else — a bug, with the hint to rerun with `SEGLENS_DEBUG=1`,
 * which adds the stack. `--help` and `--version` are not failures: 0, nothing printed.
 */
export function reportFailure(error: unknown, options: ReportOptions = {}): number {
  const stderr = options.stderr ?? process.stderr;
  const debug = options.debug ?? process.env.SEGLENS_DEBUG === "1";
  if (isHelpExit(error)) return 0;
  const { line, status } = describeFailure(error, debug);
  stderr.write(`seglens: ${oneLine(line)}\n`);
  if (debug) stderr.write(stackOf(error));
  return status;
}

function describeFailure(error: unknown, debug: boolean): { line: string; status: number } {
  if (error instanceof CancelledError) {
    const signal = stopSignal();
    if (signal === undefined) return { line: error.message, status: signalExitStatus("SIGINT") };
    const by = signal === "SIGINT" ? "Ctrl-C" : signal;
    return { line: `interrupted by ${by}`, status: signalExitStatus(signal) };
  }
  if (
    error instanceof InputError ||
    error instanceof UnsupportedModelError ||
    error instanceof NetworkError
  ) {
    return { line: error.message, status: EXIT_USAGE };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const hint = debug ? "" : " (rerun with SEGLENS_DEBUG=1 for details)";
  return { line: `internal error: ${oneLine(message)}${hint}`, status: EXIT_INTERNAL };
}
