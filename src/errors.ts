/**
 * The errors seglens throws on purpose: one class per thing a caller can act on.
 * Every message names the input, quotes the value and says what is accepted or what to do.
 */

/** Bad input from the user: a flag, a file, an image, an option value. */
export class InputError extends Error {
  override name = "InputError";
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
