import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareRequest } from "../../src/features/feature-request";
import { features } from "../../src/features/features";
import { writeFeatures } from "../../src/features/write-features";
import { DEFAULT_BATCH_BUDGET_BYTES, DEFAULT_CACHE_BUDGET_BYTES } from "../../src/models/memory-estimate";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4"; // 2 blocks, hidden 32, patch 8, 32 px: 16 patches
const SAMPLES = "models/samples"; // 5 images

describe("prepareRequest: shard and memory plan", () => {
  it("shard keeps the shard's images and says which shard of how many images it is", async () => {
    const whole = await prepareRequest({ model: MODEL, images: [SAMPLES] });
    const shard = await prepareRequest({ model: MODEL, images: [SAMPLES], shard: { index: 2, count: 3 } });
    expect(whole.shard).toBeUndefined();
    expect(shard.images).toEqual(whole.images.slice(3));
    expect(shard.shard).toEqual({ index: 2, count: 3, imagesTotal: 5 });
  });

  it('maxMemory plans the budgets: under 4G a tiny model keeps the defaults, under 1G a smaller cache; "off" has no limit', async () => {
    const plan = (await prepareRequest({ model: MODEL, images: [SAMPLES], maxMemory: "4G" })).memoryPlan;
    expect(plan).toMatchObject({
      limitBytes: 4 * 1024 ** 3,
      batchBudgetBytes: DEFAULT_BATCH_BUDGET_BYTES,
      cacheBudgetBytes: DEFAULT_CACHE_BUDGET_BYTES,
    });
    const tight = (await prepareRequest({ model: MODEL, images: [SAMPLES], maxMemory: "1G" })).memoryPlan;
    expect(tight.batchBudgetBytes).toBeLessThanOrEqual(DEFAULT_BATCH_BUDGET_BYTES);
    expect(tight.cacheBudgetBytes).toBeLessThan(1024 ** 3 - tight.minimumBytes);
    expect(tight.cacheBudgetBytes).toBeGreaterThan((1024 ** 3 - tight.minimumBytes) / 2);
    // 2 blocks × 4 representations of 1 + 16 tokens × 32 floats, and the runtime without its batch.
    expect(plan.minimumBytes).toBeGreaterThan(256 * 1024 ** 2);
    expect(plan.minimumBytes).toBeLessThan(256 * 1024 ** 2 + 2e6);
    const off = await prepareRequest({ model: MODEL, images: [SAMPLES], maxMemory: "off" });
    expect(off.memoryPlan.limitBytes).toBeUndefined();
  });

  it("maxMemory wins over the caller's memoryLimitBytes; a limit below one image per batch is refused", async () => {
    const request = { model: MODEL, images: [SAMPLES] };
    await expect(
      prepareRequest({ ...request, maxMemory: 100 * 1024 ** 2 }, { memoryLimitBytes: undefined }),
    ).rejects.toThrow(
      /^model "models\/fixtures\/dinov2-tf4" needs about 269 MB of memory with one image per batch but the limit is 105 MB \(--max-memory "104857600"\)/,
    );
    const caller = await prepareRequest(request, { memoryLimitBytes: 2e9 });
    expect(caller.memoryPlan.limitBytes).toBe(2e9);
    await expect(prepareRequest({ ...request, maxMemory: "lots" })).rejects.toThrow(
      /^invalid --max-memory "lots"/,
    );
  });
});

describe("features() under maxMemory", () => {
  it("a limit that leaves room for one image runs one image per batch, with the same arrays", async () => {
    const request = { model: MODEL, images: [SAMPLES], layers: "all", reps: "tokens,q,k,v" };
    const { minimumBytes } = (await prepareRequest(request)).memoryPlan;
    const batches = async (maxMemory: number | undefined) => {
      const done: number[] = [];
      const set = await features({
        ...request,
        ...(maxMemory === undefined ? {} : { maxMemory }),
        onProgress: (p) => done.push(p.done),
      });
      return { done, set };
    };
    const tight = await batches(minimumBytes + 1000);
    const free = await batches(undefined);
    expect(tight.done).toEqual([1, 2, 3, 4, 5]);
    expect(free.done).toEqual([5]);
    expect(tight.set.arrays.get("q_L2")).toEqual(free.set.arrays.get("q_L2"));

    // writeFeatures (seglens features) follows the same plan.
    const prepared = await prepareRequest({ ...request, maxMemory: minimumBytes + 1000 });
    const written: number[] = [];
    await writeFeatures(prepared, join(temp.path, "tight"), { onProgress: (p) => written.push(p.done) });
    expect(written).toEqual([1, 2, 3, 4, 5]);
  });
});
