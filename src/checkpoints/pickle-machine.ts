import { InputError, UnsupportedModelError } from "../errors";
import { PickleDict, PickleGlobal, PickleObject } from "./pickle-values";

/** What the caller decides: which globals may be called, and what a persistent id stands for. */
export interface UnpickleOptions {
  /** Builders for whitelisted globals, keyed `module.name`; they must validate their arguments. */
  reducers: ReadonlyMap<string, (args: unknown[]) => unknown>;
  /** The object a persistent id (BINPERSID) stands for. */
  persistentLoad(pid: unknown): unknown;
  /** Names the stream in messages, e.g. `data.pkl in "model.pth"`. */
  label: string;
}

// Decoding a long integer is quadratic in its length; checkpoints hold none beyond 64 bits.
const MAX_INT_BYTES = 1024;

/** Runs one opcode; its argument bytes follow in the stream. */
export type OpcodeHandler = (machine: PickleMachine) => void;

/** The pickle virtual machine's state and the reads its opcodes share; all bounds-checked. */
export class PickleMachine {
  readonly stack: unknown[] = [];
  readonly memo = new Map<number, unknown>();
  private readonly marks: number[] = [];
  private readonly view: DataView;
  private at = 0;
  private opcodeAt = 0;

  constructor(
    private readonly bytes: Uint8Array,
    readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(opcodes: readonly (OpcodeHandler | undefined)[]): unknown {
    for (;;) {
      this.opcodeAt = this.at;
      const op = this.u8();
      if (op === 0x2e /* STOP */) return this.pop();
      const handler = opcodes[op];
      if (handler === undefined) throw this.corrupt(`unknown opcode 0x${op.toString(16).padStart(2, "0")}`);
      handler(this);
    }
  }

  push(value: unknown): void {
    this.stack.push(value);
  }

  pop(): unknown {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) throw this.corrupt("stack underflow");
    return this.stack.pop();
  }

  top(below = 0): unknown {
    const index = this.stack.length - 1 - below;
    if (index < (this.marks.at(-1) ?? 0)) throw this.corrupt("stack underflow");
    return this.stack[index];
  }

  mark(): void {
    this.marks.push(this.stack.length);
  }

  popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.corrupt("no MARK to pop to");
    return this.stack.splice(mark);
  }

  recall(index: number): unknown {
    if (!this.memo.has(index)) throw this.corrupt(`memo ${index} read before it was written`);
    return this.memo.get(index);
  }

  /** Calls a global: its reducer when whitelisted, else an inert PickleObject. Never runs Python. */
  call(callable: unknown, args: unknown): unknown {
    if (!Array.isArray(args)) throw this.corrupt("call arguments are not a tuple");
    if (!(callable instanceof PickleGlobal)) return new PickleObject("<result of a call>", args);
    const reducer = this.options.reducers.get(callable.qualifiedName);
    return reducer === undefined ? new PickleObject(callable.qualifiedName, args) : reducer(args);
  }

  setItems(target: unknown, pairs: unknown[]): void {
    if (pairs.length % 2 !== 0) throw this.corrupt("SETITEMS with an odd number of items");
    const items = target instanceof PickleDict || target instanceof PickleObject ? target.items : undefined;
    if (items === undefined) throw this.corrupt("SETITEM on something that is not a dict");
    for (let i = 0; i < pairs.length; i += 2) items.set(pairs[i], pairs[i + 1]);
  }

  append(target: unknown, items: unknown[]): void {
    const list = Array.isArray(target)
      ? target
      : target instanceof PickleObject
        ? target.elements
        : undefined;
    if (list === undefined) throw this.corrupt("APPEND on something that is not a list");
    for (const item of items) list.push(item);
  }

  /** Advances past `n` bytes and returns where they start. */
  take(n: number): number {
    if (this.at + n > this.bytes.length) throw this.corrupt("ends in the middle of an opcode (truncated?)");
    const start = this.at;
    this.at += n;
    return start;
  }

  u8(): number {
    return this.bytes[this.take(1)] as number;
  }

  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  /** BINFLOAT is the one big-endian field in a pickle. */
  f64be(): number {
    return this.view.getFloat64(this.take(8), false);
  }

  /** A 4- or 8-byte little-endian length that must fit in what is left. */
  length(width: 4 | 8): number {
    const start = this.take(width);
    const value = width === 4 ? this.view.getUint32(start, true) : this.view.getBigUint64(start, true);
    if (value > this.bytes.length - this.at)
      throw this.corrupt(`length ${value} runs past the end (truncated?)`);
    return Number(value);
  }

  /** An `n`-byte little-endian two's-complement integer; bigint beyond 2^53. */
  long(n: number): number | bigint | string {
    const start = this.take(n);
    if (n > MAX_INT_BYTES) return `<integer of ${n} bytes>`;
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[start + i] as number);
    if (n > 0 && (this.bytes[start + n - 1] as number) & 0x80) value -= 1n << BigInt(8 * n);
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }

  /** The text up to the next newline (protocol 0 arguments; UNICODE's is latin-1 with escapes). */
  line(encoding: "utf8" | "latin1" = "utf8"): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    if (end < 0) throw this.corrupt("text opcode without a newline (truncated?)");
    const text = this.text(this.at, end - this.at, encoding);
    this.at = end + 1;
    return text;
  }

  /** A decimal integer as protocol 0 writes it; "01" and "00" are True and False. */
  textInt(text: string): number | bigint | boolean | string {
    if (text === "01") return true;
    if (text === "00") return false;
    if (!/^[-+]?\d+$/.test(text)) throw this.corrupt(`not an integer: ${JSON.stringify(text.slice(0, 40))}`);
    if (text.length > MAX_INT_BYTES) return `<integer of ${text.length} digits>`;
    const value = BigInt(text);
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }

  string(n: number, encoding: "utf8" | "latin1"): string {
    return this.text(this.take(n), n, encoding);
  }

  /** A copy of the next `n` bytes. */
  slice(n: number): Uint8Array {
    const start = this.take(n);
    return this.bytes.slice(start, start + n);
  }

  corrupt(what: string): InputError {
    return new InputError(`corrupt pickle (${this.options.label}): ${what} at byte ${this.opcodeAt}`);
  }

  unsupported(what: string): UnsupportedModelError {
    return new UnsupportedModelError(`${this.options.label} uses ${what}, which seglens does not read`);
  }

  private text(start: number, n: number, encoding: "utf8" | "latin1"): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, n).toString(encoding);
  }
}
