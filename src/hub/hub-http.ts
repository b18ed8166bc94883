import * as http from "node:http";
import * as https from "node:https";
import { CancelledError, NetworkError } from "../errors";
import { seglensVersion } from "../util/version";
import { answerRedirect } from "./hub-answer";

/** The Hub could not be reached (refused, reset, timed out, DNS): the cache may still serve. Callers see a NetworkError. */
export class HubUnreachableError extends NetworkError {
  override name = "NetworkError";
}

/** A response whose redirects were followed as far as allowed; `body` is unread. */
export interface HubResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The URL that gave this response (after the redirects followed). */
  url: string;
  body: http.IncomingMessage;
}

/** Options of {@link hubRequest}. */
export interface HubRequestOptions {
  method: "HEAD" | "GET";
  /** Sent as `Authorization: Bearer …` to `tokenOrigin` only, never to another host. */
  token?: string;
  /** The origin the token belongs to (the Hub endpoint's); default the origin of the first URL. */
  tokenOrigin?: string;
  /** Extra headers, e.g. `Range`. */
  headers?: Record<string, string>;
  /** Socket inactivity that aborts the request. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Follow redirects to other hosts (a file's GET to its CDN). When false (metadata HEAD), a
   * redirect to another host is returned as is: its headers carry the file's metadata, as
   * huggingface_hub's `_httpx_follow_hub_redirects_with_backoff` does.
   */
  followCrossHost: boolean;
}

const MAX_REDIRECTS = 10;

/**
 * One HTTP request to the Hub or its file host, following redirects by hand so that the
 * `Authorization` header never leaves the origin it was meant for: Hub file redirects point to
 * signed URLs on other hosts, which must not see the token. Throws {@link HubUnreachableError}
 * for connection failures and timeouts, `HubAnswerError` for a redirect that is not http(s) and
 * `CancelledError` when `signal` aborts.
 */
export async function hubRequest(url: string, options: HubRequestOptions): Promise<HubResponse> {
  const origin = options.tokenOrigin ?? new URL(url).origin;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sameOrigin = new URL(current).origin === origin;
    const response = await send(current, options, sameOrigin ? options.token : undefined);
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || location === undefined) return response;
    const target = answerRedirect(location, { url: current });
    if (!options.followCrossHost && new URL(target).origin !== new URL(current).origin) return response;
    response.body.resume();
    current = target;
  }
  throw new NetworkError(`too many redirects (over ${MAX_REDIRECTS}) starting at ${url}`);
}

function send(url: string, options: HubRequestOptions, token: string | undefined): Promise<HubResponse> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  const headers: Record<string, string> = {
    "user-agent": `seglens/${seglensVersion()}; node/${process.versions.node}`,
    // The size in the headers must be the file's, not a compressed stream's (as huggingface_hub asks).
    "accept-encoding": "identity",
    ...options.headers,
  };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new CancelledError("download cancelled"));
      return;
    }
    const request = client.request(target, {
      method: options.method,
      headers,
      timeout: options.timeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    request.on("timeout", () => {
      request.destroy(
        new HubUnreachableError(`no answer from ${target.host} within ${options.timeoutMs} ms`),
      );
    });
    request.on("error", (cause) => reject(connectionError(cause, target, options.signal)));
    request.on("response", (body) => {
      // The socket timeout keeps guarding the body: a stalled transfer errors the stream.
      resolve({ status: body.statusCode ?? 0, headers: body.headers, url, body });
    });
    request.end();
  });
}

/** The error to report when a request or its body stream fails. */
export function connectionError(cause: unknown, target: URL, signal?: AbortSignal): Error {
  if (signal?.aborted || (cause instanceof Error && cause.name === "AbortError")) {
    return new CancelledError("download cancelled", { cause });
  }
  if (cause instanceof NetworkError) return cause;
  const code = (cause as NodeJS.ErrnoException).code;
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new HubUnreachableError(`cannot reach ${target.origin} (${reason})`, { cause });
}

/** A response header as one string (the first of repeated values). */
export function header(response: HubResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
