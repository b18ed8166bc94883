import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { InputError } from "../errors";
import { copyFileAtomic, writeFileAtomic } from "../util/write-file-atomic";
import { COMMIT_PATTERN, isBlobName, isRepoPath } from "./hub-answer";

// huggingface_hub/_local_folder.py CACHEDIR_TAG_CONTENT, written once at the cache root.
const CACHEDIR_TAG =
  "Signature: 8a477f597d28d172789f06886806bc55\n" +
  "# This file is a cache directory tag created by huggingface_hub.\n" +
  "# For information about cache directory tags, see:\n" +
  "#\thttps://bford.info/cachedir/\n";

/**
 * One repository's folder in the Hub cache, laid out as huggingface_hub lays it out
 * (file_download.py `_hf_hub_download_to_cache_dir`), so either tool finds what the other fetched:
 * ```
 * models--org--name/
 *   blobs/<etag>                          file contents (sha256 for LFS files, git sha1 otherwise)
 *   snapshots/<commit>/<path>             relative symlink to ../../blobs/<etag> (one ../ per folder)
 *   refs/<revision>                       the commit the revision pointed to, no newline
 *   .no_exist/<commit>/<path>             empty: the file is known to be absent at that commit
 * ```
 */
export interface HubRepoCache {
  /** The `models--org--name` folder. */
  readonly dir: string;
  /** The commit `revision` names: itself if it is a full commit id, else what `refs/<revision>` holds. */
  commitFor(revision: string): string | undefined;
  /** Records that `revision` points to `commit` (atomically; untouched if already so). */
  writeRef(revision: string, commit: string): void;
  /** `snapshots/<commit>/<path>`, whether or not it exists. */
  snapshotPath(commit: string, path: string): string;
  /** Whether the snapshot holds `path` (following the link to its blob). */
  hasFile(commit: string, path: string): boolean;
  /** Whether `.no_exist/<commit>/<path>` says the file is absent at that commit. */
  isKnownMissing(commit: string, path: string): boolean;
  markMissing(commit: string, path: string): void;
  /** `blobs/<etag>`. */
  blobPath(etag: string): string;
  /** `blobs/<etag>.incomplete`: a download in progress, resumable. */
  incompletePath(etag: string): string;
  /** Points `snapshots/<commit>/<path>` at `blobs/<etag>` (a copy where links are refused). Returns the path. */
  linkSnapshot(commit: string, path: string, etag: string): string;
}

/** `models--org--name` for `org/name`, as huggingface_hub's `repo_folder_name`. */
export function repoFolderName(repo: string): string {
  return ["models", ...repo.split("/")].join("--");
}

/** The cache folder of `repo` under `cacheDir` (nothing is created until something is written). */
export function createHubRepoCache(cacheDir: string, repo: string): HubRepoCache {
  const dir = join(cacheDir, repoFolderName(repo));
  const snapshotPath = (commit: string, path: string) =>
    join(dir, "snapshots", ...segments(commit), ...segments(path));
  const blobPath = (etag: string) => join(dir, "blobs", blobName(etag));
  return {
    dir,
    commitFor(revision) {
      if (COMMIT_PATTERN.test(revision)) return revision;
      const ref = join(dir, "refs", ...segments(revision));
      if (!existsSync(ref)) return undefined;
      // huggingface_hub writes no newline and reads without stripping; trim what other tools may add.
      const commit = readFileSync(ref, "utf8").trim();
      return COMMIT_PATTERN.test(commit) ? commit : undefined;
    },
    writeRef(revision, commit) {
      if (revision === commit) return;
      const ref = join(dir, "refs", ...segments(revision));
      if (existsSync(ref) && readFileSync(ref, "utf8") === commit) return;
      writeAtomically(ref, commit);
    },
    snapshotPath,
    hasFile(commit, path) {
      try {
        return statSync(snapshotPath(commit, path)).isFile();
      } catch {
        return false;
      }
    },
    isKnownMissing(commit, path) {
      return existsSync(join(dir, ".no_exist", ...segments(commit), ...segments(path)));
    },
    markMissing(commit, path) {
      const marker = join(dir, ".no_exist", ...segments(commit), ...segments(path));
      mkdirSync(dirname(marker), { recursive: true });
      writeFileSync(marker, "");
    },
    blobPath,
    incompletePath: (etag) => `${blobPath(etag)}.incomplete`,
    linkSnapshot(commit, path, etag) {
      tagCacheRoot(cacheDir);
      const pointer = snapshotPath(commit, path);
      const blob = blobPath(etag);
      mkdirSync(dirname(pointer), { recursive: true });
      if (isLink(pointer) || existsSync(pointer)) rmSync(pointer, { force: true });
      try {
        symlinkSync(relative(dirname(pointer), blob), pointer);
      } catch (cause) {
        // huggingface_hub falls back to a real file where the file system refuses links (FAT, some
        // mounts); copied under a temporary name, so a killed copy never passes for the file.
        const code = (cause as NodeJS.ErrnoException).code;
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EACCES") throw cause;
        copyFileAtomic(blob, pointer);
      }
      return pointer;
    },
  };
}

/** Writes `text` to `path` through a temporary file and a rename, so readers never see half of it. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, text);
}

/**
 * The segments of a repo path (POSIX `/`-separated, relative). Rejects what could escape the cache
 * (see `isRepoPath`): names from the user (`--file`) arrive here unchecked.
 */
export function segments(path: string): string[] {
  if (!isRepoPath(path)) {
    throw new InputError(
      `invalid file path in a Hub repo: ${JSON.stringify(path)}; expected a relative path like onnx/model.onnx`,
    );
  }
  return path.split("/");
}

// Commits and ETags are checked where the Hub's answer is read (hub-answer.ts); `segments` on a
// commit and this guard keep a name that slipped past from ever leaving the repo's folder.
function blobName(etag: string): string {
  if (!isBlobName(etag)) throw new RangeError(`not a blob name: ${JSON.stringify(etag)}`);
  return etag;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function tagCacheRoot(cacheDir: string): void {
  const tag = join(cacheDir, "CACHEDIR.TAG");
  if (existsSync(tag)) return;
  try {
    writeFileSync(tag, CACHEDIR_TAG);
  } catch {
    // best effort, as in huggingface_hub: the tag only helps backup tools
  }
}
