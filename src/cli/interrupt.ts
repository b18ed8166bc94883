import { constants } from "node:os";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
type StopSignal = (typeof SIGNALS)[number];

let received: StopSignal | undefined;

/**
 * Aborts `controller` on Ctrl-C (SIGINT) or SIGTERM, so the work in flight stops at its next
 * check and cleans up; a second signal ends the process at once. Returns the function that
 * removes the handlers again.
 *
 * @example
 * const stop = abortOnSignals(controller);
 * try { await work(controller.signal); } finally { stop(); }
 */
export function abortOnSignals(controller: AbortController): () => void {
  const onSignal = (signal: StopSignal) => {
    if (controller.signal.aborted) exitBy(signal);
    received = signal;
    controller.abort();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}

/**
 * Outside `abortOnSignals` (and the lab command's own handling), Ctrl-C and SIGTERM end the
 * process at once with one line and the shell's status (130, 143), as the error contract says,
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
