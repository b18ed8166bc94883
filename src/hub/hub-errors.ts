import { InputError, NetworkError } from "../errors";
import { type HubResponse, HubUnreachableError, header } from "./hub-http";

/** What a failed Hub request was about, for the message. */
export interface HubRequestContext {
  endpoint: string;
  repo: string;
  revision: string;
  /** The file, for `resolve` requests. */
  path?: string;
  /** Whether a token was sent (HF_TOKEN or the token file). */
  tokenSent: boolean;
}

/** A Hub answer that says the file is not in the repo (404 with `X-Error-Code: EntryNotFound`). */
export function isEntryNotFound(response: HubResponse): boolean {
  return response.status === 404 && header(response, "x-error-code") === "EntryNotFound";
}

/**
 * The error for a Hub answer other than success, read the way huggingface_hub's
 * `hf_raise_for_status` reads `X-Error-Code`: one line naming the repo, revision and file and
 * saying what to do. Authentication and naming problems are `InputError`s (the user fixes them);
 * rate limits and server failures are `NetworkError`s.
 */
export function hubStatusError(response: HubResponse, context: HubRequestContext): Error {
  const { repo, revision, path, endpoint } = context;
  const code = header(response, "x-error-code");
  const status = response.status;
  const login =
    "set HF_TOKEN to an access token (https://huggingface.co/settings/tokens) or log in with `hf auth login`";
  if (code === "EntryNotFound") {
    return new InputError(
      `file "${path}" is not in Hub repo "${repo}" at revision "${revision}"; pick an existing file with --file or --variant`,
    );
  }
  if (code === "RevisionNotFound") {
    return new InputError(
      `revision "${revision}" does not exist in Hub repo "${repo}"; use a branch, tag or commit of the repo (${endpoint}/${repo})`,
    );
  }
  if (code === "GatedRepo") {
    return new InputError(
      context.tokenSent
        ? `Hub repo "${repo}" is gated and the token sent has no access: accept its conditions at ${endpoint}/${repo} with the account of that token (HF_TOKEN)`
        : `Hub repo "${repo}" is gated: accept its conditions at ${endpoint}/${repo}, then ${login}`,
    );
  }
  if (code === "RepoNotFound" || status === 401 || status === 404) {
    return new InputError(
      context.tokenSent
        ? `Hub repo "${repo}" not found, or private and the token sent has no access: check the name (org/name[@revision])`
        : `Hub repo "${repo}" not found (answer ${status}): check the name (org/name[@revision]); if it is private or gated, ${login}`,
    );
  }
  if (status === 403) {
    return new InputError(
      `the Hub refused access to "${repo}" (403${code ? ` ${code}` : ""}): ${context.tokenSent ? "the token sent lacks read permission for it" : login}`,
    );
  }
  return new NetworkError(
    `the Hub answered ${status} for ${path === undefined ? repo : `"${path}" of ${repo}`}; try again later, or set HF_HUB_OFFLINE=1 to use only cached models`,
  );
}

const cacheMayServeAfter = new WeakSet<Error>();

/**
 * Marks `error` as one after which a cached copy may serve, as huggingface_hub decides: any Hub
 * answer except "no such file" and "no such revision" (auth problems and server failures
 * included), then returns it.
 */
export function markCacheMayServe(error: Error, response: HubResponse): Error {
  const code = header(response, "x-error-code");
  if (code !== "EntryNotFound" && code !== "RevisionNotFound") cacheMayServeAfter.add(error);
  return error;
}

/** Whether the cache may serve after `error`: the Hub was unreachable or answered as {@link markCacheMayServe} allows. */
export function allowsCacheFallback(error: unknown): boolean {
  return error instanceof HubUnreachableError || (error instanceof Error && cacheMayServeAfter.has(error));
}
