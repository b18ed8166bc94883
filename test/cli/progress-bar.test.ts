import { describe, expect, it } from "vitest";
import { clock, createProgressBar } from "../../src/cli/progress-bar";

/** A terminal that records what is drawn, and a clock the test moves. */
function fakeTerminal(isTTY = true) {
  const writes: string[] = [];
  let ms = 1_000_000;
  const stream = { isTTY, write: (text: string) => writes.push(text) > 0 };
  const bar = createProgressBar({ stream, intervalMs: 100, now: () => ms });
  return {
    bar,
    writes,
    advance: (byMs: number) => {
      ms += byMs;
    },
    /** The last line drawn, without the carriage return and the erase-to-end code. */
    line: () => {
      const last = writes.at(-1) ?? "";
      const erase = "\x1b[K";
      return last.replace(/^\r/, "").slice(0, last.endsWith(erase) ? -erase.length : undefined);
    },
  };
}

describe("createProgressBar", () => {
  it("shows elapsed time, then the time left at the rate so far from the third update that advanced", () => {
    const t = fakeTerminal();
    t.bar.update(0, 100, "images");
    expect(t.line()).toBe(`[${"-".repeat(30)}] 0/100 images`);
    t.advance(10_000);
    t.bar.update(10, 100, "images");
    expect(t.line()).toMatch(/ 10\/100 images 0:10$/);
    t.advance(10_000);
    t.bar.update(20, 100, "images");
    // 20 images in 20 s: 80 left take 80 s.
    expect(t.line()).toBe(`[${"#".repeat(6)}${"-".repeat(24)}] 20/100 images 0:20, 1:20 left`);
    t.advance(70 * 60_000);
    t.bar.update(30, 100, "images");
    expect(t.line()).toMatch(/ 30\/100 images 1:10:20, 2:44:07 left$/);
    t.advance(1_000);
    t.bar.update(100, 100, "images");
    expect(t.line()).toMatch(/ 100\/100 images 1:10:21$/);
  });

  it("counts the rate from the first update of a phase: a resumed run's cached images do not speed it up", () => {
    const t = fakeTerminal();
    t.bar.update(50, 100, "images"); // 50 images were in the cache
    t.advance(5_000);
    t.bar.update(55, 100, "images");
    t.advance(5_000);
    t.bar.update(60, 100, "images");
    expect(t.line()).toMatch(/ 60\/100 images 0:10, 0:40 left$/);
  });

  it("starts a new phase when the total or the label changes (one downloaded file after another)", () => {
    const t = fakeTerminal();
    for (const done of [0, 1, 2]) {
      t.bar.update(done, 10, "MB a.onnx");
      t.advance(1_000);
    }
    expect(t.line()).toMatch(/ 2\/10 MB a\.onnx 0:02, 0:08 left$/);
    t.bar.update(0, 4, "MB b.onnx");
    expect(t.line()).toMatch(/ 0\/4 MB b\.onnx$/);
    t.advance(1_000);
    t.bar.update(1, 4, "MB b.onnx");
    expect(t.line()).toMatch(/ 1\/4 MB b\.onnx 0:01$/);
  });

  it("redraws at most every intervalMs, except for the last update", () => {
    const t = fakeTerminal();
    t.bar.update(0, 3);
    t.advance(10);
    t.bar.update(1, 3);
    t.bar.update(2, 3);
    expect(t.writes).toHaveLength(1);
    t.bar.update(3, 3);
    expect(t.writes).toHaveLength(2);
    t.bar.finish();
    expect(t.writes.at(-1)).toBe("\n");
  });

  it("draws nothing on a stream that is not a terminal", () => {
    const t = fakeTerminal(false);
    t.bar.update(1, 2, "images");
    t.bar.finish();
    expect(t.writes).toEqual([]);
  });

  it("clock: m:ss below an hour, h:mm:ss above; time left rounds up", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(59_999)).toBe("0:59");
    expect(clock(61_000)).toBe("1:01");
    expect(clock(3_600_000 + 62_000)).toBe("1:01:02");
    expect(clock(200, Math.ceil)).toBe("0:01");
  });
});
