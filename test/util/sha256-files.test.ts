import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());

describe("sha256Files", () => {
  it("hashes 300 files in order in a process allowed 64 open files (hashing them all at once runs out)", () => {
    const paths = Array.from({ length: 300 }, (_, i) => {
      const path = join(temp.path, `image-${i}.bin`);
      writeFileSync(path, Buffer.alloc(200_000, i % 251));
      return path;
    });
    writeFileSync(join(temp.path, "paths.json"), JSON.stringify(paths));
    const module = resolve("dist/util/sha256.js");
    const script = (call: string) =>
      `const { sha256Files, sha256File } = require(${JSON.stringify(module)});` +
      `const paths = require(${JSON.stringify(join(temp.path, "paths.json"))});` +
      `${call}.then((h) => console.log(JSON.stringify(h)), (e) => { console.log(e.code); process.exit(3); });`;
    const run = (call: string) =>
      spawnSync("sh", ["-c", `ulimit -n 64 && exec "${process.execPath}" -e '${script(call)}'`], {
        encoding: "utf8",
      });
    const bounded = run("sha256Files(paths)");
    expect(bounded.status, bounded.stderr).toBe(0);
    const expected = paths.map((_, i) =>
      createHash("sha256")
        .update(Buffer.alloc(200_000, i % 251))
        .digest("hex"),
    );
    expect(JSON.parse(bounded.stdout)).toEqual(expected);
    // What featureKeys and meta.json did before: every file opened at once.
    const unbounded = run("Promise.all(paths.map((p) => sha256File(p)))");
    expect(unbounded.stdout.trim()).toBe("EMFILE");
  });
});
