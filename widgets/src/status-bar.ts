import type { ExplorerStatus } from "../../src/explorer/explorer-state";
import { h } from "./dom";

/** The progress bar with its cancel button, the "refining…" note, and the error box below them. */
export interface StatusBar {
  readonly elements: readonly HTMLElement[];
  /**
   * Shows `status`; `problems` (bad state, bad frames) join an error's message in the error box;
   * `refining`: the frame shown is provisional, a refined one follows.
   */
  update(status: ExplorerStatus, problems: readonly string[], refining?: boolean): void;
}

/** Builds the status bar; `onCancel` runs when the cancel button is pressed. */
export function createStatusBar(doc: Document, onCancel: () => void, signal: AbortSignal): StatusBar {
  const progress = h(doc, "progress", { max: 1, value: 0, "aria-label": "Progress" });
  const text = h(doc, "span", { class: "seglens-status-text" });
  const cancel = h(doc, "button", { type: "button", class: "seglens-cancel" }, "Cancel");
  cancel.addEventListener("click", onCancel, { signal });
  const bar = h(doc, "div", { class: "seglens-status", role: "status", "aria-live": "polite", hidden: true });
  bar.append(progress, text, cancel);
  const error = h(doc, "div", { class: "seglens-error", role: "alert", hidden: true });
  const note = h(doc, "div", { class: "seglens-refining", hidden: true }, "refining…");

  return {
    elements: [bar, note, error],
    update(status, problems, refining = false) {
      note.hidden = !refining;
      const errors = [...problems];
      switch (status.kind) {
        case "idle":
        case "ready":
          bar.hidden = true;
          break;
        case "loading":
          bar.hidden = false;
          progress.max = status.total;
          progress.value = status.done;
          text.textContent = status.detail ?? `${status.stage} ${status.done}/${status.total}`;
          break;
        case "error":
          bar.hidden = true;
          errors.unshift(status.message);
          break;
        default: {
          const unknown: never = status;
          errors.push(`unknown status ${JSON.stringify(unknown)}`);
        }
      }
      error.hidden = errors.length === 0;
      error.textContent = errors.join("\n");
    },
  };
}
