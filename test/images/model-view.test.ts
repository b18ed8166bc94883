import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../src/images/decode-image";
import { modelView, preprocessImage } from "../../src/images/preprocess";
import { preprocessConfigFromHub } from "../../src/images/preprocess-config-from-hub";

describe("modelView", () => {
  it("is the resized, centre-cropped uint8 image whose rescale + normalize is preprocessImage's output", async () => {
    const config = preprocessConfigFromHub(
      JSON.parse(readFileSync("test/fixtures/images/hf-bit.json", "utf8")),
    );
    const image = await decodeImage("models/samples/coffee.png");
    const view = modelView(image, config);
    const [height, width] = config.outputSize;
    expect(view.dims).toEqual([height, width, 3]);
    const expected = preprocessImage(image, config).data;
    const { mean, std } = config.normalize as { mean: readonly number[]; std: readonly number[] };
    let worst = 0;
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < height * width; i++) {
        const value = ((view.data[i * 3 + c] as number) / 255 - (mean[c] as number)) / (std[c] as number);
        worst = Math.max(worst, Math.abs(value - (expected[c * height * width + i] as number)));
      }
    expect(worst).toBeLessThan(1e-5);
  });
});
