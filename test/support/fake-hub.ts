import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative, sep } from "node:path";

/** One repository the fake Hub serves. */
export interface FakeRepo {
  /** Repo path (`onnx/model.onnx`) → contents. */
  files: Record<string, Uint8Array>;
  /** The commit `main` points to; default: a sha1 of the repo id. */
  commit?: string;
  /** Gated: served only with `Authorization: Bearer <token>` (401 without a token, 403 with another). */
  gatedToken?: string;
}

/** A request the fake Hub or its file host received. */
export interface FakeRequest {
  host: "hub" | "cdn";
  method: string;
  path: string;
  authorization?: string;
  range?: string;
}

/**
 * A hostile Hub, for tests of what seglens refuses: each hook replaces one part of the honest
 * answers. Headers that node itself refuses to send (newlines, NUL) cannot be tested this way.
 */
export interface FakeTamper {
  /** Rewrites the headers of every `resolve` answer (HEAD or GET, found, missing or redirected). */
  resolveHeaders?: (headers: http.OutgoingHttpHeaders, file: string) => http.OutgoingHttpHeaders;
  /** Sent as the JSON of the file list instead of the repo's `siblings`. */
  listing?: unknown;
}

/** A transfer the file host holds half-way until the test releases it. */
export interface HeldTransfer {
  /** Sends the rest of the file. */
  release(): void;
  /** Resolves when the held connection has closed: the client gave up, or the rest was sent. */
  closed: Promise<void>;
}

/** A Hub look-alike on loopback: the Hub on 127.0.0.1, its file host (CDN) on 127.0.0.2. */
export interface FakeHub {
  /** `http://127.0.0.1:<port>`, for HF_ENDPOINT. */
  endpoint: string;
  /** `http://127.0.0.2:<port>`, where LFS files redirect to. */
  cdn: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  repos: Map<string, FakeRepo>;
  /** `old/name` → `new/name`: a renamed repo, answered with a relative 307 redirect as the Hub does. */
  renamed: Map<string, string>;
  /** The commit `main` of `repo` points to. */
  commitOf(repo: string): string;
  /** The next `times` transfers of `file` (any repo) stop after `afterBytes` bytes: the socket is destroyed. */
  cutTransfers(file: string, afterBytes: number, times?: number): void;
  /**
   * The next transfer of `file` (any repo) sends `afterBytes` bytes, then waits with the
   * connection open until released: a download paced by the test, e.g. to cancel it half-way.
   */
  holdTransfer(file: string, afterBytes: number): HeldTransfer;
  /** The file host ignores `Range` and always sends whole files (as some CDNs with compression do). */
  ignoreRange: boolean;
  /** Makes the Hub hostile until set back to undefined. */
  tamper: FakeTamper | undefined;
  close(): Promise<void>;
}

/** Extensions stored with git LFS in the fake repos (larger files would be too on the Hub). */
const LFS = /\.(onnx|onnx_data|data|bin|safetensors)$/;

/** The files of a Hub-layout fixture folder (configs and `onnx/`), without its `reference/` tensors. */
export function repoFromFolder(folder: string, extra: Partial<FakeRepo> = {}): FakeRepo {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const key = relative(folder, path).split(sep).join("/");
      if (key === "reference") continue;
      if (statSync(path).isDirectory()) walk(path);
      else files[key] = readFileSync(path);
    }
  };
  walk(folder);
  return { files, ...extra };
}

/**
 * Starts a fake Hub that answers like huggingface.co on the paths seglens and huggingface_hub use:
 * `HEAD|GET /{repo}/resolve/{revision}/{path}` (X-Repo-Commit, ETag = git blob sha1 for small
 * files; LFS files: 302 to the file host with X-Linked-Etag = sha256 and X-Linked-Size; 404 with
 * X-Error-Code EntryNotFound / RevisionNotFound, 401 RepoNotFound, 401/403 GatedRepo) and
 * `GET /api/models/{repo}/revision/{revision}` (siblings). The file host serves `Range`.
 */
