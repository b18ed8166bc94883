/**
 * Errors of the Jupyter kernel. They live here rather than in src/errors.ts because only the
 * kernel throws them; both extend `Error` with a `cause`, like the classes there.
 */

/** A message from the front end that does not follow the wire protocol or the messaging spec. */
export class WireFormatError extends Error {
  override name = "WireFormatError";
  // `{ cause }` spelled out: ErrorOptions needs lib ES2022, which tslab's TypeScript 5.0 cells lack.
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A comm used after it was closed, or a comm API used outside a running seglens kernel. */
export class CommError extends Error {
  override name = "CommError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
