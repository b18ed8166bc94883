import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import { finished } from "node:stream/promises";
import { CancelledError, NetworkError } from "../errors";
import type { HubRepoCache } from "./hub-cache";
import { connectionError, HubUnreachableError, header, hubRequest } from "./hub-http";

/** What a `resolve` HEAD says about one file. */
export interface HubFileMetadata {
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  commit: string;
  /** `X-Linked-Etag` (the sha256 of an LFS file) or `ETag`, without quotes and `W/`. */
  etag: string;
  /** `X-Linked-Size` or `Content-Length`, when given. */
  size?: number;
  /** Where to GET the bytes: the redirect target for LFS files, else the resolve URL. */
  location: string;
}

/** Progress of one file's download, in bytes; `totalBytes` is undefined when the server gives no size. */
export interface DownloadProgress {
  /** The file's path in the repo, e.g. `onnx/model.onnx`. */
  file: string;
  doneBytes: number;
  totalBytes?: number;
}

/** Options of {@link downloadBlob}. */
export interface BlobDownloadOptions {
  /** The repo path, for messages and progress. */
  file: string;
  /** Sent only to `tokenOrigin`, the Hub's own origin: file hosts get signed URLs, not the token. */
  token?: string;
  tokenOrigin?: string;
  /** Longest silence of a transfer before it counts as broken and resumes. */
  timeoutMs: number;
  /** Transfers resumed after a broken connection before giving up; default 5 (huggingface_hub's count). */
  retries?: number;
  /** Pause before resuming; default 1000 ms (tests use 0). */
  retryDelayMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Makes `blobs/<etag>` hold the file `meta` describes and returns its path. Bytes go to
 * `blobs/<etag>.incomplete` and are renamed into place once complete and checked, so a blob is
 * never partial. An existing `.incomplete` (from a cut connection or an interrupted run) is resumed
 * with `Range`; a server that ignores `Range` restarts it. The size is checked against
 * `X-Linked-Size`/`Content-Length`; an LFS file (64-hex etag) must hash to its sha256, else the
 * partial file is discarded and the file fetched once more from the start.
 */
export async function downloadBlob(
  cache: HubRepoCache,
  meta: HubFileMetadata,
  options: BlobDownloadOptions,
): Promise<string> {
  const blob = cache.blobPath(meta.etag);
  if (existsSync(blob)) return blob;
  // One transfer per blob: callers in this process share it, other processes are told to wait.
  const running = inFlight.get(blob);
  if (running !== undefined) return running;
  const transfer = withLock(`${cache.incompletePath(meta.etag)}.lock`, options.file, () =>
    transferBlob(cache, meta, options),
  );
  inFlight.set(blob, transfer);
  try {
    return await transfer;
  } finally {
    inFlight.delete(blob);
  }
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Runs `work` holding `lock`, a file with the holder's pid (created exclusively). A lock whose
 * process is gone is taken over; a live one is a NetworkError: two writers would interleave bytes
 * in the same `.incomplete` file, which huggingface_hub avoids with per-process files that cannot
 * be resumed across runs.
 */
async function withLock<T>(lock: string, file: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lock), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw cause;
      const holder = Number(readFileSync(lock, "utf8"));
      if (isAlive(holder) && holder !== process.pid) {
        throw new NetworkError(
          `"${file}" is being downloaded by another process (pid ${holder}); run again when it has finished, or delete ${lock} if it is gone`,
        );
      }
      rmSync(lock, { force: true });
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function transferBlob(
  cache: HubRepoCache,
  meta: HubFileMetadata,
  options: BlobDownloadOptions,
): Promise<string> {
  const blob = cache.blobPath(meta.etag);
  const partial = cache.incompletePath(meta.etag);
  mkdirSync(dirname(partial), { recursive: true });
  let retriesLeft = options.retries ?? 5;
  let restarted = false;
  for (;;) {
    let have = existsSync(partial) ? statSync(partial).size : 0;
    if (meta.size !== undefined && have > meta.size) {
      rmSync(partial, { force: true });
      have = 0;
    }
    const resumed = have > 0;
    try {
      if (meta.size === undefined || have < meta.size) await fetchInto(partial, have, meta, options);
    } catch (error) {
      if (!(error instanceof HubUnreachableError) || retriesLeft <= 0) throw error;
      retriesLeft--;
      await pause(options.retryDelayMs ?? 1000, options.signal);
      continue;
    }
    const problem = await checkFile(partial, meta);
    if (problem === undefined) {
      renameSync(partial, blob);
      return blob;
    }
    rmSync(partial, { force: true });
    if (!resumed || restarted) {
      throw new NetworkError(
        `download of "${options.file}" is corrupt (${problem}); run again to retry, or report the file if this repeats`,
      );
    }
    restarted = true;
  }
}

/** Appends the bytes from `offset` on to `partial` (or rewrites it when the server sends everything). */
async function fetchInto(
  partial: string,
  offset: number,
  meta: HubFileMetadata,
  options: BlobDownloadOptions,
): Promise<void> {
  const response = await hubRequest(meta.location, {
    method: "GET",
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.tokenOrigin === undefined ? {} : { tokenOrigin: options.tokenOrigin }),
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    timeoutMs: options.timeoutMs,
    followCrossHost: true,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const { body } = response;
  if (response.status === 416) {
    // The partial file is not a prefix the server knows: start over.
    body.resume();
    rmSync(partial, { force: true });
    return fetchInto(partial, 0, meta, options);
  }
  if (response.status !== 200 && response.status !== 206) {
    body.resume();
    throw new NetworkError(
      `downloading "${options.file}" failed: ${new URL(response.url).host} answered ${response.status}; run again to retry`,
    );
  }
  const start = response.status === 206 ? offset : 0;
  const total = meta.size ?? contentTotal(response.status, header(response, "content-length"), start);
  const out = createWriteStream(partial, { flags: start > 0 ? "a" : "w" });
  let done = start;
  const report = () => options.onProgress?.({ file: options.file, doneBytes: done, ...totalOf(total) });
  report();
  try {
    for await (const chunk of body) {
      const bytes = chunk as Buffer;
      if (!out.write(bytes)) await once(out, "drain");
      done += bytes.length;
      report();
    }
  } catch (cause) {
    // Keep what arrived: the next attempt resumes after it.
    out.end();
    await finished(out).catch(() => undefined);
    throw connectionError(cause, new URL(response.url), options.signal);
  }
  out.end();
  await finished(out);
  if (!body.complete) {
    throw new HubUnreachableError(
      `the connection to ${new URL(response.url).host} closed before "${options.file}" was complete`,
    );
  }
}

/** Why the downloaded file is not the one described, or undefined when it is. */
async function checkFile(path: string, meta: HubFileMetadata): Promise<string | undefined> {
  const size = statSync(path).size;
  if (meta.size !== undefined && size !== meta.size) return `${size} bytes instead of ${meta.size}`;
  if (!SHA256.test(meta.etag)) return undefined;
  const digest = await hashFile(path, createHash("sha256"));
  return digest === meta.etag
    ? undefined
    : `sha256 ${digest.slice(0, 12)}… instead of ${meta.etag.slice(0, 12)}…`;
}

async function hashFile(path: string, hash: Hash): Promise<string> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function contentTotal(status: number, length: string | undefined, start: number): number | undefined {
  const n = Number(length);
  if (length === undefined || !Number.isFinite(n)) return undefined;
  return status === 206 ? start + n : n;
}

function totalOf(total: number | undefined): { totalBytes?: number } {
  return total === undefined ? {} : { totalBytes: total };
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(new CancelledError("download cancelled"));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new CancelledError("download cancelled"));
      },
      { once: true },
    );
  });
}
