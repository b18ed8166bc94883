/**
 * The errors seglens throws on purpose: one class per thing a caller can act on.
 * Every message names the input, quotes the value and says what is accepted or what to do.
 */

/** Bad input from the user: a flag, a file, an image, an option value. */
export class InputError extends Error {
  override name = "InputError";
}

/** An option value of the wrong kind (a string where K must be a number): bad input. */
export class OptionTypeError extends InputError {
  override name = "OptionTypeError";
}

/** An option value out of its range (K = 40, 2.5 restarts): bad input. */
export class OptionRangeError extends InputError {
  override name = "OptionRangeError";
}

/** A model seglens cannot analyse (not a ViT, random masking in the graph, missing config). */
export class UnsupportedModelError extends Error {
  override name = "UnsupportedModelError";
}

/** A download or Hub request that failed; the cache may still serve. */
export class NetworkError extends Error {
  override name = "NetworkError";
}

/** Work stopped because its caller cancelled it or a newer request superseded it. */
export class CancelledError extends Error {
  override name = "CancelledError";
  // `{ cause }` spelled out: ErrorOptions needs lib ES2022, which tslab's TypeScript 5.0 cells lack.
  constructor(message = "cancelled", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An error as it crosses a thread boundary (postMessage keeps only built-in error classes). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** The classes a caller may tell apart, by name: they must survive the trip through a worker. */
const REVIVABLE: Record<string, new (message: string) => Error> = {
  InputError,
  OptionTypeError,
  OptionRangeError,
  UnsupportedModelError,
  NetworkError,
  CancelledError,
  TypeError,
  RangeError,
};

/** `error` as plain data for `postMessage`; anything thrown that is not an Error becomes its text. */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  return error.stack === undefined
    ? { name: error.name, message: error.message }
    : { name: error.name, message: error.message, stack: error.stack };
}

/**
 * The error a worker sent, as an instance of its own class when it is one of seglens' (so an
 * unsupported model found in a worker is reported like one found in the main thread); other
 * errors become an `Error` with the sender's name. The worker's stack is kept for debugging.
 */
export function reviveError(wire: SerializedError): Error {
  const Class = Object.hasOwn(REVIVABLE, wire.name) ? REVIVABLE[wire.name] : undefined;
  const error = new (Class ?? Error)(wire.message);
  if (Class === undefined) error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/** Whether `error` is one of the classes above: an expected failure with a message for the user. */
export function isSeglensError(error: unknown): error is Error {
  return (
    error instanceof InputError ||
    error instanceof UnsupportedModelError ||
    error instanceof NetworkError ||
    error instanceof CancelledError
  );
}
