import type { ExplorerProgress } from "./explorer-features";

/** Least time between two progress updates of one stage. */
const PROGRESS_INTERVAL_MS = 100;

/**
 * `send`, called at most every 100 ms within a stage: every status update makes the front end
 * update its page, and on 2 cores that competes with the k-means threads. A stage's first and
 * last reports always go out, and so does every report of a unit of work starting (`done` 0: the
 * next file of a download), so the user sees what is being loaded.
 */
export function throttledProgress(send: ExplorerProgress): ExplorerProgress {
  let sent = { stage: "", at: Number.NEGATIVE_INFINITY };
  return (status) => {
    const now = performance.now();
    const always = status.stage !== sent.stage || status.done === 0 || status.done === status.total;
    if (!always && now - sent.at < PROGRESS_INTERVAL_MS) return;
    sent = { stage: status.stage, at: now };
    send(status);
  };
}
