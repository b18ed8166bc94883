import { describe, expectTypeOf, it } from "vitest";
import type {
  ExplorerKernelMessage,
  ExplorerState,
  ExplorerStatus,
  ExplorerViewMessage,
} from "../../src/explorer/explorer-state";
import type { ViewState } from "../../widgets/src/read-state";

describe("ExplorerState (the types both sides share)", () => {
  it("the view reads every synced field but the identity, with frame and images decoded", () => {
    type Synced = Exclude<keyof ExplorerState, `_${string}`>;
    expectTypeOf<keyof ViewState>().toEqualTypeOf<Synced>();
  });

  it("status is a union discriminated by kind: idle, loading, ready, error", () => {
    expectTypeOf<ExplorerStatus["kind"]>().toEqualTypeOf<"idle" | "loading" | "ready" | "error">();
    expectTypeOf<Extract<ExplorerStatus, { kind: "loading" }>>().toEqualTypeOf<{
      kind: "loading";
      stage: "download" | "convert" | "features" | "kmeans" | "metrics" | "lens";
      done: number;
      total: number;
      detail?: string;
    }>();
  });

  it("the view's custom messages are cancel and export {format: png | svg}", () => {
    expectTypeOf<ExplorerViewMessage>().toEqualTypeOf<
      { action: "cancel" } | { action: "export"; format: "png" | "svg" }
    >();
  });

  it("the kernel answers export with a filename (bytes in the buffer) or an error", () => {
    expectTypeOf<ExplorerKernelMessage>().toEqualTypeOf<
      { action: "export"; format: "png" | "svg"; filename: string } | { action: "export"; error: string }
    >();
  });
});
