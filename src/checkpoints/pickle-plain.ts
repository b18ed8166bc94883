import { PickleDict, PickleGlobal, PickleObject } from "./pickle-values";
import { TorchStorage, TorchTensor } from "./torch-pickle";

// Deeper structures are training state, not facts a converter reads; a hostile pickle may nest without end.
const MAX_DEPTH = 32;

/**
 * The non-tensor content of an unpickled checkpoint as plain JSON-like values: dicts become
 * objects, inert objects `{ __class__, …state }`, numpy float and int scalars numbers, bytes
 * `{ __bytes__: length }`, big integers strings, a cycle "<cycle>". Tensors, storages and the
 * dicts and lists that held nothing else (a state dict) are left out.
 */
export function plainMetadata(root: unknown): Record<string, unknown> {
  const plain = toPlain(root, 0, new Set());
  if (root instanceof PickleDict) return (plain ?? {}) as Record<string, unknown>;
  return plain === undefined ? {} : { __root__: plain };
}

function toPlain(value: unknown, depth: number, path: Set<unknown>): unknown {
  if (
    value === null ||
    typeof value === "boolean" ||
    typeof value === "number" ||
    typeof value === "string"
  ) {
    return value;
  }
  if (typeof value === "bigint") return String(value);
  if (value instanceof Uint8Array) return { __bytes__: value.length };
  if (value instanceof TorchTensor || value instanceof TorchStorage) return undefined;
  if (value instanceof PickleGlobal) return { __global__: value.qualifiedName };
  if (path.has(value)) return "<cycle>";
  if (depth >= MAX_DEPTH) return "<nested too deep>";
  path.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((v) => toPlain(v, depth + 1, path)).filter((v) => v !== undefined);
      return items.length === 0 && value.length > 0 ? undefined : items;
    }
    if (value instanceof PickleDict) {
      const entries = plainEntries(value.items, depth, path);
      return Object.keys(entries).length === 0 && value.items.size > 0 ? undefined : entries;
    }
    if (value instanceof PickleObject) return plainObject(value, depth, path);
    return undefined;
  } finally {
    path.delete(value);
  }
}

function plainEntries(
  items: Map<unknown, unknown>,
  depth: number,
  path: Set<unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of items) {
    const plain = toPlain(value, depth + 1, path);
    if (plain !== undefined) out[String(key)] = plain;
  }
  return out;
}

function plainObject(object: PickleObject, depth: number, path: Set<unknown>): unknown {
  const scalar = numpyScalar(object);
  if (scalar !== undefined) return scalar;
  const out: Record<string, unknown> = { __class__: object.className };
  const state = object.state;
  if (state instanceof PickleDict) Object.assign(out, plainEntries(state.items, depth, path));
  else if (state !== null) out.__state__ = toPlain(state, depth + 1, path);
  if (object.args.length > 0) out.__args__ = toPlain([...object.args], depth + 1, path);
  if (object.items.size > 0) out.__items__ = plainEntries(object.items, depth, path);
  if (object.elements.length > 0) out.__elements__ = toPlain(object.elements, depth + 1, path);
  return out;
}

const SCALAR_READERS: Readonly<Record<string, (view: DataView) => number | bigint>> = Object.freeze({
  f8: (v) => v.getFloat64(0, true),
  f4: (v) => v.getFloat32(0, true),
  i8: (v) => v.getBigInt64(0, true),
  i4: (v) => v.getInt32(0, true),
});

/** numpy pickles a scalar as `scalar(dtype('f8'), b'…')`: worth reading, since training scripts save them. */
function numpyScalar(object: PickleObject): number | string | undefined {
  if (!/^numpy\.(_?core\.)?multiarray\.scalar$/.test(object.className)) return undefined;
  const [dtype, bytes] = object.args;
  if (!(dtype instanceof PickleObject) || !(bytes instanceof Uint8Array)) return undefined;
  const code = dtype.args[0];
  const read = typeof code === "string" ? SCALAR_READERS[code] : undefined;
  const width = typeof code === "string" ? Number(code.slice(1)) : 0;
  if (read === undefined || bytes.length !== width) return undefined;
  const value = read(new DataView(bytes.buffer, bytes.byteOffset, bytes.length));
  return typeof value === "bigint"
    ? Number.isSafeInteger(Number(value))
      ? Number(value)
      : String(value)
    : value;
}
