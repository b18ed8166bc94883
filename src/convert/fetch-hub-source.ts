import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, UnsupportedModelError } from "../errors";
import type { FetchedFile, HubClient } from "../hub/hub-client";
import type { DownloadProgress } from "../hub/hub-download";

/** The weight files a transformers or timm repo may hold, in the order they are tried. */
export const SOURCE_WEIGHT_FILES = Object.freeze([
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "open_clip_model.safetensors",
]);

/** A source checkpoint in the Hub cache. */
export interface HubSource {
  commit: string;
  /** `snapshots/<commit>`. */
  folder: string;
  /** The weights file to open (the index for sharded safetensors). */
  weights: string;
  /** Parsed `config.json`; undefined when the repo has none. */
  config: unknown;
  /** Parsed `preprocessor_config.json`; undefined when the repo has none. */
  preprocessor: unknown;
}

/** Options of {@link fetchHubSource}. */
export interface FetchSourceOptions {
  /** Called with the size of the weights before they are fetched; throws to refuse. */
  beforeWeights?: (bytes: number) => void;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

/**
 * The commit `revision` of `repo` points to, learned from `config.json` (a small file every source
 * repo has), so a model converted from that commit before can be used without fetching weights.
 */
export async function sourceCommit(
  client: HubClient,
  repo: string,
  revision: string,
  signal?: AbortSignal,
): Promise<{ commit: string; config: FetchedFile }> {
  const config = await client.fetchFile(repo, revision, "config.json", {
    optional: true,
    ...(signal === undefined ? {} : { signal }),
  });
  return { commit: config.commit, config };
}

/**
 * Fetches a source checkpoint (configs and weights, all from one commit) into the Hub cache shared
 * with Python tools: the first of {@link SOURCE_WEIGHT_FILES} the repo has, with every shard an
 * index names.
 */
export async function fetchHubSource(
  client: HubClient,
  repo: string,
  revision: string,
  options: FetchSourceOptions & { file?: string } = {},
): Promise<HubSource> {
  const { signal, onProgress } = options;
  const common = {
    ...(signal === undefined ? {} : { signal }),
    ...(onProgress === undefined ? {} : { onProgress }),
  };
  const { commit, config } = await sourceCommit(client, repo, revision, signal);
  const preprocessor = await client.fetchFile(repo, commit, "preprocessor_config.json", {
    ...common,
    optional: true,
  });
  let weights: FetchedFile | undefined;
  let weightsFile = "";
  for (const candidate of options.file === undefined ? SOURCE_WEIGHT_FILES : [options.file]) {
    const guarded = {
      ...common,
      optional: true,
      beforeDownload: (meta: { size?: number }) => {
        if (meta.size !== undefined && !candidate.endsWith(".json")) options.beforeWeights?.(meta.size);
      },
    };
    weights = await client.fetchFile(repo, commit, candidate, guarded);
    weightsFile = candidate;
    if (weights.kind === "file") break;
  }
  if (weights?.kind !== "file") {
    throw new UnsupportedModelError(
      `Hub repo "${repo}" has none of ${(options.file === undefined ? SOURCE_WEIGHT_FILES : [options.file]).join(", ")} at commit ${commit}: nothing to convert`,
    );
  }
  if (weightsFile.endsWith(".index.json")) {
    for (const shard of shardFiles(weights.path, repo)) {
      const fetched = await client.fetchFile(repo, commit, shard, common);
      if (fetched.kind !== "file")
        throw new InputError(`shard "${shard}" of "${repo}" is missing at ${commit}`);
    }
  }
  const folder = join(client.cache(repo).dir, "snapshots", commit);
  return {
    commit,
    folder,
    weights: weights.path,
    config: config.kind === "file" ? readJson(config.path) : undefined,
    preprocessor: preprocessor.kind === "file" ? readJson(preprocessor.path) : undefined,
  };
}

/** The shard files a `model.safetensors.index.json` names (plain file names beside it). */
function shardFiles(indexPath: string, repo: string): string[] {
  const index = readJson(indexPath) as { weight_map?: Record<string, unknown> } | undefined;
  const names = new Set(Object.values(index?.weight_map ?? {}));
  for (const name of names) {
    if (typeof name !== "string" || !/^[\w.-]+\.safetensors$/.test(name)) {
      throw new UnsupportedModelError(
        `"${repo}": model.safetensors.index.json names shard ${JSON.stringify(name)}; expected a .safetensors file name`,
      );
    }
  }
  return [...names] as string[];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new UnsupportedModelError(`"${path}" is not valid JSON`, { cause });
  }
}
