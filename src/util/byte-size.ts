import { InputError } from "../errors";

/**
 * Parses a size as users write it: bytes, or a number with K, M, G or T (powers of 1024; "16G",
 * "1.5 GiB", "512M"). `what` names the flag or variable in the error.
 */
export function parseByteSize(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (match === null)
    throw new InputError(`invalid ${what} "${text}"; expected bytes or a size like 16G or 512M`);
  const power = " KMGT".indexOf((match[2] ?? "").toUpperCase() || " ");
  return Math.floor(Number(match[1]) * 1024 ** power);
}
