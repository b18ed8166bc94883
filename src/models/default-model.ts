import { resolve } from "node:path";
import { InputError, NetworkError } from "../errors";
import { hubSettingsFromEnv } from "../hub/hub-settings";
import { resolveModel } from "./resolve-model";

/** The model shown when none is named: DINO ViT-S/16, the paper's classic. */
export const DEFAULT_MODEL = "dino-vits16";

/** The bundled tiny random-weight DINOv2 (models/fixtures), the stand-in when offline. */
export const BUNDLED_MODEL = resolve(__dirname, "..", "..", "models", "fixtures", "dinov2-tf4");

/** Which model to use, and — when it is the stand-in — a sentence saying why. */
export interface ModelChoice {
  model: string;
  fallback?: string;
}

/**
 * The default model from the Hub (or the Hub cache); offline with nothing cached — the Hub out of
 * reach, or `HF_HUB_OFFLINE` set — the bundled tiny model, with a sentence saying so. Other
 * failures (a model too large, a bad cache) throw.
 *
 * @example
 * const { model, fallback } = await defaultModel();
 * if (fallback) console.warn(fallback);
 */
export async function defaultModel(): Promise<ModelChoice> {
  try {
    await resolveModel(DEFAULT_MODEL);
    return { model: DEFAULT_MODEL };
  } catch (error) {
    // With HF_HUB_OFFLINE, a model missing from the cache is an InputError (no request was made).
    const offlineMiss = error instanceof InputError && hubSettingsFromEnv().offline;
    if (!(error instanceof NetworkError) && !offlineMiss) throw error;
    const reason = error.message.split("\n")[0];
    return {
      model: BUNDLED_MODEL,
      fallback: `${DEFAULT_MODEL} could not be fetched (${reason}); using the bundled tiny random-weight model instead`,
    };
  }
}
