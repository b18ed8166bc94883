import { InputError, UnsupportedModelError } from "../errors";
import {
  type Checkpoint,
  type CheckpointDtype,
  type CheckpointTensor,
  DTYPE_BYTES,
  elementCount,
  type TensorInfo,
} from "./checkpoint";
import { floatDtype, readFloats } from "./decode-floats";
import { type FileSource, openFileSource } from "./file-source";

/** safetensors dtype codes and the names seglens uses for them. */
const DTYPES: Readonly<Record<string, CheckpointDtype>> = Object.freeze({
  F64: "float64",
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  F8_E4M3: "float8_e4m3",
  F8_E5M2: "float8_e5m2",
  I64: "int64",
  I32: "int32",
  I16: "int16",
  I8: "int8",
  U64: "uint64",
  U32: "uint32",
  U16: "uint16",
  U8: "uint8",
  BOOL: "bool",
});

// The reference implementation refuses headers above 100 MB; so do we, before allocating one.
const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a safetensors file: its dtype, shape and absolute byte range in the file. */
export interface SafetensorsEntry extends TensorInfo {
  begin: number;
  end: number;
}

/** A parsed, validated safetensors header. */
export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/**
 * Reads and validates the header of an open safetensors file: 8-byte little-endian length, JSON,
 * then tensors that tile the data area exactly (in range, no overlap, no gap, size = shape × dtype),
 * as the reference implementation requires. Corrupt files give an InputError naming the file.
 */
