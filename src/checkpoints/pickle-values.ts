/** A `dict` or dict-like object (e.g. `collections.OrderedDict`), with its items in order. */
export class PickleDict {
  readonly items = new Map<unknown, unknown>();
  /** Attributes a BUILD set on it (an OrderedDict state dict carries `_metadata` there). */
  attributes: unknown;
  constructor(readonly className = "builtins.dict") {}
}

/** A reference to a Python global (`module.name`), never resolved to code. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object of a class not on the whitelist: inert, with what the pickle gave to build it. */
export class PickleObject {
  /** What a BUILD set (usually the instance `__dict__`), or null. */
  state: unknown = null;
  /** Items a SETITEM(S) added and elements an APPEND(S) added, as for dict and list subclasses. */
  readonly items = new Map<unknown, unknown>();
  readonly elements: unknown[] = [];
  constructor(
    readonly className: string,
    readonly args: readonly unknown[],
  ) {}
}
