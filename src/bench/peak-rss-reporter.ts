/**
 * Preloaded with `node --require` into a process whose peak memory the scaling job measures: at
 * exit it writes `process.resourceUsage()` (getrusage: `maxRSS`, the high-water mark of the
 * resident set in KiB, and the CPU times of all threads in µs) as JSON to the file named by
 * `SEGLENS_BENCH_RSS_FILE`. Worker threads share the process's
 * address space, so their memory is in it; a preload sees the process to its last moment, which a
 * parent polling /proc could miss. Registering the hook is this module's whole purpose, so unlike
 * the rest of `src/` it acts when loaded.
 */
import { writeFileSync } from "node:fs";
import { RSS_FILE_VARIABLE } from "./scaling-summary";

const file = process.env[RSS_FILE_VARIABLE];
if (file !== undefined && file !== "") {
  process.on("exit", () => {
    const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(file, `${JSON.stringify({ maxRSS, userCPUTime, systemCPUTime })}\n`);
  });
}
