/**
 * The socket layer: binds the five Jupyter sockets with zeromq, decodes and verifies incoming
 * frames, runs the handler with busy/idle around every shell and control message, and frames,
 * signs and sends replies. Avoids tslab 1.0.22's wire bugs (it reuses the client's session id and
 * sends without waiting): one session id per kernel process, sends serialized per socket (zeromq.js
 * v6 throws "Socket is busy" on overlapping sends).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { KernelHandler } from "../kernel-handler";
import { type ConnectionInfo, endpoint } from "./connection-info";
import { createSigner, decodeFrames, encodeFrames, type Signer } from "./wire-codec";
import {
  type JupyterMessage,
  type MessageHeader,
  type OutgoingMessage,
  PROTOCOL_VERSION,
} from "./wire-message";

type Zmq = typeof import("zeromq");
type Parent = MessageHeader | Record<string, never>;

/** The running server. */
export interface KernelServer {
  /** This kernel process's session id, in every header it sends. */
  readonly session: string;
  /** Publishes on IOPub, parented to the message being handled (or `parent`, or none). */
  publish(message: OutgoingMessage, parent?: Parent): void;
  /** The header of the request whose handling (sync or async) is running now, if any. */
  currentParent(): Parent | undefined;
  close(): Promise<void>;
}

/** Options of {@link startKernelServer}. */
export interface KernelServerOptions {
  connection: ConnectionInfo;
  handler: KernelHandler;
  /** Where the server reports dropped messages (bad signature, bad frames). */
  warn(message: string): void;
}

interface Sender {
  send(frames: Uint8Array[]): void;
  /** Resolves when everything sent so far has been handed to zeromq. */
  drained(): Promise<void>;
}

/** How long `close()` lets requests in flight (a shutdown_request's own reply) finish. */
const CLOSE_GRACE_MS = 2000;

function createSender(
  socket: { send(frames: Uint8Array[]): Promise<void> },
  warn: (m: string) => void,
): Sender {
  let chain: Promise<void> = Promise.resolve();
  return {
    send(frames) {
      chain = chain
        .then(() => socket.send(frames))
        .catch((error: unknown) => warn(`send failed: ${String(error)}`));
    },
    drained: () => chain,
  };
}

interface Sockets {
  shell: import("zeromq").Router;
  control: import("zeromq").Router;
  stdin: import("zeromq").Router;
  iopub: import("zeromq").Publisher;
  heartbeat: import("zeromq").Reply;
}

async function bindSockets(connection: ConnectionInfo): Promise<Sockets> {
  const zmq = require("zeromq") as Zmq;
  const sockets: Sockets = {
    shell: new zmq.Router(),
    control: new zmq.Router(),
    stdin: new zmq.Router(),
    // libzmq's default high-water mark (1000) silently drops IOPub messages in a burst of comm
    // traffic (each comm_msg costs busy + reply + idle); a slow front end must not lose them.
    iopub: new zmq.Publisher({ sendHighWaterMark: 100_000 }),
    heartbeat: new zmq.Reply(),
  };
  await Promise.all([
    sockets.shell.bind(endpoint(connection, connection.shell_port)),
    sockets.control.bind(endpoint(connection, connection.control_port)),
    sockets.stdin.bind(endpoint(connection, connection.stdin_port)),
    sockets.iopub.bind(endpoint(connection, connection.iopub_port)),
    sockets.heartbeat.bind(endpoint(connection, connection.hb_port)),
  ]);
  return sockets;
}

type Framer = (identities: readonly Uint8Array[], message: OutgoingMessage, parent: Parent) => Uint8Array[];

/** Frames messages of one kernel process: a fresh msg_id, and always this process's session. */
function createFramer(session: string, signer: Signer): Framer {
  return (identities, message, parent) => {
    const header: MessageHeader = {
      msg_id: randomUUID(),
      session,
      username: "seglens",
      date: new Date().toISOString(),
      msg_type: message.msg_type,
      version: PROTOCOL_VERSION,
    };
    const metadata = message.metadata ?? {};
    const buffers = message.buffers ?? [];
    return encodeFrames(
      { identities, header, parent_header: parent, metadata, content: message.content, buffers },
      signer,
    );
  };
}

