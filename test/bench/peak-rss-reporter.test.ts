// The scaling job's memory measurement, on a real Node process: the built reporter, preloaded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { parseUsage, RSS_FILE_VARIABLE } from "../../src/bench/scaling-summary";

// Node preloads JavaScript: the built module (npm run test:integration builds first).
const REPORTER = join(__dirname, "..", "..", "dist", "bench", "peak-rss-reporter.js");

it("node --require peak-rss-reporter.js writes the peak RSS of the process and its worker threads at exit", () => {
  const dir = mkdtempSync(join(tmpdir(), "seglens-rss-test-"));
  try {
    const file = join(dir, "usage");
    // A worker thread touches 256 MiB and ends before the process: only a process-wide high-water
    // mark still holds it at exit.
    const script = [
      "const { Worker } = require('node:worker_threads');",
      'new Worker("Buffer.alloc(256 * 1024 * 1024, 1)", { eval: true });',
    ].join("\n");
    execFileSync(process.execPath, ["--require", REPORTER, "-e", script], {
      env: { ...process.env, [RSS_FILE_VARIABLE]: file },
    });
    const usage = parseUsage(readFileSync(file, "utf8"));
    expect(usage.peakRssMiB).toBeGreaterThan(256);
    expect(usage.cpuSeconds).toBeGreaterThan(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
