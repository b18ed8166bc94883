/** What a computed result changes in the explorer's synced state. */
import type { ExplorerResult } from "./explorer-engine";
import type { ExplorerIdentity, ExplorerState } from "./explorer-state";

/** The synced state without the module identity (the Widget base adds it). */
export type ExplorerWidgetState = Omit<ExplorerState, keyof ExplorerIdentity>;

/** Images in a set from which the explorer starts with one image at a time (all images one key away). */
export const ONE_IMAGE_FROM = 9;

/**
 * The state update that shows `result`: the frame and status always; the page's images, the page,
 * the image choice, names, layer bounds and range only where they differ from `state`, because a
 * value echoed back unchanged (a layer range) could overwrite a newer one the view has in flight.
 */
export function resultUpdate(
  result: ExplorerResult,
  state: ExplorerWidgetState,
  { imageChosen } = { imageChosen: true },
): Partial<ExplorerWidgetState> {
  const { page } = result;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const image = state.image;
  const offPage = typeof image === "number" && (image < page.start || image >= page.end);
  // The first result of a set of more than a few images shows one image, large, unless the call chose.
  const oneImage =
    !imageChosen && state.image_names.length === 0 && result.imageNames.length >= ONE_IMAGE_FROM;
  const pageImages = Array.from({ length: page.end - page.start }, (_, i) => page.start + i);
  return {
    ...(result.images === undefined || result.images === state.images
      ? {}
      : { images: result.images, page_images: pageImages }),
    ...(page.index === state.page ? {} : { page: page.index }),
    ...(offPage ? { image: "all" as const } : {}),
    ...(oneImage ? { image: page.start } : {}),
    ...(same(result.imageNames, state.image_names) ? {} : { image_names: result.imageNames }),
    ...(same(result.layerBounds, state.layer_bounds) ? {} : { layer_bounds: result.layerBounds }),
    ...(same(result.layerRange, state.layer_range) ? {} : { layer_range: result.layerRange }),
    ...(result.heads === undefined || result.heads === state.heads ? {} : { heads: result.heads }),
    frame: result.frame,
    status: { kind: "ready" },
  };
}
