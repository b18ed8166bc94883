// Run by the root `npm run build` after tsc: gives dist/index.js to the browser and the Node
// library another name. Front ends that load widget modules from an npm CDN (VS Code, ipywidgets'
// HTML manager) request `seglens@<range>/dist/index.js` as an AMD module; Node finds the library
// through package.json (`main`, `exports`: dist/main.js), so `import … from "seglens"` is unchanged.
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const dist = join(root, "dist");
const bundle = join(root, "widgets", "cdn", "index.js");

renameSync(join(dist, "index.js"), join(dist, "main.js"));
if (existsSync(join(dist, "index.js.map"))) {
  renameSync(join(dist, "index.js.map"), join(dist, "main.js.map"));
  const main = readFileSync(join(dist, "main.js"), "utf8");
  writeFileSync(
    join(dist, "main.js"),
    main.replace("sourceMappingURL=index.js.map", "sourceMappingURL=main.js.map"),
  );
}
// The widget bundle is made by widgets/build.sh; without it dist/ is the Node library alone.
if (existsSync(bundle)) copyFileSync(bundle, join(dist, "index.js"));
else rmSync(join(dist, "index.js"), { force: true });
