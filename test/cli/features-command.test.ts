import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { imagePixels } from "../../src/features/extract-features";
import { prepareRequest } from "../../src/features/feature-request";
import { collectFeatures } from "../../src/features/feature-set";
import { readNpy } from "../../src/features/npy";
import { type CliRun, expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const MODEL = "models/fixtures/dinov2-tf4";

function seglens(...args: string[]): CliRun {
  return runCli(args);
}

describe("seglens features", () => {
  it("writes meta.json and one [images, tokens, hidden] float32 .npy per rep and layer, equal to the API's", async () => {
    const out = join(temp.path, "all");
    const run = seglens("features", "--model", MODEL, "--images", "models/samples", "--out", out);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/5 images through "models\/fixtures\/dinov2-tf4"/);

    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    const samples = readdirSync("models/samples")
      .filter((f) => /\.(png|jpg)$/.test(f))
      .sort();
    expect(meta).toMatchObject({
      model: MODEL,
      num_layers: 2,
      layers: [1, 2],
      reps: ["tokens", "q", "k", "v"],
      prefix_tokens: 1,
      grid: [4, 4],
      patch_size: 8,
      hidden_size: 32,
      images: samples.map((f) => resolve("models/samples", f)),
    });
    expect(meta.provenance.model_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.provenance.image_sha256).toHaveLength(5);
    expect(meta.provenance.onnxruntime).toBe("1.30.0");
    expect(readdirSync(out).sort()).toEqual(
      ["meta.json", ...["k", "q", "tokens", "v"].flatMap((r) => [`${r}_L1.npy`, `${r}_L2.npy`])].sort(),
    );

    const request = await prepareRequest({ model: MODEL, images: ["models/samples"] });
    const api = await collectFeatures(request.tapped, {
      inputs: imagePixels(request.images, request.preprocess),
    });
    for (const key of ["tokens_L1", "q_L2", "v_L1"]) {
      const file = readNpy(join(out, `${key}.npy`));
      expect(file.dtype).toBe("float32");
      expect(file.dims).toEqual([5, 17, 32]);
      expect(file.data).toEqual(api.arrays.get(key));
    }
  });

  it("--layers 0,2 --reps tokens,v writes only those arrays; --images keeps the order given", () => {
    const out = join(temp.path, "some");
    const run = seglens(
      "features",
      "--model",
      MODEL,
      "--images",
      "models/samples/rocket.jpg",
      "--images",
      "models/samples/astronaut.png",
      "--layers",
      "0,2",
      "--reps",
      "tokens,v",
      "--out",
      out,
    );
    expect(run.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["meta.json", "tokens_L0.npy", "tokens_L2.npy", "v_L2.npy"]);
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta.images).toEqual([
      resolve("models/samples/rocket.jpg"),
      resolve("models/samples/astronaut.png"),
    ]);
    expect(readNpy(join(out, "tokens_L0.npy")).dims).toEqual([2, 17, 32]);
  });

  it.each([
    [["--images", "test/fixtures/images/corrupt.png"], /corrupt\.png/],
    [
      ["--images", "models/samples", "--layers", "3"],
      /--layers "3" is out of range: the model has layers 0\.\.2/,
    ],
    [["--images", "models/samples", "--reps", "tokens,attn"], /invalid --reps entry "attn"/],
    [["--images", "no/such/dir"], /image "no\/such\/dir" does not exist/],
  ])("bad input %j: non-zero exit, one line on stderr naming the problem", (args, message) => {
    const out = join(temp.path, "bad");
    const run = seglens("features", "--model", MODEL, ...args, "--out", out);
    expectOneLineFailure(run, message);
    expect(existsSync(join(out, "meta.json"))).toBe(false);
  });

  it("--size 48 runs DINOv2 (interpolated position embeddings) on a 6×6 grid", () => {
    const out = join(temp.path, "size");
    const run = seglens(
      "features",
      "--model",
      MODEL,
      "--images",
      "models/samples/coffee.png",
      "--size",
      "45",
      "--out",
      out,
    );
    expect(run.stderr).toBe("");
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta.grid).toEqual([6, 6]);
    expect(meta.input_size).toEqual([48, 48]);
    expect(readNpy(join(out, "tokens_L2.npy")).dims).toEqual([1, 37, 32]);
  });

  it("--size on a model with fixed position embeddings: one line naming the model and the size", () => {
    const run = seglens(
      "features",
      "--model",
      "models/fixtures/vit-tf4",
      "--images",
      "models/samples/coffee.png",
      "--size",
      "48",
      "--out",
      join(temp.path, "fixed"),
    );
    expectOneLineFailure(run, /onnxruntime failed to run ".*vit-tf4\/onnx\/model.onnx" on 48×48 inputs/, 2);
  });

  it("--prefix-tokens that disagrees with the model: one line with the count the model has", () => {
    const run = seglens(
      "features",
      "--model",
      "models/fixtures/dinov2-reg-tf4",
      "--images",
      "models/samples/coffee.png",
      "--prefix-tokens",
      "1",
      "--out",
      join(temp.path, "prefix"),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--prefix-tokens 1 does not match the model: .* so 5 prefix tokens/);
  });

  it("--ep cuda without onnxruntime's CUDA binaries (installed with ONNXRUNTIME_NODE_INSTALL=skip): one line saying so", () => {
    const run = seglens(
      "features",
      "--model",
      MODEL,
      "--images",
      "models/samples/coffee.png",
      "--ep",
      "cuda",
      "--out",
      join(temp.path, "cuda"),
    );
    expectOneLineFailure(run, /the CUDA execution provider is not available .* or use --ep cpu/, 2);
  });

  it("--out naming a file: one line saying a file is in the way", () => {
    const run = seglens("features", "--model", MODEL, "--images", "models/samples", "--out", "README.md");
    expectOneLineFailure(run, /cannot use --out "README.md" as an output folder: a file is in the way/, 2);
  });

  it("a model that is not a ViT: non-zero exit and one line saying so", () => {
    const run = seglens(
      "features",
      "--model",
      "test/fixtures/onnx/not-a-vit.onnx",
      "--images",
      "models/samples",
      "--mean",
      "0.5,0.5,0.5",
      "--std",
      "0.5,0.5,0.5",
      "--size",
      "32",
      "--out",
      join(temp.path, "cnn"),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^seglens: .*does not look like a vision transformer/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an unknown model: non-zero exit and one line", () => {
    const run = seglens(
      "features",
      "--model",
      "nope-model",
      "--images",
      "models/samples",
      "--out",
      join(temp.path, "x"),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^seglens: model "nope-model" not found/);
  });
});
