// Builds widgets/cdn/index.js: the widget module `seglens` as one AMD module, the form in which
// front ends without the labextension (VS Code, ipywidgets' HTML manager) load a widget module:
// requirejs fetches `<cdn>/seglens@<range>/dist/index.js` (html-manager's `requireLoader`), so the
// root build (dist-layout.mjs) puts this file at dist/index.js of the npm package.
// @jupyter-widgets/base stays the page's own (an AMD dependency); plotly is inlined.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const { version } = JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8"));
const BASE = "@jupyter-widgets/base";

const result = await build({
  entryPoints: [join(here, "src", "index.ts")],
  bundle: true,
  external: [BASE],
  format: "cjs",
  platform: "browser",
  target: "es2022",
  minify: true,
  write: false,
  define: { __SEGLENS_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
});
const body = result.outputFiles[0]?.text ?? "";
// A CommonJS body inside define(): `require` answers the one external with the AMD dependency.
const amd = `define(${JSON.stringify([BASE])}, function (base) {
var module = { exports: {} }, exports = module.exports;
var require = function (name) {
  if (name === ${JSON.stringify(BASE)}) return base;
  throw new Error("[seglens] the widget bundle requires " + JSON.stringify(name) + "; only ${BASE} is provided");
};
${body}
return module.exports;
});
`;
mkdirSync(join(here, "cdn"), { recursive: true });
writeFileSync(join(here, "cdn", "index.js"), amd);
