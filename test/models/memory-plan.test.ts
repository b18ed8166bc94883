import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import {
  DEFAULT_BATCH_BUDGET_BYTES,
  DEFAULT_CACHE_BUDGET_BYTES,
  parseMemorySize,
  planMemory,
} from "../../src/models/memory-estimate";

// ViT-S/16 at 224 px (CLS + 14·14 patches), all 12 layers × tokens, q, k, v.
const VIT_S = { weightBytes: 88e6, layers: 12, hiddenSize: 384, tokens: 197, fetches: 48 };
const FETCHED_PER_IMAGE = 4 * 197 * 384 * 48; // float32 outputs of one image
const WHAT = '"dino-vits16"';

describe("planMemory", () => {
  it("without a limit, or under a generous one, the budgets are the defaults (256 MiB per batch, 2 GiB of cache)", () => {
    for (const limitBytes of [undefined, 16e9]) {
      expect(planMemory(VIT_S, { limitBytes, what: WHAT })).toMatchObject({
        limitBytes,
        batchBudgetBytes: DEFAULT_BATCH_BUDGET_BYTES,
        cacheBudgetBytes: DEFAULT_CACHE_BUDGET_BYTES,
      });
    }
  });

  it("the minimum is twice the weights, one image's tensors and the runtime without its batch", () => {
    const { minimumBytes } = planMemory(VIT_S, { limitBytes: undefined, what: WHAT });
    const transient = 4 * (8 * 197 * 384 + 2 * 6 * 197 * 197);
    expect(minimumBytes).toBe(2 * 88e6 + FETCHED_PER_IMAGE + transient + 256 * 1024 ** 2);
    expect(minimumBytes / 1e6).toBeCloseTo(463.2, 1);
  });

  it("a tighter limit shrinks batches and cache, whole images at a time, and the plan stays within it", () => {
    const plans = [1e9, 520e6, 470e6].map((limitBytes) => planMemory(VIT_S, { limitBytes, what: WHAT }));
    const batches = plans.map((p) => Math.floor(p.batchBudgetBytes / FETCHED_PER_IMAGE));
    // 1 GB leaves the default budget (4 images of 14.5 MB); tighter limits take whole images off.
    expect(plans[0]?.batchBudgetBytes).toBe(DEFAULT_BATCH_BUDGET_BYTES);
    expect(batches).toEqual([4, 2, 1]);
    for (const [i, plan] of plans.entries()) {
      expect(plan.cacheBudgetBytes).toBeGreaterThanOrEqual(0);
      const perImage = plan.minimumBytes - 2 * 88e6 - 256 * 1024 ** 2;
      const peak = plan.minimumBytes + ((batches[i] as number) - 1) * perImage + plan.cacheBudgetBytes;
      expect(peak).toBeLessThanOrEqual(plan.limitBytes as number);
    }
    expect(plans.map((p) => p.cacheBudgetBytes)).toEqual(
      [...plans.map((p) => p.cacheBudgetBytes)].sort((a, b) => b - a),
    );
    expect(plans[2]?.cacheBudgetBytes).toBeLessThan(DEFAULT_CACHE_BUDGET_BYTES / 10);
  });

  it("a model whose one image's outputs exceed the default batch budget still gets one image per batch", () => {
    const huge = { weightBytes: 1e9, layers: 40, hiddenSize: 4096, tokens: 257, fetches: 160 };
    const plan = planMemory(huge, { limitBytes: 64e9, what: '"big"' });
    expect(plan.batchBudgetBytes).toBe(4 * 257 * 4096 * 160);
  });

  it("refuses, in one line with the need, the limit and its source, a run that cannot fit one image per batch", () => {
    const refuse = () =>
      planMemory(VIT_S, { limitBytes: 100 * 1024 ** 2, limitSource: '--max-memory "100M"', what: WHAT });
    expect(refuse).toThrow(InputError);
    expect(refuse).toThrow(
      /^model "dino-vits16" needs about 463 MB of memory with one image per batch but the limit is 105 MB \(--max-memory "100M"\): raise --max-memory, or pick a smaller --variant/,
    );
    expect(() => planMemory(VIT_S, { limitBytes: undefined, what: WHAT })).not.toThrow();
  });
});

describe("parseMemorySize", () => {
  it("reads bytes, K/M/G/T sizes (powers of 1024) and off, as SEGLENS_MEMORY_LIMIT does", () => {
    expect(parseMemorySize("100M", "--max-memory")).toBe(100 * 1024 ** 2);
    expect(parseMemorySize("1.5G", "--max-memory")).toBe(1.5 * 1024 ** 3);
    expect(parseMemorySize("512MiB", "--max-memory")).toBe(512 * 1024 ** 2);
    expect(parseMemorySize("2tb", "--max-memory")).toBe(2 * 1024 ** 4);
    expect(parseMemorySize("123456", "--max-memory")).toBe(123456);
    expect(parseMemorySize(8e9, "maxMemory")).toBe(8e9);
    for (const off of ["off", "none", "0", "OFF", 0])
      expect(parseMemorySize(off, "--max-memory")).toBeUndefined();
  });

  it.each(["lots", "", "-1G", "1P", "G", "1e9", "1,5G", Number.NaN, -5, Number.POSITIVE_INFINITY])(
    "refuses %j in one line naming the input",
    (value) => {
      expect(() => parseMemorySize(value, "--max-memory")).toThrow(
        new InputError(
          `invalid --max-memory "${value}": expected bytes or a size like 16G, or "off" to skip the check`,
        ),
      );
    },
  );
});
