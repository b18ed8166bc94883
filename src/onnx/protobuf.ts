/**
 * Just enough of the protobuf wire format to walk ONNX files and append to them.
 * We read fields in place instead of decoding with a schema, so nothing the schema does not know
 * (newer fields, metadata_props) is lost when a graph is edited: decoding with an older schema (the
 * `onnx-proto` npm package, say) drops `metadata_props`.
 */

/** Protobuf wire types. */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** One field of a message: its number, wire type, and where its value lies in the buffer. */
export interface Field {
  number: number;
  wireType: WireType;
  /** Varint value (wire type 0); for other types 0. */
  varint: number;
  /** Start and end of the value bytes (length-delimited: the payload; fixed: the 4 or 8 bytes). */
  start: number;
  end: number;
  /** Offset of the field's tag, so a field can be cut out or replaced whole. */
  tagStart: number;
}

/** Reads a varint at `pos`; returns the value (exact up to 2^53, int64 negatives as negative). */
export function readVarint(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let low = 0;
  let shift = 0;
  let i = pos;
  // Fast path for the common small values.
  while (shift < 28) {
    const b = bytes[i++];
    if (b === undefined) throw new RangeError(`truncated varint at byte ${pos}`);
    low |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [low >>> 0, i];
    shift += 7;
  }
  let big = BigInt(low >>> 0);
  let bigShift = 28n;
  for (;;) {
    const b = bytes[i++];
    if (b === undefined) throw new RangeError(`truncated varint at byte ${pos}`);
    big |= BigInt(b & 0x7f) << bigShift;
    if ((b & 0x80) === 0) break;
    bigShift += 7n;
  }
  return [Number(BigInt.asIntN(64, big)), i];
}

/** Encodes an integer as a varint; negatives as 64-bit two's complement (ten bytes), as int64 wants. */
export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(value));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** Iterates the fields of the message stored in `bytes[start, end)`. */
export function* fields(bytes: Uint8Array, start = 0, end = bytes.length): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    const number = Math.floor(tag / 8);
    const wireType = (tag & 7) as WireType;
    pos = afterTag;
    switch (wireType) {
      case WireType.Varint: {
        const [value, next] = readVarint(bytes, pos);
        yield { number, wireType, varint: value, start: pos, end: next, tagStart };
        pos = next;
        break;
      }
      case WireType.Fixed64:
        yield { number, wireType, varint: 0, start: pos, end: pos + 8, tagStart };
        pos += 8;
        break;
      case WireType.LengthDelimited: {
        const [length, next] = readVarint(bytes, pos);
        yield { number, wireType, varint: 0, start: next, end: next + length, tagStart };
        pos = next + length;
        break;
      }
      case WireType.Fixed32:
        yield { number, wireType, varint: 0, start: pos, end: pos + 4, tagStart };
        pos += 4;
        break;
      default:
        throw new RangeError(`unsupported protobuf wire type ${wireType} at byte ${tagStart}`);
    }
    if (pos > end) throw new RangeError(`protobuf field ${number} overruns its message at byte ${tagStart}`);
  }
}

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** The UTF-8 string in a length-delimited field. */
export function fieldString(bytes: Uint8Array, field: Field): string {
  return utf8.decode(bytes.subarray(field.start, field.end));
}

/** The integers of a repeated int field, packed or not (`packed` fields hold several varints). */
export function fieldInts(bytes: Uint8Array, field: Field): number[] {
  if (field.wireType === WireType.Varint) return [field.varint];
  const out: number[] = [];
  let pos = field.start;
  while (pos < field.end) {
    const [value, next] = readVarint(bytes, pos);
    out.push(value);
    pos = next;
  }
  return out;
}

/** Encodes a length-delimited field (`number`, payload). */
export function encodeBytesField(number: number, payload: Uint8Array): Uint8Array {
  return concatBytes([
    encodeVarint(number * 8 + WireType.LengthDelimited),
    encodeVarint(payload.length),
    payload,
  ]);
}

/** Encodes a string field. */
export function encodeStringField(number: number, value: string): Uint8Array {
  return encodeBytesField(number, utf8Encoder.encode(value));
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}
