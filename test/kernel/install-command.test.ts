import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { addInstallCommand, scopeFromFlags } from "../../src/cli/install-command";
import { InputError } from "../../src/errors";
import { jupyterDataDir } from "../../src/kernel/kernelspec";
import { installLabextension, uninstallLabextension } from "../../src/kernel/labextension";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());

async function seglens(...args: string[]): Promise<string> {
  const program = new Command("seglens").exitOverride();
  addInstallCommand(program);
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    process.stdout.write = write;
  }
  return out.join("");
}

describe("seglens install / uninstall", () => {
  it("install --prefix P writes P/share/jupyter/kernels/seglens/kernel.json; uninstall --prefix P removes it", async () => {
    const prefix = join(temp.path, "p");
    const dir = join(prefix, "share", "jupyter", "kernels", "seglens");
    expect(await seglens("install", "--prefix", prefix)).toContain(
      `installed kernelspec "seglens" (TypeScript (seglens)) in ${dir}\n`,
    );
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8"));
    expect(spec.argv).toEqual([
      process.execPath,
      resolve("dist", "kernel", "kernel-main.js"),
      "{connection_file}",
    ]);
    expect(spec.display_name).toBe("TypeScript (seglens)");
    expect(spec.language).toBe("typescript");
    expect(await seglens("uninstall", "--prefix", prefix)).toContain(`removed ${dir}\n`);
    expect(existsSync(dir)).toBe(false);
  });

  it("installLabextension copies the built extension to <data dir>/labextensions/seglens; uninstall removes it", () => {
    const source = join(temp.path, "built");
    mkdirSync(join(source, "static"), { recursive: true });
    writeFileSync(join(source, "package.json"), JSON.stringify({ name: "seglens" }));
    writeFileSync(join(source, "static", "remoteEntry.js"), "// chunk");
    const scope = { kind: "prefix" as const, prefix: join(temp.path, "lab") };
    const target = installLabextension({ scope, source });
    expect(target).toBe(join(temp.path, "lab", "share", "jupyter", "labextensions", "seglens"));
    expect(readFileSync(join(target as string, "static", "remoteEntry.js"), "utf8")).toBe("// chunk");
    expect(uninstallLabextension({ scope })).toBe(target);
    expect(existsSync(target as string)).toBe(false);
    expect(installLabextension({ scope, source: join(temp.path, "never-built") })).toBeUndefined();
  });

  it("reinstalling replaces the extension whole: an older build's chunks go, no temporary folders stay", () => {
    const source = join(temp.path, "built-2");
    mkdirSync(join(source, "static"), { recursive: true });
    writeFileSync(join(source, "package.json"), JSON.stringify({ name: "seglens" }));
    writeFileSync(join(source, "static", "new.js"), "// new");
    const scope = { kind: "prefix" as const, prefix: join(temp.path, "lab-2") };
    const target = join(temp.path, "lab-2", "share", "jupyter", "labextensions", "seglens");
    mkdirSync(join(target, "static"), { recursive: true });
    writeFileSync(join(target, "static", "old.js"), "// old");
    expect(installLabextension({ scope, source })).toBe(target);
    expect(readdirSync(join(target, "static"))).toEqual(["new.js"]);
    expect(installLabextension({ scope, source })).toBe(target);
    expect(readdirSync(dirname(target))).toEqual(["seglens"]);
  });

  it("scopeFromFlags defaults to --user and rejects --user with --prefix as an InputError naming both", () => {
    expect(scopeFromFlags({})).toEqual({ kind: "user" });
    expect(scopeFromFlags({ sysPrefix: true })).toEqual({ kind: "sys-prefix" });
    expect(() => scopeFromFlags({ user: true, prefix: "/x" })).toThrow(InputError);
    expect(() => scopeFromFlags({ user: true, prefix: "/x" })).toThrow(/conflicting flags: --user, --prefix/);
  });

  it("jupyterDataDir for --user follows JUPYTER_DATA_DIR, then XDG_DATA_HOME/jupyter", () => {
    expect(jupyterDataDir({ kind: "user" }, { JUPYTER_DATA_DIR: "/j" })).toBe("/j");
    if (process.platform !== "darwin") {
      expect(jupyterDataDir({ kind: "user" }, { XDG_DATA_HOME: "/x" })).toBe("/x/jupyter");
    }
  });
});
