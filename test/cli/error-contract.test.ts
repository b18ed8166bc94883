import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportFailure } from "../../src/cli/report-failure";
import { CancelledError, InputError, NetworkError, UnsupportedModelError } from "../../src/errors";
import { createInferenceWorker } from "../../src/runtime/inference-client";
import { expectOneLineFailure, runCli, runCliAsync } from "../support/cli";
import { EXPORT_ONLY_ID, writeExportOnlyCatalog } from "../support/export-only-catalog";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";
const env = {
  ...process.env,
  HF_HUB_OFFLINE: "1",
  HF_HUB_CACHE: join(temp.path, "hub"),
  SEGLENS_CACHE: join(temp.path, "cache"),
  // The bundled catalog plus a model only the Python export makes (no bundled one needs it).
  SEGLENS_CATALOG: writeExportOnlyCatalog(temp.path),
};
const out = join(temp.path, "out");

/** `seglens segment` on the bundled model and sample photos, plus `extra` flags. */
function segment(...extra: string[]): string[] {
  return ["segment", "--model", MODEL, "--images", "models/samples", "--out", out, ...extra];
}

/** Test names without the temporary folder. */
function named(cases: [string[], RegExp][]): { name: string; args: string[]; message: RegExp }[] {
  return cases.map(([args, message]) => ({
    name: `seglens ${args.join(" ").replaceAll(out, "OUT")}`,
    args,
    message,
  }));
}

