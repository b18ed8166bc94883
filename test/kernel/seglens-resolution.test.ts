import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { createPathForwarder, wrapSeglensRequire } from "../../src/kernel/seglens-resolution";

describe("seglens module resolution in notebooks", () => {
  it("createPathForwarder maps <cwd>/node_modules/seglens[/rest] to the package root, nothing else", () => {
    const forward = createPathForwarder("/nb", "/pkg");
    expect(forward("/nb/node_modules/seglens")).toBe("/pkg");
    expect(forward("/nb/node_modules/seglens/dist/index.d.ts")).toBe("/pkg/dist/index.d.ts");
    expect(forward("/nb/node_modules/seglens-other/index.d.ts")).toBeUndefined();
    expect(forward("/elsewhere/node_modules/seglens/package.json")).toBeUndefined();
  });

  it('wrapSeglensRequire loads "seglens" and "seglens/<subpath>" from the root, other ids as before', () => {
    const loaded: string[] = [];
    const fake = Object.assign((id: string) => loaded.push(id), createRequire(__filename));
    const req = wrapSeglensRequire(fake as unknown as NodeJS.Require, "/pkg");
    req("seglens");
    req("seglens/dist/explorer");
    req("fs");
    expect(loaded).toEqual(["/pkg", "/pkg/dist/explorer", "fs"]);
  });
});
