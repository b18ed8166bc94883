import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ortSessionOptions } from "../../src/runtime/onnx-runtime";

describe("onnxruntime session options", () => {
  it("without threads, one intra-op thread per available core, never onnxruntime's own default", () => {
    // onnxruntime's default (0) took one thread on a 2-core virtual machine, halving the speed.
    expect(ortSessionOptions({}).sessionOptions.intraOpNumThreads).toBe(availableParallelism());
  });

  it("threads given are passed as they are", () => {
    expect(ortSessionOptions({ threads: 1 }).sessionOptions.intraOpNumThreads).toBe(1);
  });

  it("spinning false turns it off through the session config", () => {
    expect(ortSessionOptions({ spinning: false }).config).toEqual({ intra_op: { allow_spinning: "0" } });
    expect(ortSessionOptions({}).config).toEqual({});
  });
});
