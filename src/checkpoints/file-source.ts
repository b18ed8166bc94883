import { type FileHandle, open } from "node:fs/promises";
import { InputError } from "../errors";

/** An open file read by position, never as a whole. */
export interface FileSource {
  readonly path: string;
  /** Size in bytes when opened. */
  readonly size: number;
  /** Fills `into` with the bytes at `offset`; InputError when the file ends first. */
  readInto(offset: number, into: Uint8Array): Promise<void>;
  /** A fresh buffer with the `length` bytes at `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens `path` for positional reads; InputError when it is missing or not a file. */
export async function openFileSource(path: string): Promise<FileSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    throw new InputError(`cannot open checkpoint "${path}": ${(cause as Error).message}`, { cause });
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new InputError(`checkpoint "${path}" is not a file; expected a .safetensors, .pth or .bin file`);
  }
  return new HandleSource(path, handle, stat.size);
}

class HandleSource implements FileSource {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    if (this.closed) throw new InputError(`checkpoint "${this.path}" was closed; open it again to read`);
    if (offset < 0 || offset + into.byteLength > this.size) {
      throw new InputError(
        `checkpoint "${this.path}" is truncated or corrupt: bytes ${offset}–${offset + into.byteLength} lie beyond its end (${this.size} bytes)`,
      );
    }
    // One read(2) returns at most ~2 GiB, and fewer bytes when the file shrank meanwhile.
    let done = 0;
    while (done < into.byteLength) {
      const { bytesRead } = await this.handle.read(into, done, into.byteLength - done, offset + done);
      if (bytesRead === 0) {
        throw new InputError(
          `checkpoint "${this.path}" ended at byte ${offset + done} while reading; was it truncated?`,
        );
      }
      done += bytesRead;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    // Unpooled and not zero-filled: readInto fills every byte or throws, and the buffer starts at offset 0.
    const bytes = Buffer.allocUnsafeSlow(length);
    await this.readInto(offset, bytes);
    return bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
