import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/features/npy";
import { expectOneLineFailure, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const args = ["--model", "models/fixtures/dinov2-tf4", "--images", "test/fixtures/images/rgba.png"];

function featuresTo(
  out: string,
  ...flags: string[]
): { meta: { provenance: { preprocessing: unknown } }; tokens: Float32Array } {
  const run = runCli(["features", ...args, "--layers", "1", "--reps", "tokens", ...flags, "--out", out]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return {
    meta: JSON.parse(readFileSync(join(out, "meta.json"), "utf8")),
    tokens: readNpy(join(out, "tokens_L1.npy")).data as Float32Array,
  };
}

describe("seglens features --alpha / --orientation", () => {
  it("default drop/stored and --alpha white --orientation exif are recorded in meta.json and change the features", () => {
    const plain = featuresTo(join(temp.path, "plain"));
    expect(plain.meta.provenance.preprocessing).toMatchObject({ alpha: "drop", orientation: "stored" });
    const white = featuresTo(join(temp.path, "white"), "--alpha", "white", "--orientation", "exif");
    expect(white.meta.provenance.preprocessing).toMatchObject({ alpha: "white", orientation: "exif" });
    expect(white.tokens).not.toEqual(plain.tokens);
  });

  it.each([
    ["--alpha", "black", /--alpha.*black.*drop.*white/],
    ["--orientation", "auto", /--orientation.*auto.*stored.*exif/],
  ])("%s %s: non-zero exit, one line naming the allowed values", (flag, value, message) => {
    const run = runCli(["features", ...args, flag, value, "--out", join(temp.path, "bad")]);
    expectOneLineFailure(run, message);
  });

  it("--help lists both flags with their values", () => {
    const help = runCli(["features", "--help"]).stdout;
    expect(help).toMatch(/--alpha <A>.*\(choices: "drop", "white", default: "drop"\)/s);
    expect(help).toMatch(/--orientation <O>.*\(choices: "stored", "exif", default: "stored"\)/s);
  });
});
