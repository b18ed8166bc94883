/**
 * Binary values in widget state travel as raw buffers at `buffer_paths` (ipywidgets
 * `remove_buffers`/`put_buffers`, `packages/base/src/utils.ts`).
 */

/** A path into a state object: keys and array indices. */
export type BufferPath = (string | number)[];

function isBinary(value: unknown): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

function bytesOf(value: ArrayBufferView | ArrayBuffer): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Splits `state` into JSON (binary values replaced by null) and buffers with their paths. */
export function removeBuffers(state: Record<string, unknown>): {
  state: Record<string, unknown>;
  buffer_paths: BufferPath[];
  buffers: Uint8Array[];
} {
  const buffer_paths: BufferPath[] = [];
  const buffers: Uint8Array[] = [];
  const walk = (value: unknown, path: BufferPath): unknown => {
    if (isBinary(value)) {
      buffer_paths.push(path);
      buffers.push(bytesOf(value));
      return null;
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key]);
      return out;
    }
    return value;
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) out[key] = walk(value, [key]);
  return { state: out, buffer_paths, buffers };
}

/** Keys that lead from any object to the prototypes every object of the kernel shares. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Whether `key` may name a property of state that came from a front end. */
export function isStateKey(key: string): boolean {
  return !PROTOTYPE_KEYS.has(key);
}

/**
 * Puts `buffers` into `state` at `paths`, in place. Paths come from the front end, so a path is
 * followed only through the state's own plain objects and arrays: one that is not a list of keys
 * and indices, names `__proto__`, `constructor` or `prototype`, or passes through anything else is
 * skipped, as are paths without a buffer. (ipywidgets' `put_buffers` follows any path, which would
 * let `[["__proto__", "x"]]` set `x` on every object of the kernel.)
 */
export function putBuffers(
  state: Record<string, unknown>,
  paths: unknown,
  buffers: readonly Uint8Array[],
): void {
  if (!Array.isArray(paths)) return;
  paths.forEach((path: unknown, index) => {
    const buffer = buffers[index];
    if (buffer === undefined || !isBufferPath(path)) return;
    let node: unknown = state;
    for (const key of path.slice(0, -1)) {
      node = ownChild(node, key);
      if (node === undefined) return;
    }
    const last = path[path.length - 1] as string | number;
    if (Array.isArray(node)) {
      if (typeof last === "number" && last < node.length) node[last] = buffer;
    } else if (isPlainObject(node)) {
      node[String(last)] = buffer;
    }
  });
}

function isBufferPath(path: unknown): path is BufferPath {
  return (
    Array.isArray(path) &&
    path.length > 0 &&
    path.every(
      (key) =>
        (typeof key === "string" && isStateKey(key)) ||
        (typeof key === "number" && Number.isSafeInteger(key) && key >= 0),
    )
  );
}

/** `node[key]` when `node` is a plain object or array that owns it, else undefined. */
function ownChild(node: unknown, key: string | number): unknown {
  if (Array.isArray(node)) return typeof key === "number" && key < node.length ? node[key] : undefined;
  if (isPlainObject(node) && Object.hasOwn(node, key)) return node[String(key)];
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
