import {
  answerCommit,
  answerEtag,
  answerRedirect,
  answerRepoPath,
  answerSize,
  HubAnswerError,
} from "./hub-answer";
import { createHubRepoCache, type HubRepoCache, segments } from "./hub-cache";
import {
  type BlobDownloadOptions,
  type DownloadProgress,
  downloadBlob,
  type HubFileMetadata,
} from "./hub-download";
import { type HubRequestContext, hubStatusError, isEntryNotFound, markCacheMayServe } from "./hub-errors";
import { type HubResponse, HubUnreachableError, header, hubRequest } from "./hub-http";
import type { HubSettings } from "./hub-settings";

/** A file fetched into the cache, or the Hub's word that the repo has no such file. */
export type FetchedFile =
  | { kind: "file"; path: string; commit: string; size: number | undefined }
  | { kind: "missing"; commit: string };

/** Options of {@link HubClient.fetchFile}. */
export interface FetchFileOptions {
  /** A missing file is a result (`kind: "missing"`, recorded in `.no_exist/`), not an error. */
  optional?: boolean;
  /** Called with the file's metadata before its bytes are fetched; may throw to refuse. */
  beforeDownload?: (meta: HubFileMetadata) => void;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** Talks to one Hub endpoint and keeps what it fetches in the shared cache. */
export interface HubClient {
  readonly settings: HubSettings;
  /** The cache folder of `repo`. */
  cache(repo: string): HubRepoCache;
  /**
   * Fetches `path` at `revision` into the cache and links its snapshot: a HEAD on
   * `{endpoint}/{repo}/resolve/{revision}/{path}`, then the bytes unless their blob is there.
   */
  fetchFile(repo: string, revision: string, path: string, options?: FetchFileOptions): Promise<FetchedFile>;
  /** The files of the repo at `revision` (`GET {endpoint}/api/models/{repo}/revision/{revision}`). */
  listFiles(repo: string, revision: string, signal?: AbortSignal): Promise<string[]>;
}

/** Options of {@link createHubClient}, for tests and callers with their own retry policy. */
export interface HubClientOptions {
  /** Resumptions of a broken transfer; default 5. */
  retries?: number;
  /** Pause before a resumption; default 1000 ms. */
  retryDelayMs?: number;
}

/**
 * A client for the Hub's `resolve` protocol, compatible with huggingface_hub's cache (see
 * `HubRepoCache`). It makes requests whenever asked: deciding when the cache alone serves
 * (offline, warm cache) is `fetchHubModel`'s job.
 *
 * @example
 * const client = createHubClient(hubSettingsFromEnv());
 * const config = await client.fetchFile("Xenova/dinov2-small", "main", "config.json");
 */
export function createHubClient(settings: HubSettings, options: HubClientOptions = {}): HubClient {
  return new Client(settings, options);
}

class Client implements HubClient {
  private readonly auth: { token?: string; tokenOrigin: string };

  constructor(
    readonly settings: HubSettings,
    private readonly options: HubClientOptions,
  ) {
    this.auth = {
      ...(settings.token === undefined ? {} : { token: settings.token }),
      tokenOrigin: new URL(settings.endpoint).origin,
    };
  }

  cache(repo: string): HubRepoCache {
    return createHubRepoCache(this.settings.cacheDir, repo);
  }

  async fetchFile(
    repo: string,
    revision: string,
    path: string,
    options: FetchFileOptions = {},
  ): Promise<FetchedFile> {
    const cache = this.cache(repo);
    const response = await this.resolveHead(repo, revision, path, options.signal);
    if (options.optional && isEntryNotFound(response)) {
      const given = header(response, "x-repo-commit");
      if (given === undefined) throw hubStatusError(response, this.context(repo, revision, path));
      const commit = answerCommit(given, { url: response.url, file: path });
      cache.markMissing(commit, path);
      cache.writeRef(revision, commit);
      return { kind: "missing", commit };
    }
    if (response.status >= 400) {
      throw markCacheMayServe(hubStatusError(response, this.context(repo, revision, path)), response);
    }
    const meta = readMetadata(response, this.settings.endpoint, path);
    cache.writeRef(revision, meta.commit);
    if (!cache.hasFile(meta.commit, path)) {
      options.beforeDownload?.(meta);
      await downloadBlob(cache, meta, this.downloadOptions(path, options));
      cache.linkSnapshot(meta.commit, path, meta.etag);
    }
    return {
      kind: "file",
      path: cache.snapshotPath(meta.commit, path),
      commit: meta.commit,
      size: meta.size,
    };
  }

