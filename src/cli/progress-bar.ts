/** A one-line progress bar on a terminal; silent when the stream is not a TTY (a log or a pipe). */
export interface ProgressBar {
  update(done: number, total: number, label?: string): void;
  finish(): void;
}

/** Creates a bar drawing on `stream` (default stderr), redrawn at most every `intervalMs`. */
export function createProgressBar(
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 100,
): ProgressBar {
  let last = 0;
  let drawn = false;
  const width = 30;
  return {
    update(done, total, label = "") {
      if (!stream.isTTY) return;
      const now = Date.now();
      if (done < total && now - last < intervalMs) return;
      last = now;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      stream.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${label}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
