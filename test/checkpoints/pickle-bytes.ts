/** Pickle opcodes assembled by hand, for streams Python would not write (or would run). */
export const op = {
  proto: (version: number) => [0x80, version],
  mark: [0x28],
  stop: [0x2e],
  none: [0x4e],
  newFalse: [0x89],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  emptyTuple: [0x29],
  tuple: [0x74],
  tuple2: [0x86],
  append: [0x61],
  setItem: [0x73],
  setItems: [0x75],
  reduce: [0x52],
  build: [0x62],
  binPersId: [0x51],
  binPut: (index: number) => [0x71, index],
  binGet: (index: number) => [0x68, index],
  int: (value: number) => [0x4a, ...le(value, 4)],
  str: (text: string) => [0x58, ...le(Buffer.byteLength(text), 4), ...Buffer.from(text)],
  global: (module: string, name: string) => [0x63, ...Buffer.from(`${module}\n${name}\n`)],
};

function le(value: number, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => (value >>> (8 * i)) & 0xff);
}

/** Concatenates opcodes and arguments into a pickle stream. */
export function pickleBytes(...parts: (number | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

/** The opcodes of a tuple of small ints. */
export function intTuple(values: number[]): number[] {
  return [...op.mark, ...values.flatMap((v) => op.int(v)), ...op.tuple];
}

/**
 * A torch data.pkl holding `{ "w": tensor }`, the tensor a view of a storage of `numel` elements of
 * `storageType` (e.g. "FloatStorage") at storage key `key`, as torch.save pickles it.
 */
export function tensorPickle(view: {
  key?: string;
  storageType?: string;
  numel: number;
  offset?: number;
  dims: number[];
  strides: number[];
}): Uint8Array {
  const { key = "0", storageType = "FloatStorage", numel, offset = 0, dims, strides } = view;
  return pickleBytes(
    op.proto(2),
    op.emptyDict,
    op.str("w"),
    op.global("torch._utils", "_rebuild_tensor_v2"),
    op.mark,
    [...op.mark, ...op.str("storage"), ...op.global("torch", storageType), ...op.str(key), ...op.str("cpu")],
    op.int(numel),
    op.tuple,
    op.binPersId,
    op.int(offset),
    intTuple(dims),
    intTuple(strides),
    op.newFalse,
    [...op.global("collections", "OrderedDict"), ...op.emptyTuple, ...op.reduce],
    op.tuple,
    op.reduce,
    op.setItem,
    op.stop,
  );
}
