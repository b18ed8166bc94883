import { inflateRawSync } from "node:zlib";
import { InputError, UnsupportedModelError } from "../errors";
import type { FileSource } from "./file-source";

/** One file inside a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** A zip archive read through its central directory; entries are read by range, not whole. */
export interface ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** Fills `into` with the bytes at `offset` of the uncompressed entry `name`. */
  readInto(name: string, offset: number, into: Uint8Array): Promise<void>;
  /** `length` bytes from `offset` of the uncompressed entry `name`. */
  read(name: string, offset: number, length: number): Promise<Uint8Array>;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;
// A directory entry is ~100 bytes; a million tensors fit with room to spare.
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024;

/**
 * Reads the central directory of the zip archive in `source` (ZIP64 included, as torch writes for
 * files of any size). InputError for a file that is not a zip or is truncated.
 */
export async function openZipArchive(source: FileSource): Promise<ZipArchive> {
  const fail = (what: string) => new InputError(`invalid zip archive "${source.path}": ${what}`);
  const directory = await locateDirectory(source, fail);
  if (directory.bytes > MAX_DIRECTORY_BYTES) throw fail(`central directory of ${directory.bytes} bytes`);
  if (directory.offset + directory.bytes > source.size)
    throw fail("central directory lies beyond the end (truncated?)");
  const bytes = Buffer.from(await source.read(directory.offset, directory.bytes));
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < directory.count; i++) {
    const entry = parseCentralEntry(bytes, at, source.path, fail);
    if (entry.localHeaderOffset + entry.compressedSize > source.size) {
      throw fail(`entry "${entry.name}" lies beyond the end of the file (truncated?)`);
    }
    entries.set(entry.name, entry);
    at = entry.next;
  }
  return new Archive(source, entries);
}

async function locateDirectory(
  source: FileSource,
  fail: (what: string) => Error,
): Promise<{ offset: number; bytes: number; count: number }> {
  if (source.size < 22) throw fail(`${source.size} bytes, too short for a zip archive`);
  const tailStart = Math.max(0, source.size - 22 - MAX_COMMENT);
  const tail = Buffer.from(await source.read(tailStart, source.size - tailStart));
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail("no end-of-central-directory record (truncated, or not a zip)");
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0)
    throw fail("multi-disk archive");
  let result = {
    count: tail.readUInt16LE(eocd + 10),
    bytes: tail.readUInt32LE(eocd + 12),
    offset: tail.readUInt32LE(eocd + 16),
  };
  // ZIP64: a locator sits right before the classic record and points at a record with 64-bit fields.
  if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR) {
    const recordOffset = safeNumber(tail.readBigUInt64LE(eocd - 12), "ZIP64 record offset", fail);
    if (recordOffset + 56 > source.size) throw fail("ZIP64 record lies beyond the end");
    const record = Buffer.from(await source.read(recordOffset, 56));
    if (record.readUInt32LE(0) !== ZIP64_EOCD) throw fail("ZIP64 locator does not point at a ZIP64 record");
    result = {
      count: safeNumber(record.readBigUInt64LE(32), "entry count", fail),
      bytes: safeNumber(record.readBigUInt64LE(40), "central directory size", fail),
      offset: safeNumber(record.readBigUInt64LE(48), "central directory offset", fail),
    };
  }
  return result;
}

