import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Hex sha256 of a file, streamed so files larger than a Buffer can hold are fine. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Hex sha256 of bytes or a string. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
