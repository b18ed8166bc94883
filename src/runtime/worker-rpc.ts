/**
 * Calls into a worker thread: the one request/reply layer of seglens' workers (inference and
 * k-means). Each call carries an id; the worker answers it with a value or a serialized error,
 * which is revived here as the class it had (see `reviveError`). `close` lets the worker release
 * its sessions before the thread stops.
 */
import { parentPort, Worker } from "node:worker_threads";
import { CancelledError, reviveError, type SerializedError, serializeError } from "../errors";

/** What goes to the worker: a call, or the request to release everything and stop. */
type RpcRequest<Req> = { id: number; request: Req } | { close: true };
/** What comes back: a call's value or error, or the confirmation of `close`. */
type RpcReply<Res> = { id: number; value: Res } | { id: number; error: SerializedError } | { closed: true };

/** Options of one call. */
export interface CallOptions {
  /** Buffers handed to the worker instead of copied (detached afterwards). */
  transfer?: readonly ArrayBuffer[];
  /** Aborting rejects the call at once with a CancelledError; a later reply is ignored. */
  signal?: AbortSignal;
}

/** The main thread's side of a worker. */
export interface RpcThread<Req, Res> {
  call(request: Req, options?: CallOptions): Promise<Res>;
  /** Calls sent and not yet settled. */
  inFlight(): number;
  /** Why the worker stopped, if it did; later calls reject with it. */
  failure(): Error | undefined;
  /** Lets the worker release what it holds, then stops the thread; pending calls reject. */
  close(): Promise<void>;
}

/** Options of {@link startRpcThread}. */
export interface RpcThreadOptions {
  /** Names the worker in the error of an unexpected stop. */
  name: string;
  workerData?: unknown;
  /**
   * Whether an idle worker keeps the process alive. False: it does only while a call is in
   * flight, so a program that forgot to close a pool still exits.
   */
  keepAliveWhenIdle: boolean;
}

interface Pending<Res> {
  resolve: (value: Res) => void;
  reject: (error: Error) => void;
}

/** Starts the worker thread at `script` (see `workerScript`). */
export function startRpcThread<Req, Res>(script: string, options: RpcThreadOptions): RpcThread<Req, Res> {
  const worker = new Worker(script, { workerData: options.workerData });
  const pending = new Map<number, Pending<Res>>();
  let failure: Error | undefined;
  let nextId = 1;
  let closed: (() => void) | undefined;
  const idle = () => {
    if (pending.size === 0 && !options.keepAliveWhenIdle) worker.unref();
  };
  const settle = (id: number): Pending<Res> | undefined => {
    const p = pending.get(id);
    pending.delete(id);
    idle();
    return p;
  };
  const fail = (error: Error): void => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    closed?.();
  };
  idle();
  worker.on("message", (reply: RpcReply<Res>) => {
    if ("closed" in reply) closed?.();
    else if ("error" in reply) settle(reply.id)?.reject(reviveError(reply.error));
    else settle(reply.id)?.resolve(reply.value);
  });
  worker.on("error", fail);
  worker.on("exit", () => fail(new CancelledError(`the ${options.name} worker stopped`)));
  const post = (message: RpcRequest<Req>, transfer: readonly ArrayBuffer[] = []) =>
    worker.postMessage(message, [...transfer]);

  return {
    call(request, { transfer, signal } = {}) {
      if (failure !== undefined) return Promise.reject(failure);
      if (signal?.aborted) return Promise.reject(new CancelledError(`${options.name} cancelled`));
      const id = nextId++;
      const onAbort = () => settle(id)?.reject(new CancelledError(`${options.name} cancelled`));
      return new Promise<Res>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        signal?.addEventListener("abort", onAbort, { once: true });
        post({ id, request }, transfer);
      }).finally(() => signal?.removeEventListener("abort", onAbort)); // a long-lived signal keeps no listener per call
    },
    inFlight: () => pending.size,
    failure: () => failure,
    async close() {
      if (failure === undefined) {
        worker.ref(); // Until the reply: an unreferenced worker would let the process exit first.
        await new Promise<void>((done) => {
          closed = done;
          post({ close: true });
        });
      }
      await worker.terminate();
    },
  };
}

/** What a worker's handler returns: the value, and buffers to hand over rather than copy. */
export interface RpcAnswer<Res> {
  value: Res;
  transfer?: readonly ArrayBuffer[];
}

/**
 * The worker thread's side: answers every call with `handle` (one at a time, in arrival order) and
 * `close` with `release`. Nothing `handle` throws escapes: it becomes the call's error.
 */
export function serveRpc<Req, Res>(
  handle: (request: Req) => Promise<RpcAnswer<Res>>,
  release: () => Promise<void>,
): void {
  const port = parentPort;
  if (port === null) throw new Error("serveRpc runs in a worker thread");
  const send = (reply: RpcReply<Res>, transfer: readonly ArrayBuffer[] = []) => {
    try {
      port.postMessage(reply, [...transfer]);
    } catch {
      port.postMessage(reply); // not transferable after all: structured clone copies
    }
  };
  let queue = Promise.resolve();
  const serve = async (message: RpcRequest<Req>): Promise<void> => {
    if ("close" in message) {
      await release();
      send({ closed: true });
      return;
    }
    try {
      const answer = await handle(message.request);
      send({ id: message.id, value: answer.value }, answer.transfer);
    } catch (error) {
      send({ id: message.id, error: serializeError(error) });
    }
  };
  port.on("message", (message: RpcRequest<Req>) => {
    queue = queue.then(() => serve(message));
  });
}

/** The buffers `arrays` span whole: those can be handed over; views of larger buffers are copied. */
export function wholeBuffers(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) {
      buffers.add(a.buffer);
    }
  }
  return [...buffers];
}
