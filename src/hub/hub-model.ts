import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { InputError } from "../errors";
import { externalDataFiles } from "./external-data";
import type { HubRepoCache } from "./hub-cache";
import type { FetchedFile, HubClient } from "./hub-client";
import type { DownloadProgress } from "./hub-download";
import { allowsCacheFallback } from "./hub-errors";

/** The configs fetched with every model; either may be absent from a repo. */
export const CONFIG_FILES: readonly string[] = Object.freeze(["config.json", "preprocessor_config.json"]);

/** The file a repo's model is in when nothing else is said (transformers.js layout). */
export const DEFAULT_ONNX_FILE = "onnx/model.onnx";

/** Options of {@link fetchHubModel}. */
export interface HubModelRequest {
  /** `org/name`. */
  repo: string;
  /** Branch, tag or commit; default `main`. */
  revision?: string;
  /** The ONNX file; default `onnx/model.onnx`, else the repo's only `.onnx` file. */
  file?: string;
  /** Ask the Hub even when the cache holds a complete copy of the revision (default false). */
  refresh?: boolean;
  /** Called with the bytes of weights (ONNX file + external data so far) before they are fetched; throws to refuse. */
  checkWeights?: (bytes: number) => void;
  onProgress?: (progress: DownloadProgress) => void;
  /** Told when the Hub failed and the cache served instead. */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** A Hub model in the cache: its snapshot folder and the files seglens uses. */
export interface HubModel {
  repo: string;
  revision: string;
  commit: string;
  /** `snapshots/<commit>`: a Hub-layout folder. */
  folder: string;
  /** The ONNX file's path in the repo, e.g. `onnx/model.onnx`. */
  file: string;
  /** Its external weight files, as repo paths. */
  externalData: string[];
  /** True when no request was made (warm cache, offline, or the Hub failed and the cache served). */
  fromCache: boolean;
}

/**
 * Makes a Hub model available locally: its configs, ONNX file and that file's external data, all
 * from one commit, in the cache shared with Python tools. A complete cached copy of the revision
 * serves without any request (unless `refresh`); with `HF_HUB_OFFLINE` only the cache serves; when
 * the Hub is unreachable or refuses (auth, server error) a complete cached copy serves with a
 * warning. Otherwise the error says what is missing and what to do.
 */
export async function fetchHubModel(client: HubClient, request: HubModelRequest): Promise<HubModel> {
  const revision = request.revision ?? "main";
  const cache = client.cache(request.repo);
  if (!request.refresh || client.settings.offline) {
    const cached = findCachedModel(cache, request.repo, revision, request.file);
    if (cached.kind === "complete") return cached.model;
    if (client.settings.offline) {
      throw new InputError(
        `Hub model "${request.repo}" (revision ${revision}) is not in the cache ${client.settings.cacheDir} ` +
          `(missing ${cached.missing.join(", ")}) and HF_HUB_OFFLINE is set: run once online, or set HF_HUB_CACHE to a cache that has it`,
      );
    }
  }
  try {
    return await downloadModel(client, request, revision);
  } catch (error) {
    if (!allowsCacheFallback(error)) throw error;
    const cached = findCachedModel(cache, request.repo, revision, request.file);
    if (cached.kind !== "complete") throw error;
    request.onWarning?.(`${(error as Error).message}; using the cached copy (commit ${cached.model.commit})`);
    return cached.model;
  }
}

type CacheLookup = { kind: "complete"; model: HubModel } | { kind: "incomplete"; missing: string[] };

/** The cached copy of `revision`, if every file the model needs is there (or known absent, for configs). */
export function findCachedModel(
  cache: HubRepoCache,
  repo: string,
  revision: string,
  file: string | undefined,
): CacheLookup {
  const commit = cache.commitFor(revision);
  if (commit === undefined) return { kind: "incomplete", missing: [`refs/${revision}`] };
  const missing = CONFIG_FILES.filter((f) => !cache.hasFile(commit, f) && !cache.isKnownMissing(commit, f));
  const onnx = file ?? cachedDefaultFile(cache, commit);
  if (onnx === undefined || !cache.hasFile(commit, onnx)) {
    missing.push(onnx ?? DEFAULT_ONNX_FILE);
    return { kind: "incomplete", missing };
  }
  const externalData = externalDataFiles(cache.snapshotPath(commit, onnx), onnx);
  missing.push(...externalData.filter((f) => !cache.hasFile(commit, f)));
  if (missing.length > 0) return { kind: "incomplete", missing };
  const folder = join(cache.dir, "snapshots", commit);
  return {
    kind: "complete",
    model: { repo, revision, commit, folder, file: onnx, externalData, fromCache: true },
  };
}

// onnx/model.onnx, or where the Hub said it is absent, the only .onnx file cached for the commit.
function cachedDefaultFile(cache: HubRepoCache, commit: string): string | undefined {
  if (!cache.isKnownMissing(commit, DEFAULT_ONNX_FILE)) return DEFAULT_ONNX_FILE;
  const folder = dirname(cache.snapshotPath(commit, DEFAULT_ONNX_FILE));
  if (!existsSync(folder)) return undefined;
  const found = readdirSync(folder).filter((f) => f.endsWith(".onnx"));
  return found.length === 1 ? `onnx/${found[0]}` : undefined;
}

async function downloadModel(
  client: HubClient,
  request: HubModelRequest,
  revision: string,
): Promise<HubModel> {
  const { repo, signal, onProgress } = request;
  const common = {
    ...(signal === undefined ? {} : { signal }),
    ...(onProgress === undefined ? {} : { onProgress }),
  };
  // The first answer pins the commit; every later file comes from that commit, as a consistent snapshot.
  let at = revision;
  let commit: string | undefined;
  const pin = (fetched: FetchedFile) => {
    commit ??= fetched.commit;
    at = commit;
    return fetched;
  };
  for (const config of CONFIG_FILES)
    pin(await client.fetchFile(repo, at, config, { ...common, optional: true }));
  let weightBytes = 0;
  const guarded = {
    ...common,
    beforeDownload: (meta: { size?: number }) => {
      if (meta.size !== undefined) request.checkWeights?.(weightBytes + meta.size);
    },
  };
  let file = request.file ?? DEFAULT_ONNX_FILE;
  let onnx = pin(
    await client.fetchFile(repo, at, file, { ...guarded, optional: request.file === undefined }),
  );
  if (onnx.kind === "missing") {
    file = await chooseOnlyOnnx(client, repo, at, signal);
    onnx = await client.fetchFile(repo, at, file, guarded);
  }
  if (onnx.kind !== "file")
    throw new InputError(`file "${file}" is not in Hub repo "${repo}" at revision "${revision}"`);
  weightBytes += onnx.size ?? 0;
  const externalData = externalDataFiles(onnx.path, file);
  for (const data of externalData) {
    const fetched = await client.fetchFile(repo, at, data, guarded);
    if (fetched.kind !== "file")
      throw new InputError(`"${file}" needs "${data}", which is not in Hub repo "${repo}"`);
    weightBytes += fetched.size ?? 0;
  }
  const pinned = onnx.commit;
  const folder = join(client.cache(repo).dir, "snapshots", pinned);
  return { repo, revision, commit: pinned, folder, file, externalData, fromCache: false };
}

async function chooseOnlyOnnx(
  client: HubClient,
  repo: string,
  revision: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const onnx = (await client.listFiles(repo, revision, signal)).filter((f) => f.endsWith(".onnx"));
  if (onnx.length === 1) return onnx[0] as string;
  throw new InputError(
    onnx.length === 0
      ? `Hub repo "${repo}" has no .onnx file: seglens runs ONNX exports (models/export/ makes them)`
      : `Hub repo "${repo}" has no ${DEFAULT_ONNX_FILE} but several .onnx files (${onnx.join(", ")}); choose one with --file or --variant`,
  );
}
