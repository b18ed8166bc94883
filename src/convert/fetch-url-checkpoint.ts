import { createHash } from "node:crypto";
import { createHubRepoCache } from "../hub/hub-cache";
import type { DownloadProgress } from "../hub/hub-download";
import { downloadBlob } from "../hub/hub-download";
import type { UrlRecipe } from "./conversion-recipe";

/**
 * Downloads a research checkpoint into `checkpointDir` and returns its path. It goes through the
 * same transfer as Hub files (an `.incomplete` file resumed with `Range`, renamed when whole); a
 * pinned sha256 names the file and is checked after the transfer, so a changed or corrupted
 * download is refused. An unpinned URL is stored under a hash of the URL.
 */
export async function fetchUrlCheckpoint(
  recipe: UrlRecipe,
  options: { checkpointDir: string; signal?: AbortSignal; onProgress?: (progress: DownloadProgress) => void },
): Promise<string> {
  const urlKey = createHash("sha1").update(recipe.url).digest("hex");
  const cache = createHubRepoCache(options.checkpointDir, "seglens/checkpoints");
  const etag = recipe.sha256 ?? urlKey;
  return downloadBlob(
    cache,
    { commit: "0".repeat(40), etag, location: recipe.url },
    {
      file: recipe.url.slice(recipe.url.lastIndexOf("/") + 1),
      timeoutMs: 60_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    },
  );
}
