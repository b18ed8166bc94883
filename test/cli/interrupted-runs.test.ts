// Runs that fail or are stopped leave nothing half-written and lose no finished work: real CLI
// processes on the bundled tiny model, stopped by real signals once they have visibly got going.
import { type ChildProcess, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSharp } from "../../src/util/load-sharp";
import { isTempName } from "../../src/util/temp-files";
import { type CliRun, expectOneLineFailure, runCliAsync } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";
// Enough images for six batches of 64, so a run is still busy when the test has seen its first
// batch finish and signalled it, also on a loaded machine.
const MANY = 384;
const many = join(temp.path, "many");
const withCorrupt = join(temp.path, "with-corrupt");

beforeAll(async () => {
  // Distinct files (the feature cache is keyed by contents): one 512² PNG with a different tail each.
  const side = 512;
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 251 < 128 ? 40 : 200;
  const png = await loadSharp()(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
  mkdirSync(many);
  for (let i = 0; i < MANY; i++)
    writeFileSync(join(many, name(i)), Buffer.concat([png, Buffer.from(`#${i}`)]));
  // 100 images, the 70th corrupt: it falls in the second batch, after 64 images are done.
  mkdirSync(withCorrupt);
  for (let i = 0; i < 100; i++) copyFileSync(join(many, name(i)), join(withCorrupt, name(i)));
  copyFileSync("test/fixtures/images/corrupt.png", join(withCorrupt, name(69)));
});

function name(i: number): string {
  return `img${String(i).padStart(4, "0")}.png`;
}

/** An environment with its own seglens cache, so each test's feature cache starts empty. */
function envWithCache(id: string): NodeJS.ProcessEnv & { SEGLENS_CACHE: string } {
  return { ...process.env, SEGLENS_CACHE: join(temp.path, `cache-${id}`) };
}

/** How many images the feature cache holds as finished (entries of tokens_L2 in its journal). */
function journaledImages(env: { SEGLENS_CACHE: string }): number {
  const partial = join(env.SEGLENS_CACHE, "features", "partial");
  if (!existsSync(partial)) return 0;
  return readdirSync(partial)
    .map((run) => join(partial, run, "tokens_L2"))
    .filter((dir) => existsSync(dir))
    .reduce((n, dir) => n + readdirSync(dir).filter((f) => f.endsWith(".npy")).length, 0);
}

/** Every file under `dir` (hidden ones too) with its contents. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, "latin1");
    }
  };
  walk(dir);
  return files;
}

interface Started {
  child: ChildProcess;
  exited: Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, ["dist/cli/main.js", ...args], { env });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<CliRun & { signal: NodeJS.Signals | null }>((done, fail) => {
    child.on("error", fail);
    child.on("close", (status, signal) => done({ status, signal, stdout, stderr }));
  });
  return { child, exited };
}

/** Resolves once `condition` holds, checking every 20 ms; fails if the run ends first or after 5 minutes. */
async function waitFor(condition: () => boolean, what: string, run: Started): Promise<void> {
  let ended: string | undefined;
  run.exited.then((r) => {
    ended = `status ${r.status}, signal ${r.signal}, stderr ${r.stderr}`;
  });
  const deadline = performance.now() + 300_000;
  while (!condition() && performance.now() < deadline) {
    if (ended !== undefined) throw new Error(`the run ended before ${what} (${ended})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!condition()) throw new Error(`no ${what} within 5 minutes`);
}

/**
 * A run stopped by a signal it handled: it exited by itself with the shell's status for that
 * signal (130 for Ctrl-C, 143 for SIGTERM) and one `seglens:` line naming it.
 */
function expectStoppedCleanly(
  run: CliRun & { signal: NodeJS.Signals | null },
  by: "SIGINT" | "SIGTERM",
): void {
  expect(run.signal).toBeNull();
  const line = by === "SIGINT" ? /^seglens: interrupted by Ctrl-C$/ : /^seglens: interrupted by SIGTERM$/;
  expectOneLineFailure(run, line, by === "SIGINT" ? 130 : 143);
}

const features = (out: string, ...more: string[]) => [
  "features",
  "--model",
  MODEL,
  "--images",
  many,
  "--out",
  out,
  ...more,
];

// Each test runs the CLI two or three times over hundreds of images: minutes on a loaded machine.
describe("a run that fails or is stopped", { timeout: 300_000 }, () => {
  it("an unreadable image (70th of 100): one line naming it; --out as it was, no folder made; the rerun without it resumes from the 64 images before it", async () => {
    const env = envWithCache("corrupt");
    const existing = join(temp.path, "existing");
    mkdirSync(existing);
    writeFileSync(join(existing, "notes.txt"), "mine");
    writeFileSync(join(existing, "meta.json"), "an earlier run's");
    writeFileSync(join(existing, "tokens_L1.npy"), "an earlier run's");
    const before = snapshot(existing);
    const args = ["features", "--model", MODEL, "--images", withCorrupt];
    const failed = await runCliAsync([...args, "--out", existing], env);
    expectOneLineFailure(failed, /^seglens: cannot decode image ".*img0069\.png"/, 2);
    expect(snapshot(existing)).toEqual(before);

    const missing = join(temp.path, "made", "deeper", "out");
    expectOneLineFailure(await runCliAsync([...args, "--out", missing], env), /img0069\.png/, 2);
    expect(existsSync(join(temp.path, "made"))).toBe(false);
    expect(journaledImages(env)).toBe(64);

    rmSync(join(withCorrupt, name(69)));
    const rerun = await runCliAsync([...args, "--out", missing], env);
    expect(rerun.stderr).toBe("");
    expect(rerun.stdout).toMatch(/resumed: 64 of 99 images were already in the feature cache, 35 computed/);
    expect(readdirSync(missing)).toContain("meta.json");
    expect(journaledImages(env)).toBe(0); // dropped once the output holds everything
  });

  it("Ctrl-C (SIGINT) mid-run: rolled back, nothing under --out's folder; the rerun computes only what was not finished and writes what a fresh run writes", async () => {
    const env = envWithCache("sigint");
    const parent = join(temp.path, "sigint");
    mkdirSync(parent);
    writeFileSync(join(parent, "notes.txt"), "mine");
    const run = start(features(join(parent, "out")), env);
    await waitFor(() => journaledImages(env) > 0, "a batch was finished", run);
    run.child.kill("SIGINT");
    expectStoppedCleanly(await run.exited, "SIGINT");
    expect(readdirSync(parent)).toEqual(["notes.txt"]);
    const finished = journaledImages(env);
    expect(finished).toBeGreaterThanOrEqual(64);
    expect(finished).toBeLessThan(MANY); // stopped before the end

    const rerun = await runCliAsync(features(join(parent, "out")), env);
    expect(rerun.status).toBe(0);
    expect(rerun.stdout).toContain(
      `resumed: ${finished} of ${MANY} images were already in the feature cache, ${MANY - finished} computed`,
    );
    const fresh = await runCliAsync(features(join(parent, "fresh"), "--no-cache"), env);
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).not.toContain("resumed");
    const files = readdirSync(join(parent, "fresh")).filter((f) => f.endsWith(".npy"));
    expect(files).toHaveLength(8);
    for (const file of files) {
      expect(
        readFileSync(join(parent, "out", file)).equals(readFileSync(join(parent, "fresh", file))),
        file,
      ).toBe(true);
    }
  });

  it("SIGTERM mid-run into a folder with files: rolled back, the folder exactly as it was", async () => {
    const env = envWithCache("sigterm");
    const out = join(temp.path, "sigterm");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine");
    writeFileSync(join(out, "meta.json"), "an earlier run's");
    const before = snapshot(out);
    const run = start(features(out), env);
    await waitFor(() => readdirSync(out).some(isTempName), "its first .npy file appeared", run);
    run.child.kill("SIGTERM");
    expectStoppedCleanly(await run.exited, "SIGTERM");
    expect(snapshot(out)).toEqual(before);
  });

  it("SIGKILL mid-run: the leftovers carry the dead run's pid; the next run removes them and succeeds", async () => {
    const env = envWithCache("sigkill");
    const parent = join(temp.path, "sigkill");
    mkdirSync(parent);
    const run = start(features(join(parent, "out")), env);
    await waitFor(() => readdirSync(parent).length > 0, "its output folder appeared", run);
    run.child.kill("SIGKILL");
    expect((await run.exited).signal).toBe("SIGKILL");
    expect(readdirSync(parent)).toEqual([
      expect.stringMatching(`^\\.out\\.seglens-${run.child.pid}-\\d+\\.tmp$`),
    ]);

    const rerun = await runCliAsync(features(join(parent, "out")), env);
    expect(rerun.stderr).toBe("");
    expect(readdirSync(parent)).toEqual(["out"]);
    expect(readdirSync(join(parent, "out")).sort()).toEqual(
      ["meta.json", ...["k", "q", "tokens", "v"].flatMap((r) => [`${r}_L1.npy`, `${r}_L2.npy`])].sort(),
    );
    expect(snapshotNames(join(env.SEGLENS_CACHE, "features")).filter(isTempName)).toEqual([]);
  });

  it("segment stopped by Ctrl-C while extracting: no --out folder; the rerun resumes and writes it", async () => {
    const env = envWithCache("segment");
    const parent = join(temp.path, "segment");
    mkdirSync(parent);
    const args = [
      "segment",
      "--model",
      MODEL,
      "--images",
      many,
      "--reps",
      "tokens",
      "--out",
      join(parent, "out"),
    ];
    const run = start(args, env);
    await waitFor(() => journaledImages(env) > 0, "a batch was finished", run);
    run.child.kill("SIGINT");
    expectStoppedCleanly(await run.exited, "SIGINT");
    expect(readdirSync(parent)).toEqual([]);
    const finished = journaledImages(env);
    expect(finished).toBeLessThan(MANY);

    const rerun = await runCliAsync(args, env);
    expect(rerun.stderr).toBe("");
    expect(readdirSync(join(parent, "out")).sort()).toEqual([
      "labels_tokens_L1.npy",
      "labels_tokens_L2.npy",
      "meta.json",
      "metrics.json",
    ]);
  });

  it("figure onto a folder, under a file, or with an unreadable image: one line naming --out or the image; nothing written", async () => {
    const env = envWithCache("figure");
    const dir = join(temp.path, "figure");
    mkdirSync(join(dir, "taken.png"), { recursive: true });
    writeFileSync(join(dir, "file.txt"), "mine");
    const before = snapshot(dir);
    const figure = (out: string, ...images: string[]) =>
      runCliAsync(["figure", "--model", MODEL, "--images", "models/samples", ...images, "--out", out], env);

    const onFolder = await figure(join(dir, "taken.png"));
    expectOneLineFailure(onFolder, /^seglens: cannot write --out ".*taken\.png": EISDIR$/m, 2);
    const underFile = await figure(join(dir, "file.txt", "figure.png"));
    expectOneLineFailure(underFile, /cannot write --out ".*file\.txt\/figure\.png": a file is in the way/, 2);
    const badImage = await figure(join(dir, "new", "sub", "figure.png"), "test/fixtures/images/corrupt.png");
    expectOneLineFailure(badImage, /corrupt\.png/, 2);
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(["file.txt", "taken.png"]);
  });
});

/** Names of every file and folder under `dir`. */
function snapshotNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map((p) => String(p).split("/").at(-1) as string);
}
