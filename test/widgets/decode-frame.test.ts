import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "../../widgets/src/binary";

// The view's decoding of `frame` (widgets/src/binary.ts), which needs no browser.
const frame = (extra: Record<string, unknown>) => ({
  models: ["vit-s", "vit-l"],
  rep: "tokens",
  k: 2,
  layers: [6, 12],
  images: [0],
  grid: [1, 1],
  labels: { dtype: "uint8", shape: [2, 2, 1, 1, 1], buffer: new Uint8Array([0, 1, 1, 0]) },
  metrics: [
    [
      { pb: 0, lc: 0, ba: 0 },
      { pb: 0, lc: 0, ba: 0 },
    ],
    [
      { pb: 0, lc: 0, ba: 0 },
      { pb: 0, lc: 0, ba: 0 },
    ],
  ],
  ...extra,
});

describe("decodeFrame(frame): each model's own blocks and grids", () => {
  it("keeps model_layers and model_grids, which the panels' captions read", () => {
    const decoded = decodeFrame(
      frame({
        model_layers: [
          [6, 12],
          [12, 24],
        ],
        model_grids: [
          [14, 14],
          [16, 16],
        ],
      }),
    );
    expect(decoded?.kind === "ok" && decoded.value.model_layers).toEqual([
      [6, 12],
      [12, 24],
    ]);
    expect(decoded?.kind === "ok" && decoded.value.model_grids).toEqual([
      [14, 14],
      [16, 16],
    ]);
  });

  it("a frame of an older kernel without them decodes without them", () => {
    const decoded = decodeFrame(frame({}));
    expect(decoded?.kind).toBe("ok");
    expect(decoded?.kind === "ok" && "model_layers" in decoded.value).toBe(false);
  });

  it("model_layers of the wrong shape is an invalid frame, said in one line", () => {
    expect(decodeFrame(frame({ model_layers: [[6, 12]] }))).toEqual({
      kind: "invalid",
      message: "invalid frame.model_layers: [[6,12]]; expected 2 arrays",
    });
    expect(decodeFrame(frame({ model_layers: [[6, 12], [12]] }))).toEqual({
      kind: "invalid",
      message: "invalid frame.model_layers[1]: [12]; expected 2 block numbers",
    });
  });
});

describe("decodeFrame(frame): a frame sent while the kernel still works", () => {
  it("carries provisional, layers_ready and timing as sent", () => {
    const decoded = decodeFrame(frame({ provisional: true, layers_ready: 1, timing: { compute_ms: 12.5 } }));
    expect(decoded?.kind === "ok" && decoded.value).toMatchObject({
      provisional: true,
      layers_ready: 1,
      timing: { compute_ms: 12.5 },
    });
  });

  it("an older kernel's frame is final, with every layer ready and no timing", () => {
    const decoded = decodeFrame(frame({}));
    expect(decoded?.kind === "ok" && decoded.value).toMatchObject({ provisional: false, layers_ready: 2 });
    expect(decoded?.kind === "ok" && "timing" in decoded.value).toBe(false);
  });

  it("layers_ready beyond the layers, or a provisional that is not a boolean, is invalid, said in one line", () => {
    expect(decodeFrame(frame({ layers_ready: 3 }))).toEqual({
      kind: "invalid",
      message: "invalid frame.layers_ready: 3; expected an integer in 0..2",
    });
    expect(decodeFrame(frame({ provisional: "yes" }))).toEqual({
      kind: "invalid",
      message: 'invalid frame.provisional: "yes"; expected true or false',
    });
  });

  it("marks seglens:frame-received and seglens:frame-decoded with the frame's k and provisional", () => {
    performance.clearMarks();
    decodeFrame(frame({ provisional: true }));
    const marks = performance
      .getEntriesByType("mark")
      .map((m) => [m.name, (m as { detail?: unknown }).detail]);
    expect(marks).toEqual([
      ["seglens:frame-received", { k: 2, provisional: true }],
      ["seglens:frame-decoded", { k: 2, provisional: true }],
    ]);
  });
});

describe("decodeFrame(frame): the pca and attention lenses' colour frames", () => {
  // Two models × two layers × one image of 1 × 1 patches, RGB: 12 bytes.
  const colors = (shape = [2, 2, 1, 1, 1, 3]) => ({
    dtype: "uint8",
    shape,
    buffer: new Uint8Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => 20 * i),
  });
  const explained = [
    [
      [0.5, 0.2, 0.1],
      [0.4, 0.2, 0.1],
    ],
    [
      [0.6, 0.1, 0.1],
      [0.3, 0.3, 0.1],
    ],
  ];

  it("a pca frame keeps its colors (no labels) and explained; an older kernel's frame is clusters", () => {
    const decoded = decodeFrame(frame({ lens: "pca", labels: undefined, colors: colors(), explained }));
    if (decoded?.kind !== "ok") throw new Error(JSON.stringify(decoded));
    expect(decoded.value).toMatchObject({ lens: "pca", labels: null, explained });
    expect(decoded.value.colors?.shape).toEqual([2, 2, 1, 1, 1, 3]);
    expect([...(decoded.value.colors?.data ?? [])].slice(0, 3)).toEqual([0, 20, 40]);
    const older = decodeFrame(frame({}));
    expect(older?.kind === "ok" && [older.value.lens, older.value.colors]).toEqual(["clusters", null]);
  });

  it("an attention frame keeps its head, and encodes back with colors, not labels", () => {
    const decoded = decodeFrame(frame({ lens: "attention", labels: undefined, colors: colors(), head: 3 }));
    expect(decoded?.kind === "ok" && decoded.value.head).toBe(3);
    const encoded = encodeFrame(decoded);
    expect(encoded && ["labels" in encoded, encoded.colors?.shape]).toEqual([false, [2, 2, 1, 1, 1, 3]]);
  });

  it("colors of another shape, a colour frame without colors, or an unknown lens is invalid, said in one line", () => {
    expect(decodeFrame(frame({ lens: "pca", colors: colors([2, 2, 1, 1, 3, 1]) }))).toEqual({
      kind: "invalid",
      message:
        "invalid frame.colors.shape: [2,2,1,1,3,1]; expected [models, layers, images, gh, gw, 3] = [2, 2, 1, 1, 1, 3]",
    });
    expect(decodeFrame(frame({ lens: "attention" }))).toEqual({
      kind: "invalid",
      message: "invalid frame.colors: undefined; expected {dtype, shape, buffer}",
    });
    expect(decodeFrame(frame({ lens: "tsne" }))).toEqual({
      kind: "invalid",
      message: 'invalid frame.lens: "tsne"; expected clusters, pca, attention',
    });
  });

  it("explained of the wrong shape, or a share outside 0..1, is invalid", () => {
    expect(decodeFrame(frame({ lens: "pca", colors: colors(), explained: [explained[0]] }))).toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/^invalid frame\.explained: .*; expected 2 arrays$/),
    });
    const over = [
      explained[0],
      [
        [1.5, 0, 0],
        [0.3, 0.3, 0.1],
      ],
    ];
    expect(decodeFrame(frame({ lens: "pca", colors: colors(), explained: over }))).toEqual({
      kind: "invalid",
      message: "invalid frame.explained[1][0]: [1.5,0,0]; expected three shares in 0..1",
    });
  });
});
