import { closeSync, openSync, readSync } from "node:fs";
import { InputError } from "../errors";
import { halfTable } from "./float16";

/**
 * A matrix of float rows stored on disk, possibly in pieces: each span is `rows` consecutive rows
 * starting at byte `offset` of `path`. One span covers a cached `[rows, width]` .npy; a `[images,
 * tokens, width]` features .npy gives one span per image (its patch rows, prefix tokens skipped).
 * Plain data, so it crosses to a worker thread as it is, and the worker reads the rows itself.
 */
export interface RowFile {
  dtype: "float32" | "float16";
  /** Values per row. */
  width: number;
  /** Rows in all spans together. */
  rows: number;
  spans: RowSpan[];
}

/** Consecutive rows of one file. */
export interface RowSpan {
  path: string;
  offset: number;
  rows: number;
}

const BYTES = { float32: 4, float16: 2 } as const;

/**
 * Reads row files as float32, widening float16. Keeps file descriptors open until `close()`, so a
 * pass over many small spans does not reopen files.
 */
export interface RowFileReader {
  /** Rows `first .. first + count − 1`, packed. */
  rows(first: number, count: number): Float32Array;
  /** The rows `indices` (increasing), packed in that order: one pass over the spans. */
  gather(indices: ArrayLike<number>): Float32Array;
  close(): void;
}

/**
 * A buffer that readers fill again and again instead of allocating: a k-means worker's sample and
 * its chunks are never in use at once, and arrays of 100 MB left to the garbage collector pile up
 * before it runs.
 */
export interface RowScratch {
  buffer: Float32Array;
}

/**
 * Opens `file` for reading. With `scratch`, every array returned is a view of its buffer (grown
 * when too small), valid only until the next call.
 */
export function openRowFile(file: RowFile, scratch?: RowScratch): RowFileReader {
  const { width, dtype } = file;
  const rowBytes = width * BYTES[dtype];
  const fds = new Map<string, number>();
  const fdOf = (path: string) => {
    let fd = fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, "r");
      fds.set(path, fd);
    }
    return fd;
  };
  // Row number where each span starts, for a binary search.
  const starts: number[] = [];
  let total = 0;
  for (const span of file.spans) {
    starts.push(total);
    total += span.rows;
  }
  const spanAt = (row: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  // Reads rows [first, first + count) that lie in one span into `out` at row `at`: float32 straight
  // into `out`'s bytes, float16 through a buffer half as large.
  const readRun = (out: Float32Array, at: number, spanIndex: number, first: number, count: number) => {
    const span = file.spans[spanIndex] as RowSpan;
    const position = span.offset + (first - (starts[spanIndex] as number)) * rowBytes;
    const bytes =
      dtype === "float32"
        ? new Uint8Array(out.buffer, out.byteOffset + at * width * 4, count * rowBytes)
        : new Uint8Array(count * rowBytes);
    let done = 0;
    const fd = fdOf(span.path);
    while (done < bytes.length) {
      const read = readSync(fd, bytes, done, bytes.length - done, position + done);
      if (read === 0)
        throw new InputError(
          `feature file "${span.path}" ends before its rows (truncated); remove it and run again`,
        );
      done += read;
    }
    if (dtype === "float16") {
      const half = new Uint16Array(bytes.buffer, 0, count * width);
      const table = halfTable();
      const base = at * width;
      for (let i = 0; i < half.length; i++) out[base + i] = table[half[i] as number] as number;
    }
  };
  const checkRange = (first: number, count: number) => {
    if (first < 0 || count < 0 || first + count > total)
      throw new RangeError(`rows ${first}..${first + count - 1} are outside 0..${total - 1}`);
  };
  const allocate = (length: number): Float32Array => {
    if (scratch === undefined) return new Float32Array(length);
    if (scratch.buffer.length < length) scratch.buffer = new Float32Array(length);
    return scratch.buffer.subarray(0, length);
  };
  return {
    rows(first, count) {
      checkRange(first, count);
      const out = allocate(count * width);
      let row = first;
      while (row < first + count) {
        const s = spanAt(row);
        const spanEnd = (starts[s] as number) + (file.spans[s] as RowSpan).rows;
        const n = Math.min(first + count, spanEnd) - row;
        readRun(out, row - first, s, row, n);
        row += n;
      }
      return out;
    },
    gather(indices) {
      const out = allocate(indices.length * width);
      // Runs of consecutive indices are read at once: a sample of a third of the rows is mostly runs.
      let i = 0;
      while (i < indices.length) {
        const row = indices[i] as number;
        checkRange(row, 1);
        const s = spanAt(row);
        const spanEnd = (starts[s] as number) + (file.spans[s] as RowSpan).rows;
        let n = 1;
        while (i + n < indices.length && indices[i + n] === row + n && row + n < spanEnd) n++;
        readRun(out, i, s, row, n);
        i += n;
      }
      return out;
    },
    close() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
    },
  };
}
