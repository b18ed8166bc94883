import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..", "..");
const readJson = (path: string) =>
  JSON.parse(readFileSync(join(ROOT, path), "utf8")) as Record<string, unknown>;

describe("widgets/ package", () => {
  it("widgets/package.json is the labextension `seglens` at the root package's version", () => {
    const widgets = readJson("widgets/package.json");
    expect(widgets.name).toBe("seglens");
    expect(widgets.version).toBe(readJson("package.json").version);
    expect(widgets.jupyterlab).toMatchObject({ extension: "lib/plugin.js", outputDir: "labextension" });
  });

  it.skipIf(!existsSync(join(ROOT, "widgets", "node_modules")) && !process.env.CI)(
    "widgets/ typechecks with its own tsconfig (DOM lib)",
    () => {
      const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
      expect(() =>
        execFileSync(process.execPath, [tsc, "-p", join(ROOT, "widgets", "tsconfig.json")], {
          stdio: "pipe",
        }),
      ).not.toThrow();
    },
  );
});
