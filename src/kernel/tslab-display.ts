/**
 * Routes tslab's own display API (`import * as tslab from "tslab"; tslab.display.html(…)`) to our
 * IOPub: tslab's `dist/public.js` calls `require("./jupyter").lastWriteDisplayData(content, update)`,
 * which tslab's wire server sets per execute request (`dist/jupyter.js`, 1.0.22).
 */
import { createRequire } from "node:module";
import { isJsonObject, type OutgoingMessage } from "./wire/wire-message";

/** Makes tslab's `display` publish through `publish`; content that is not an object is dropped. */
export function routeTslabDisplay(publish: (message: OutgoingMessage) => void): void {
  const tslabRequire = createRequire(require.resolve("tslab/dist/executor"));
  const jupyter = tslabRequire("./jupyter") as { lastWriteDisplayData: unknown };
  jupyter.lastWriteDisplayData = (content: unknown, update: unknown): void => {
    if (!isJsonObject(content)) return;
    publish({ msg_type: update === true ? "update_display_data" : "display_data", content });
  };
}