  async listFiles(repo: string, revision: string, signal?: AbortSignal): Promise<string[]> {
    const url = `${this.settings.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
    const response = await hubRequest(url, {
      method: "GET",
      ...this.auth,
      timeoutMs: this.settings.metadataTimeoutMs,
      followCrossHost: false,
      ...(signal === undefined ? {} : { signal }),
    });
    const text = await readText(response);
    if (response.status >= 400) {
      throw markCacheMayServe(hubStatusError(response, this.context(repo, revision)), response);
    }
    return readSiblings(text, url, repo);
  }

  private async resolveHead(
    repo: string,
    revision: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<HubResponse> {
    segments(path);
    // As huggingface_hub's hf_hub_url: the revision quoted whole (refs/pr/1 → refs%2Fpr%2F1).
    const url = `${this.settings.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
    const response = await hubRequest(url, {
      method: "HEAD",
      ...this.auth,
      timeoutMs: this.settings.metadataTimeoutMs,
      followCrossHost: false,
      ...(signal === undefined ? {} : { signal }),
    });
    response.body.resume();
    return response;
  }

  private downloadOptions(path: string, options: FetchFileOptions): BlobDownloadOptions {
    return {
      file: path,
      ...this.auth,
      timeoutMs: this.settings.downloadTimeoutMs,
      ...(this.options.retries === undefined ? {} : { retries: this.options.retries }),
      ...(this.options.retryDelayMs === undefined ? {} : { retryDelayMs: this.options.retryDelayMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    };
  }

  private context(repo: string, revision: string, path?: string): HubRequestContext {
    return {
      endpoint: this.settings.endpoint,
      repo,
      revision,
      tokenSent: this.settings.token !== undefined,
      ...(path === undefined ? {} : { path }),
    };
  }
}

/**
 * The metadata of a successful or redirecting `resolve` HEAD (huggingface_hub's
 * `get_hf_file_metadata`), every name checked before it can become a cache path or a URL.
 */
function readMetadata(response: HubResponse, endpoint: string, file: string): HubFileMetadata {
  const commit = header(response, "x-repo-commit");
  const linkedEtag = header(response, "x-linked-etag");
  const etag = linkedEtag ?? header(response, "etag");
  if (commit === undefined || etag === undefined) {
    // huggingface_hub lets the cache serve here too: most likely a proxy or a wrong HF_ENDPOINT.
    throw new HubUnreachableError(
      `the answer from ${new URL(response.url).origin} lacks ${commit === undefined ? "X-Repo-Commit" : "an ETag"}: ` +
        `it does not look like a Hugging Face Hub (HF_ENDPOINT is "${endpoint}"); check HF_ENDPOINT and proxy settings`,
    );
  }
  const source = { url: response.url, file };
  const redirect = response.status >= 300 && response.status < 400;
  const linkedSize = header(response, "x-linked-size");
  // Node's parser has checked Content-Length; X-Linked-Size is the server's word alone.
  const sizeText = linkedSize ?? (redirect ? undefined : header(response, "content-length"));
  const sizeName = linkedSize === undefined ? "Content-Length" : "X-Linked-Size";
  const size = sizeText === undefined ? undefined : answerSize(sizeName, sizeText, source);
  const location = header(response, "location");
  return {
    commit: answerCommit(commit, source),
    etag: answerEtag(linkedEtag === undefined ? "ETag" : "X-Linked-Etag", etag, source),
    ...(size === undefined ? {} : { size }),
    location: redirect && location !== undefined ? answerRedirect(location, source) : response.url,
  };
}

/** The repo paths of a file list, every one checked: one unsafe name refuses the whole list. */
function readSiblings(text: string, url: string, repo: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new HubAnswerError(`the Hub's file list at ${url} is not JSON; check HF_ENDPOINT`, { cause });
  }
  const siblings = isRecord(json) ? json.siblings : undefined;
  if (!Array.isArray(siblings)) {
    throw new HubAnswerError(`the Hub's file list at ${url} has no "siblings" array; check HF_ENDPOINT`);
  }
  return siblings.map((s: unknown) => answerRepoPath(isRecord(s) ? s.rfilename : s, { url, repo }));
}

async function readText(response: HubResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
