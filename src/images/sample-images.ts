import { resolve } from "node:path";

/** The bundled sample photos (public domain / CC0; see models/samples/LICENSES.md). */
export const SAMPLE_IMAGES = resolve(__dirname, "..", "..", "models", "samples");
