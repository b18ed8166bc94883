import { constants } from "node:os";
import { CancelledError } from "../errors";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
type StopSignal = (typeof SIGNALS)[number];

let received: StopSignal | undefined;

/** An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, and the stop that removes the handlers. */
export interface InterruptSignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Turns the first SIGINT or SIGTERM into an abort of the returned signal instead of an immediate
 * exit, so the work in flight stops at its next check and its `finally` blocks roll back what it
 * was writing; the process then exits as `reportFailure` decides (130 for Ctrl-C). A second signal
 * ends the process at once, leaving temporary files that the next run removes. The abort reason
 * is a CancelledError naming the signal.
 *
 * @example
 * const interrupt = abortOnSignals();
 * try { await work(interrupt.signal); } finally { interrupt.dispose(); }
 */
export function abortOnSignals(): InterruptSignal {
  const controller = new AbortController();
  const onSignal = (signal: StopSignal) => {
    if (controller.signal.aborted) exitBy(signal);
    received = signal;
    controller.abort(new CancelledError(`interrupted by ${signal}`));
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    signal: controller.signal,
    dispose() {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}

/**
 * Outside `abortOnSignals` (and the lab command's own handling), Ctrl-C and SIGTERM end the
 * process at once with one line and the shell's status (130, 143), as README.md's exit-status table says,
 * instead of Node's silent death by signal.
 */
export function exitOnSignals(): void {
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (process.listenerCount(signal) > 1) return; // a command handles it
      exitBy(signal);
    });
  }
}

function exitBy(signal: StopSignal): never {
  received = signal;
  process.stderr.write(`seglens: interrupted by ${signal === "SIGINT" ? "Ctrl-C" : signal}\n`);
  process.exit(signalExitStatus(signal));
}

/** The signal that stopped the work, if one did. */
export function stopSignal(): StopSignal | undefined {
  return received;
}

/** The shell's status for a process ended by `signal`: 128 + its number (130 for Ctrl-C). */
export function signalExitStatus(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}
