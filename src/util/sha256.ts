import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { CancelledError } from "../errors";
import { mapConcurrently } from "./concurrently";

/**
 * Hex sha256 of a file, streamed so files larger than a Buffer can hold are fine; `signal` stops
 * it between chunks (checkpoints of several GB).
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) {
    if (signal?.aborted) throw new CancelledError("cancelled while hashing", { cause: signal.reason });
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

/**
 * Hex sha256 of every file of `paths`, in order, a few at a time: hashing a thousand images at
 * once would open a thousand files (past the 256 or 1,024 that many systems allow a process) and
 * hold a read buffer for each.
 */
export function sha256Files(paths: readonly string[], concurrency = 8): Promise<string[]> {
  return mapConcurrently(paths, concurrency, (path) => sha256File(path));
}

/** Hex sha256 of bytes or a string. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