/** Counts requests in flight; `quiet()` resolves when none is left or after `graceMs`. */
function createInflight(): { enter(): void; leave(): void; quiet(graceMs: number): Promise<void> } {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    enter: () => {
      count += 1;
    },
    leave: () => {
      count -= 1;
      if (count > 0) return;
      for (const wake of waiters) wake();
      waiters = [];
    },
    quiet: (graceMs) =>
      new Promise<void>((resolve) => {
        if (count === 0) return resolve();
        const timer = setTimeout(resolve, graceMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** Binds the sockets and starts serving; zeromq loads here, not at import time. */
export async function startKernelServer(options: KernelServerOptions): Promise<KernelServer> {
  const { connection, handler, warn } = options;
  const signer = createSigner(connection.signature_scheme, connection.key);
  const session = randomUUID();
  const frame = createFramer(session, signer);
  const context = new AsyncLocalStorage<Parent>();
  const sockets = await bindSockets(connection);
  const iopubSender = createSender(sockets.iopub, warn);
  const senders: Sender[] = [iopubSender];
  const inflight = createInflight();
  const publish = (message: OutgoingMessage, parent?: Parent): void => {
    const topic = Buffer.from(`kernel.${session}.${message.msg_type}`);
    iopubSender.send(frame([topic], message, parent ?? context.getStore() ?? {}));
  };
  const status = (state: "busy" | "idle", parent: Parent): void =>
    publish({ msg_type: "status", content: { execution_state: state } }, parent);
  const serveChannel = (socket: import("zeromq").Router): void => {
    const sender = createSender(socket, warn);
    senders.push(sender);
    const serveOne = async (identities: Buffer[], request: JupyterMessage): Promise<void> => {
      const parent = request.header;
      inflight.enter();
      status("busy", parent);
      const reply = await context.run(parent, () =>
        handler.handle(request, (message) => publish(message, parent)),
      );
      // Streams are flushed once per tick (stream-redirect.ts): let them go out before the reply.
      await new Promise((resolve) => setImmediate(resolve));
      if (reply !== undefined) sender.send(frame(identities, reply, parent));
      status("idle", parent);
      inflight.leave();
    };
    void receiveLoop(socket, signer, warn, (identities, request) => {
      serveOne(identities, request).catch((error: unknown) => warn(`handler failed: ${String(error)}`));
    });
  };
  serveChannel(sockets.shell);
  serveChannel(sockets.control);
  serveAuxiliary(sockets);
  publish({ msg_type: "status", content: { execution_state: "starting" } }, {});
  return {
    session,
    publish,
    currentParent: () => context.getStore(),
    async close() {
      // Let requests in flight (the shutdown_request asking for this, at least) send their replies;
      // a cell that keeps running does not hold the shutdown up for more than CLOSE_GRACE_MS.
      await inflight.quiet(CLOSE_GRACE_MS);
      await Promise.all(senders.map((sender) => sender.drained()));
      for (const socket of Object.values(sockets)) socket.close();
    },
  };
}

/** Heartbeat echoes every frame at once; stdin is bound but unused (no `input_request` yet). */
function serveAuxiliary(sockets: Sockets): void {
  void (async () => {
    for await (const frames of sockets.stdin) void frames;
  })().catch(() => undefined);
  void (async () => {
    for await (const frames of sockets.heartbeat) await sockets.heartbeat.send(frames);
  })().catch(() => undefined);
}

/**
 * Reads messages without waiting for their handling, so comm messages are served while a cell
 * awaits. A message that fails to decode (bad signature, bad frames) is reported and dropped.
 */
async function receiveLoop(
  socket: AsyncIterable<Buffer[]>,
  signer: Signer,
  warn: (message: string) => void,
  serve: (identities: Buffer[], request: JupyterMessage) => void,
): Promise<void> {
  try {
    for await (const frames of socket) {
      let decoded: ReturnType<typeof decodeFrames>;
      try {
        decoded = decodeFrames(frames, signer);
      } catch (error) {
        warn(`dropped a message: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      serve(decoded.identities, decoded.message);
    }
  } catch (error) {
    warn(`socket closed: ${String(error)}`);
  }
}
