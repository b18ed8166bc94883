/**
 * The images the view draws under the label maps: the first model's views (its input after
 * resize and crop) of the shown page only, decoded on demand and kept in a small cache, so a set
 * of hundreds of images is never decoded, held or sent whole.
 */
import type { PreparedRequest } from "../features/feature-request";
import { decodeImage } from "../images/decode-image";
import { modelView } from "../images/preprocess";
import type { RgbImage } from "../images/rgb-image";
import { createLruCache } from "../util/lru-cache";
import type { Page } from "../util/paging";
import type { BinaryArray } from "./explorer-state";

/**
 * Decoded views kept for pages seen again: 32 MB is ~200 views of 224 px (a few pages back and
 * forth), ~40 of 518 px.
 */
const VIEW_CACHE_BYTES = 32 * 1024 * 1024;

/** The views of one page. */
export interface PageViews {
  /** Per image of the page, in order. */
  images: RgbImage[];
  /**
   * The same as RGB uint8 `[page images, height, width, 3]`, as the state's `images`: the same
   * object while the page, image set and input size stay, so the widget sends it only when new.
   */
  array: BinaryArray<"uint8">;
}

/** Serves the views of the shown page. */
export interface ViewSource {
  get(request: PreparedRequest, page: Page): Promise<PageViews>;
  clear(): void;
}

/** Creates the view source of one explorer engine. */
export function createViewSource(): ViewSource {
  const decoded = createLruCache<RgbImage>({
    maxEntries: Number.MAX_SAFE_INTEGER,
    maxBytes: VIEW_CACHE_BYTES,
    sizeOf: (image) => image.data.byteLength,
  });
  let last: { key: string; views: PageViews } | undefined;

  const view = async (request: PreparedRequest, path: string): Promise<RgbImage> => {
    const key = JSON.stringify([path, request.preprocess]);
    const kept = decoded.get(key);
    if (kept !== undefined) return kept;
    return decoded.set(key, modelView(await decodeImage(path, request.preprocess), request.preprocess));
  };

  return {
    async get(request, page) {
      const paths = request.images.slice(page.start, page.end);
      const key = JSON.stringify([paths, request.preprocess]);
      if (key === last?.key) return last.views;
      const images = await Promise.all(paths.map((path) => view(request, path)));
      const [height, width] = request.preprocess.outputSize;
      const buffer = new Uint8Array(images.length * height * width * 3);
      images.forEach((image, i) => {
        buffer.set(image.data, i * height * width * 3);
      });
      const array: BinaryArray<"uint8"> = {
        dtype: "uint8",
        shape: [images.length, height, width, 3],
        buffer,
      };
      const views = { images, array };
      last = { key, views };
      return views;
    },
    clear() {
      decoded.clear();
      last = undefined;
    },
  };
}
