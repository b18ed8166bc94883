/**
 * How values become MIME bundles: an object with a `[MIME_BUNDLE]()` method (a widget, a figure)
 * chooses its own bundle; anything else shows as `util.inspect` text.
 */
import { inspect } from "node:util";

/** The well-known symbol of the method that returns a value's MIME bundle. */
export const MIME_BUNDLE: unique symbol = Symbol.for("seglens.mimeBundle") as never;

/** A MIME bundle: mime type → data (strings, or JSON for `+json` types). */
export type MimeBundle = { [mime: string]: unknown };

/** An object that renders itself in a notebook. */
export interface Displayable {
  [MIME_BUNDLE](): MimeBundle;
}

function isDisplayable(value: unknown): value is Displayable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { [MIME_BUNDLE]?: unknown })[MIME_BUNDLE] === "function"
  );
}

/** The MIME bundle for a value: its own, or `text/plain` from `util.inspect`. */
export function mimeBundleOf(value: unknown): MimeBundle {
  if (isDisplayable(value)) return value[MIME_BUNDLE]();
  return { "text/plain": typeof value === "string" ? value : inspect(value, { depth: 4, colors: false }) };
}
