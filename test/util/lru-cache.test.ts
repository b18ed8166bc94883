import { describe, expect, it } from "vitest";
import { createLruCache } from "../../src/util/lru-cache";

describe("createLruCache", () => {
  it("beyond maxEntries the least recently used entry goes; get refreshes an entry", () => {
    const cache = createLruCache<number>({ maxEntries: 2 });
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([1, undefined, 3]);
    expect(cache.size).toBe(2);
  });

  it("beyond maxBytes the oldest entries go, but the newest stays even when alone too big", () => {
    const cache = createLruCache<Uint8Array>({ maxEntries: 10, maxBytes: 10, sizeOf: (v) => v.length });
    cache.set("a", new Uint8Array(4));
    cache.set("b", new Uint8Array(4));
    expect(cache.bytes).toBe(8);
    cache.set("c", new Uint8Array(4));
    expect([cache.get("a"), cache.get("b")?.length, cache.get("c")?.length]).toEqual([undefined, 4, 4]);
    const big = cache.set("d", new Uint8Array(30));
    expect(cache.get("d")).toBe(big);
    expect([cache.size, cache.bytes]).toEqual([1, 30]);
  });

  it("setting a key again replaces it and its bytes; maxEntries 0 keeps nothing; clear empties", () => {
    const cache = createLruCache<string>({ maxEntries: 3, sizeOf: (v) => v.length });
    cache.set("a", "xxxx");
    cache.set("a", "yy");
    expect([cache.get("a"), cache.bytes, cache.size]).toEqual(["yy", 2, 1]);
    cache.clear();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
    const none = createLruCache<string>({ maxEntries: 0 });
    expect(none.set("a", "v")).toBe("v");
    expect(none.get("a")).toBeUndefined();
  });
});
