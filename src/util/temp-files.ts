import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Temporary names for files and folders seglens is still writing: `.<final name>.seglens-<pid>-<n>.tmp`
 * beside the final path. Hidden, ending in `.tmp` (so globs for `*.npy` or `*.png` skip them), and
 * carrying the writer's process id, so a later run can tell the leftovers of a killed writer from
 * the work of a live one.
 */
const TEMP_NAME = /^\..+\.seglens-(\d+)-\d+\.tmp$/;

let counter = 0;

/** A fresh temporary path beside `path`, unique within this process. */
export function tempPathFor(path: string): string {
  counter++;
  return join(dirname(path), `.${basename(path)}.seglens-${process.pid}-${counter}.tmp`);
}

/** Whether `name` (a file name, not a path) is one of seglens' temporary names. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

// Past this age a temporary file counts as abandoned where the process table cannot be read (no /proc).
const ABANDONED_AFTER_MS = 7 * 24 * 3600 * 1000;

/**
 * Whether the temporary file or folder `path` was left by a writer that is gone: its process is
 * not running, or the process now holding that id started after the file was last written (the id
 * was reused, as happens across container restarts). Without /proc, an age of a week decides.
 */
export function isAbandoned(path: string): boolean {
  const pid = Number(TEMP_NAME.exec(basename(path))?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  let modifiedMs: number;
  try {
    modifiedMs = statSync(path).mtimeMs;
  } catch {
    return false; // already gone
  }
  if (!isRunning(pid)) return true;
  const startedMs = processStartMs(pid);
  if (startedMs === undefined) return Date.now() - modifiedMs > ABANDONED_AFTER_MS;
  // Two seconds of slack: the boot time is given in whole seconds, start times in clock ticks.
  return startedMs > modifiedMs + 2000;
}

/** Removes the abandoned temporary files and folders directly inside `dir`; returns their paths. */
export function removeAbandonedTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!isTempName(name) || !isAbandoned(path)) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** When process `pid` started (ms since the epoch), from Linux's /proc; undefined elsewhere. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime, in clock ticks since boot) counted after the ")" that ends the command name.
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return undefined;
    return bootSeconds * 1000 + ticks * 10; // USER_HZ is 100 on every Linux port Node supports
  } catch {
    return undefined;
  }
}
