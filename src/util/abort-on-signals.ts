import { CancelledError } from "../errors";

/** An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, and the stop that restores default handling. */
export interface InterruptSignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Turns the first SIGINT or SIGTERM into an abort of the returned signal instead of an immediate
 * exit, so the work in progress stops at its next check and its `finally` blocks roll back what it
 * was writing; the process then exits as the command's error handling decides. A second signal of
 * the same kind exits at once (Node's default), leaving temporary files that the next run removes.
 * The abort reason is a CancelledError naming the signal.
 */
export function abortOnSignals(signals: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"]): InterruptSignal {
  const controller = new AbortController();
  const handlers = signals.map((name) => {
    const handler = () => controller.abort(new CancelledError(`interrupted by ${name}`));
    process.once(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    dispose() {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
