import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { featureKey, parseLayers, parseReps } from "../../src/features/selection";

describe("parseLayers", () => {
  it("parseLayers('all', 12) lists blocks 1..12", () => {
    expect(parseLayers("all", 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
  it("parseLayers('1,3-5') expands ranges, sorts and drops duplicates", () => {
    expect(parseLayers("5,1,3-5", 12)).toEqual([1, 3, 4, 5]);
  });
  it("parseLayers accepts 0 for the embeddings", () => {
    expect(parseLayers("0-2", 12)).toEqual([0, 1, 2]);
  });
  it("parseLayers rejects layers past the model depth with the valid range", () => {
    expect(() => parseLayers("3-13", 12)).toThrow(InputError);
    expect(() => parseLayers("13", 12)).toThrow(/out of range: the model has layers 0\.\.12/);
  });
  it("parseLayers rejects malformed entries, quoting them", () => {
    expect(() => parseLayers("1,x", 12)).toThrow(/invalid --layers entry "x"/);
    expect(() => parseLayers("5-3", 12)).toThrow(InputError);
  });
});

describe("parseReps", () => {
  it("parseReps keeps the given order and drops duplicates", () => {
    expect(parseReps("v,tokens,v")).toEqual(["v", "tokens"]);
  });
  it("parseReps rejects unknown representations, listing the valid ones", () => {
    expect(() => parseReps("tokens,attn")).toThrow(
      /invalid --reps entry "attn"; expected some of tokens,q,k,v/,
    );
  });
});

describe("featureKey", () => {
  it("featureKey names arrays as the .npy files are named", () => {
    expect(featureKey("q", 3)).toBe("q_L3");
  });
});
