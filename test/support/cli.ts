import { spawn, spawnSync } from "node:child_process";
import { expect } from "vitest";

/** What a run of the built CLI printed and returned. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

const ENTRY = "dist/cli/main.js"; // built by `npm test` before vitest runs

/** Runs `seglens <args>` (the build in dist/) and waits for it. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const run = spawnSync(process.execPath, [ENTRY, ...args], { encoding: "utf8", env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs `seglens <args>` without blocking this process (which may be serving a fake Hub). */
export function runCliAsync(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
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
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

/** The CLI failed as bad input should: a non-zero status (or `status`) and one stderr line matching `message`. */
export function expectOneLineFailure(run: CliRun, message: RegExp, status?: number): void {
  if (status === undefined) expect(run.status).not.toBe(0);
  else expect(run.status).toBe(status);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).toMatch(message);
}
