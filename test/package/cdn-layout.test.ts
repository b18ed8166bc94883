// The npm package's layout for both of its users: Node loads the library (`main`, `exports`:
// dist/main.js), and front ends that fetch widget modules from an npm CDN request
// `seglens@<range>/dist/index.js` (ipywidgets html-manager's requireLoader; VS Code) and get the AMD
// widget bundle there. Reads the file list `npm pack` would publish from the built checkout.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");
const built = existsSync(join(ROOT, "widgets", "cdn", "index.js"));

/** The files `npm pack` would put in the tarball (no scripts run: the checkout is built already). */
function packedFiles(): string[] {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const [report] = JSON.parse(out) as { files: { path: string }[] }[];
  return (report?.files ?? []).map((f) => f.path);
}

describe("the npm package's entry points", () => {
  it("require('seglens') resolves to dist/main.js, the Node library, through exports", () => {
    const load = createRequire(join(ROOT, "package.json"));
    expect(load.resolve("seglens")).toBe(join(ROOT, "dist", "main.js"));
    expect(typeof (load("seglens") as Record<string, unknown>).explore).toBe("function");
  });

  it.skipIf(!built && !process.env.CI)(
    "the tarball holds the AMD widget bundle at dist/index.js (what the CDN loader requests) and the library at dist/main.js",
    () => {
      const files = packedFiles();
      expect(files).toContain("dist/index.js");
      expect(files).toContain("dist/main.js");
      expect(files).toContain("dist/index.d.ts");
      const bundle = readFileSync(join(ROOT, "dist", "index.js"), "utf8");
      expect(bundle.startsWith('define(["@jupyter-widgets/base"], function (base) {')).toBe(true);
      expect(bundle).toBe(readFileSync(join(ROOT, "widgets", "cdn", "index.js"), "utf8"));
    },
  );
});
