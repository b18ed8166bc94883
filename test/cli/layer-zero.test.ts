import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { prepareRequest } from "../../src/features/feature-request";
import { expectNoStackTrace, expectOneLineFailure, failureLines, runCli, runCliMany } from "../support/cli";
import { testCacheDir } from "../support/temp";

// Layer 0 is the embeddings entering block 1: they have tokens, but no attention, so no q, k, v.
const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";
const env = { ...process.env, HF_HUB_OFFLINE: "1", SEGLENS_CACHE: join(temp.path, "cache") };
const NOTHING =
  /^seglens: --layers "0" with --reps "q" selects nothing: layer 0 is the embeddings, which have tokens but no q, k, v; add tokens to --reps or choose layers from 1\.\.2$/;

function seglens(command: string, out: string, ...extra: string[]) {
  return runCli([command, "--model", MODEL, "--images", "models/samples", "--out", out, ...extra], env);
}

describe("--layers 0 with only q, k or v: nothing to do", () => {
  it("features, segment and figure refuse with the same line, with a cold feature cache and a warm one", () => {
    const cold = ["features", "segment", "figure"].map((command) =>
      seglens(command, join(temp.path, `${command}.png`), "--layers", "0", "--reps", "q"),
    );
    for (const run of cold) expectOneLineFailure(run, NOTHING);

    // Warm the on-disk feature cache with layer 0's tokens and layer 1's q.
    const warmed = seglens("segment", join(temp.path, "warm"), "--layers", "0,1", "--reps", "tokens,q");
    expect(warmed.status).toBe(0);
    const warm = seglens("segment", join(temp.path, "warm-again"), "--layers", "0", "--reps", "q");
    expectOneLineFailure(warm, NOTHING);
    expect(new Set([...cold, warm].map((run) => run.stderr)).size).toBe(1);
  });

  it("the library refuses it too, as an InputError", async () => {
    const request = prepareRequest({
      model: MODEL,
      images: ["models/samples"],
      layers: [0],
      reps: ["q", "k"],
    });
    await expect(request).rejects.toThrow(InputError);
    await expect(request).rejects.toThrow(/--layers "0" with --reps "q,k" selects nothing/);
  });
});

describe("--layers 0 beside other layers: q, k, v at layer 0 are skipped with a note", () => {
  const NOTE = "note: layer 0 (the embeddings) has no q, k, v: skipped q_L0\n";

  it("features --layers 0,1 --reps tokens,q writes tokens_L0, tokens_L1 and q_L1, and says so in one note", () => {
    const out = join(temp.path, "features-01");
    const run = seglens("features", out, "--layers", "0,1", "--reps", "tokens,q");
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(NOTE);
    expect(run.stdout).toMatch(/wrote 3 arrays /);
    expect(readdirSync(out).sort()).toEqual(["meta.json", "q_L1.npy", "tokens_L0.npy", "tokens_L1.npy"]);
  });

  it("segment --layers 0,1 --reps tokens,q writes three label maps, with the same note", () => {
    const out = join(temp.path, "segment-01");
    const run = seglens("segment", out, "--layers", "0,1", "--reps", "tokens,q");
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(NOTE);
    expect(
      readdirSync(out)
        .filter((f) => f.startsWith("labels_"))
        .sort(),
    ).toEqual(["labels_q_L1.npy", "labels_tokens_L0.npy", "labels_tokens_L1.npy"]);
  });

  it("figure --cols reps (or --reps q) --layers 0,1: layer 1's row only, with a note; --cols reps --layers 0 is refused", () => {
    const NOTE_ROW = "note: layer 0 (the embeddings) has no q, k, v: the figure leaves its row out\n";
    const reps = seglens("figure", join(temp.path, "reps.svg"), "--cols", "reps", "--layers", "0,1");
    expect(reps.status).toBe(0);
    expect(reps.stderr).toBe(NOTE_ROW);
    expect(reps.stdout).toMatch(/1 × 4 panels/);
    const q = seglens("figure", join(temp.path, "q.svg"), "--reps", "q", "--layers", "0,1");
    expect(q.status).toBe(0);
    expect(q.stderr).toBe(NOTE_ROW);
    expect(q.stdout).toMatch(/1 × 5 panels/);
    const zero = seglens("figure", join(temp.path, "zero.svg"), "--cols", "reps", "--layers", "0");
    expectOneLineFailure(
      zero,
      /^seglens: --cols reps shows q, k, v, and --layers "0" is layer 0, the embeddings, which have tokens but no q, k, v; choose layers from 1 up, or --cols images$/,
    );
  });

  it("figure, every --rows × --cols × --reps q|q,tokens|tokens × --layers 0|0,1: a figure, or one line and exit 2", async () => {
    const lists: string[][] = [];
    for (const rows of ["layers", "models"])
      for (const cols of ["images", "reps"])
        for (const reps of ["q", "q,tokens", "tokens"])
          for (const layers of ["0", "0,1"]) {
            const out = join(temp.path, `grid-${lists.length}.svg`);
            lists.push(
              ["figure", "--model", MODEL, "--images", "models/samples/coffee.png", "--rows", rows].concat([
                "--cols",
                cols,
                "--reps",
                reps,
                "--layers",
                layers,
                "--out",
                out,
              ]),
            );
          }
    const runs = await runCliMany(lists, { env });
    for (const [i, run] of runs.entries()) {
      const what = `${(lists[i] as string[]).join(" ")}\n${run.stderr}`;
      expect([0, 2], what).toContain(run.status);
      expect(failureLines(run.stderr).length, what).toBe(run.status === 0 ? 0 : 1);
      expectNoStackTrace(run.stderr);
    }
  }, 300_000);
});
