/**
 * Runs TypeScript cells with tslab's converter and executor (tslab 1.0.22, `dist/executor.js`),
 * turning what the executor prints through its console into a typed outcome: tslab prints a
 * cell's last value with `console.log` (we return it for `execute_result`) and reports errors and
 * compile diagnostics with `console.error`.
 */
import { createRequire } from "node:module";
import { format } from "node:util";
import { forwardSeglensTypes, type TypeScriptSys, wrapSeglensRequire } from "./seglens-resolution";

/** An error as the `error` IOPub message and an `execute_reply` carry it. */
export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** What running a cell produced. */
export type CellOutcome =
  | { status: "ok"; hasValue: false }
  | { status: "ok"; hasValue: true; value: unknown }
  | ({ status: "error" } & CellError);

/** Completion candidates and the cursor range they replace (UTF-16 offsets). */
export interface CellCompletion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

/** A TypeScript cell executor. */
export interface CellRunner {
  /** Compiles and runs one cell; resolves when its top-level awaits settle or it is interrupted. */
  run(code: string): Promise<CellOutcome>;
  complete(code: string, cursorPos: number): CellCompletion;
  /** Quick info (type and docs) at the cursor, or undefined. */
  inspect(code: string, cursorPos: number): string | undefined;
  /** `is_complete_reply` content. */
  isComplete(code: string): { status: "complete" | "incomplete"; indent?: string };
  /** Stops the awaiting cell (its promise is abandoned, it rejects with an interrupt error). */
  interrupt(): void;
  close(): void;
}

/** Converts an executor-reported error into `ename`/`evalue`/`traceback`. */
export function toCellError(error: unknown): CellError {
  if (error instanceof Error) {
    return {
      ename: error.name,
      evalue: error.message,
      traceback: [error.stack ?? `${error.name}: ${error.message}`],
    };
  }
  return { ename: "Error", evalue: format("%o", error), traceback: [format("Uncaught %o", error)] };
}

type ExecutorModule = typeof import("tslab/dist/executor");
type ConverterModule = typeof import("tslab/dist/converter");

/**
 * Creates the runner in `cwd` (the notebook's directory). tslab and TypeScript load here, not at
 * import time: importing seglens must stay cheap.
 */
export function createCellRunner(cwd: string = process.cwd()): CellRunner {
  const tslabRequire = createRequire(require.resolve("tslab/dist/executor"));
  const ts = tslabRequire("@tslab/typescript-for-tslab") as { sys: TypeScriptSys };
  forwardSeglensTypes(ts.sys, cwd);
  const { createExecutor } = tslabRequire("./executor") as ExecutorModule;
  const { createConverter, isCompleteCode } = tslabRequire("./converter") as ConverterModule;
  const node = createConverter({ isJS: false, isBrowser: false });
  let browser: ReturnType<typeof createConverter> | undefined;
  const convs = {
    node,
    get browser() {
      browser ??= createConverter({ isJS: false, isBrowser: true });
      return browser;
    },
    close() {
      node.close();
      browser?.close();
    },
  };
  let values: unknown[] = [];
  let errors: unknown[] = [];
  let diagnostics: string[] = [];
  // tslab reports values and failures through this console only; user code's console is global.
  const executor = createExecutor(cwd, convs, {
    log: (value: unknown) => values.push(value),
    error: (first: unknown, ...rest: unknown[]) => {
      if (rest.length > 0 && typeof first === "string") diagnostics.push(format(first, ...rest));
      else errors.push(first);
    },
  });
  const global = globalThis as { __tslab__?: { require: NodeJS.Require } };
  if (global.__tslab__)
    global.__tslab__.require = wrapSeglensRequire(global.__tslab__.require) as NodeJS.Require;

  const run = async (code: string): Promise<CellOutcome> => {
    values = [];
    errors = [];
    diagnostics = [];
    const ok = await executor.execute(code);
    if (!ok || errors.length > 0 || diagnostics.length > 0) {
      if (diagnostics.length > 0) {
        return {
          status: "error",
          ename: "CompileError",
          evalue: diagnostics.join("\n"),
          traceback: diagnostics,
        };
      }
      return { status: "error", ...toCellError(errors[0]) };
    }
    return values.length > 0
      ? { status: "ok", hasValue: true, value: values[values.length - 1] }
      : { status: "ok", hasValue: false };
  };
  return {
    run,
    complete(code, cursorPos) {
      const info = executor.complete(code, cursorPos);
      return { matches: info.candidates, cursorStart: info.start, cursorEnd: info.end };
    },
    inspect(code, cursorPos) {
      const info = executor.inspect(code, cursorPos);
      if (!info) return undefined;
      const text = (parts: { text: string }[] | undefined): string =>
        (parts ?? []).map((p) => p.text).join("");
      const docs = text(info.documentation);
      return docs ? `${text(info.displayParts)}\n\n${docs}` : text(info.displayParts);
    },
    isComplete(code) {
      const result = isCompleteCode(code);
      return result.completed
        ? { status: "complete" }
        : { status: "incomplete", indent: result.indent ?? "" };
    },
    interrupt: () => executor.interrupt(),
    close: () => executor.close(),
  };
}
