/**
 * The kernel-side widget base speaking ipywidgets protocol 2.1.0 (ipywidgets
 * `packages/schema/messages.md`): `comm_open` with state and buffer_paths, `update` both ways,
 * `request_state`, `custom` messages and `echo_update`; displayed as
 * `application/vnd.jupyter.widget-view+json`.
 */
import type { Comm, CommMessage } from "../kernel/comm-manager";
import { MIME_BUNDLE, type MimeBundle } from "../kernel/display";
import { requireKernel } from "../kernel/kernel-api";
import { CommError } from "../kernel/kernel-errors";
import { putBuffers, removeBuffers } from "./buffer-paths";

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

/** Events a widget emits to cell code. */
export interface WidgetEvents<S> {
  change: WidgetChange<S>;
  custom: { content: unknown; buffers: Uint8Array[] };
  close: Record<string, never>;
}

const openWidgets = new Map<string, Widget<object>>();

/** All open widgets by model id (the `jupyter.widget.control` comm answers from this). */
export function liveWidgets(): ReadonlyMap<string, Widget<object>> {
  return openWidgets;
}

/**
 * A widget model owned by the kernel. State is one typed object `S`; `set` merges, and changes
 * made in one tick go out as one `update` (the newest value of each key wins).
 * @example
 * ```ts
 * const w = new Widget(spec, { value: 3 });
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
  private incoming: Partial<S> | undefined;
  private readonly listeners = new Map<keyof WidgetEvents<S>, Set<(event: never) => void>>();

  constructor(
    readonly spec: WidgetSpec,
    state: S,
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
    if (data.method === "update" && typeof data.state === "object" && data.state !== null) {
      const changes = { ...(data.state as Record<string, unknown>) };
      putBuffers(changes, data.buffer_paths, message.buffers);
      Object.assign(this.current, changes);
      this.sendState("echo_update", changes);
      this.coalesceIncoming(changes as Partial<S>);
    } else if (data.method === "request_state") {
      this.sendState("update", this.fullState());
    } else if (data.method === "custom") {
      this.emit("custom", { content: data.content, buffers: message.buffers });
    } else {
      throw new CommError(
        `widget ${this.modelId}: unknown method ${JSON.stringify(data.method)}; expected update, request_state or custom`,
      );
    }
  }

  /**
   * Front-end changes reach listeners once per tick, merged, the newest value of each key winning:
   * a burst of slider moves queued behind a busy kernel becomes one `change` event.
   */
  private coalesceIncoming(changes: Partial<S>): void {
    const first = this.incoming === undefined;
    this.incoming = { ...this.incoming, ...changes };
    if (!first) return;
    setImmediate(() => {
      const merged = this.incoming;
      this.incoming = undefined;
      if (merged !== undefined) this.emit("change", { changes: merged, origin: "frontend" });
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
