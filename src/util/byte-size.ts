import { InputError } from "../errors";

/**
 * A size as users write it — bytes, or a number with K, M, G or T (powers of 1024; "16G",
 * "1.5 GiB", "512MB") — in bytes; undefined when `text` is not one.
 */
export function byteSizeOf(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (match === null) return undefined;
  const power = " KMGT".indexOf((match[2] ?? "").toUpperCase() || " ");
  return Math.floor(Number(match[1]) * 1024 ** power);
}

/** {@link byteSizeOf}, or an InputError naming `what` (a flag or variable). */
export function parseByteSize(text: string, what: string): number {
  const bytes = byteSizeOf(text);
  if (bytes === undefined)
    throw new InputError(`invalid ${what} "${text}"; expected bytes or a size like 16G or 512M`);
  return bytes;
}
