/**
 * Comms (jupyter-client "Custom Messages"): open, send with buffers, receive, close, both ways.
 * Protocol logic only: outgoing messages go to a `publish` function, the socket layer does the rest.
 */
import { randomUUID } from "node:crypto";
import { CommError, WireFormatError } from "./kernel-errors";
import {
  isJsonObject,
  type JsonObject,
  type OutgoingMessage,
  preview,
  requireString,
} from "./wire/wire-message";

/** A message received on a comm: its `data` and raw binary buffers. */
export interface CommMessage {
  data: JsonObject;
  metadata: JsonObject;
  buffers: Uint8Array[];
}

/** Options for an outgoing comm message. */
export interface CommSendOptions {
  /** Raw binary buffers, sent as frames after the JSON parts, byte-exact. */
  buffers?: readonly Uint8Array[];
  metadata?: JsonObject;
}

/** One end of a comm. */
export interface Comm {
  readonly commId: string;
  readonly targetName: string;
  readonly closed: boolean;
  /** Sends `comm_msg`; throws {@link CommError} once closed. */
  send(data: JsonObject, options?: CommSendOptions): void;
  /** Sends `comm_close` (unless the other side closed it) and stops delivery. Idempotent. */
  close(data?: JsonObject, options?: CommSendOptions): void;
  /** Called for every `comm_msg` from the front end; returns a function that removes the listener. */
  onMessage(listener: (message: CommMessage) => void): () => void;
  /** Called once when either side closes the comm. */
  onClose(listener: (message: CommMessage) => void): () => void;
}

/** Called when the front end opens a comm for a registered target. */
export type CommTargetHandler = (comm: Comm, message: CommMessage) => void;

/** Options for opening a comm from the kernel. */
export interface CommOpenOptions extends CommSendOptions {
  data?: JsonObject;
  /** Defaults to a fresh UUID. */
  commId?: string;
}

/** The comm registry of one kernel. */
export interface CommManager {
  /** Opens a comm to the front end (`comm_open` on IOPub). */
  open(targetName: string, options?: CommOpenOptions): Comm;
  /** Registers the handler for comms the front end opens for `targetName`. */
  registerTarget(targetName: string, handler: CommTargetHandler): void;
  unregisterTarget(targetName: string): void;
  /** `comm_info_reply` content: open comms, optionally of one target. */
  info(targetName?: string): { status: "ok"; comms: Record<string, { target_name: string }> };
  /** Handles `comm_open`, `comm_msg` or `comm_close` content from the front end. */
  handle(msgType: string, content: JsonObject, metadata: JsonObject, buffers: Uint8Array[]): void;
}

class CommImpl implements Comm {
  closed = false;
  private readonly messageListeners = new Set<(message: CommMessage) => void>();
  private readonly closeListeners = new Set<(message: CommMessage) => void>();

  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly publish: (message: OutgoingMessage) => void,
    private readonly forget: (commId: string) => void,
  ) {}

  send(data: JsonObject, options: CommSendOptions = {}): void {
    if (this.closed)
      throw new CommError(`comm "${this.commId}" (${this.targetName}) is closed; open a new one`);
    this.publish({
      msg_type: "comm_msg",
      content: { comm_id: this.commId, data },
      metadata: options.metadata,
      buffers: options.buffers,
    });
  }

  close(data: JsonObject = {}, options: CommSendOptions = {}): void {
    if (this.closed) return;
    this.publish({
      msg_type: "comm_close",
      content: { comm_id: this.commId, data },
      metadata: options.metadata,
      buffers: options.buffers,
    });
    this.closedBy({ data, metadata: {}, buffers: [] });
  }

  onMessage(listener: (message: CommMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onClose(listener: (message: CommMessage) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  deliver(message: CommMessage): void {
    for (const listener of [...this.messageListeners]) listener(message);
  }

  closedBy(message: CommMessage): void {
    this.closed = true;
    this.forget(this.commId);
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    this.messageListeners.clear();
    for (const listener of listeners) listener(message);
  }
}

/**
 * Creates a comm registry that publishes through `publish` (IOPub, parented by the caller).
 * A comm the front end opens for an unknown target is closed at once, as ipykernel does.
 */
export function createCommManager(publish: (message: OutgoingMessage) => void): CommManager {
  const comms = new Map<string, CommImpl>();
  const targets = new Map<string, CommTargetHandler>();
  const forget = (commId: string): void => {
    comms.delete(commId);
  };
  const make = (commId: string, targetName: string): CommImpl => {
    const comm = new CommImpl(commId, targetName, publish, forget);
    comms.set(commId, comm);
    return comm;
  };
  const lookup = (content: JsonObject): CommImpl | undefined => comms.get(requireString(content, "comm_id"));
  const dataOf = (content: JsonObject): JsonObject => {
    const data = content.data ?? {};
    if (!isJsonObject(data))
      throw new WireFormatError(`invalid content.data: ${preview(data)}; expected an object`);
    return data;
  };

  return {
    open(targetName, options = {}) {
      const comm = make(options.commId ?? randomUUID(), targetName);
      publish({
        msg_type: "comm_open",
        content: { comm_id: comm.commId, target_name: targetName, data: options.data ?? {} },
        metadata: options.metadata,
        buffers: options.buffers,
      });
      return comm;
    },
    registerTarget(targetName, handler) {
      targets.set(targetName, handler);
    },
    unregisterTarget(targetName) {
      targets.delete(targetName);
    },
    info(targetName) {
      // fromEntries defines own properties: a comm id "__proto__" stays an entry, not a prototype.
      const listed = [...comms.values()].filter(
        (c) => targetName === undefined || c.targetName === targetName,
      );
      return {
        status: "ok",
        comms: Object.fromEntries(listed.map((c) => [c.commId, { target_name: c.targetName }])),
      };
    },
    handle(msgType, content, metadata, buffers) {
      const message = (): CommMessage => ({ data: dataOf(content), metadata, buffers });
      if (msgType === "comm_open") {
        const commId = requireString(content, "comm_id");
        const targetName = requireString(content, "target_name");
        const received = message();
        // A second comm under an open comm's id would take its messages (and its close) over.
        if (comms.has(commId)) {
          throw new WireFormatError(
            `invalid comm_open: comm_id ${preview(commId)} is already open; a new comm needs a new id`,
          );
        }
        const handler = targets.get(targetName);
        const comm = make(commId, targetName);
        if (handler === undefined) {
          comm.close({});
          return;
        }
        handler(comm, received);
      } else if (msgType === "comm_msg") {
        const received = message();
        lookup(content)?.deliver(received);
      } else if (msgType === "comm_close") {
        const received = message();
        lookup(content)?.closedBy(received);
      } else {
        throw new WireFormatError(
          `invalid comm msg_type: "${msgType}"; expected comm_open, comm_msg or comm_close`,
        );
      }
    },
  };
}
