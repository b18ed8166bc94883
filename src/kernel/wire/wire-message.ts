/**
 * Jupyter messages as the kernel sees them (messaging spec 5.3), and the validators that narrow
 * wire JSON, which enters as `unknown`, into them.
 */
import { WireFormatError } from "../kernel-errors";

/** The messaging protocol version this kernel speaks. */
export const PROTOCOL_VERSION = "5.3";

/** A message header, mirroring the wire (hence snake_case). */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A JSON object as it arrives from the wire. */
export type JsonObject = { [key: string]: unknown };

/** A decoded Jupyter message: the four JSON parts plus raw binary buffers. */
export interface JupyterMessage {
  header: MessageHeader;
  /** The header of the message this one answers, or `{}`. */
  parent_header: MessageHeader | Record<string, never>;
  metadata: JsonObject;
  content: JsonObject;
  buffers: Uint8Array[];
}

/** A message to send: the socket layer adds header, session and signature. */
export interface OutgoingMessage {
  msg_type: string;
  content: JsonObject;
  metadata?: JsonObject;
  buffers?: readonly Uint8Array[];
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Narrows a parsed header; throws {@link WireFormatError} naming the first bad field. */
export function parseHeader(value: unknown, what = "header"): MessageHeader {
  if (!isJsonObject(value))
    throw new WireFormatError(`invalid ${what}: ${preview(value)}; expected an object`);
  const fields = ["msg_id", "msg_type"] as const;
  for (const field of fields) {
    if (typeof value[field] !== "string" || value[field] === "") {
      throw new WireFormatError(
        `invalid ${what}.${field}: ${preview(value[field])}; expected a non-empty string`,
      );
    }
  }
  const text = (key: string): string => (typeof value[key] === "string" ? (value[key] as string) : "");
  return {
    msg_id: text("msg_id"),
    msg_type: text("msg_type"),
    session: text("session"),
    username: text("username"),
    date: text("date"),
    version: text("version") || PROTOCOL_VERSION,
  };
}

/** Narrows a parent header: `{}` or a header. */
export function parseParentHeader(value: unknown): MessageHeader | Record<string, never> {
  if (isJsonObject(value) && Object.keys(value).length === 0) return {};
  return parseHeader(value, "parent_header");
}

/** Narrows an object-valued part (metadata, content). */
export function parseObject(value: unknown, what: string): JsonObject {
  if (!isJsonObject(value))
    throw new WireFormatError(`invalid ${what}: ${preview(value)}; expected an object`);
  return value;
}

/** Reads a required string field of `content`, or throws naming it. */
export function requireString(content: JsonObject, key: string): string {
  const value = content[key];
  if (typeof value !== "string") {
    throw new WireFormatError(`invalid content.${key}: ${preview(value)}; expected a string`);
  }
  return value;
}

/** Reads an optional boolean field of `content`. */
export function optionalBoolean(content: JsonObject, key: string, fallback: boolean): boolean {
  const value = content[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new WireFormatError(`invalid content.${key}: ${preview(value)}; expected a boolean`);
  }
  return value;
}

/** Reads a required integer field of `content` in 0..`max`. */
export function requireIndex(content: JsonObject, key: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = content[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new WireFormatError(`invalid content.${key}: ${preview(value)}; expected an integer in 0..${max}`);
  }
  return value;
}

/** A short quoted rendering of a value for error messages. */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
