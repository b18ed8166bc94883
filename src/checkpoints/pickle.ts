import { type OpcodeHandler, PickleMachine, type UnpickleOptions } from "./pickle-machine";
import { PickleDict, PickleGlobal, PickleObject } from "./pickle-values";

/*
 * A pickle reader that never runs anything. Python's unpickler imports whatever a GLOBAL names and
 * calls it, which is how a checkpoint can run code on load. Here a GLOBAL is only a name: calling
 * it runs a caller-supplied reducer when the name is on the caller's whitelist, and otherwise makes
 * an inert PickleObject recording the class name, arguments and state. Values are plain JS: numbers
 * (bigint beyond 2^53), strings, Uint8Array for bytes, arrays for lists, tuples and sets.
 * Opcodes as in CPython's Lib/pickletools.py.
 */

export type { UnpickleOptions } from "./pickle-machine";
export { PickleDict, PickleGlobal, PickleObject } from "./pickle-values";

/** Reads one pickle (protocols 0–5) from `bytes` and returns its top object. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new PickleMachine(bytes, options).run(TABLE);
}

const FRAMING: [number, OpcodeHandler][] = [
  [
    0x80 /* PROTO */,
    (m) => {
      const version = m.u8();
      if (version > 5) throw m.unsupported(`pickle protocol ${version}; seglens reads protocols 0–5`);
    },
  ],
  [0x95 /* FRAME */, (m) => void m.take(8)],
  [0x28 /* MARK */, (m) => m.mark()],
  [0x30 /* POP */, (m) => void m.pop()],
  [0x31 /* POP_MARK */, (m) => void m.popMark()],
  [0x32 /* DUP */, (m) => m.push(m.top())],
  [0x82 /* EXT1 */, (m) => extension(m)],
  [0x83 /* EXT2 */, (m) => extension(m)],
  [0x84 /* EXT4 */, (m) => extension(m)],
  [0x97 /* NEXT_BUFFER */, (m) => outOfBand(m)],
  [0x98 /* READONLY_BUFFER */, (m) => outOfBand(m)],
];

