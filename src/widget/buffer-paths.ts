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

/** Puts `buffers` into `state` at `paths`, in place; ignores paths that do not fit the state. */
export function putBuffers(
  state: Record<string, unknown>,
  paths: unknown,
  buffers: readonly Uint8Array[],
): void {
  if (!Array.isArray(paths)) return;
  paths.forEach((path: unknown, index) => {
    const buffer = buffers[index];
    if (!Array.isArray(path) || path.length === 0 || buffer === undefined) return;
    let node: unknown = state;
    for (const key of path.slice(0, -1)) {
      if (typeof node !== "object" || node === null) return;
      node = (node as Record<string, unknown>)[String(key)];
    }
    if (typeof node === "object" && node !== null)
      (node as Record<string, unknown>)[String(path[path.length - 1])] = buffer;
  });
}
