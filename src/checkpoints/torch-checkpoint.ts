import { InputError, UnsupportedModelError } from "../errors";
import {
  type Checkpoint,
  type CheckpointTensor,
  DTYPE_BYTES,
  elementCount,
  type TensorInfo,
} from "./checkpoint";
import { decodeFloats, floatDtype, readFloats } from "./decode-floats";
import { type FileSource, openFileSource } from "./file-source";
import { plainMetadata } from "./pickle-plain";
import { PickleDict } from "./pickle-values";
import { gatherStrided, isContiguous, stridedSpan } from "./strided";
import { TorchTensor, unpickleTorch } from "./torch-pickle";
import { openZipArchive, type ZipArchive, type ZipEntry } from "./zip-archive";

// data.pkl holds names and shapes, not weights: even checkpoints with optimizer state keep it to MBs.
const MAX_PICKLE_BYTES = 512 * 1024 * 1024;
// Containers nested deeper than this hold no weights worth finding, and would exhaust the stack.
const MAX_DEPTH = 64;

/**
 * Opens a checkpoint in torch's zip format (what `torch.save` writes since torch 1.6: `.pth`,
 * `.pth.tar`, `pytorch_model.bin`). `data.pkl` is read with a pickle reader that runs no code;
 * every tensor reachable through dicts and lists is listed, and read from its storage on request.
 * The legacy (pre-1.6) format is refused with UnsupportedModelError.
 */
export async function openTorchCheckpoint(path: string): Promise<Checkpoint> {
  const source = await openFileSource(path);
  try {
    await refuseLegacyFormat(source);
    const archive = await openZipArchive(source);
    const { prefix, pickle } = findPickle(archive, path);
    await checkByteOrder(archive, prefix, path);
    if (pickle.size > MAX_PICKLE_BYTES) {
      throw new UnsupportedModelError(
        `"${path}": data.pkl has ${pickle.size} bytes; seglens reads up to ${MAX_PICKLE_BYTES}`,
      );
    }
    const root = unpickleTorch(await archive.read(pickle.name, 0, pickle.size), `data.pkl in "${path}"`);
    const tensors = new Map<string, TorchTensor>();
    collectTensors(root, [], 0, new Set(), tensors);
    checkStorages(tensors, archive, prefix, path);
    return new TorchCheckpoint(path, source, archive, prefix, tensors, root);
  } catch (error) {
    await source.close();
    throw error;
  }
}

async function refuseLegacyFormat(source: FileSource): Promise<void> {
  if (source.size === 0) throw new InputError(`checkpoint "${source.path}" is empty (0 bytes)`);
  const [first] = await source.read(0, 1);
  // The legacy format is a bare pickle stream (PROTO opcode 0x80) followed by raw storages.
  if (first === 0x80) {
    throw new UnsupportedModelError(
      `"${source.path}" is in torch's legacy pre-1.6 format; re-save it with a recent torch: torch.save(torch.load(path), new_path)`,
    );
  }
}

/** `<archive>/data.pkl` and its folder; torch names the folder after the file (older) or "archive". */
function findPickle(archive: ZipArchive, path: string): { prefix: string; pickle: ZipEntry } {
  for (const [name, entry] of archive.entries) {
    if (/^[^/]+\/data\.pkl$/.test(name)) return { prefix: name.slice(0, -"data.pkl".length), pickle: entry };
  }
  throw new UnsupportedModelError(
    `"${path}" is a zip archive without <name>/data.pkl; expected a file torch.save wrote`,
  );
}

async function checkByteOrder(archive: ZipArchive, prefix: string, path: string): Promise<void> {
  const entry = archive.entries.get(`${prefix}byteorder`);
  if (entry === undefined || entry.size > 16) return;
  const order = Buffer.from(await archive.read(entry.name, 0, entry.size)).toString("latin1");
  if (order !== "little") {
    throw new UnsupportedModelError(
      `"${path}" stores tensors ${order}-endian; seglens reads little-endian checkpoints`,
    );
  }
}

function collectTensors(
  value: unknown,
  path: string[],
  depth: number,
  seen: Set<unknown>,
  out: Map<string, TorchTensor>,
): void {
  if (value instanceof TorchTensor) {
    out.set(path.join("/"), value);
    return;
  }
  if (depth >= MAX_DEPTH || seen.has(value)) return;
  // Objects of classes seglens does not rebuild (a pickled nn.Module, say) are not searched.
  if (value instanceof PickleDict) {
    seen.add(value);
    for (const [key, item] of value.items) collectTensors(item, [...path, String(key)], depth + 1, seen, out);
  } else if (Array.isArray(value)) {
    seen.add(value);
    for (const [i, item] of value.entries()) collectTensors(item, [...path, String(i)], depth + 1, seen, out);
  }
}

function checkStorages(
  tensors: Map<string, TorchTensor>,
  archive: ZipArchive,
  prefix: string,
  path: string,
): void {
  for (const [key, tensor] of tensors) {
    const { storage } = tensor;
    const entry = archive.entries.get(`${prefix}data/${storage.key}`);
    const bytes = storage.numel * DTYPE_BYTES[storage.dtype];
    if (entry === undefined || entry.size !== bytes) {
      throw new InputError(
        `corrupt torch checkpoint "${path}": tensor "${key}" needs storage data/${storage.key} of ${bytes} bytes; the archive has ${entry === undefined ? "none" : `${entry.size} bytes`}`,
      );
    }
  }
}

class TorchCheckpoint implements Checkpoint {
  readonly format = "torch";
  private plain: Readonly<Record<string, unknown>> | undefined;

  constructor(
    readonly path: string,
    private readonly source: FileSource,
    private readonly archive: ZipArchive,
    private readonly prefix: string,
    private readonly tensors: Map<string, TorchTensor>,
    private readonly root: unknown,
  ) {}

  get metadata(): Readonly<Record<string, unknown>> {
    this.plain ??= Object.freeze(plainMetadata(this.root));
    return this.plain;
  }

  keys(): string[] {
    return [...this.tensors.keys()];
  }

  info(key: string): TensorInfo {
    const tensor = this.locate(key);
    return { dtype: tensor.storage.dtype, dims: [...tensor.dims] };
  }

  async read(key: string): Promise<CheckpointTensor> {
    const { storage, offset, dims, strides } = this.locate(key);
    const dtype = floatDtype(storage.dtype, key, this.path);
    const width = DTYPE_BYTES[dtype];
    const count = elementCount(dims);
    const entry = `${this.prefix}data/${storage.key}`;
    if (count === 0) return { dims: [...dims], data: new Float32Array(0) };
    if (isContiguous(dims, strides)) {
      const data = await readFloats(count, dtype, (into) =>
        this.archive.readInto(entry, offset * width, into),
      );
      return { dims: [...dims], data };
    }
    if (count > storage.numel) {
      throw new UnsupportedModelError(
        `tensor "${key}" in "${this.path}" repeats its storage's elements (stride 0, as expand() makes); save tensor.contiguous() instead`,
      );
    }
    const span = stridedSpan(dims, strides);
    const floats = decodeFloats(await this.archive.read(entry, offset * width, span * width), dtype);
    return { dims: [...dims], data: gatherStrided(floats, 0, dims, strides) };
  }

  close(): Promise<void> {
    return this.source.close();
  }

  private locate(key: string): TorchTensor {
    const found = this.tensors.get(key);
    if (found === undefined) throw new InputError(`no tensor "${key}" in "${this.path}"`);
    return found;
  }
}