function parseCentralEntry(
  bytes: Buffer,
  at: number,
  path: string,
  fail: (what: string) => Error,
): ZipEntry & { next: number } {
  if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL) {
    throw fail(`central directory entry at byte ${at} is malformed`);
  }
  const flags = bytes.readUInt16LE(at + 8);
  const nameLength = bytes.readUInt16LE(at + 28);
  const extraLength = bytes.readUInt16LE(at + 30);
  const commentLength = bytes.readUInt16LE(at + 32);
  const next = at + 46 + nameLength + extraLength + commentLength;
  if (next > bytes.length) throw fail(`central directory entry at byte ${at} runs past the directory`);
  const name = bytes.toString("utf8", at + 46, at + 46 + nameLength);
  if (flags & 1)
    throw new UnsupportedModelError(
      `zip entry "${name}" in "${path}" is encrypted; seglens reads unencrypted archives`,
    );
  let compressedSize = bytes.readUInt32LE(at + 20);
  let size = bytes.readUInt32LE(at + 24);
  let localHeaderOffset = bytes.readUInt32LE(at + 42);
  // ZIP64 extra field (id 1): 64-bit values for exactly the fields saturated above, in this order.
  const extra = findExtra(bytes, at + 46 + nameLength, extraLength, 0x0001);
  if (extra !== undefined) {
    let field = extra.start;
    const next64 = (what: string) => {
      if (field + 8 > extra.end) throw fail(`entry "${name}" has a short ZIP64 field`);
      const value = safeNumber(bytes.readBigUInt64LE(field), what, fail);
      field += 8;
      return value;
    };
    if (size === 0xffffffff) size = next64("size");
    if (compressedSize === 0xffffffff) compressedSize = next64("compressed size");
    if (localHeaderOffset === 0xffffffff) localHeaderOffset = next64("offset");
  }
  return { name, method: bytes.readUInt16LE(at + 10), compressedSize, size, localHeaderOffset, next };
}

function findExtra(
  bytes: Buffer,
  start: number,
  length: number,
  id: number,
): { start: number; end: number } | undefined {
  let at = start;
  while (at + 4 <= start + length) {
    const size = bytes.readUInt16LE(at + 2);
    if (bytes.readUInt16LE(at) === id) return { start: at + 4, end: Math.min(at + 4 + size, start + length) };
    at += 4 + size;
  }
  return undefined;
}

function safeNumber(value: bigint, what: string, fail: (what: string) => Error): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${what} ${value} is out of range`);
  return Number(value);
}

class Archive implements ZipArchive {
  private readonly dataOffsets = new Map<string, number>();

  constructor(
    private readonly source: FileSource,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  async read(name: string, offset: number, length: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(length);
    await this.readInto(name, offset, bytes);
    return bytes;
  }

  async readInto(name: string, offset: number, into: Uint8Array): Promise<void> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new InputError(`"${this.source.path}" has no entry "${name}"`);
    const length = into.byteLength;
    if (offset < 0 || offset + length > entry.size) {
      throw new InputError(
        `"${this.source.path}": bytes ${offset}–${offset + length} lie outside entry "${name}" (${entry.size} bytes)`,
      );
    }
    const start = await this.dataOffset(entry);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) {
        throw new InputError(`"${this.source.path}": stored entry "${name}" has two sizes`);
      }
      return this.source.readInto(start + offset, into);
    }
    if (entry.method !== 8) {
      throw new UnsupportedModelError(
        `zip entry "${name}" in "${this.source.path}" uses compression method ${entry.method}; seglens reads stored (0) and deflated (8) entries`,
      );
    }
    into.set((await this.inflate(entry, start)).subarray(offset, offset + length));
  }

  private async inflate(entry: ZipEntry, start: number): Promise<Uint8Array> {
    const compressed = await this.source.read(start, entry.compressedSize);
    let inflated: Buffer;
    try {
      // The limit stops a zip bomb from inflating beyond the size the directory promised.
      inflated = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size) });
    } catch (cause) {
      throw new InputError(`zip entry "${entry.name}" in "${this.source.path}" does not inflate`, { cause });
    }
    if (inflated.length !== entry.size) {
      throw new InputError(
        `zip entry "${entry.name}" in "${this.source.path}" inflates to ${inflated.length} bytes, not ${entry.size}`,
      );
    }
    return inflated;
  }

  private async dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    if (entry.localHeaderOffset + 30 > this.source.size) {
      throw new InputError(`"${this.source.path}": entry "${entry.name}" lies beyond the end (truncated?)`);
    }
    // The local header's name and extra lengths may differ from the central ones (torch pads here).
    const local = Buffer.from(await this.source.read(entry.localHeaderOffset, 30));
    if (local.readUInt32LE(0) !== LOCAL) {
      throw new InputError(
        `"${this.source.path}": entry "${entry.name}" has no local header where the directory says`,
      );
    }
    const start = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (start + entry.compressedSize > this.source.size) {
      throw new InputError(
        `"${this.source.path}": entry "${entry.name}" runs past the end of the file (truncated?)`,
      );
    }
    this.dataOffsets.set(entry.name, start);
    return start;
  }
}
