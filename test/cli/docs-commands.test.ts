import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectNoStackTrace, runCli } from "../support/cli";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const README = readFileSync("README.md", "utf8");

/** The lines of the README's `sh` blocks, comments and blank lines dropped. */
function shellLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((block) => block.split("\n"))
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** Source files under `dir`, recursively. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The paths a command reads: values of --images and --masks, and --model/--models given as paths. */
function localInputs(args: readonly string[]): string[] {
  const paths: string[] = [];
  let flag = "";
  for (const arg of args) {
    if (arg.startsWith("--")) flag = arg;
    else if (flag === "--images" || flag === "--masks") paths.push(arg);
    else if (flag === "--model" || flag === "--models")
      paths.push(...arg.split(",").filter((m) => m.includes("/") && !/^[\w.-]+\/[\w.-]+(@\S+)?$/.test(m)));
  }
  return paths;
}

describe("the README's commands run as written on a fresh clone", () => {
  // Offline and with empty caches: a command either runs, or its only failure is that the Hub
  // model it names is not cached, or not yet converted (either needs the internet once).
  const env = {
    ...process.env,
    HF_HUB_OFFLINE: "1",
    HF_HUB_CACHE: join(temp.path, "hub"),
    SEGLENS_CACHE: join(temp.path, "cache"),
  };
  const NEEDS_INTERNET =
    /^seglens: Hub model "[^"]+" \(revision main\) is not in the cache .* HF_HUB_OFFLINE is set|^seglens: model "[^"]+" is converted on first use, and HF_HUB_OFFLINE is set/;
  // Files the commands write go to the temporary folder (and are read from there by
  // `segment --features`); the benchmark model too.
  const relocate = (line: string) => {
    let flag = "";
    return line
      .replaceAll("models/bench", join(temp.path, "bench"))
      .split(" ")
      .map((word) => {
        if (word.startsWith("--")) flag = word;
        else if (flag === "--out" || flag === "--features") return join(temp.path, "out", word);
        return word;
      })
      .join(" ");
  };
  const lines = shellLines(README);

  it("the README shows the seglens commands this test runs", () => {
    const seglens = lines.filter((line) => line.startsWith("npx seglens "));
    expect(seglens.length).toBeGreaterThanOrEqual(6);
    expect(seglens.some((line) => line.includes("models/bench/vit-small-patch16"))).toBe(true);
  });

  it.each(lines.filter((line) => line.startsWith("node -e ") || line.startsWith("npx seglens ")))(
    "%s",
    (line) => {
      const command = relocate(line);
      if (command.startsWith("node -e ")) {
        const script = /^node -e '(.*)'$/.exec(command)?.[1] as string;
        const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        return;
      }
      const args = command.replace(/^npx seglens /, "").split(/\s+/);
      // Local inputs must exist: offline, a Hub model's refusal would otherwise hide a missing file.
      for (const path of localInputs(args)) expect(existsSync(path), `${line}: ${path}`).toBe(true);
      const run = runCli(args, env);
      expectNoStackTrace(run.stderr);
      if (run.status === 0) return;
      // Without a model named, figure falls back to the bundled one offline: it must run.
      expect(
        args.some((a) => a === "--model" || a === "--models"),
        run.stderr,
      ).toBe(true);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr.trim(), run.stderr).toMatch(NEEDS_INTERNET);
    },
    300_000,
  );

  it("every other command in the README's shell blocks names scripts and files that exist", () => {
    for (const line of lines.filter((l) => !l.startsWith("npx seglens ") && !l.startsWith("node -e "))) {
      for (const path of line.match(/\b(?:models|notebooks|test|widgets)\/[\w./-]+/g) ?? []) {
        expect(existsSync(path), `${line}: ${path}`).toBe(true);
      }
    }
  });
});

describe("messages and docs point to files that exist", () => {
  // A repo path with an extension, as messages and docs name them: models/export/README.md.
  const FILE = /\b(?:models|notebooks|test|widgets|src|\.ci)\/[\w./*-]*\.(?:md|py|sh|json|ipynb|ts|png)\b/g;

  it("every file that source code names (in messages, not in comments citing other projects) exists", () => {
    const code = (file: string) =>
      readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line))
        .join("\n");
    const missing = sourceFiles("src").flatMap((file) =>
      (code(file).match(FILE) ?? []).filter((path) => !existsSync(path)).map((p) => `${file}: ${p}`),
    );
    expect(missing).toEqual([]);
  });

  it("every file and link in the README exists (globs match something; models/bench is made by the command shown)", () => {
    const links = [...README.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1] as string);
    const paths = [...(README.match(FILE) ?? []), ...links].filter((p) => !p.startsWith("models/bench/"));
    const missing = paths.filter((path) => {
      if (!path.includes("*")) return !existsSync(path);
      const pattern = new RegExp(`^${basename(path).replaceAll(".", "\\.").replaceAll("*", ".*")}$`);
      return !readdirSync(dirname(path)).some((name) => pattern.test(name));
    });
    expect(missing).toEqual([]);
  });
});
