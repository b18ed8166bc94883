import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/features/npy";
import { type CliRun, expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";
const env = { ...process.env, SEGLENS_CACHE: join(temp.path, "cache") };
const seglens = (...args: string[]): CliRun => runCli(args, env);
const samples = readdirSync("models/samples")
  .filter((f) => /\.(png|jpg)$/.test(f))
  .sort()
  .map((f) => join("models/samples", f));

function ok(run: CliRun): CliRun {
  expect(run.status, run.stderr).toBe(0);
  return run;
}

/** `seglens features` of the fixture model over `images` into `out` (tokens and k unless `--reps` is given). */
function extract(images: readonly string[], out: string, ...flags: string[]): void {
  const reps = flags.includes("--reps") ? [] : ["--reps", "tokens,k"];
  ok(seglens("features", "--model", MODEL, "--images", ...images, ...reps, ...flags, "--out", out));
}

/** The label maps in `dir`, by file name. */
function labelMaps(dir: string): Map<string, unknown> {
  const names = readdirSync(dir).filter((f) => f.endsWith(".npy"));
  return new Map(names.sort().map((name) => [name, readNpy(join(dir, name))]));
}

describe("seglens segment --features DIR…: clustering stored features without the model", () => {
  const whole = join(temp.path, "whole");
  const parts = [join(temp.path, "part0"), join(temp.path, "part1")];
  beforeAll(() => {
    ok(
      seglens(
        "segment",
        "--model",
        MODEL,
        "--images",
        ...samples,
        "--reps",
        "tokens,k",
        "--k",
        "3",
        "--out",
        whole,
      ),
    );
    extract(samples.slice(0, 2), parts[0] as string);
    extract(samples.slice(2), parts[1] as string);
  });

  it("two feature folders, in the order given, give the label maps, inertia and metrics of one run over all images", () => {
    const out = join(temp.path, "from-features");
    const run = ok(seglens("segment", "--features", ...parts, "--k", "3", "--out", out));
    expect(run.stdout).toMatch(/5 images/);
    expect(labelMaps(out)).toEqual(labelMaps(whole));
    const meta = (dir: string) => JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    expect(meta(out).inertia).toEqual(meta(whole).inertia);
    expect(meta(out).images).toEqual(meta(whole).images);
    expect(meta(out).provenance.image_sha256).toEqual(meta(whole).provenance.image_sha256);
    expect(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"))).toEqual(
      JSON.parse(readFileSync(join(whole, "metrics.json"), "utf8")),
    );
  });

  it("shards written with --shard, given in any order, are joined in shard order; a missing shard is refused", () => {
    const shards = [0, 1, 2].map((i) => join(temp.path, `shard${i}`));
    for (const [i, dir] of shards.entries()) extract(samples, dir, "--shard", `${i}/3`);
    const out = join(temp.path, "from-shards");
    ok(
      seglens(
        "segment",
        "--features",
        shards[2] as string,
        shards[0] as string,
        shards[1] as string,
        "--k",
        "3",
        "--out",
        out,
      ),
    );
    expect(labelMaps(out)).toEqual(labelMaps(whole));
    expect(JSON.parse(readFileSync(join(out, "meta.json"), "utf8")).shard).toBeUndefined();
    expectOneLineFailure(
      seglens(
        "segment",
        "--features",
        shards[0] as string,
        shards[2] as string,
        "--out",
        join(temp.path, "gap"),
      ),
      /--features has shards 0, 2 of 3: shard 1 missing/,
    );
  });

  it("refuses in one line: with --model, a folder without meta.json, folders of different models or layers", () => {
    const out = join(temp.path, "refused");
    expectOneLineFailure(
      seglens("segment", "--features", ...parts, "--model", MODEL, "--out", out),
      /--features reads stored features: --model does not apply/,
    );
    expectOneLineFailure(
      seglens("segment", "--k", "3", "--out", out),
      /segment needs --model, or --features/,
    );
    expectOneLineFailure(
      seglens("segment", "--features", temp.path, "--out", out),
      /has no meta\.json: not a finished `seglens features` folder/,
    );
    const other = join(temp.path, "other");
    extract([samples[0] as string], other, "--reps", "tokens");
    expectOneLineFailure(
      seglens("segment", "--features", parts[0] as string, other, "--out", out),
      /does not belong with .*: reps is \["tokens"\], not \["tokens","k"\]/,
    );
    const edited = JSON.parse(readFileSync(join(other, "meta.json"), "utf8"));
    edited.reps = ["tokens", "k"];
    edited.provenance.model_sha256 = "0".repeat(64);
    writeFileSync(join(other, "meta.json"), JSON.stringify(edited));
    expectOneLineFailure(
      seglens("segment", "--features", parts[0] as string, other, "--out", out),
      /model_sha256 is "0{64}"/,
    );
  });
});
