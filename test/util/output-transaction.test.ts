import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CancelledError, InputError } from "../../src/errors";
import { beginOutput, withOutput, writeOutputFile } from "../../src/util/output-transaction";
import { isAbandoned, isTempName, removeAbandonedTemps, tempPathFor } from "../../src/util/temp-files";
import { copyFileAtomic, writeFileAtomic } from "../../src/util/write-file-atomic";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
let cases = 0;
/** A fresh folder per test. */
function folder(): string {
  const dir = join(temp.path, `case-${++cases}`);
  mkdirSync(dir);
  return dir;
}

/** The id of a process that has exited. */
function deadPid(): number {
  const run = spawnSync(process.execPath, ["-e", ""]);
  return run.pid as number;
}

describe("beginOutput (an output transaction)", () => {
  it("a missing folder is made under a hidden temporary name and appears whole at commit", () => {
    const parent = folder();
    const out = beginOutput(join(parent, "new", "deeper"));
    out.writeFile("a.npy", "A");
    out.writeFile("probe/meta.json", "{}");
    out.writeFile("meta.json", "{}");
    const [staged, ...others] = readdirSync(parent);
    expect(others).toEqual([]);
    expect(staged).toMatch(new RegExp(`^\\.new\\.seglens-${process.pid}-\\d+\\.tmp$`));
    expect(readdirSync(join(parent, staged as string, "deeper")).sort()).toEqual([
      "a.npy",
      "meta.json",
      "probe",
    ]);
    out.commit();
    expect(readdirSync(parent)).toEqual(["new"]);
    expect(readdirSync(join(parent, "new", "deeper")).sort()).toEqual(["a.npy", "meta.json", "probe"]);
    expect(readFileSync(join(parent, "new", "deeper", "probe", "meta.json"), "utf8")).toBe("{}");
  });

  it("in an existing folder, files are temporary until commit; meta.json replaces the old one", () => {
    const dir = folder();
    writeFileSync(join(dir, "meta.json"), "old");
    writeFileSync(join(dir, "notes.txt"), "mine");
    const out = beginOutput(dir);
    out.writeFile("labels.npy", "L");
    out.writeFile("meta.json", "new");
    out.writeFile("probe/meta.json", "probe");
    expect(readFileSync(join(dir, "meta.json"), "utf8")).toBe("old");
    expect(
      readdirSync(dir)
        .filter((f) => !isTempName(f))
        .sort(),
    ).toEqual(["meta.json", "notes.txt"]);
    out.commit();
    expect(readdirSync(dir).sort()).toEqual(["labels.npy", "meta.json", "notes.txt", "probe"]);
    expect(readFileSync(join(dir, "meta.json"), "utf8")).toBe("new");
    expect(readFileSync(join(dir, "probe", "meta.json"), "utf8")).toBe("probe");
  });

  it("rollback removes every temporary file and made folder; what was there stays as it was", async () => {
    const dir = folder();
    writeFileSync(join(dir, "meta.json"), "old");
    await expect(
      withOutput(dir, {}, async (out) => {
        out.writeFile("tokens_L1.npy", "partial");
        out.writeFile("probe/labels.npy", "partial");
        throw new InputError('cannot read image "x.png"');
      }),
    ).rejects.toThrow(/x\.png/);
    expect(readdirSync(dir)).toEqual(["meta.json"]);
    expect(readFileSync(join(dir, "meta.json"), "utf8")).toBe("old");

    const parent = folder();
    await expect(
      withOutput(join(parent, "a", "b"), {}, async (out) => {
        out.writeFile("meta.json", "{}");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(readdirSync(parent)).toEqual([]);
  });

  it("an aborted signal turns commit into a rollback with a CancelledError", () => {
    const parent = folder();
    const controller = new AbortController();
    const out = beginOutput(join(parent, "out"), { signal: controller.signal });
    out.writeFile("meta.json", "{}");
    controller.abort();
    expect(() => out.commit()).toThrow(CancelledError);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("a file in the way, or a path outside the folder, is an InputError naming it; nothing is made", () => {
    const parent = folder();
    writeFileSync(join(parent, "file"), "x");
    expect(() => beginOutput(join(parent, "file", "out"))).toThrow(
      /cannot use --out ".*file\/out" as an output folder: a file is in the way/,
    );
    const out = beginOutput(join(parent, "out"));
    expect(() => out.path("../escape.npy")).toThrow(/output file "..\/escape.npy" is not inside --out/);
    out.rollback();
    expect(readdirSync(parent)).toEqual(["file"]);
  });

  it("writeOutputFile onto a folder fails naming the file and the reason; its temporary file is removed", () => {
    const dir = folder();
    mkdirSync(join(dir, "figure.png"));
    expect(() => writeOutputFile(join(dir, "figure.png"), "png")).toThrow(
      /cannot write --out ".*figure\.png": EISDIR/,
    );
    expect(readdirSync(dir)).toEqual(["figure.png"]);
    expect(readdirSync(join(dir, "figure.png"))).toEqual([]);
  });

  it("a new transaction removes what a killed run left in the folder, not what a live one is writing", () => {
    const parent = folder();
    const dead = deadPid();
    mkdirSync(join(parent, `.out.seglens-${dead}-1.tmp`));
    writeFileSync(join(parent, `.out.seglens-${dead}-1.tmp`, "tokens_L1.npy"), "partial");
    writeFileSync(join(parent, `.figure.png.seglens-${dead}-7.tmp`), "partial");
    writeFileSync(join(parent, `.figure.png.seglens-${process.ppid}-2.tmp`), "being written");
    writeFileSync(join(parent, "notes.seglens-1-1.tmp"), "not hidden: not ours");
    beginOutput(join(parent, "out")).rollback();
    expect(readdirSync(parent).sort()).toEqual(
      [`.figure.png.seglens-${process.ppid}-2.tmp`, "notes.seglens-1-1.tmp"].sort(),
    );
  });
});

describe("temporary files", () => {
  it("tempPathFor is hidden, beside the file, with this process's id, and unique", () => {
    const a = tempPathFor("/x/y/meta.json");
    expect(a).toMatch(new RegExp(`^/x/y/\\.meta\\.json\\.seglens-${process.pid}-\\d+\\.tmp$`));
    expect(tempPathFor("/x/y/meta.json")).not.toBe(a);
  });

  it("a writer is gone when its process has exited, or when the process with its id started after the file was written", () => {
    const dir = folder();
    const live = join(dir, `.a.seglens-${process.pid}-1.tmp`);
    writeFileSync(live, "");
    expect(isAbandoned(live)).toBe(false);
    const dead = join(dir, `.a.seglens-${deadPid()}-1.tmp`);
    writeFileSync(dead, "");
    expect(isAbandoned(dead)).toBe(true);
    // This process's id on a file written long before this process started: the id was reused.
    const reused = join(dir, `.b.seglens-${process.pid}-1.tmp`);
    writeFileSync(reused, "");
    utimesSync(reused, new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect(isAbandoned(reused)).toBe(true);
    expect(removeAbandonedTemps(dir).sort()).toEqual([dead, reused].sort());
    expect(existsSync(live)).toBe(true);
  });

  it("writeFileAtomic and copyFileAtomic leave only the final file, and clean a killed writer's leftovers", () => {
    const dir = folder();
    const leftover = join(dir, `.ref.seglens-${deadPid()}-3.tmp`);
    writeFileSync(leftover, "half");
    writeFileAtomic(join(dir, "ref"), "abc");
    copyFileAtomic(join(dir, "ref"), join(dir, "copy"));
    expect(readdirSync(dir).sort()).toEqual(["copy", "ref"]);
    expect(readFileSync(join(dir, "copy"), "utf8")).toBe("abc");
  });
});