describe("the CLI's error contract: exit 2 and exactly one line 'seglens: …' saying what is wrong and what is allowed", () => {
  const cases = named([
    // Option values
    [segment("--k", "40"), /^seglens: invalid --k "40": expected an integer in 2\.\.32$/],
    [segment("--k", "2.5"), /invalid --k "2\.5": expected an integer in 2\.\.32/],
    [segment("--k", "six"), /invalid --k "six": expected an integer in 2\.\.32/],
    [segment("--restarts", "-1"), /invalid --restarts "-1": expected an integer in 1\.\.64/],
    [segment("--max-iter", "0"), /invalid --max-iter "0": expected an integer in 1\.\.10000/],
    [segment("--seed", "-3"), /invalid --seed "-3": expected an integer in 0\.\.4294967295/],
    [segment("--reps", "tokens,attn"), /invalid --reps entry "attn"; expected some of tokens,q,k,v/],
    [segment("--layers", "1-"), /invalid --layers entry "1-"; expected all, last, N or N-M \(e\.g\. 1,3-5\)/],
    [segment("--layers", "3-1"), /invalid --layers range "3-1"; a range N-M needs N ≤ M/],
    [segment("--layers", "9"), /--layers "9" is out of range: the model has layers 0\.\.2/],
    [segment("--normalize", "l1"), /invalid --normalize "l1": expected one of l2, none/],
    [segment("--ep", "gpu"), /invalid --ep "gpu": expected one of cpu, cuda/],
    [segment("--size", "0"), /invalid --size "0": expected an integer in 1\.\.4096/],
    [segment("--std", "0,1,1"), /invalid --std "0,1,1": expected three numbers above 0/],
    [
      ["figure", "--model", MODEL, "--images", "models/samples", "--rows", "cols", "--out", "f.png"],
      /invalid --rows "cols": expected one of layers, models/,
    ],
    [
      ["figure", "--model", MODEL, "--images", "models/samples", "--out", join(out, "f.jpg")],
      /--out ".*f\.jpg" must end in \.png or \.svg/,
    ],
    // commander's own checks, in the same words
    [
      ["segment", "--model", MODEL, "--images", "models/samples"],
      /^seglens: `seglens segment` needs --out <DIR> \(output folder\)$/,
    ],
    [
      ["features", "--model", MODEL, "--out", out, "--images"],
      /^seglens: --images <X\.\.\.> needs a value: image files or folders/,
    ],
    [
      segment("--restart", "4"),
      /^seglens: unknown option "--restart" for `seglens segment` \(did you mean --restarts\?\); its options are --model, .*, --k, /,
    ],
    [
      ["segmnt"],
      /^seglens: unknown command "segmnt" \(did you mean segment\?\); the commands are features, segment, figure, models, /,
    ],
    [[], /^seglens: missing command; the commands are features, segment, figure, models, /],
    [["help", "nosuch"], /^seglens: unknown command "nosuch"; the commands are features, /],
    [["models", "extra"], /^seglens: `seglens models` takes no arguments besides its options; got "extra"/],
    // Files
    [
      ["features", "--model", MODEL, "--images", "no/such.png", "--out", out],
      /image "no\/such\.png" does not exist/,
    ],
    [
      ["features", "--model", MODEL, "--images", "test/fixtures/images/corrupt.png", "--out", out],
      /corrupt\.png/,
    ],
    [segment("--masks", "no/such"), /--masks "no\/such" does not exist; expected a folder/],
    [segment("--masks", "README.md"), /--masks "README\.md" is not a folder/],
    // Folders that cannot be made: Node's recursive mkdir would spin forever under /proc
    [
      ["features", "--model", MODEL, "--images", "models/samples/coffee.png", "--out", "/proc/seglens-no/x"],
      /^seglens: cannot use --out "\/proc\/seglens-no\/x" as an output folder: ENOENT$/,
    ],
    [
      [
        "figure",
        "--model",
        MODEL,
        "--images",
        "models/samples/coffee.png",
        "--out",
        "/proc/seglens-no/f.png",
      ],
      /^seglens: cannot write --out "\/proc\/seglens-no\/f\.png": ENOENT$/,
    ],
    [
      ["install", "--prefix", "/proc/seglens-no"],
      /^seglens: cannot write the kernel into --prefix "\/proc\/seglens-no": ENOENT/,
    ],
    [
      ["features", "--model", "no/such/model", "--images", "models/samples", "--out", out],
      /model "no\/such\/model" not found/,
    ],
    // Refused models, with the files they point to
    [
      ["features", "--model", "test/fixtures/onnx/not-a-vit.onnx", "--images", "models/samples"].concat([
        "--mean",
        "0.5,0.5,0.5",
        "--std",
        "0.5,0.5,0.5",
        "--size",
        "32",
        "--out",
        out,
      ]),
      /does not look like a vision transformer/,
    ],
    [
      [
        "features",
        "--model",
        "models/fixtures/vitmae-masking-tf4",
        "--images",
        "models/samples",
        "--out",
        out,
      ],
      /in-graph random masking .* see models\/export\/README\.md\)$/,
    ],
    [
      ["features", "--model", EXPORT_ONLY_ID, "--images", "models/samples", "--out", out],
      /"export-only-vit" has no ready ONNX export .*models\/export\/README\.md/,
    ],
  ]);
  for (const { name, args, message } of cases) {
    it(name, () => expectOneLineFailure(runCli(args, env), message));
  }

  it("--help names the allowed ranges and defaults of every value, on stdout, exit 0", () => {
    const run = runCli(["segment", "--help"], env);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
    const help = run.stdout.replace(/\s+/g, " ");
    expect(help).toMatch(/--k <K> clusters, 2\.\.32 \(default: 6\)/);
    expect(help).toMatch(
      /--restarts <R> k-means\+\+ restarts, 1\.\.64; the lowest inertia wins \(default: 5\)/,
    );
    expect(help).toMatch(/--max-iter <I> .*1\.\.10000 \(default: 100\)/);
    expect(help).toMatch(/--seed <S> k-means seed, 0\.\.4294967295 \(default: 0\)/);
    expect(help).toMatch(
      /--layers <L> all, last, or 1-based block numbers and ranges like 1,3-5; 0 = the embeddings/,
    );
    expect(help).toMatch(/--reps <R> comma-separated subset of tokens,q,k,v/);
    expect(help).toMatch(/--normalize <N> .*\(choices: "l2", "none", default: "l2"\)/);
  });

  it("SEGLENS_DEBUG=1 adds the stack after the one line; without it there is none", () => {
    const args = ["features", "--model", "no/such/model", "--images", "models/samples", "--out", out];
    const plain = runCli(args, env);
    expectOneLineFailure(plain, /model "no\/such\/model" not found/);
    const debug = runCli(args, { ...env, SEGLENS_DEBUG: "1" });
    expect(debug.status).toBe(2);
    const [line, ...stack] = debug.stderr.trimEnd().split("\n");
    expect(line).toBe(plain.stderr.trimEnd());
    expect(stack[0]).toMatch(/^InputError: model "no\/such\/model" not found/);
    expect(stack.some((l) => /^\s+at .*resolve-model\.js:\d+:\d+/.test(l))).toBe(true);
  });

  it("the Hub out of reach and nothing cached: a NetworkError, exit 2, one line", () => {
    const run = runCli(
      ["features", "--model", "org/not-cached", "--images", "models/samples", "--out", out],
      {
        ...env,
        HF_HUB_OFFLINE: "0",
        HF_ENDPOINT: "http://127.0.0.1:9", // nothing listens on the discard port
      },
    );
    expectOneLineFailure(run, /cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});

describe("signals", () => {
  // A Hub that takes requests and never answers: the CLI is then busy inside its download.
  let hub: Server;
  let endpoint = "";
  const requests: (() => void)[] = [];
  beforeAll(async () => {
    hub = createServer(() => requests.shift()?.());
    await new Promise<void>((listening) => hub.listen(0, "127.0.0.1", listening));
    endpoint = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    hub.closeAllConnections();
    await new Promise((closed) => hub.close(closed));
  });

  it.each([
    ["SIGINT", 130, /^seglens: interrupted by Ctrl-C$/],
    ["SIGTERM", 143, /^seglens: interrupted by SIGTERM$/],
  ] as const)("%s during a download: the work stops, exit %i, one line", async (signal, status, message) => {
    const requested = new Promise<void>((arrived) => requests.push(arrived));
    const args = ["segment", "--model", "org/slow", "--images", "models/samples", "--out", out];
    const run = await runCliAsync(args, { ...env, HF_HUB_OFFLINE: "0", HF_ENDPOINT: endpoint }, (child) => {
      void requested.then(() => child.kill(signal));
    });
    expectOneLineFailure(run, message, status);
  });

  it("Ctrl-C while no work is cancellable (figure fetching its default model): exit 130, one line", async () => {
    const requested = new Promise<void>((arrived) => requests.push(arrived));
    const args = ["figure", "--images", "models/samples", "--out", join(out, "default.png")];
    const run = await runCliAsync(args, { ...env, HF_HUB_OFFLINE: "0", HF_ENDPOINT: endpoint }, (child) => {
      void requested.then(() => child.kill("SIGINT"));
    });
    expectOneLineFailure(run, /^seglens: interrupted by Ctrl-C$/, 130);
  });
});

describe("reportFailure", () => {
  function report(error: unknown, debug = false): { status: number; text: string } {
    const stream = new PassThrough();
    const status = reportFailure(error, { stderr: stream, debug });
    return { status, text: String(stream.read() ?? "") };
  }

  it("input, model and network errors: exit 2, the message on one line", () => {
    expect(report(new InputError("bad --k"))).toEqual({ status: 2, text: "seglens: bad --k\n" });
    expect(report(new UnsupportedModelError("not a ViT")).status).toBe(2);
    expect(report(new NetworkError("Hub unreachable")).status).toBe(2);
    expect(report(new InputError("first line\n  second line\n")).text).toBe(
      "seglens: first line second line\n",
    );
  });

  it("a bug: exit 1, one line with the SEGLENS_DEBUG hint, no stack; with debug the stack follows", () => {
    const bug = new TypeError("x is undefined");
    const plain = report(bug);
    expect(plain.status).toBe(1);
    expect(plain.text).toBe(
      "seglens: internal error: TypeError: x is undefined (rerun with SEGLENS_DEBUG=1 for details)\n",
    );
    const debug = report(bug, true);
    expect(debug.text).toMatch(
      /^seglens: internal error: TypeError: x is undefined\nTypeError: x is undefined\n\s+at /,
    );
  });

  it("cancelled work: exit 130 (Ctrl-C)", () => {
    expect(report(new CancelledError("k-means cancelled"))).toEqual({
      status: 130,
      text: "seglens: k-means cancelled\n",
    });
  });
});

describe("errors from worker threads keep their class", () => {
  it("an execution provider refused inside the inference worker arrives as an InputError", async () => {
    const opening = createInferenceWorker(join(MODEL, "onnx", "model.onnx"), { ep: "cuda" });
    await expect(opening).rejects.toThrow(InputError);
    await expect(opening).rejects.toThrow(/the CUDA execution provider is not available/);
  });

  it("SEGLENS_CACHE where no folder can be made: one line naming it, for every model command", () => {
    for (const command of ["features", "segment", "figure"]) {
      const args = [
        command,
        "--model",
        MODEL,
        "--images",
        "models/samples/coffee.png",
        "--out",
        join(out, "c.png"),
      ];
      const run = runCli(args, { ...env, SEGLENS_CACHE: "/proc/seglens-no/cache" });
      expectOneLineFailure(
        run,
        /^seglens: cannot use "\/proc\/seglens-no\/cache" \(SEGLENS_CACHE\) as seglens' cache folder: ENOENT$/,
      );
    }
  });

  it("a FIFO named .onnx (reading it would wait forever): exit 2, one line", () => {
    const fifo = join(temp.path, "fifo.onnx");
    execFileSync("mkfifo", [fifo]);
    const run = runCli(
      ["features", "--model", fifo, "--images", "models/samples/coffee.png", "--out", out],
      env,
    );
    expectOneLineFailure(run, /fifo\.onnx" is not a regular file$/);
  });

  it("segment --prefix-tokens that disagrees with the model: one line, also with cached features", () => {
    const args = ["segment", "--model", MODEL, "--images", "models/samples/coffee.png", "--out", out];
    expect(runCli([...args, "--reps", "tokens"], env).status).toBe(0);
    const run = runCli([...args, "--reps", "tokens", "--prefix-tokens", "0"], env);
    expectOneLineFailure(run, /^seglens: --prefix-tokens 0 does not match the model: it has 1 prefix tokens/);
  });

  it("a file named .onnx that is not a model: exit 2, one line, no stack trace", () => {
    const garbage = join(temp.path, "garbage.onnx");
    writeFileSync(garbage, Buffer.from("this is not protobuf \xff\xff\xff\xff\xff\xff", "latin1"));
    const run = runCli(
      ["features", "--model", garbage].concat(
        ["--mean", "0.5,0.5,0.5", "--std", "0.5,0.5,0.5", "--size", "32"],
        ["--images", "models/samples", "--out", out],
      ),
      env,
    );
    expectOneLineFailure(run, /garbage\.onnx/);
  });
});
