import { InputError } from "../errors";
import { decodeImage } from "../images/decode-image";
import { type PreprocessConfig, preprocessImage } from "../images/preprocess";
import type { RawTensor } from "../runtime/onnx-runtime";

/** Where batches of model input come from: image files, or pixels already preprocessed. */
export interface PixelSource {
  count: number;
  size: [height: number, width: number];
  /** Float32 `[n, 3, height, width]` for inputs `first .. first + n - 1`. */
  load(first: number, n: number): Promise<RawTensor>;
}

/** Inputs from image files, decoded and preprocessed batch by batch. */
export function imagePixels(paths: readonly string[], config: PreprocessConfig): PixelSource {
  const [height, width] = config.outputSize;
  return {
    count: paths.length,
    size: [height, width],
    async load(first, n) {
      const plane = 3 * height * width;
      const data = new Float32Array(n * plane);
      for (let i = 0; i < n; i++) {
        const path = paths[first + i] as string;
        const image = preprocessImage(await decodeImage(path, config), config);
        if (image.dims[1] !== height || image.dims[2] !== width) {
          throw new InputError(
            `image "${path}" preprocesses to ${image.dims[1]}×${image.dims[2]}, not ${height}×${width}`,
          );
        }
        data.set(image.data, i * plane);
      }
      return { type: "float32", data, dims: [n, 3, height, width] };
    },
  };
}

/** Inputs already preprocessed: float32 `[n, 3, height, width]`. */
export function tensorPixels(
  data: Float32Array,
  dims: readonly [n: number, channels: number, height: number, width: number],
): PixelSource {
  const [count, , height, width] = dims;
  const plane = 3 * height * width;
  return {
    count,
    size: [height, width],
    // A copy per batch: the worker takes ownership of what it is sent.
    load: async (first, n) => ({
      type: "float32",
      data: data.slice(first * plane, (first + n) * plane),
      dims: [n, 3, height, width],
    }),
  };
}
