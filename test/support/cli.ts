import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { expect } from "vitest";

/** What a run of the built CLI printed and returned. */
export interface CliRun {
  status: number | null;
  /** The signal that ended the process, when one did. */
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const ENTRY = "dist/cli/main.js"; // built by `npm test` before vitest runs

// A run that hangs is killed (status null) rather than blocking the test worker for good.
const HANG_MS = 300_000;

/** Runs `seglens <args>` (the build in dist/) and waits for it. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const run = spawnSync(process.execPath, [ENTRY, ...args], {
    encoding: "utf8",
    env,
    timeout: HANG_MS,
    killSignal: "SIGKILL",
  });
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}

/**
 * Runs `seglens <args>` without blocking this process (which may be serving a fake Hub);
 * `onSpawn` gets the child at once, e.g. to send it a signal later.
 */
export function runCliAsync(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  onSpawn?: (child: ChildProcess) => void,
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [ENTRY, ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (status, signal) => done({ status, signal, stdout, stderr }));
    onSpawn?.(child);
  });
}

/** Runs `runs` with at most `concurrency` CLI processes at a time; results in input order. */
export async function runCliMany(
  runs: readonly (readonly string[])[],
  options: { env?: NodeJS.ProcessEnv; concurrency?: number } = {},
): Promise<CliRun[]> {
  const results: CliRun[] = new Array(runs.length);
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runCliAsync(runs[i] as string[], options.env ?? process.env);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, lane));
  return results;
}

/** A stack frame as Node prints one: `    at fn (file.js:12:5)` or `    at file.js:12:5`. */
const STACK_FRAME = /^\s+at .*(?::\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m;

/** No stack trace anywhere in `text`. */
export function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(STACK_FRAME);
}

/** Lines of stderr that are failure reports (notes and warnings start with `note:` / `warning:`). */
export function failureLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("seglens:"));
}

/**
 * The CLI failed as the error contract says: status 2 (or `status`), stderr exactly one line
 * `seglens: …` matching `message`, and no stack trace.
 */
export function expectOneLineFailure(run: CliRun, message: RegExp, status = 2): void {
  expect(run.status, run.stderr).toBe(status);
  const lines = run.stderr.replace(/\n$/, "").split("\n");
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^seglens: \S/);
  expect(lines[0]).toMatch(message);
  expectNoStackTrace(run.stderr);
}
