// Compiles widgets/src into one ES module, lib/plugin.js, for `jupyter labextension build`, whose
// webpack then shares @jupyter-widgets/base with JupyterLab and splits plotly into its own chunk.
// The widget module version comes from the root package.json, the one source
// of the version: the kernel sends the same range.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const { version } = JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8"));

await build({
  entryPoints: [join(here, "src", "plugin.ts")],
  outfile: join(here, "lib", "plugin.js"),
  bundle: true,
  packages: "external",
  format: "esm",
  target: "es2022",
  sourcemap: true,
  define: { __SEGLENS_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
});
