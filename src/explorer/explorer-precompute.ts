/**
 * The explorer's idle work: the frames of the other K values, computed while the user looks at
 * one, so that moving the K slider then only draws.
 */
import { setMaxListeners } from "node:events";
import { EXPLORER_LIMITS } from "../vocabulary";
import type { ExplorerEngine, ExplorerRequest } from "./explorer-engine";

/** Wait after a frame before precomputing the other Ks. */
const WARM_DELAY_MS = 300;

/** Every selectable K but `k`, nearest first (k+1, k−1, k+2, …). */
export function nearestKs(k: number): number[] {
  const ks: number[] = [];
  for (let d = 1; d <= EXPLORER_LIMITS.maxK - EXPLORER_LIMITS.minK; d++)
    for (const n of [k + d, k - d]) if (n >= EXPLORER_LIMITS.minK && n <= EXPLORER_LIMITS.maxK) ks.push(n);
  return ks;
}

/**
 * Computes the frames of the other K values for the same models, representation, layers and
 * normalization in the background, nearest K first (the engine keeps them), so a K slider move
 * is then a cache hit: ViT-S × 8 images, ~0.1 s of k-means per K on 2 cores. Returns the
 * controller that stops it; a new request aborts it before starting.
 */
export function precomputeOtherKs(engine: ExplorerEngine, request: ExplorerRequest): AbortController {
  const controller = new AbortController();
  setMaxListeners(256, controller.signal);
  void (async () => {
    // Not before the front end has drawn the frame just sent: on 2 cores the k-means threads
    // would slow its drawing down.
    await new Promise((resolve) => setTimeout(resolve, WARM_DELAY_MS).unref());
    for (const k of nearestKs(request.k)) {
      if (controller.signal.aborted) return;
      try {
        await engine.compute({ ...request, k }, controller.signal, () => undefined);
      } catch {
        return; // aborted, or failing for every K alike: the foreground request reports errors
      }
    }
  })();
  return controller;
}
