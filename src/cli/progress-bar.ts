/** A one-line progress bar on a terminal; silent when the stream is not a TTY (a log or a pipe). */
export interface ProgressBar {
  update(done: number, total: number, label?: string): void;
  finish(): void;
}

/** Where a bar draws and how it reads the time (tests pass a fake terminal and a fake clock). */
export interface ProgressBarOptions {
  /** Default stderr. */
  stream?: Pick<NodeJS.WriteStream, "isTTY" | "write">;
  /** Redraw at most this often, ms; the last update (done = total) always draws. Default 100. */
  intervalMs?: number;
  /** Milliseconds since some fixed point; default `Date.now`. */
  now?: () => number;
}

/**
 * Updates after a phase's first that must advance the count before a time left is shown: the first
 * only starts the clock (a resumed run jumps over its cached images at once), and a single step
 * would be mostly the first batch's warm-up.
 */
export const ETA_MIN_ADVANCES = 2;

/** Where a phase started, so the rate counts only work done while this bar watched. */
interface Phase {
  total: number;
  label: string;
  startMs: number;
  startDone: number;
  lastDone: number;
  advances: number;
}

/**
 * Creates a bar redrawn at most every `intervalMs`. A phase (a total and a label, e.g. the images
 * of a run, or one downloaded file) shows its elapsed time and, after {@link ETA_MIN_ADVANCES} more
 * updates that advanced the count, the time left at the rate so far:
 * `[#####-----] 120/400 images 0:42, 1:38 left`.
 */
export function createProgressBar(options: ProgressBarOptions = {}): ProgressBar {
  const { stream = process.stderr, intervalMs = 100, now = Date.now } = options;
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  let phase: Phase | undefined;
  const width = 30;
  return {
    update(done, total, label = "") {
      if (!stream.isTTY) return;
      const time = now();
      phase = follow(phase, done, total, label, time);
      if (done < total && time - last < intervalMs) return;
      last = time;
      const filled = total === 0 ? width : Math.round((Math.min(done, total) / total) * width);
      const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
      stream.write(`\r[${bar}] ${done}/${total} ${label}${timing(phase, time)}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write("\n");
      drawn = false;
      phase = undefined;
    },
  };
}

/** The phase after an update: a new one when the total or label changed or the count went back. */
function follow(phase: Phase | undefined, done: number, total: number, label: string, time: number): Phase {
  if (phase === undefined || phase.total !== total || phase.label !== label || done < phase.lastDone) {
    return { total, label, startMs: time, startDone: done, lastDone: done, advances: 0 };
  }
  if (done > phase.lastDone) return { ...phase, lastDone: done, advances: phase.advances + 1 };
  return phase;
}

/** ` 0:42` elapsed, plus `, 1:38 left` once the rate is known and work remains. */
function timing(phase: Phase, time: number): string {
  const elapsedMs = time - phase.startMs;
  if (elapsedMs <= 0) return "";
  const elapsed = ` ${clock(elapsedMs)}`;
  const counted = phase.lastDone - phase.startDone;
  if (phase.advances < ETA_MIN_ADVANCES || counted <= 0 || phase.lastDone >= phase.total) return elapsed;
  const leftMs = ((phase.total - phase.lastDone) * elapsedMs) / counted;
  return `${elapsed}, ${clock(leftMs, Math.ceil)} left`;
}

/** `m:ss`, or `h:mm:ss` from an hour up (time left is rounded up: what remains never shows as 0:00). */
export function clock(ms: number, round: (seconds: number) => number = Math.floor): string {
  const seconds = Math.max(0, round(ms / 1000));
  const s = String(seconds % 60).padStart(2, "0");
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}:${s}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${s}`;
}
