import type { ExplorerViewMessage, ExportFormat } from "../../src/explorer/explorer-state";
import { h } from "./dom";

/** The export buttons; the kernel renders the file, the browser saves it as a download. */
export interface ExportControl {
  readonly element: HTMLElement;
  /**
   * Handles a kernel custom message (content and buffers as ipywidgets' `msg:custom` gives them).
   * Ignores other actions, and answers while this view asked for nothing: every view of the model
   * hears the answer, only the one whose button was pressed saves it.
   */
  receive(content: unknown, buffers: readonly unknown[]): void;
}

/** What the control needs from its view. */
export interface ExportControlOptions {
  send(message: ExplorerViewMessage): void;
  /** Shows a failed export's message in the widget, or clears it (`null`) after a good one. */
  onError(message: string | null): void;
  /** Removes the listeners when aborted. */
  signal: AbortSignal;
}

const MIME_TYPES: Readonly<Record<ExportFormat, string>> = Object.freeze({
  png: "image/png",
  svg: "image/svg+xml",
});

const isFormat = (value: unknown): value is ExportFormat => value === "png" || value === "svg";

/** Saves `blob` as `filename` through a temporary `<a download>`. */
function save(doc: Document, blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = h(doc, "a", { href: url, download: filename, hidden: true });
  doc.body.append(link);
  link.click();
  link.remove();
  // Not revoked at once: some browsers cancel a download whose URL goes during click() (FileSaver.js waits 40 s).
  setTimeout(() => URL.revokeObjectURL(url), 40_000);
}

/** Builds the "Export PNG" and "Export SVG" buttons. */
export function createExportControl(doc: Document, options: ExportControlOptions): ExportControl {
  const element = h(doc, "div", { class: "seglens-export", role: "group", "aria-label": "Export the view" });
  // A count, not a lock: a lost answer must not disable the buttons for good.
  let pending = 0;
  for (const format of ["png", "svg"] as const) {
    const button = h(
      doc,
      "button",
      { type: "button", "data-format": format },
      `Export ${format.toUpperCase()}`,
    );
    button.addEventListener(
      "click",
      () => {
        pending++;
        element.setAttribute("aria-busy", "true");
        options.send({ action: "export", format });
      },
      { signal: options.signal },
    );
    element.append(button);
  }

  return {
    element,
    receive(content, buffers) {
      if (typeof content !== "object" || content === null) return;
      const answer = content as Record<string, unknown>;
      if (answer.action !== "export" || pending === 0) return;
      pending--;
      if (pending === 0) element.removeAttribute("aria-busy");
      const [bytes] = buffers;
      if (typeof answer.error === "string") options.onError(answer.error);
      else if (
        !isFormat(answer.format) ||
        typeof answer.filename !== "string" ||
        !(bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes))
      )
        options.onError(
          `invalid answer from the kernel: ${JSON.stringify(content)} with ${buffers.length} buffers`,
        );
      else {
        // A copy: Blob's types refuse a view that could sit on a SharedArrayBuffer.
        const data =
          bytes instanceof ArrayBuffer
            ? bytes
            : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
        save(doc, new Blob([data], { type: MIME_TYPES[answer.format] }), answer.filename);
        options.onError(null);
      }
    },
  };
}
