/**
 * Framing and signing of Jupyter wire messages:
 * `[identities…, "<IDS|MSG>", hmac, header, parent_header, metadata, content, buffer…]`.
 * The HMAC covers the four JSON frames only; buffers are raw frames after them, never JSON
 * (tslab 1.0.22 JSON-encodes them and includes them in the HMAC).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { WireFormatError } from "../kernel-errors";
import {
  type JupyterMessage,
  type MessageHeader,
  parseHeader,
  parseObject,
  parseParentHeader,
} from "./wire-message";

const DELIMITER = "<IDS|MSG>";

/**
 * Deepest nesting of arrays and objects accepted in a JSON frame. Jupyter messages and widget
 * states nest a few levels; what is deeper would overflow the stack of the recursive code that
 * handles state (JSON.stringify, buffer splitting) after it had been accepted.
 */
export const MAX_JSON_DEPTH = 100;

/** Signs and verifies the four JSON frames; an empty key disables signing, as the spec allows. */
export interface Signer {
  sign(frames: readonly Uint8Array[]): string;
  verify(signature: string, frames: readonly Uint8Array[]): boolean;
}

/** Creates a signer for a connection file's `signature_scheme` and `key`. */
export function createSigner(scheme: string, key: string): Signer {
  if (key !== "" && scheme !== "hmac-sha256") {
    throw new WireFormatError(`unsupported signature_scheme: "${scheme}"; expected "hmac-sha256"`);
  }
  const sign = (frames: readonly Uint8Array[]): string => {
    if (key === "") return "";
    const hmac = createHmac("sha256", key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest("hex");
  };
  const verify = (signature: string, frames: readonly Uint8Array[]): boolean => {
    const expected = Buffer.from(sign(frames));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };
  return { sign, verify };
}

/** A decoded message with the routing identities it came with. */
export interface DecodedFrames {
  identities: Buffer[];
  message: JupyterMessage;
}

/** Splits, verifies and parses raw frames; throws {@link WireFormatError} on any defect. */
export function decodeFrames(frames: readonly Buffer[], signer: Signer): DecodedFrames {
  const at = frames.findIndex((frame) => frame.toString("utf8") === DELIMITER);
  if (at < 0)
    throw new WireFormatError(`invalid message: no "${DELIMITER}" delimiter among ${frames.length} frames`);
  if (frames.length < at + 6) {
    throw new WireFormatError(
      `invalid message: ${frames.length - at - 1} frames after the delimiter; expected 5 or more`,
    );
  }
  const json = frames.slice(at + 2, at + 6);
  if (!signer.verify(frames[at + 1].toString("utf8"), json)) {
    throw new WireFormatError(
      "invalid signature: the HMAC does not match the message; check the connection key",
    );
  }
  const parsed = json.map((frame, index) => {
    let value: unknown;
    try {
      value = JSON.parse(frame.toString("utf8")) as unknown;
    } catch (error) {
      throw new WireFormatError(`invalid JSON in frame ${index} after the signature`, { cause: error });
    }
    if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
      throw new WireFormatError(
        `invalid JSON in frame ${index} after the signature: nested deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
    return value;
  });
  return {
    identities: frames.slice(0, at),
    message: {
      header: parseHeader(parsed[0]),
      parent_header: parseParentHeader(parsed[1]),
      metadata: parseObject(parsed[2], "metadata"),
      content: parseObject(parsed[3], "content"),
      buffers: frames
        .slice(at + 6)
        .map((frame) => new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)),
    },
  };
}

/** Whether arrays and objects in `value` nest deeper than `limit`; iterative, so any depth is safe to ask. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [node: unknown, depth: number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (typeof node !== "object" || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The parts of an outgoing message, before framing. */
export interface EncodeParts {
  identities: readonly Uint8Array[];
  header: MessageHeader;
  parent_header: MessageHeader | Record<string, never>;
  metadata: object;
  content: object;
  buffers: readonly Uint8Array[];
}

/** Frames and signs a message; buffers go out as raw frames, unsigned. */
export function encodeFrames(parts: EncodeParts, signer: Signer): Uint8Array[] {
  const json = [parts.header, parts.parent_header, parts.metadata, parts.content].map((part) =>
    Buffer.from(JSON.stringify(part), "utf8"),
  );
  return [
    ...parts.identities,
    Buffer.from(DELIMITER),
    Buffer.from(signer.sign(json)),
    ...json,
    ...parts.buffers,
  ];
}
