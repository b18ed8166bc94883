/**
 * The kernel-side widget base speaking ipywidgets protocol 2.1.0 (ipywidgets
 * `packages/schema/messages.md`): `comm_open` with state and buffer_paths, `update` both ways,
 * `request_state`, `custom` messages and `echo_update`; displayed as
 * `application/vnd.jupyter.widget-view+json`.
 */
import type { Comm, CommMessage } from "../comm-manager";
import { MIME_BUNDLE, type MimeBundle } from "../display";
import { requireKernel } from "../kernel-api";
import { CommError } from "../kernel-errors";
import { isJsonObject, type JsonObject, preview } from "../wire/wire-message";
import { isStateKey, putBuffers, removeBuffers } from "./buffer-paths";

/** The widget protocol version in `comm_open` metadata. */
export const WIDGET_PROTOCOL_VERSION = "2.1.0";

/** The model and view a front end instantiates (the `_model_*`/`_view_*` state keys). */
export interface WidgetSpec {
  modelName: string;
  modelModule: string;
  modelModuleVersion: string;
  viewName: string | null;
  viewModule: string;
  viewModuleVersion: string;
}

/** A change of state: which keys changed, and who changed them. */
export interface WidgetChange<S> {
  changes: Partial<S>;
  origin: "frontend" | "kernel";
}

/** A value from the front end that the widget's checks refused. */
export interface WidgetRejection {
  key: string;
  /** What the front end sent. */
  value: unknown;
  /** Why, in one line: the check's message. */
  reason: string;
  /** Whether the key is the front end's to write (a check refused the value) or only the kernel's. */
  writable: boolean;
}

/** Events a widget emits to cell code. */
export interface WidgetEvents<S> {
  change: WidgetChange<S>;
  /** Front-end values refused; the front end has been sent the kept values back. */
  reject: { rejections: WidgetRejection[] };
  custom: { content: unknown; buffers: Uint8Array[] };
  close: Record<string, never>;
}

/**
 * How a widget checks what its front end writes: per key, a function that returns the value to
 * keep or throws (TypeError for kind, RangeError for range) saying what is accepted. It sees the
 * state before the update. Keys of the state without a check are the kernel's to write.
 */
export type ViewChecks<S> = { readonly [K in keyof S]?: (value: unknown, state: Readonly<S>) => S[K] };

/** Options of the {@link Widget} constructor. */
export interface WidgetOptions<S> {
  /** What the front end may write; default every key of the initial state, any value. */
  viewChecks?: ViewChecks<S>;
}

const openWidgets = new Map<string, Widget<object>>();

/** All open widgets by model id (the `jupyter.widget.control` comm answers from this). */
export function liveWidgets(): ReadonlyMap<string, Widget<object>> {
  return openWidgets;
}

/**
 * A widget model owned by the kernel. State is one typed object `S`; `set` merges, and changes
 * made in one tick go out as one `update` (the newest value of each key wins). Updates from the
 * front end change only keys `S` has, each through its check when `viewChecks` are given.
 * @example
 * ```ts
 * const w = new Widget(spec, { value: 3 }, {
 *   viewChecks: {
 *     value: (v) => {
 *       if (v !== 3 && v !== 4) throw new RangeError(`invalid value ${JSON.stringify(v)}; expected 3 or 4`);
 *       return v;
 *     },
 *   },
 * });
 * w.on("change", ({ changes }) => console.log(changes.value));
 * w.set({ value: 4 });
 * w; // displays it
 * ```
 */
export class Widget<S extends object> {
  /** The comm id, also the model id front ends refer to. */
  readonly modelId: string;
  private readonly comm: Comm;
  private readonly current: S;
  private pending: Partial<S> | undefined;
  private incoming: { changes: Partial<S>; rejections: WidgetRejection[] } | undefined;
  private readonly listeners = new Map<keyof WidgetEvents<S>, Set<(event: never) => void>>();

  constructor(
    readonly spec: WidgetSpec,
    state: S,
    private readonly options: WidgetOptions<S> = {},
  ) {
    this.current = { ...state };
    const { state: json, buffer_paths, buffers } = removeBuffers(this.fullState());
    this.comm = requireKernel().comms.open("jupyter.widget", {
      data: { state: json, buffer_paths },
      metadata: { version: WIDGET_PROTOCOL_VERSION },
      buffers,
    });
    this.modelId = this.comm.commId;
    openWidgets.set(this.modelId, this);
    this.comm.onMessage((message) => this.receive(message));
    this.comm.onClose(() => this.closed());
  }

  /** The current value of one state key. */
  get<K extends keyof S>(key: K): S[K] {
    return this.current[key];
  }

  /** A copy of the whole state (without the `_model_*`/`_view_*` keys). */
  state(): S {
    return { ...this.current };
  }

  /** Changes state locally and sends it in one coalesced `update` at the end of this tick. */
  set(changes: Partial<S>): void {
    if (this.comm.closed) throw new CommError(`widget ${this.modelId} (${this.spec.modelName}) is closed`);
    Object.assign(this.current, changes);
    const first = this.pending === undefined;
    this.pending = { ...this.pending, ...changes };
    if (first) setImmediate(() => this.flush());
    this.emit("change", { changes, origin: "kernel" });
  }

