/**
 * A least-recently-used cache bounded by entries and, optionally, by bytes: what the explorer
 * keeps of its computed clusterings, frames and decoded images.
 */

/** Options of {@link createLruCache}. */
export interface LruCacheOptions<V> {
  /** Entries kept at most; 0 keeps none. */
  maxEntries: number;
  /** Bytes kept at most, as `sizeOf` counts them; default no limit. The newest entry always stays. */
  maxBytes?: number;
  /** Bytes of one value; default 0. */
  sizeOf?: (value: V) => number;
}

/** A Map that forgets its least recently used entries beyond its bounds. */
export interface LruCache<V> {
  /** The value, now the most recently used; `undefined` if absent. */
  get(key: string): V | undefined;
  /** Stores `value` as the most recently used, evicts beyond the bounds, and returns `value`. */
  set(key: string, value: V): V;
  clear(): void;
  readonly size: number;
  /** Bytes held, as `sizeOf` counts them. */
  readonly bytes: number;
}

/** Creates an empty {@link LruCache}. */
export function createLruCache<V>(options: LruCacheOptions<V>): LruCache<V> {
  const entries = new Map<string, { value: V; bytes: number }>();
  const maxBytes = options.maxBytes ?? Infinity;
  let bytes = 0;
  const remove = (key: string) => {
    bytes -= entries.get(key)?.bytes ?? 0;
    entries.delete(key);
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key); // most recently used last
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value) {
      remove(key);
      if (options.maxEntries <= 0) return value;
      const size = options.sizeOf?.(value) ?? 0;
      entries.set(key, { value, bytes: size });
      bytes += size;
      for (const oldest of entries.keys()) {
        if (entries.size <= options.maxEntries && (bytes <= maxBytes || entries.size === 1)) break;
        remove(oldest);
      }
      return value;
    },
    clear() {
      entries.clear();
      bytes = 0;
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
