/**
 * Checks the custom messages the explorer's view sends: wire JSON enters as `unknown` and is
 * narrowed here, never cast, since any front end holding the connection key can send anything.
 */
import { OptionTypeError } from "../errors";
import type { WidgetRejection } from "../kernel/ipywidgets/widget";
import { preview as previewState } from "../kernel/wire/wire-message";
import type { ExplorerViewMessage, ExportFormat } from "./explorer-state";

/** The export formats, in the order messages list them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.freeze(["png", "svg"]);

/** Whether `value` is one of {@link EXPORT_FORMATS}. */
export function isExportFormat(value: unknown): value is ExportFormat {
  return EXPORT_FORMATS.includes(value as ExportFormat);
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The view's message, checked. `undefined` for content without an action this kernel knows: a
 * newer view may send actions an older kernel lacks, and they must not break it. A known action
 * with bad fields throws an OptionTypeError naming the field and the accepted values.
 */
export function readViewMessage(content: unknown): ExplorerViewMessage | undefined {
  if (typeof content !== "object" || content === null) return undefined;
  const { action, format } = content as Record<string, unknown>;
  switch (action) {
    case "cancel":
      return { action };
    case "export":
      if (!isExportFormat(format))
        throw new OptionTypeError(
          `invalid export format ${preview(format)}; expected one of ${EXPORT_FORMATS.map((f) => `"${f}"`).join(", ")}`,
        );
      return { action, format };
    default:
      return undefined;
  }
}

/** An error as one line for the user: its class and message (`InputError: model "x" not found`). */
export function errorLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split("\n")[0] as string;
}

/** The line `view_error` shows for refused values: each reason, and the value kept for a control. */
export function refusal(rejections: readonly WidgetRejection[], state: object): string {
  return rejections
    .map(({ key, reason, writable }) =>
      writable ? `${reason}; kept ${key} ${previewState((state as Record<string, unknown>)[key])}` : reason,
    )
    .join("; ");
}
