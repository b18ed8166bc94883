#!/usr/bin/env node
/**
 * The kernel process: `node dist/kernel/kernel-main.js <connection_file>` (kernel.json's argv).
 * Wires tslab's executor, the comm registry, the widget control comm and the socket layer.
 */
import { readFileSync } from "node:fs";
import { seglensVersion } from "../util/version";
import { createCellRunner } from "./cell-runner";
import { createCommManager } from "./comm-manager";
import { registerWidgetControl } from "./ipywidgets/widget-control";
import { registerKernel } from "./kernel-api";
import { createKernelHandler } from "./kernel-handler";
import { redirectStreams } from "./stream-redirect";
import { routeTslabDisplay } from "./tslab-display";
import { parseConnectionInfo } from "./wire/connection-info";
import { type KernelServer, startKernelServer } from "./wire/kernel-server";
import type { OutgoingMessage } from "./wire/wire-message";

/** Starts a kernel for a connection file; resolves once the sockets are bound. */
export async function runKernel(connectionFile: string): Promise<KernelServer> {
  const connection = parseConnectionInfo(JSON.parse(readFileSync(connectionFile, "utf8")) as unknown);
  const stderr = process.stderr.write.bind(process.stderr);
  const warn = (message: string): void => {
    stderr(`[seglens kernel] ${message}\n`);
  };
  let server: KernelServer | undefined;
  const publish = (message: OutgoingMessage): void => server?.publish(message);
  const comms = createCommManager(publish);
  const runner = createCellRunner(process.cwd());
  let interrupts = new AbortController();
  const interrupt = (): void => {
    runner.interrupt();
    interrupts.abort();
    interrupts = new AbortController();
  };
  const handler = createKernelHandler({
    runner: { ...runner, interrupt },
    comms,
    version: seglensVersion(),
    onShutdown: () => {
      void server?.close().finally(() => process.exit(0));
    },
  });
  registerKernel({
    comms,
    display(bundle, options = {}) {
      const transient = options.displayId === undefined ? {} : { display_id: options.displayId };
      publish({
        msg_type: options.update ? "update_display_data" : "display_data",
        content: { data: bundle, metadata: {}, transient },
      });
    },
    get interruptSignal() {
      return interrupts.signal;
    },
  });
  registerWidgetControl(comms);
  routeTslabDisplay(publish);
  process.on("SIGINT", interrupt);
  process.on("uncaughtException", (error) => warn(`uncaught exception: ${error.stack ?? String(error)}`));
  process.on("unhandledRejection", (reason) => warn(`unhandled rejection: ${String(reason)}`));
  exitWithParent(warn);
  server = await startKernelServer({ connection, handler, warn });
  const live = server;
  redirectStreams((name, text) => {
    const parent = live.currentParent();
    if (parent === undefined) return false;
    if (text === "") return true;
    live.publish({ msg_type: "stream", content: { name, text } }, parent);
    return true;
  });
  return server;
}

/**
 * Exits when the process that started the kernel is gone (jupyter_client sets JPY_PARENT_PID,
 * ipykernel's ParentPoller does the same), so a crashed client leaves no orphan kernel behind.
 */
function exitWithParent(warn: (message: string) => void): void {
  const parent = Number(process.env.JPY_PARENT_PID ?? process.ppid);
  if (!Number.isInteger(parent) || parent <= 1) return;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      warn(`parent process ${parent} is gone; exiting`);
      process.exit(1);
    }
  }, 1000).unref();
}

if (require.main === module) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: kernel-main <connection_file>\n");
    process.exitCode = 2;
  } else {
    runKernel(file).catch((error: unknown) => {
      process.stderr.write(`seglens kernel failed to start: ${String(error)}\n`);
      process.exit(1);
    });
  }
}