const SCALARS: [number, OpcodeHandler][] = [
  [0x4e /* NONE */, (m) => m.push(null)],
  [0x88 /* NEWTRUE */, (m) => m.push(true)],
  [0x89 /* NEWFALSE */, (m) => m.push(false)],
  [0x4a /* BININT */, (m) => m.push(m.i32())],
  [0x4b /* BININT1 */, (m) => m.push(m.u8())],
  [0x4d /* BININT2 */, (m) => m.push(m.u16())],
  [0x8a /* LONG1 */, (m) => m.push(m.long(m.u8()))],
  [0x8b /* LONG4 */, (m) => m.push(m.long(m.length(4)))],
  [0x49 /* INT */, (m) => m.push(m.textInt(m.line()))],
  [0x4c /* LONG */, (m) => m.push(m.textInt(m.line().replace(/L$/, "")))],
  [0x47 /* BINFLOAT */, (m) => m.push(m.f64be())],
  [0x46 /* FLOAT */, (m) => m.push(Number.parseFloat(m.line()))],
  [0x58 /* BINUNICODE */, (m) => m.push(m.string(m.length(4), "utf8"))],
  [0x8c /* SHORT_BINUNICODE */, (m) => m.push(m.string(m.u8(), "utf8"))],
  [0x8d /* BINUNICODE8 */, (m) => m.push(m.string(m.length(8), "utf8"))],
  [0x56 /* UNICODE */, (m) => m.push(rawUnicodeEscape(m.line("latin1")))],
  // Python 2 str: bytes, which torch's loader decodes as latin-1.
  [0x54 /* BINSTRING */, (m) => m.push(m.string(m.length(4), "latin1"))],
  [0x55 /* SHORT_BINSTRING */, (m) => m.push(m.string(m.u8(), "latin1"))],
  [0x53 /* STRING */, (m) => m.push(m.line().replace(/^(['"])(.*)\1$/s, "$2"))],
  [0x42 /* BINBYTES */, (m) => m.push(m.slice(m.length(4)))],
  [0x43 /* SHORT_BINBYTES */, (m) => m.push(m.slice(m.u8()))],
  [0x8e /* BINBYTES8 */, (m) => m.push(m.slice(m.length(8)))],
  [0x96 /* BYTEARRAY8 */, (m) => m.push(m.slice(m.length(8)))],
];

const CONTAINERS: [number, OpcodeHandler][] = [
  [0x29 /* EMPTY_TUPLE */, (m) => m.push([])],
  [0x5d /* EMPTY_LIST */, (m) => m.push([])],
  [0x8f /* EMPTY_SET */, (m) => m.push([])],
  [0x7d /* EMPTY_DICT */, (m) => m.push(new PickleDict())],
  [0x85 /* TUPLE1 */, (m) => m.push([m.pop()])],
  [
    0x86 /* TUPLE2 */,
    (m) => {
      const b = m.pop();
      m.push([m.pop(), b]);
    },
  ],
  [
    0x87 /* TUPLE3 */,
    (m) => {
      const c = m.pop();
      const b = m.pop();
      m.push([m.pop(), b, c]);
    },
  ],
  [0x74 /* TUPLE */, (m) => m.push(m.popMark())],
  [0x6c /* LIST */, (m) => m.push(m.popMark())],
  [0x91 /* FROZENSET */, (m) => m.push(m.popMark())],
  [
    0x64 /* DICT */,
    (m) => {
      const dict = new PickleDict();
      m.setItems(dict, m.popMark());
      m.push(dict);
    },
  ],
  [
    0x73 /* SETITEM */,
    (m) => {
      const value = m.pop();
      const key = m.pop();
      m.setItems(m.top(), [key, value]);
    },
  ],
  [
    0x75 /* SETITEMS */,
    (m) => {
      const pairs = m.popMark();
      m.setItems(m.top(), pairs);
    },
  ],
  [
    0x61 /* APPEND */,
    (m) => {
      const item = m.pop();
      m.append(m.top(), [item]);
    },
  ],
  [0x65 /* APPENDS */, (m) => appendMarked(m)],
  [0x90 /* ADDITEMS */, (m) => appendMarked(m)],
];

const MEMO: [number, OpcodeHandler][] = [
  [0x71 /* BINPUT */, (m) => void m.memo.set(m.u8(), m.top())],
  [0x72 /* LONG_BINPUT */, (m) => void m.memo.set(m.u32(), m.top())],
  [0x70 /* PUT */, (m) => void m.memo.set(Number(m.textInt(m.line())), m.top())],
  [0x94 /* MEMOIZE */, (m) => void m.memo.set(m.memo.size, m.top())],
  [0x68 /* BINGET */, (m) => m.push(m.recall(m.u8()))],
  [0x6a /* LONG_BINGET */, (m) => m.push(m.recall(m.u32()))],
  [0x67 /* GET */, (m) => m.push(m.recall(Number(m.textInt(m.line()))))],
];

const OBJECTS: [number, OpcodeHandler][] = [
  [
    0x63 /* GLOBAL */,
    (m) => {
      const module = m.line();
      m.push(new PickleGlobal(module, m.line()));
    },
  ],
  [
    0x93 /* STACK_GLOBAL */,
    (m) => {
      const name = m.pop();
      const module = m.pop();
      if (typeof module !== "string" || typeof name !== "string")
        throw m.corrupt("STACK_GLOBAL without two strings");
      m.push(new PickleGlobal(module, name));
    },
  ],
  [0x52 /* REDUCE */, (m) => callWith(m, m.pop())],
  [0x81 /* NEWOBJ */, (m) => callWith(m, m.pop())],
  [
    0x92 /* NEWOBJ_EX */,
    (m) => {
      m.pop(); // keyword arguments: no whitelisted builder takes any
      callWith(m, m.pop());
    },
  ],
  [
    0x69 /* INST */,
    (m) => {
      const module = m.line();
      const name = m.line();
      m.push(m.call(new PickleGlobal(module, name), m.popMark()));
    },
  ],
  [
    0x6f /* OBJ */,
    (m) => {
      const [cls, ...args] = m.popMark();
      m.push(m.call(cls, args));
    },
  ],
  [
    0x62 /* BUILD */,
    (m) => {
      const state = m.pop();
      build(m.top(), state);
    },
  ],
  [0x51 /* BINPERSID */, (m) => m.push(m.options.persistentLoad(m.pop()))],
  [0x50 /* PERSID */, (m) => m.push(m.options.persistentLoad(m.line()))],
];

const OPCODES = new Map([...FRAMING, ...SCALARS, ...CONTAINERS, ...MEMO, ...OBJECTS]);
const TABLE: readonly (OpcodeHandler | undefined)[] = Array.from({ length: 256 }, (_, op) => OPCODES.get(op));

function callWith(m: PickleMachine, args: unknown): void {
  m.push(m.call(m.pop(), args));
}

function appendMarked(m: PickleMachine): void {
  const items = m.popMark();
  m.append(m.top(), items);
}

function build(target: unknown, state: unknown): void {
  if (target instanceof PickleObject) target.state = state;
  else if (target instanceof PickleDict) target.attributes = state;
  // Whitelisted objects (tensors) take no state from BUILD; Python would set attributes only.
}

function extension(m: PickleMachine): never {
  throw m.unsupported("the copyreg extension registry (EXT opcodes)");
}

function outOfBand(m: PickleMachine): never {
  throw m.unsupported("out-of-band buffers (protocol 5 NEXT_BUFFER)");
}

function rawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, short: string, long: string) =>
    codePoint(Number.parseInt(short ?? long, 16)),
  );
}

function codePoint(value: number): string {
  return value <= 0x10ffff ? String.fromCodePoint(value) : "\ufffd";
}
