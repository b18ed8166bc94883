/**
 * Waiting that an AbortSignal cuts short: the explorer's requests are superseded by newer ones at
 * any moment, and what they wait for must then stop waiting at once.
 */
import { CancelledError } from "../errors";

/** Throws a CancelledError when `signal` is aborted. */
export function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError("superseded or cancelled", { cause: signal.reason });
}

/** `promise`, or a CancelledError as soon as `signal` aborts (the promise itself runs on). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  checkSignal(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError("superseded or cancelled", { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with a CancelledError as soon as `signal` aborts. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return untilAborted(elapsed, signal).finally(() => clearTimeout(timer));
}
