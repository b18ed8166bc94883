/**
 * Paging over a list of items (the explorer's images, a figure's panels): pages of `pageSize`
 * items, page `p` holding items `p·pageSize` up to, not including, `(p + 1)·pageSize`, the last
 * page the rest. An empty list has one empty page, so page 0 always exists.
 */
import { OptionRangeError, OptionTypeError } from "../errors";

/** One page of a list: its index and the half-open range of item indices it holds. */
export interface Page {
  /** 0-based, below `count`. */
  index: number;
  /** Number of pages of the list, ≥ 1. */
  count: number;
  /** First item of the page. */
  start: number;
  /** One past the page's last item (`start` for an empty list). */
  end: number;
}

function preview(value: unknown): string {
  // JSON would write NaN and Infinity as null.
  const text = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Checks a page size (an integer from 1 to `max`, default no limit); returns it. `name` is how the caller calls it
 * (`page_size`, `pageSize`), for the message.
 */
export function checkPageSize(value: unknown, max = Infinity, name = "page size"): number {
  const accepted = Number.isFinite(max) ? `expected an integer from 1 to ${max}` : "expected an integer ≥ 1";
  if (typeof value !== "number" || !Number.isInteger(value))
    throw new OptionTypeError(`invalid ${name} ${preview(value)}; ${accepted}`);
  if (value < 1 || value > max) throw new OptionRangeError(`invalid ${name} ${value}; ${accepted}`);
  return value;
}

/** Number of pages of `items` items (≥ 1); `pageSize` is assumed checked. */
export function pageCount(items: number, pageSize: number): number {
  return Math.max(1, Math.ceil(items / pageSize));
}

/** The page holding item `item` (0-based). */
export function pageOfItem(item: number, pageSize: number): number {
  return Math.floor(item / pageSize);
}

/**
 * Checks a page index against the list (an integer from 0 to the last page); returns it. `name`
 * as in {@link checkPageSize}.
 */
export function checkPage(value: unknown, items: number, pageSize: number, name = "page"): number {
  const last = pageCount(items, pageSize) - 1;
  const accepted = `expected an integer from 0 to ${last} (${items} items, ${pageSize} a page)`;
  if (typeof value !== "number" || !Number.isInteger(value))
    throw new OptionTypeError(`invalid ${name} ${preview(value)}; ${accepted}`);
  if (value < 0 || value > last) throw new OptionRangeError(`invalid ${name} ${value}; ${accepted}`);
  return value;
}

/**
 * Page `page` of a list of `items` items, `pageSize` a page; throws like {@link checkPage} and
 * {@link checkPageSize} (with `maxPageSize`) for values out of range.
 * @example
 * ```ts
 * pageOf(400, 12, 1); // { index: 1, count: 34, start: 12, end: 24 }: items 13–24 of 400
 * ```
 */
export function pageOf(items: number, pageSize: number, page: number, maxPageSize = Infinity): Page {
  if (!Number.isInteger(items) || items < 0)
    throw new OptionRangeError(`invalid item count ${preview(items)}; expected an integer ≥ 0`);
  checkPageSize(pageSize, maxPageSize);
  const index = checkPage(page, items, pageSize);
  const start = Math.min(items, index * pageSize);
  return { index, count: pageCount(items, pageSize), start, end: Math.min(items, start + pageSize) };
}
