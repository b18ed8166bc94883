import { NetworkError } from "../errors";

/**
 * A Hub answer seglens refuses to act on: a commit, ETag, size, redirect or file name that is not
 * what a Hugging Face Hub sends. Such names become cache paths and URLs, so a server (or a proxy,
 * or a wrong HF_ENDPOINT) could otherwise make seglens write outside the cache. Callers see a
 * NetworkError; the cache does not serve in its place.
 */
export class HubAnswerError extends NetworkError {
  override name = "NetworkError";
}

/** What an answer was about, for messages: the server's origin and, for `resolve`, the file. */
export interface AnswerSource {
  /** The URL that gave the answer. */
  url: string;
  /** The repo path asked for, when the answer is about one file. */
  file?: string;
}

/** A commit id, as `X-Repo-Commit` names it and the cache's `snapshots/<commit>` folders are named. */
export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/**
 * Blob names: a lowercase hex digest, 32 to 128 digits. The Hub's ETags are a git blob sha1 (40)
 * for small files and the sha256 (64) of LFS files; the range also admits md5 and sha512 from
 * mirrors. Hex only, so a blob name is never a path, a dot name or a `.incomplete`/`.lock` name.
 */
const BLOB_NAME = /^[0-9a-f]{32,128}$/;

const ALLOWED_REDIRECTS = new Set(["http:", "https:"]);

/** `X-Repo-Commit`, checked: 40 lowercase hex digits. */
export function answerCommit(value: string, source: AnswerSource): string {
  if (COMMIT_PATTERN.test(value)) return value;
  throw refuse("X-Repo-Commit", value, source, "expected a commit id of 40 lowercase hex digits");
}

/** An `ETag` or `X-Linked-Etag` (`name`) without `W/` and quotes, checked to be a blob name. */
export function answerEtag(name: string, value: string, source: AnswerSource): string {
  const etag = value.replace(/^W\//, "").replace(/^"|"$/g, "");
  if (isBlobName(etag)) return etag;
  throw refuse(name, etag, source, "expected a digest of 32 to 128 lowercase hex digits, quoted or not");
}

/** Whether `name` is a hex digest fit to name a file under `blobs/`. */
export function isBlobName(name: string): boolean {
  return BLOB_NAME.test(name);
}

/** `X-Linked-Size` (`name`), checked to be a whole number of bytes. */
export function answerSize(name: string, value: string, source: AnswerSource): number {
  const size = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(size)) return size;
  throw refuse(name, value, source, "expected a whole number of bytes");
}

/** The absolute URL a `Location` header points to (relative to `source.url`), which must be http(s). */
export function answerRedirect(location: string, source: AnswerSource): string {
  let target: URL | undefined;
  try {
    target = new URL(location, source.url);
  } catch {
    // refused below
  }
  if (target !== undefined && ALLOWED_REDIRECTS.has(target.protocol)) return target.toString();
  throw new HubAnswerError(
    `refusing a redirect to ${quote(location)} from ${origin(source.url)}${about(source)}: only http: or https: URLs are followed; check HF_ENDPOINT`,
  );
}

/** A file name from the repo's file list (`rfilename`), checked to be a safe relative path. */
export function answerRepoPath(value: unknown, source: AnswerSource & { repo: string }): string {
  if (typeof value === "string" && isRepoPath(value)) return value;
  throw new HubAnswerError(
    `refusing file ${quote(value)} in the file list of ${source.repo} from ${origin(source.url)}: ` +
      `expected a relative path like onnx/model.onnx (no "..", "." or empty segments, no leading "/", drive, backslash or control character)`,
  );
}

/**
 * Whether `path` is a repo path that stays inside a folder when joined to it: POSIX `/`-separated,
 * relative, no `.`/`..`/empty segment, no backslash, drive letter or control character (NUL
 * included), as huggingface_hub's `_validate_relative_filename` and more.
 */
export function isRepoPath(path: string): boolean {
  return (
    path !== "" &&
    !path.startsWith("/") &&
    !path.includes("\\") &&
    !/^[A-Za-z]:/.test(path) &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
    !/[\u0000-\u001f\u007f]/.test(path) &&
    path.split("/").every((p) => p !== "" && p !== "." && p !== "..")
  );
}

/** `value` as JSON (control characters escaped, so a message stays one line), cut after 100 characters. */
export function quote(value: unknown): string {
  const text = typeof value === "string" && value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return JSON.stringify(text) ?? String(text);
}

function refuse(name: string, value: string, source: AnswerSource, expected: string): HubAnswerError {
  return new HubAnswerError(
    `refusing ${name} ${quote(value)} from ${origin(source.url)}${about(source)}: ${expected}; check HF_ENDPOINT`,
  );
}

function about(source: AnswerSource): string {
  return source.file === undefined ? "" : ` (for ${quote(source.file)})`;
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return quote(url);
  }
}