  /** Sends a `custom` message with optional binary buffers. */
  send(content: unknown, buffers: readonly Uint8Array[] = []): void {
    this.comm.send({ method: "custom", content: content as never }, { buffers });
  }

  /** Listens to `change`, `custom` or `close`; returns a function that removes the listener. */
  on<E extends keyof WidgetEvents<S>>(event: E, listener: (event: WidgetEvents<S>[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  /** Closes the comm; the front end removes the model's views. */
  close(): void {
    this.comm.close();
  }

  /** The state as `update_states` and `comm_open` carry it, with the `_model_*`/`_view_*` keys. */
  fullState(): Record<string, unknown> {
    const { spec } = this;
    return {
      _model_name: spec.modelName,
      _model_module: spec.modelModule,
      _model_module_version: spec.modelModuleVersion,
      _view_name: spec.viewName,
      _view_module: spec.viewModule,
      _view_module_version: spec.viewModuleVersion,
      ...this.current,
    };
  }

  /** The display bundle: a widget view plus a text fallback. */
  [MIME_BUNDLE](): MimeBundle {
    return {
      "text/plain": `${this.spec.modelName}(${this.modelId})`,
      "application/vnd.jupyter.widget-view+json": {
        model_id: this.modelId,
        version_major: 2,
        version_minor: 1,
      },
    };
  }

  private flush(): void {
    const changes = this.pending;
    this.pending = undefined;
    if (changes === undefined || this.comm.closed) return;
    this.sendState("update", { ...changes });
  }

  private sendState(method: "update" | "echo_update", changes: Record<string, unknown>): void {
    const { state, buffer_paths, buffers } = removeBuffers(changes);
    this.comm.send({ method, state, buffer_paths }, { buffers });
  }

  private receive(message: CommMessage): void {
    const { data } = message;
    if (data.method === "update") {
      this.receiveUpdate(data, message.buffers);
    } else if (data.method === "request_state") {
      this.sendState("update", this.fullState());
    } else if (data.method === "custom") {
      this.emit("custom", { content: data.content, buffers: message.buffers });
    } else {
      throw new CommError(
        `widget ${this.modelId}: unknown method ${preview(data.method)}; expected update, request_state or custom`,
      );
    }
  }

  /**
   * Applies an `update` from the front end, which is not trusted: keys the state does not have are
   * ignored (as ipywidgets' `set_state` does), each other value passes its check. Accepted values
   * are echoed (`echo_update`); refused ones are answered with an `update` of the kept value, so
   * the front end shows it again, and reported as a `reject` event.
   */
  private receiveUpdate(data: JsonObject, buffers: Uint8Array[]): void {
    if (!isJsonObject(data.state)) {
      throw new CommError(
        `widget ${this.modelId}: invalid update state ${preview(data.state)}; expected an object`,
      );
    }
    const incoming: Record<string, unknown> = { ...data.state };
    putBuffers(incoming, data.buffer_paths, buffers);
    const current = this.current as Record<string, unknown>;
    const accepted: Record<string, unknown> = {};
    const rejections: WidgetRejection[] = [];
    for (const [key, value] of Object.entries(incoming)) {
      if (!isStateKey(key) || !Object.hasOwn(current, key)) continue;
      const check = this.options.viewChecks?.[key as keyof S];
      const writable = this.options.viewChecks === undefined || check !== undefined;
      try {
        if (!writable) throw new TypeError(`${key} is set by the kernel, not by the view`);
        accepted[key] = check === undefined ? value : check(value, this.current);
      } catch (error) {
        const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
        rejections.push({ key, value, reason, writable });
      }
    }
    for (const [key, value] of Object.entries(accepted)) current[key] = value;
    if (Object.keys(accepted).length > 0) this.sendState("echo_update", accepted);
    if (rejections.length > 0)
      this.sendState("update", Object.fromEntries(rejections.map(({ key }) => [key, current[key]])));
    this.coalesceIncoming(accepted as Partial<S>, rejections);
  }

  /**
   * Front-end changes reach listeners once per tick, merged, the newest value of each key winning:
   * a burst of slider moves queued behind a busy kernel becomes one `change` event. Refused values
   * follow as one `reject` event.
   */
  private coalesceIncoming(changes: Partial<S>, rejections: WidgetRejection[]): void {
    const first = this.incoming === undefined;
    this.incoming = {
      changes: { ...this.incoming?.changes, ...changes },
      rejections: [...(this.incoming?.rejections ?? []), ...rejections],
    };
    if (!first) return;
    setImmediate(() => {
      const merged = this.incoming;
      this.incoming = undefined;
      if (merged === undefined) return;
      if (Object.keys(merged.changes).length > 0)
        this.emit("change", { changes: merged.changes, origin: "frontend" });
      if (merged.rejections.length > 0) this.emit("reject", { rejections: merged.rejections });
    });
  }

  private closed(): void {
    openWidgets.delete(this.modelId);
    this.emit("close", {});
  }

  private emit<E extends keyof WidgetEvents<S>>(event: E, value: WidgetEvents<S>[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])])
      (listener as (e: WidgetEvents<S>[E]) => void)(value);
  }
}
