import { InputError } from "../errors";
import type { CheckpointDtype } from "./checkpoint";
import { type UnpickleOptions, unpickle } from "./pickle";
import { PickleDict, PickleGlobal, PickleObject } from "./pickle-values";

/** A storage a torch pickle refers to: the zip entry `<archive>/data/<key>`, `numel` elements. */
export class TorchStorage {
  constructor(
    readonly key: string,
    readonly dtype: CheckpointDtype,
    readonly numel: number,
  ) {}
}

/** A tensor as torch pickles it: a strided view into a storage (offset and strides in elements). */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly dims: number[],
    readonly strides: number[],
  ) {}
}

/** torch's legacy typed storage classes, which name a storage's dtype in the persistent id. */
const STORAGE_DTYPES: Readonly<Record<string, CheckpointDtype>> = Object.freeze({
  DoubleStorage: "float64",
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  UntypedStorage: "uint8",
});

/**
 * Reads a torch `data.pkl` safely: tensors become TorchTensor, OrderedDicts PickleDict; every
 * other class (argparse.Namespace, numpy scalars, os.system, …) stays an inert PickleObject.
 */
export function unpickleTorch(bytes: Uint8Array, label: string): unknown {
  const fail = (what: string) => new InputError(`corrupt torch checkpoint (${label}): ${what}`);
  const storages = new Map<string, TorchStorage>();
  const reducers = new Map<string, (args: unknown[]) => unknown>();
  const rebuildTensor = (args: unknown[]) => tensorFrom(args, fail);
  reducers.set("torch._utils._rebuild_tensor_v2", rebuildTensor);
  reducers.set("torch._utils._rebuild_tensor", rebuildTensor);
  // A Parameter is its data; requires_grad and hooks do not matter for reading weights.
  reducers.set("torch._utils._rebuild_parameter", (args) => args[0]);
  reducers.set("torch._utils._rebuild_parameter_with_state", (args) => args[0]);
  reducers.set("torch._tensor._rebuild_from_type_v2", ([func, , args]) => {
    const inner = func instanceof PickleGlobal ? reducers.get(func.qualifiedName) : undefined;
    return inner !== undefined && Array.isArray(args)
      ? inner(args)
      : new PickleObject("torch.Tensor", [func, args]);
  });
  reducers.set("collections.OrderedDict", (args) => orderedDict(args));
  // Protocol 2 has no bytes opcode: Python 3 pickles bytes (e.g. in numpy scalars) as this call.
  reducers.set("_codecs.encode", (args) => latin1Bytes(args));
  const options: UnpickleOptions = {
    reducers,
    label,
    persistentLoad: (pid) => storageFrom(pid, storages, fail),
  };
  return unpickle(bytes, options);
}

/** `('storage', torch.FloatStorage, key, location, numel)` → TorchStorage; other ids stay inert. */
function storageFrom(
  pid: unknown,
  storages: Map<string, TorchStorage>,
  fail: (what: string) => Error,
): unknown {
  if (!Array.isArray(pid) || pid[0] !== "storage" || !(pid[1] instanceof PickleGlobal)) {
    return new PickleObject("<persistent id>", [pid]);
  }
  const [, type, key, , numel] = pid as [string, PickleGlobal, unknown, unknown, unknown];
  const dtype = type.module === "torch" ? STORAGE_DTYPES[type.name] : undefined;
  if (dtype === undefined) return new PickleObject(type.qualifiedName, [pid]);
  if (typeof key !== "string" || !/^[\w.-]+$/.test(key) || !isCount(numel)) {
    throw fail(`storage id ${describe(pid)} is malformed`);
  }
  const known = storages.get(key);
  if (known !== undefined) {
    if (known.dtype !== dtype || known.numel !== numel)
      throw fail(`storage "${key}" is declared twice, differently`);
    return known;
  }
  const storage = new TorchStorage(key, dtype, numel);
  storages.set(key, storage);
  return storage;
}

function tensorFrom(args: unknown[], fail: (what: string) => Error): unknown {
  const [storage, offset, dims, strides] = args;
  if (!(storage instanceof TorchStorage)) return new PickleObject("torch.Tensor", args);
  if (!isCount(offset) || !isCounts(dims) || !isCounts(strides) || dims.length !== strides.length) {
    throw fail(`tensor arguments ${describe([offset, dims, strides])} are malformed`);
  }
  // The last element the view touches must lie in its storage (BigInt: hostile sizes overflow 2^53).
  if (dims.every((d) => d > 0)) {
    const last = dims.reduce(
      (sum, d, i) => sum + BigInt(d - 1) * BigInt(strides[i] as number),
      BigInt(offset),
    );
    if (last >= BigInt(storage.numel)) {
      throw fail(
        `a tensor of shape [${dims}] runs past its storage "${storage.key}" (${storage.numel} elements)`,
      );
    }
  }
  return new TorchTensor(storage, offset, dims, strides);
}

function orderedDict(args: unknown[]): PickleDict {
  const dict = new PickleDict("collections.OrderedDict");
  const [pairs] = args;
  if (Array.isArray(pairs)) {
    for (const pair of pairs) if (Array.isArray(pair) && pair.length === 2) dict.items.set(pair[0], pair[1]);
  }
  return dict;
}

function latin1Bytes(args: unknown[]): unknown {
  const [text, encoding] = args;
  if (typeof text !== "string" || encoding !== "latin1") return new PickleObject("_codecs.encode", args);
  return new Uint8Array(Buffer.from(text, "latin1"));
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isCounts(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isCount);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v)) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
