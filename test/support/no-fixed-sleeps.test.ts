import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Tests wait for an event or poll a condition until a deadline, never for a fixed time: on a
// machine whose cores are busy with other work, any fixed time is sometimes too short.
const ROOTS = ["test", join("widgets", "test")];

/** Ways of waiting a fixed time, by language (TypeScript in Python files is kernel cell code). */
const FIXED_WAITS: [language: "ts" | "py", what: string, pattern: RegExp][] = [
  ["ts", "page.waitForTimeout", /\.waitForTimeout\(/],
  [
    "ts",
    "a promise only a timer resolves",
    /new Promise(<\w+>)?\(\s*\(?(\w+)\)?\s*=>\s*setTimeout\(\s*\2\s*,/,
  ],
  ["py", "time.sleep", /\btime\.sleep\(/],
];

/**
 * The fixed waits in `lines` that are not a poll's pause: a poll is a `while` loop bounded by a
 * deadline (its `while` line names `deadline`), on the same line or at most 4 lines above.
 */
function fixedWaits(language: "ts" | "py", lines: readonly string[]): { line: number; what: string }[] {
  const found: { line: number; what: string }[] = [];
  lines.forEach((text, i) => {
    for (const [of, what, pattern] of FIXED_WAITS) {
      if (of !== language || !pattern.test(text)) continue;
      const loop = lines
        .slice(Math.max(0, i - 4), i + 1)
        .reverse()
        .find((l) => /\bwhile\b/.test(l));
      if (loop === undefined || !/deadline/.test(loop)) found.push({ line: i + 1, what });
    }
  });
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(path);
    return /\.(ts|py)$/.test(entry.name) ? [path] : [];
  });
}

describe("tests wait for events, not for fixed times", () => {
  it("finds a timer-only promise, page.waitForTimeout and time.sleep, but not a pause in a poll until a deadline", () => {
    expect(
      fixedWaits("ts", [
        "await new Promise((r) => setTimeout(r, 1500)); // let it finish",
        "await page.waitForTimeout(5000);",
        "while (!ready() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));",
        "setTimeout(() => controller.abort(), 1);",
      ]),
    ).toEqual([
      { line: 1, what: "a promise only a timer resolves" },
      { line: 2, what: "page.waitForTimeout" },
    ]);
    expect(
      fixedWaits("py", [
        "    time.sleep(0.5)  # let the cell reach its await",
        "    while time.monotonic() < deadline:",
        "        if condition():",
        "            return",
        "        time.sleep(0.02)",
        '    code = "await new Promise((resolve) => setTimeout(resolve, 600000));"',
      ]),
    ).toEqual([{ line: 1, what: "time.sleep" }]);
  });

  it("no file under test/ or widgets/test/ waits a fixed time", () => {
    const offences = ROOTS.flatMap(sources)
      .filter((file) => file !== join("test", "support", "no-fixed-sleeps.test.ts")) // its examples
      .flatMap((file) =>
        fixedWaits(file.endsWith(".py") ? "py" : "ts", readFileSync(file, "utf8").split("\n")).map(
          ({ line, what }) => `${file}:${line}: ${what}`,
        ),
      );
    expect(offences).toEqual([]);
  });
});
