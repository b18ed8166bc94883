/** A seeded pseudo-random source: same seed, same sequence, on every machine. */
export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Shuffles `values[from, to)` in place (Fisher–Yates). */
  shuffle<T extends { length: number; [i: number]: number }>(values: T, from?: number, to?: number): T;
}

/** mulberry32: small, fast and good enough for sampling and shuffles (not for cryptography). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(uniform() * n);
  return {
    uniform,
    int,
    shuffle(values, from = 0, to = values.length) {
      for (let i = to - 1; i > from; i--) {
        const j = from + int(i - from + 1);
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
      }
      return values;
    },
  };
}
