import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { InputError } from "../errors";
import { intoPlace } from "../util/write-file-atomic";

/** The .npy element types seglens reads and writes (little-endian). */
export type NpyDtype = "float32" | "float16" | "int32" | "uint8";

/** A whole .npy array in memory: flat typed data in C order plus its shape. */
export interface NpyArray {
  dtype: NpyDtype;
  dims: number[];
  data: Float32Array | Uint16Array | Int32Array | Uint8Array;
}

const descrOf: Record<NpyDtype, string> = { float32: "<f4", float16: "<f2", int32: "<i4", uint8: "|u1" };
const bytesOf: Record<NpyDtype, number> = { float32: 4, float16: 2, int32: 4, uint8: 1 };
const MAGIC = "\x93NUMPY";

/** The .npy v1.0 header for an array of `dtype` and `dims`, padded so data starts on a 64-byte boundary. */
export function npyHeader(dtype: NpyDtype, dims: readonly number[]): Buffer {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(", ")})`;
  const dict = `{'descr': '${descrOf[dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 4 + dict.length + 1;
  const padded = Math.ceil(unpadded / 64) * 64;
  const text = `${dict}${" ".repeat(padded - unpadded)}\n`;
  const header = Buffer.alloc(MAGIC.length + 4 + text.length);
  header.write(MAGIC, 0, "latin1");
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(text.length, 8);
  header.write(text, 10, "latin1");
  return header;
}

/** Where an .npy file's data starts, and what it holds. */
export interface NpyHeader {
  dtype: NpyDtype;
  dims: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
}

/** Parses the header at the start of `bytes` (at least the first 12 bytes and the header text). */
function parseHeader(bytes: Buffer, path: string): NpyHeader {
  if (bytes.toString("latin1", 0, 6) !== MAGIC) {
    throw new InputError(`not a .npy file: "${path}"`);
  }
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString("latin1", start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) {
    throw new InputError(`Fortran-order .npy is not supported: "${path}"`);
  }
  const dtype = (Object.keys(descrOf) as NpyDtype[]).find((d) => descrOf[d] === descr);
  if (dtype === undefined || shape === undefined) {
    throw new InputError(
      `unsupported .npy header in "${path}": ${header.trim()}; expected one of ${Object.values(descrOf).join(", ")}`,
    );
  }
  const dims = shape
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0))
    throw new InputError(`unsupported .npy shape in "${path}": (${shape})`);
  return { dtype, dims, dataOffset: start + headerLength };
}

/** Bytes the data of an array of `header`'s dtype and shape takes. */
export function npyDataBytes(header: Pick<NpyHeader, "dtype" | "dims">): number {
  return header.dims.reduce((a, b) => a * b, 1) * bytesOf[header.dtype];
}

/**
 * Reads only the header of an .npy file, and checks that the file holds all of its data (a
 * truncated file is an InputError): what a reader needs to fetch rows by position.
 */
export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(4096);
    const read = readSync(fd, head, 0, head.length, 0);
    const header = parseHeader(head.subarray(0, read), path);
    const size = fstatSync(fd).size;
    if (size < header.dataOffset + npyDataBytes(header))
      throw truncated(path, size - header.dataOffset, header);
    return header;
  } finally {
    closeSync(fd);
  }
}

function truncated(path: string, dataBytes: number, header: Pick<NpyHeader, "dtype" | "dims">): InputError {
  return new InputError(
    `truncated .npy file "${path}": ${dataBytes} data bytes for shape (${header.dims.join(", ")}) ${descrOf[header.dtype]}`,
  );
}

/** Reads a little-endian, C-order .npy file of one of the supported dtypes. */
export function readNpy(path: string): NpyArray {
  const bytes = readFileSync(path);
  const header = parseHeader(bytes, path);
  const { dtype, dims, dataOffset: offset } = header;
  const size = npyDataBytes(header);
  if (bytes.length < offset + size) throw truncated(path, bytes.length - offset, header);
  // Copy so the typed array is aligned whatever the header length.
  const body = new Uint8Array(bytes.subarray(offset, offset + size)).buffer;
  const data =
    dtype === "float32"
      ? new Float32Array(body)
      : dtype === "float16"
        ? new Uint16Array(body)
        : dtype === "int32"
          ? new Int32Array(body)
          : new Uint8Array(body);
  return { dtype, dims, data };
}

/** Writes a whole array as a .npy file, through a temporary file and a rename: never half a file. */
export function writeNpy(path: string, array: NpyArray): void {
  intoPlace(path, (temporary) => {
    const writer = createNpyWriter(temporary, array.dtype, array.dims);
    try {
      writer.write(0, array.data);
    } finally {
      writer.close();
    }
  });
}

/**
 * An .npy file preallocated at its final size, filled by positional writes: batches land at their
 * place along axis 0 in any order, so features stream to disk without holding the whole array.
 */
export interface NpyWriter {
  readonly path: string;
  readonly dims: readonly number[];
  /** Writes `data` starting at flat element `elementOffset`. */
  write(elementOffset: number, data: ArrayBufferView): void;
  close(): void;
}

/**
 * Creates `path` (truncating) with the header for `dims`, sized for the whole array. The file is
 * complete only once every element was written: give it a temporary path (an output transaction's)
 * and rename it when done.
 */
export function createNpyWriter(path: string, dtype: NpyDtype, dims: readonly number[]): NpyWriter {
  const header = npyHeader(dtype, dims);
  const count = dims.reduce((a, b) => a * b, 1);
  const fd = openSync(path, "w");
  writeSync(fd, header, 0, header.length, 0);
  ftruncateSync(fd, header.length + count * bytesOf[dtype]);
  let open = true;
  return {
    path,
    dims,
    write(elementOffset, data) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      let done = 0;
      while (done < bytes.length) {
        done += writeSync(
          fd,
          bytes,
          done,
          bytes.length - done,
          header.length + elementOffset * bytesOf[dtype] + done,
        );
      }
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
