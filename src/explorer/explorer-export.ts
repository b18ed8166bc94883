/**
 * Exporting the explorer's current view to a file: the format from the file name, a
 * suggested name for downloads, and the atomic write.
 */
import { basename, extname, resolve } from "node:path";
import { InputError } from "../errors";
import { OutputWriteError, writeOutputFile } from "../util/output-transaction";
import { EXPORT_FORMATS, isExportFormat } from "./explorer-messages";
import type { ExplorerFrame, ExportFormat } from "./explorer-state";

/** The explorer has no frame to export: its computation failed, was cancelled or never ran. */
export class NoFrameError extends Error {
  override name = "NoFrameError";
}

/** The format named by `path`'s extension (case-insensitive); anything else is an InputError. */
export function exportFormatOf(path: string): ExportFormat {
  const format = extname(path).slice(1).toLowerCase();
  if (!isExportFormat(format)) {
    const allowed = EXPORT_FORMATS.map((f) => `.${f}`).join(" or ");
    throw new InputError(`cannot export to "${path}": the file name must end in ${allowed}`);
  }
  return format;
}

/** A file name for a download of `frame`, e.g. `seglens-dinov2-small-k-K6.svg` (file-system safe). */
export function exportFilename(frame: ExplorerFrame, format: ExportFormat): string {
  const models = frame.models.map((m) => basename(m)).join("+");
  return `seglens-${models}-${frame.rep}-K${frame.k}.${format}`.replace(/[^\w.+-]+/g, "_");
}

/** Writes `bytes` to `path` atomically, making its folder (nothing is left when that fails); returns the absolute path. */
export function writeExport(path: string, bytes: Uint8Array): string {
  const target = resolve(path);
  try {
    writeOutputFile(target, bytes);
  } catch (cause) {
    const reason = cause instanceof OutputWriteError ? cause.reason : String(cause);
    throw new InputError(`cannot write the export to "${path}": ${reason}`, { cause });
  }
  return target;
}
