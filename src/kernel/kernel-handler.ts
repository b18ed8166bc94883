/**
 * The kernel's protocol logic (messaging spec 5.3): one typed request in, IOPub messages out
 * through `publish`, a typed reply back. No sockets here, so tests drive it without zeromq: the
 * server frames, signs, sends and brackets each shell message with busy/idle.
 */
import type { CellRunner } from "./cell-runner";
import type { CommManager } from "./comm-manager";
import { mimeBundleOf } from "./display";
import { WireFormatError } from "./kernel-errors";
import {
  type JsonObject,
  type JupyterMessage,
  type OutgoingMessage,
  optionalBoolean,
  PROTOCOL_VERSION,
  requireIndex,
  requireString,
} from "./wire/wire-message";

/** Publishes an IOPub message parented to the request being handled. */
export type Publish = (message: OutgoingMessage) => void;

/** Handles one shell or control request. */
export interface KernelHandler {
  /** Resolves to the reply to send on the request's channel, or undefined when the spec has none. */
  handle(request: JupyterMessage, publish: Publish): Promise<OutgoingMessage | undefined>;
}

/** What the handler needs. */
export interface KernelHandlerOptions {
  runner: CellRunner;
  comms: CommManager;
  /** seglens' version, reported as the implementation version. */
  version: string;
  /** Called after the shutdown reply was sent. */
  onShutdown(restart: boolean): void;
}

const LANGUAGE_INFO = {
  name: "typescript",
  version: "5.0",
  mimetype: "text/typescript",
  file_extension: ".ts",
  codemirror_mode: { name: "javascript", typescript: true },
} as const;

/**
 * Creates the handler; execute requests run one at a time (a failing cell aborts those queued
 * behind it, see {@link createExecuteQueue}), everything else at once.
 */
export function createKernelHandler(options: KernelHandlerOptions): KernelHandler {
  const { runner, comms } = options;
  const execute = createExecuteQueue(runner);

  const dispatch = async (
    request: JupyterMessage,
    publish: Publish,
  ): Promise<OutgoingMessage | undefined> => {
    const { content } = request;
    const type = request.header.msg_type;
    switch (type) {
      case "kernel_info_request":
        return { msg_type: "kernel_info_reply", content: kernelInfo(options.version) };
      case "execute_request":
        return execute(content, publish);
      case "complete_request": {
        const code = requireString(content, "code");
        // A position in the code (code points, so never beyond its UTF-16 length).
        const found = runner.complete(code, requireIndex(content, "cursor_pos", code.length));
        const reply = {
          matches: found.matches,
          cursor_start: found.cursorStart,
          cursor_end: found.cursorEnd,
        };
        return { msg_type: "complete_reply", content: { status: "ok", ...reply, metadata: {} } };
      }
      case "inspect_request": {
        const code = requireString(content, "code");
        const text = runner.inspect(code, requireIndex(content, "cursor_pos", code.length));
        const data = text === undefined ? {} : { "text/plain": text };
        return {
          msg_type: "inspect_reply",
          content: { status: "ok", found: text !== undefined, data, metadata: {} },
        };
      }
      case "is_complete_request":
        return { msg_type: "is_complete_reply", content: runner.isComplete(requireString(content, "code")) };
      case "comm_info_request": {
        const target = content.target_name;
        return {
          msg_type: "comm_info_reply",
          content: comms.info(typeof target === "string" ? target : undefined),
        };
      }
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        comms.handle(type, content, request.metadata, request.buffers);
        return undefined;
      case "interrupt_request":
        runner.interrupt();
        return { msg_type: "interrupt_reply", content: { status: "ok" } };
      case "shutdown_request": {
        const restart = optionalBoolean(content, "restart", false);
        queueMicrotask(() => options.onShutdown(restart));
        return { msg_type: "shutdown_reply", content: { status: "ok", restart } };
      }
      default:
        return undefined;
    }
  };

  return {
    async handle(request, publish) {
      try {
        return await dispatch(request, publish);
      } catch (error) {
        return answerFailure(request, error, publish);
      }
    },
  };
}

