import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { InputError } from "../errors";

/** Where and how the Hub client works; read from the environment like Python's huggingface_hub. */
export interface HubSettings {
  /** Base URL without a trailing slash, e.g. `https://huggingface.co`. */
  endpoint: string;
  /** The cache shared with Python tools: `…/hub`, holding `models--org--name/` folders. */
  cacheDir: string;
  /** Bearer token for gated and private repos. */
  token?: string;
  /** No network at all: only the cache serves. */
  offline: boolean;
  /** Timeout of metadata (HEAD) requests. */
  metadataTimeoutMs: number;
  /** Longest silence while a file streams before the transfer counts as broken (then it resumes). */
  downloadTimeoutMs: number;
}

/** huggingface_hub's defaults (constants.py): 10 s for HEAD and for a stalled download. */
export const DEFAULT_HUB_TIMEOUT_MS = 10_000;

const DEFAULT_ENDPOINT = "https://huggingface.co";
const TRUE_VALUES = new Set(["1", "ON", "YES", "TRUE"]);

/**
 * The Hub settings the environment describes, with huggingface_hub's names and precedence
 * (huggingface_hub/constants.py), so that seglens and Python tools share one cache and one login:
 * - cache: `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, else
 *   `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`;
 * - `HF_ENDPOINT` (default `https://huggingface.co`);
 * - token: `HF_TOKEN`, else the file `HF_TOKEN_PATH` (default `HF_HOME/token`, written by `hf auth login`);
 * - offline: `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is 1, ON, YES or TRUE;
 * - `HF_HUB_ETAG_TIMEOUT`, `HF_HUB_DOWNLOAD_TIMEOUT` in seconds (default 10).
 *
 * @example
 * const settings = hubSettingsFromEnv({ ...process.env, HF_HUB_OFFLINE: "1" });
 */
export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const home = expandHome(
    env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface"),
  );
  const cacheDir = expandHome(env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(home, "hub"));
  const settings: HubSettings = {
    endpoint: readEndpoint(env.HF_ENDPOINT || DEFAULT_ENDPOINT),
    cacheDir,
    offline: isTrue(env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE),
    metadataTimeoutMs: seconds(env.HF_HUB_ETAG_TIMEOUT) ?? DEFAULT_HUB_TIMEOUT_MS,
    downloadTimeoutMs: seconds(env.HF_HUB_DOWNLOAD_TIMEOUT) ?? DEFAULT_HUB_TIMEOUT_MS,
  };
  const token = env.HF_TOKEN?.trim() || readToken(expandHome(env.HF_TOKEN_PATH || join(home, "token")));
  if (token) settings.token = token;
  return settings;
}

function readEndpoint(value: string): string {
  const endpoint = value.trim().replace(/\/+$/, "");
  let protocol = "";
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    // reported below
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new InputError(`invalid HF_ENDPOINT "${value}"; expected a URL like https://huggingface.co`);
  }
  return endpoint;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toUpperCase());
}

function seconds(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
}

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

function readToken(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, "utf8").trim() || undefined;
  } catch {
    return undefined; // an unreadable token file is the same as none: public repos still work
  }
}