export async function readSafetensorsHeader(source: FileSource): Promise<SafetensorsHeader> {
  const { path, size } = source;
  if (size < 8) {
    throw new InputError(`invalid safetensors file "${path}": ${size} bytes, too short for a header length`);
  }
  const length = Buffer.from(await source.read(0, 8)).readBigUInt64LE(0);
  if (length > BigInt(size - 8)) {
    throw new InputError(
      `invalid safetensors file "${path}": header length ${length} exceeds the ${size - 8} bytes after it (truncated, or not safetensors)`,
    );
  }
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new InputError(
      `invalid safetensors file "${path}": header length ${length} exceeds ${MAX_HEADER_BYTES} bytes`,
    );
  }
  const headerBytes = Number(length);
  const text = decodeUtf8(await source.read(8, headerBytes), path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InputError(
      `invalid safetensors file "${path}": header is not JSON (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  return parseSafetensorsHeader(json, {
    path,
    dataStart: 8 + headerBytes,
    dataBytes: size - 8 - headerBytes,
  });
}

function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new InputError(`invalid safetensors file "${path}": header is not UTF-8`, { cause });
  }
}

/** Validates a decoded header; `dataStart` is the file offset of byte 0 of the data area. */
export function parseSafetensorsHeader(
  json: unknown,
  where: { path: string; dataStart: number; dataBytes: number },
): SafetensorsHeader {
  const fail = (what: string) => new InputError(`invalid safetensors file "${where.path}": ${what}`);
  if (!isRecord(json)) throw fail("header is not a JSON object");
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === "__metadata__") {
      metadata = parseMetadata(value, fail);
      continue;
    }
    entries.set(key, parseEntry(key, value, where, fail));
  }
  checkTiling(entries, where, fail);
  return { entries, metadata };
}

function parseMetadata(value: unknown, fail: (what: string) => Error): Record<string, string> {
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string")) {
    throw fail("__metadata__ is not an object of strings");
  }
  return value as Record<string, string>;
}

function parseEntry(
  key: string,
  value: unknown,
  where: { path: string; dataStart: number; dataBytes: number },
  fail: (what: string) => Error,
): SafetensorsEntry {
  const name = JSON.stringify(key);
  if (!isRecord(value)) throw fail(`tensor ${name} is not an object`);
  const { dtype: code, shape, data_offsets: offsets } = value;
  if (typeof code !== "string") throw fail(`tensor ${name} has no dtype`);
  const dtype = DTYPES[code];
  if (dtype === undefined) {
    throw new UnsupportedModelError(
      `safetensors file "${where.path}": tensor ${name} has dtype ${JSON.stringify(code)}; seglens knows ${Object.keys(DTYPES).join(", ")}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(
      `tensor ${name} has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw fail(
      `tensor ${name} has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with begin ≤ end`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > where.dataBytes) {
    throw fail(`tensor ${name} ends at byte ${end} of a ${where.dataBytes}-byte data area (truncated?)`);
  }
  const dims = shape as number[];
  // BigInt: a hostile shape may overflow 2^53 and still look equal to the byte length.
  const bytes = dims.reduce((product, d) => product * BigInt(d), BigInt(DTYPE_BYTES[dtype]));
  if (bytes !== BigInt(end - begin)) {
    throw fail(
      `tensor ${name} of shape [${dims}] and dtype ${code} needs ${bytes} bytes but spans ${end - begin}`,
    );
  }
  return { dtype, dims, begin: where.dataStart + begin, end: where.dataStart + end };
}

/** Tensors must cover the data area exactly once, as the reference implementation checks. */
function checkTiling(
  entries: Map<string, SafetensorsEntry>,
  where: { dataStart: number; dataBytes: number },
  fail: (what: string) => Error,
): void {
  const sorted = [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let expected = where.dataStart;
  let previous = "the header";
  for (const [key, entry] of sorted) {
    if (entry.begin < expected) throw fail(`tensor ${JSON.stringify(key)} overlaps ${previous}`);
    if (entry.begin > expected)
      throw fail(`gap of ${entry.begin - expected} bytes before tensor ${JSON.stringify(key)}`);
    expected = entry.end;
    previous = `tensor ${JSON.stringify(key)}`;
  }
  const dataEnd = where.dataStart + where.dataBytes;
  if (expected !== dataEnd) throw fail(`${dataEnd - expected} bytes after the last tensor belong to none`);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Where a tensor lives: the open file and its entry. */
export interface LocatedTensor {
  source: FileSource;
  entry: SafetensorsEntry;
}

/**
 * Opens a single `.safetensors` file: the header is read and validated now, each tensor on `read`.
 * Throws InputError for a corrupt file, UnsupportedModelError for an unknown dtype.
 */
export async function openSafetensors(path: string): Promise<Checkpoint> {
  const source = await openFileSource(path);
  try {
    const header = await readSafetensorsHeader(source);
    const tensors = new Map([...header.entries].map(([key, entry]) => [key, { source, entry }]));
    return createSafetensorsCheckpoint(path, tensors, [source], header.metadata);
  } catch (error) {
    await source.close();
    throw error;
  }
}

/** A Checkpoint over tensors located in one or more open safetensors files (which it closes). */
export function createSafetensorsCheckpoint(
  path: string,
  tensors: Map<string, LocatedTensor>,
  sources: FileSource[],
  metadata: Record<string, unknown>,
): Checkpoint {
  return new SafetensorsCheckpoint(path, tensors, sources, Object.freeze({ ...metadata }));
}

class SafetensorsCheckpoint implements Checkpoint {
  readonly format = "safetensors";

  constructor(
    readonly path: string,
    private readonly tensors: Map<string, LocatedTensor>,
    private readonly sources: FileSource[],
    readonly metadata: Readonly<Record<string, unknown>>,
  ) {}

  keys(): string[] {
    return [...this.tensors.keys()];
  }

  info(key: string): TensorInfo {
    const { dtype, dims } = this.locate(key).entry;
    return { dtype, dims: [...dims] };
  }

  async read(key: string): Promise<CheckpointTensor> {
    const { source, entry } = this.locate(key);
    const dtype = floatDtype(entry.dtype, key, source.path);
    const data = await readFloats(elementCount(entry.dims), dtype, (into) =>
      source.readInto(entry.begin, into),
    );
    return { dims: [...entry.dims], data };
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
  }

  private locate(key: string): LocatedTensor {
    const found = this.tensors.get(key);
    if (found === undefined) throw new InputError(`no tensor "${key}" in "${this.path}"`);
    return found;
  }
}