export async function createFakeHub(repos: Record<string, FakeRepo> = {}): Promise<FakeHub> {
  const cuts = new Map<string, { afterBytes: number; times: number }>();
  const holds = new Map<string, Hold>();
  const blobs = new Map<string, { bytes: Uint8Array; file: string }>();
  const hubServer = http.createServer((req, res) => answerHub(hub, blobs, req, res));
  const cdnServer = http.createServer((req, res) => answerCdn(hub, blobs, { cuts, holds }, req, res));
  const hub: FakeHub = {
    endpoint: await listen(hubServer, "127.0.0.1"),
    cdn: await listen(cdnServer, "127.0.0.2"),
    requests: [],
    repos: new Map(Object.entries(repos)),
    renamed: new Map(),
    ignoreRange: false,
    tamper: undefined,
    commitOf(repo) {
      return hub.repos.get(repo)?.commit ?? createHash("sha1").update(`commit of ${repo}`).digest("hex");
    },
    cutTransfers(file, afterBytes, times = 1) {
      cuts.set(file, { afterBytes, times });
    },
    holdTransfer(file, afterBytes) {
      let released = false;
      let sendRest: (() => void) | undefined;
      let closed: () => void = () => undefined;
      const hold: Hold = {
        afterBytes,
        closed: new Promise<void>((resolve) => {
          closed = resolve;
        }),
        onClose: () => closed(),
        onRelease: (send) => {
          if (released) send();
          else sendRest = send;
        },
      };
      holds.set(file, hold);
      return {
        release: () => {
          released = true;
          sendRest?.();
        },
        closed: hold.closed,
      };
    },
    async close() {
      for (const server of [hubServer, cdnServer]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
  return hub;
}

function listen(server: http.Server, host: string): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`));
  });
}

function record(hub: FakeHub, host: "hub" | "cdn", req: http.IncomingMessage): void {
  const entry: FakeRequest = { host, method: req.method ?? "", path: req.url ?? "" };
  if (req.headers.authorization !== undefined) entry.authorization = req.headers.authorization;
  if (req.headers.range !== undefined) entry.range = req.headers.range;
  hub.requests.push(entry);
}

function answerHub(
  hub: FakeHub,
  blobs: Map<string, { bytes: Uint8Array; file: string }>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  record(hub, "hub", req);
  const url = new URL(req.url ?? "/", hub.endpoint);
  const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
  const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
  const match = api ?? resolve;
  if (match === null) {
    end(res, 404, {});
    return;
  }
  const [, repoId = "", revisionRaw = "", path = ""] = match;
  const revision = decodeURIComponent(revisionRaw);
  if (resolve !== null) tamperHeaders(res, hub.tamper, path);
  const renamed = hub.renamed.get(repoId);
  if (renamed !== undefined) {
    end(res, 307, { location: url.pathname.replace(repoId, renamed) });
    return;
  }
  const repo = hub.repos.get(repoId);
  const token = req.headers.authorization?.replace(/^Bearer /, "");
  if (repo === undefined) {
    end(res, token ? 404 : 401, { "x-error-code": "RepoNotFound" });
    return;
  }
  if (repo.gatedToken !== undefined && token !== repo.gatedToken) {
    end(res, token ? 403 : 401, { "x-error-code": "GatedRepo" });
    return;
  }
  const commit = hub.commitOf(repoId);
  if (revision !== "main" && revision !== commit) {
    end(res, 404, { "x-error-code": "RevisionNotFound" });
    return;
  }
  if (api !== null) {
    const honest = {
      id: repoId,
      sha: commit,
      siblings: Object.keys(repo.files).map((f) => ({ rfilename: f })),
    };
    const body = JSON.stringify(hub.tamper?.listing ?? honest);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const bytes = repo.files[path];
  if (bytes === undefined) {
    end(res, 404, { "x-error-code": "EntryNotFound", "x-repo-commit": commit });
    return;
  }
  if (LFS.test(path)) {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    blobs.set(sha256, { bytes, file: path });
    end(res, 302, {
      location: `${hub.cdn}/blobs/${sha256}?signature=fake`,
      "x-repo-commit": commit,
      "x-linked-etag": `"${sha256}"`,
      "x-linked-size": String(bytes.length),
      etag: `"redirect-${sha256.slice(0, 8)}"`,
    });
    return;
  }
  const gitSha = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
  res.writeHead(200, { etag: `"${gitSha}"`, "x-repo-commit": commit, "content-length": bytes.length });
  res.end(req.method === "HEAD" ? undefined : bytes);
}

/** Makes `res` pass its headers through `tamper.resolveHeaders` when they are written. */
function tamperHeaders(res: http.ServerResponse, tamper: FakeTamper | undefined, file: string): void {
  const rewrite = tamper?.resolveHeaders;
  if (rewrite === undefined) return;
  const writeHead = res.writeHead.bind(res);
  const hostile = (status: number, headers?: http.OutgoingHttpHeaders) =>
    writeHead(status, rewrite({ ...headers }, file));
  Object.assign(res, { writeHead: hostile });
}

/** A held transfer as the file host sees it. */
interface Hold {
  afterBytes: number;
  closed: Promise<void>;
  onClose(): void;
  /** Calls `send` once the test releases the transfer (at once if it already has). */
  onRelease(send: () => void): void;
}

function answerCdn(
  hub: FakeHub,
  blobs: Map<string, { bytes: Uint8Array; file: string }>,
  pacing: { cuts: Map<string, { afterBytes: number; times: number }>; holds: Map<string, Hold> },
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const { cuts, holds } = pacing;
  record(hub, "cdn", req);
  const sha256 = /^\/blobs\/([0-9a-f]{64})/.exec(req.url ?? "")?.[1];
  const blob = sha256 === undefined ? undefined : blobs.get(sha256);
  if (blob === undefined) {
    end(res, 403, {});
    return;
  }
  const { bytes } = blob;
  const range = hub.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const start = range === null ? 0 : Number(range[1]);
  if (start >= bytes.length && bytes.length > 0) {
    end(res, 416, { "content-range": `bytes */${bytes.length}` });
    return;
  }
  const body = bytes.subarray(start);
  const headers: http.OutgoingHttpHeaders = { "content-length": body.length, "accept-ranges": "bytes" };
  if (range !== null) headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
  res.writeHead(range === null ? 200 : 206, headers);
  if (req.method === "HEAD") return void res.end();
  const hold = holds.get(blob.file);
  if (hold !== undefined && hold.afterBytes < body.length) {
    holds.delete(blob.file);
    res.on("close", () => hold.onClose());
    res.write(body.subarray(0, hold.afterBytes));
    hold.onRelease(() => res.end(body.subarray(hold.afterBytes)));
    return;
  }
  const cut = cuts.get(blob.file);
  if (cut === undefined || cut.times <= 0 || cut.afterBytes >= body.length) return void res.end(body);
  cut.times--;
  // Send part of the body, then drop the connection as a failing network would.
  res.write(body.subarray(0, cut.afterBytes), () => res.socket?.destroy());
}

function end(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders): void {
  res.writeHead(status, headers);
  res.end();
}
