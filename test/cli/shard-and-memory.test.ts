import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/features/npy";
import { type CliRun, expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";
const SAMPLES = "models/samples"; // 5 images

/** The test run's environment without a memory limit or a SLURM job of its own. */
function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SEGLENS_MEMORY_LIMIT: "" };
  for (const name of Object.keys(env)) if (name.startsWith("SLURM_")) delete env[name];
  return { ...env, ...extra };
}

function seglens(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliRun {
  return runCli(args, environment(env));
}

function features(out: string, ...more: string[]): string[] {
  return ["features", "--model", MODEL, "--images", SAMPLES, "--out", out, ...more];
}

const readMeta = (dir: string) => JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));

describe("seglens features --shard i/N", () => {
  it("shards 0/2 and 1/2 (the second as --shard auto in a SLURM array task) concatenate to the unsharded run", () => {
    const whole = join(temp.path, "whole");
    const shards = [join(temp.path, "shard-0"), join(temp.path, "shard-1")];
    expect(seglens(features(whole)).status).toBe(0);
    const first = seglens(features(shards[0] as string, "--shard", "0/2"));
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^seglens features: 2 images \(shard 0 of 2: images 1-2 of 5\) through /);
    const slurm = { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "2", SLURM_ARRAY_TASK_MIN: "0" };
    const second = seglens(features(shards[1] as string, "--shard", "auto"), slurm);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^seglens features: 3 images \(shard 1 of 2: images 3-5 of 5\) through /);

    const all = readMeta(whole);
    expect(all.shard).toBeUndefined();
    const metas = shards.map(readMeta);
    expect(metas.map((m) => m.shard)).toEqual([
      { index: 0, count: 2, images_total: 5 },
      { index: 1, count: 2, images_total: 5 },
    ]);
    expect(metas.flatMap((m) => m.images)).toEqual(all.images);
    expect(metas.flatMap((m) => m.provenance.image_sha256)).toEqual(all.provenance.image_sha256);
    for (const meta of metas) {
      // Every field of an unsharded meta.json is there, with the same value but for the images.
      const { shard: _shard, images: _images, provenance, ...rest } = meta;
      const { images: _all, provenance: allProvenance, ...allRest } = all;
      expect(rest).toEqual(allRest);
      expect({ ...provenance, image_sha256: [] }).toEqual({ ...allProvenance, image_sha256: [] });
    }
    for (const key of ["tokens_L1", "q_L2", "v_L1"]) {
      const [a, b] = shards.map((dir) => readNpy(join(dir, `${key}.npy`)));
      const full = readNpy(join(whole, `${key}.npy`));
      expect([a?.dims, b?.dims]).toEqual([
        [2, 17, 32],
        [3, 17, 32],
      ]);
      const joined = new Float32Array(full.data.length);
      joined.set(a?.data ?? []);
      joined.set(b?.data ?? [], a?.data.length ?? 0);
      expect(joined).toEqual(full.data);
    }
  });

  it.each(["3/3", "0/0", "a/b", "1/", "auto"])(
    "--shard %j is refused in one line, exit 2, nothing written",
    (value) => {
      const out = join(temp.path, `bad-${value.replace("/", "_")}`);
      const run = seglens(features(out, "--shard", value));
      expectOneLineFailure(
        run,
        value === "auto"
          ? /^seglens: --shard "auto" reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, which are not set/
          : new RegExp(
              `^seglens: invalid --shard "${value}": expected i/N with 0 ≤ i < N \\(shard i of N, numbered from 0`,
            ),
      );
      expect(existsSync(out)).toBe(false);
    },
  );

  it("a shard left with no images (8 shards of 5 images) is refused, saying how many shards fit", () => {
    const out = join(temp.path, "empty-shard");
    const run = seglens(features(out, "--shard", "0/8"));
    expectOneLineFailure(
      run,
      /^seglens: --shard 0\/8 has no images: 5 images in 8 shards leave some empty; use at most 5 shards$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe("--max-memory", () => {
  const NEEDS =
    /^seglens: model "models\/fixtures\/dinov2-tf4" needs about \d+ MB of memory with one image per batch but the limit is 105 MB /;

  it("features --max-memory 100M is refused before inference: one line with the need and the limit, exit 2", () => {
    const cache = join(temp.path, "refused-cache");
    const out = join(temp.path, "refused");
    const run = seglens(features(out, "--max-memory", "100M"), { SEGLENS_CACHE: cache });
    expectOneLineFailure(run, new RegExp(`${NEEDS.source}\\(--max-memory "100M"\\): raise --max-memory`));
    expect(existsSync(out)).toBe(false);
    // Extraction keeps finished images under features/ from its first batch on: it never started.
    expect(existsSync(join(cache, "features"))).toBe(false);
  });

  it("segment and figure take it too, and SEGLENS_MEMORY_LIMIT alone refuses the same way", () => {
    const images = ["--model", MODEL, "--images", join(SAMPLES, "coffee.png")];
    const segment = seglens(["segment", ...images, "--out", join(temp.path, "seg"), "--max-memory", "100M"]);
    expectOneLineFailure(segment, NEEDS);
    const figure = seglens([
      "figure",
      ...images,
      "--out",
      join(temp.path, "fig.png"),
      "--max-memory",
      "100M",
    ]);
    expectOneLineFailure(figure, NEEDS);
    const variable = seglens(["segment", ...images, "--out", join(temp.path, "seg")], {
      SEGLENS_MEMORY_LIMIT: "100M",
    });
    expectOneLineFailure(variable, new RegExp(`${NEEDS.source}\\(SEGLENS_MEMORY_LIMIT "100M"\\)`));
    expect(existsSync(join(temp.path, "seg"))).toBe(false);
  });

  it("the flag wins over SEGLENS_MEMORY_LIMIT, and a limit the run fits in changes nothing in its output", () => {
    const out = join(temp.path, "fits");
    const run = seglens(
      ["segment", "--model", MODEL, "--images", SAMPLES, "--k", "3", "--out", out, "--max-memory", "1G"],
      { SEGLENS_MEMORY_LIMIT: "100M" },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(existsSync(join(out, "metrics.json"))).toBe(true);
  });

  it.each([
    ["features", "lots"],
    ["segment", "-1G"],
    ["figure", "1P"],
  ])("%s --max-memory %j is refused in one line naming the flag", (command, value) => {
    const out = join(temp.path, command === "figure" ? "bad.png" : `bad-memory-${command}`);
    const run = seglens([
      command,
      "--model",
      MODEL,
      "--images",
      SAMPLES,
      "--out",
      out,
      "--max-memory",
      value,
    ]);
    expectOneLineFailure(
      run,
      new RegExp(
        `^seglens: invalid --max-memory "${value}": expected bytes or a size like 16G, or "off" to skip the check$`,
      ),
    );
  });
});