/**
 * Runs execute requests one at a time, replying in arrival order. A cell that fails, from a
 * request that is not silent and has `stop_on_error` (default true), aborts the requests already
 * queued behind it: each is answered `{ status: "aborted" }` without running, as ipykernel 7's
 * `_abort_queues` / `_send_abort_reply` do, so a front end's "Run all" stops at the first error.
 * Requests that arrive after the failure run.
 */
function createExecuteQueue(
  runner: CellRunner,
): (content: JsonObject, publish: Publish) => Promise<OutgoingMessage> {
  const execute = createExecuteHandler(runner);
  let queue: Promise<unknown> = Promise.resolve();
  // Bumped by each aborting failure: a request enqueued under an older generation is aborted.
  let generation = 0;
  return (content, publish) => {
    const enqueuedIn = generation;
    const task = queue.then(async (): Promise<OutgoingMessage> => {
      if (enqueuedIn !== generation) return { msg_type: "execute_reply", content: { status: "aborted" } };
      const stopOnError =
        optionalBoolean(content, "stop_on_error", true) && !optionalBoolean(content, "silent", false);
      const reply = await execute(content, publish);
      if (stopOnError && reply.content.status === "error") generation += 1;
      return reply;
    });
    queue = task.catch(() => undefined);
    return task;
  };
}

/** `execute_request` handling: counts, echoes the input, runs the cell, publishes its result. */
function createExecuteHandler(
  runner: CellRunner,
): (content: JsonObject, publish: Publish) => Promise<OutgoingMessage> {
  let executionCount = 0;
  return async (content, publish) => {
    const code = requireString(content, "code");
    const silent = optionalBoolean(content, "silent", false);
    const storeHistory = optionalBoolean(content, "store_history", !silent);
    if (storeHistory) executionCount += 1;
    const count = executionCount;
    if (!silent) publish({ msg_type: "execute_input", content: { code, execution_count: count } });
    const outcome = await runner.run(code);
    // Let the cell's printed output (flushed once per tick) precede its result.
    await new Promise((resolve) => setImmediate(resolve));
    if (outcome.status === "error") {
      const { ename, evalue, traceback } = outcome;
      publish({ msg_type: "error", content: { ename, evalue, traceback } });
      return {
        msg_type: "execute_reply",
        content: { status: "error", execution_count: count, ename, evalue, traceback },
      };
    }
    if (outcome.hasValue && !silent) {
      const data = mimeBundleOf(outcome.value);
      publish({ msg_type: "execute_result", content: { execution_count: count, data, metadata: {} } });
    }
    return {
      msg_type: "execute_reply",
      content: { status: "ok", execution_count: count, user_expressions: {}, payload: [] },
    };
  };
}

/**
 * A request that fails validation (or whose comm handler throws) is answered, never fatal:
 * `<x>_reply` with status "error" for requests, a stderr stream for messages without replies.
 */
function answerFailure(
  request: JupyterMessage,
  error: unknown,
  publish: Publish,
): OutgoingMessage | undefined {
  const ename = error instanceof Error ? error.name : "Error";
  const evalue = error instanceof Error ? error.message : String(error);
  const type = request.header.msg_type;
  const prefix =
    error instanceof WireFormatError ? `seglens kernel: rejected ${type}` : `seglens kernel: ${type} failed`;
  publish({ msg_type: "stream", content: { name: "stderr", text: `${prefix}: ${ename}: ${evalue}\n` } });
  if (!type.endsWith("_request")) return undefined;
  return {
    msg_type: `${type.slice(0, -"_request".length)}_reply`,
    content: { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] },
  };
}

/** `kernel_info_reply` content. */
export function kernelInfo(version: string): JsonObject {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "seglens",
    implementation_version: version,
    language_info: LANGUAGE_INFO,
    banner: `seglens ${version}: TypeScript cells (tslab executor) with Jupyter comms and widgets`,
    help_links: [],
  };
}
