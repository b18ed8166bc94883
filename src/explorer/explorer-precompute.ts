/**
 * The explorer's idle work: the frames of the other K values and of the PCA lens, computed while
 * the user looks at one, so that moving the K slider or switching to PCA then only draws.
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
 * The requests worth computing while the user looks at `request`'s frame, in order: the two
 * neighbouring Ks, the PCA lens of the same representation and layers (its joint PCA per layer
 * took 0.8–3.8 s for ViT-S × 16 images), then every other K, nearest first. A frame of another
 * lens than the clusters has nothing to precompute: K does not change it.
 */
export function idleRequests(request: ExplorerRequest): ExplorerRequest[] {
  if ((request.lens ?? "clusters") !== "clusters") return [];
  const ks = nearestKs(request.k).map((k) => ({ ...request, k }));
  return [...ks.slice(0, 2), { ...request, lens: "pca" }, ...ks.slice(2)];
}

/**
 * Computes {@link idleRequests} in the background (the engine keeps their frames), so a K slider
 * move or a lens switch is then a cache hit (ViT-S × 8 images: ~0.1 s of k-means per K on 2
 * cores). Returns the controller that stops it; a new request aborts it before starting.
 */
export function precomputeIdle(engine: ExplorerEngine, request: ExplorerRequest): AbortController {
  const controller = new AbortController();
  setMaxListeners(256, controller.signal);
  void (async () => {
    // Not before the front end has drawn the frame just sent: on 2 cores the k-means threads
    // would slow its drawing down.
    await new Promise((resolve) => setTimeout(resolve, WARM_DELAY_MS).unref());
    for (const next of idleRequests(request)) {
      if (controller.signal.aborted) return;
      try {
        await engine.compute(next, controller.signal, () => undefined);
      } catch {
        return; // aborted, or failing for every setting alike: the foreground request reports errors
      }
    }
  })();
  return controller;
}
