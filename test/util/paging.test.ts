import { describe, expect, it } from "vitest";
import { OptionRangeError, OptionTypeError } from "../../src/errors";
import { checkPage, checkPageSize, pageCount, pageOf, pageOfItem } from "../../src/util/paging";

/** What `run` throws. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("nothing thrown");
}

describe("paging over a list of items", () => {
  it("pageOf(400, 12, 1) holds items 12..23 (13–24 of 400) of 34 pages", () => {
    expect(pageOf(400, 12, 1)).toEqual({ index: 1, count: 34, start: 12, end: 24 });
  });

  it("the last page holds the rest: pageOf(400, 12, 33) is items 396..399", () => {
    expect(pageOf(400, 12, 33)).toEqual({ index: 33, count: 34, start: 396, end: 400 });
  });

  it("pages cover every item exactly once, for any size", () => {
    for (const [items, size] of [
      [0, 1],
      [1, 1],
      [5, 2],
      [12, 12],
      [13, 12],
      [401, 7],
    ] as const) {
      const seen: number[] = [];
      for (let p = 0; p < pageCount(items, size); p++) {
        const { start, end } = pageOf(items, size, p);
        for (let i = start; i < end; i++) seen.push(i);
        if (items > 0) expect(end).toBeGreaterThan(start);
      }
      expect(seen).toEqual(Array.from({ length: items }, (_, i) => i));
    }
  });

  it("an empty list has one empty page 0", () => {
    expect(pageCount(0, 12)).toBe(1);
    expect(pageOf(0, 12, 0)).toEqual({ index: 0, count: 1, start: 0, end: 0 });
  });

  it("pageOfItem gives the page holding an item", () => {
    expect([0, 11, 12, 399].map((i) => pageOfItem(i, 12))).toEqual([0, 0, 1, 33]);
  });

  it.each([
    [34, OptionRangeError, "invalid page 34; expected an integer from 0 to 33 (400 items, 12 a page)"],
    [-1, OptionRangeError, "invalid page -1; expected an integer from 0 to 33 (400 items, 12 a page)"],
    [1.5, OptionTypeError, "invalid page 1.5; expected an integer from 0 to 33 (400 items, 12 a page)"],
    ["2", OptionTypeError, 'invalid page "2"; expected an integer from 0 to 33 (400 items, 12 a page)'],
    [null, OptionTypeError, "invalid page null; expected an integer from 0 to 33 (400 items, 12 a page)"],
  ])("checkPage(%j) for 400 items at 12 a page throws %o with one line", (page, type, message) => {
    const error = thrown(() => checkPage(page, 400, 12));
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toBe(message);
  });

  it.each([
    [0, OptionRangeError, "invalid page_size 0; expected an integer from 1 to 64"],
    [65, OptionRangeError, "invalid page_size 65; expected an integer from 1 to 64"],
    [2.5, OptionTypeError, "invalid page_size 2.5; expected an integer from 1 to 64"],
    [Number.NaN, OptionTypeError, "invalid page_size NaN; expected an integer from 1 to 64"],
    [{ a: 1 }, OptionTypeError, 'invalid page_size {"a":1}; expected an integer from 1 to 64'],
  ])("checkPageSize(%j, 64, 'page_size') throws %o with one line", (size, type, message) => {
    const error = thrown(() => checkPageSize(size, 64, "page_size"));
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toBe(message);
  });

  it("without a maximum any size from 1 is a page size; pageOf checks its size and page", () => {
    expect(checkPageSize(10_000)).toBe(10_000);
    expect(() => checkPageSize(0)).toThrow("invalid page size 0; expected an integer ≥ 1");
    expect(() => pageOf(10, 0, 0)).toThrow(OptionRangeError);
    expect(() => pageOf(10, 5, 2)).toThrow(
      "invalid page 2; expected an integer from 0 to 1 (10 items, 5 a page)",
    );
    expect(() => pageOf(10, 20, 0, 16)).toThrow("invalid page size 20; expected an integer from 1 to 16");
    expect(() => pageOf(-1, 5, 0)).toThrow("invalid item count -1; expected an integer ≥ 0");
  });
});
