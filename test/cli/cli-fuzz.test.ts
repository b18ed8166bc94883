import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRandom } from "../../src/util/random";
import { type CliRun, failureLines, runCliAsync } from "../support/cli";
import { testCacheDir } from "../support/temp";

// A few hundred random and malformed argument lists against the built CLI, offline. Whatever
// they are, every run ends with exit 0 or 2, at most one line `seglens: …`, and no stack trace.
const temp = testCacheDir();
afterAll(() => temp.remove());
const RUNS = 240;
const LANES = 2; // processes at once: the machine has two cores
const SEED = 11;

const fileInTheWay = join(temp.path, "a-file");
writeFileSync(fileInTheWay, "not a folder");
const masks = join(temp.path, "masks");
mkdirSync(masks);

/** Values per flag: valid ones (so some runs go all the way) and malformed ones. */
const VALUES: Record<string, readonly string[]> = {
  "--model": ["models/fixtures/dinov2-tf4", "models/fixtures/dinov2-tf4", "models/fixtures/vit-tf4"]
    .concat(["models/fixtures/vitmae-masking-tf4", "no/such", "", "README.md", "org/name", "mae-base"])
    .concat(["dino-vits16", "test/fixtures/onnx/not-a-vit.onnx", "models", "org/name@", "../../etc"]),
  "--images": [
    "models/samples",
    "models/samples/coffee.png",
    "models/samples/rocket.jpg",
    "no/such.png",
  ].concat(["README.md", "test/fixtures/images/corrupt.png", "", "/dev/null", "test"]),
  "--out": ["OUT", "OUT", "OUT/x.png", "OUT/x.svg", "OUT/x.jpg", fileInTheWay, "/dev/null/x", ""],
  "--k": [
    "6",
    "2",
    "32",
    "0",
    "1",
    "33",
    "2.5",
    "-1",
    "abc",
    "",
    "1e1",
    "0x10",
    " 4",
    "4 ",
    "99999999999999999999",
  ],
  "--seed": ["0", "7", "-1", "4294967296", "1.5", "seed"],
  "--restarts": ["1", "3", "0", "-1", "65", "x"],
  "--max-iter": ["5", "100", "0", "10001", "NaN"],
  "--layers": [
    "all",
    "last",
    "1",
    "2",
    "0",
    "0,1",
    "1-2",
    "2-1",
    "0-",
    "x",
    "",
    "1,,2",
    "99",
    "-1",
    "0-99999999999",
  ],
  "--reps": ["tokens", "q", "tokens,q", "q,k,v", "k", "foo", "", "tokens,", "TOKENS", "v,v"],
  "--size": ["32", "40", "48", "0", "-8", "abc", "1e9", "4097"],
  "--threads": ["1", "2", "0", "257", "x"],
  "--ep": ["cpu", "gpu", "", "CUDA"],
  "--normalize": ["l2", "none", "l1", ""],
  "--masks": [masks, "no/such", fileInTheWay],
  "--mean": ["0.5,0.5,0.5", "1,2", "a,b,c", "", "1,2,3,4"],
  "--std": ["0.5,0.5,0.5", "0,1,1", "-1,1,1", "x"],
  "--prefix-tokens": ["1", "0", "5", "-1", "65", "one"],
  "--variant": ["fp32", "fp16", "q8", "nope", ""],
  "--file": ["onnx/model.onnx", "onnx/nope.onnx", "../../README.md", ""],
  "--rows": ["layers", "models", "cols", ""],
  "--cols": ["images", "reps", "layers"],
  "--models": ["models/fixtures/dinov2-tf4,models/fixtures/dinov2-reg-tf4", "a,,b", "", "no/such"],
  "--shard": ["0/2", "1/2", "4/5", "0/9", "3/3", "0/0", "a/b", "auto", "", "-1/2"],
  "--max-memory": ["8G", "1G", "off", "100M", "lots", "", "-1G", "0.5T"],
};
const SWITCHES = ["--probe", "--no-cache", "--json", "--help", "--version", "-V", "-h", "--"];
const NOISE = ["--bogus", "-x", "--k=5", "--k=", "--layers=0", "---", "-", "é", "--images", "--out", "extra"];
const COMMANDS = ["features", "segment", "figure", "features", "segment", "figure", "models", "help"];

/** One argument list: a command, some flags with values from the pools, sometimes noise. */
function argumentList(random: ReturnType<typeof createRandom>, index: number): string[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random.uniform() * values.length)] as T;
  const args: string[] = [];
  const roll = random.uniform();
  if (roll < 0.04) return [];
  args.push(roll < 0.08 ? pick(["segmnt", "Features", "lab2", "--k", "figure.png"]) : pick(COMMANDS));
  // Most runs name a model, images and an output, so they get past the required flags.
  const flags = Object.keys(VALUES).filter((flag) => {
    const usual = flag === "--model" || flag === "--images" || flag === "--out";
    return random.uniform() < (usual ? 0.85 : 0.12);
  });
  for (const flag of flags) {
    const value = pick(VALUES[flag] as string[]);
    args.push(flag, value.startsWith("OUT") ? value.replace("OUT", join(temp.path, `out-${index}`)) : value);
  }
  if (random.uniform() < 0.15) args.push(pick(SWITCHES));
  if (random.uniform() < 0.2) args.splice(1 + Math.floor(random.uniform() * args.length), 0, pick(NOISE));
  if (random.uniform() < 0.05) args.pop(); // a flag left without its value
  return args;
}

/** What is wrong with one run under the contract, or nothing. */
function violations(args: string[], run: CliRun): string[] {
  const problems: string[] = [];
  if (run.status !== 0 && run.status !== 2) problems.push(`exit ${run.status} (signal ${run.signal})`);
  const failures = failureLines(run.stderr);
  if (failures.length > 1) problems.push(`${failures.length} 'seglens:' lines`);
  if (run.status === 2 && failures.length !== 1) problems.push("exit 2 without its one line");
  const other = run.stderr.split("\n").filter((l) => l !== "" && !/^(seglens|note|warning): /.test(l));
  if (other.length > 0) problems.push(`other stderr: ${JSON.stringify(other.slice(0, 3))}`);
  return problems.map((p) => `seglens ${JSON.stringify(args)}: ${p}\n  ${run.stderr.trim().slice(0, 300)}`);
}

describe("CLI fuzz", () => {
  it(`${RUNS} random and malformed argument lists (seed ${SEED}): exit 0 or 2, at most one 'seglens:' line, no stack`, async () => {
    const random = createRandom(SEED);
    const lists = Array.from({ length: RUNS }, (_, i) => argumentList(random, i));
    // A few complete runs for sure, among the random ones.
    const out = (name: string) => join(temp.path, "complete", name);
    const complete = [
      ["features", "--model", "models/fixtures/dinov2-tf4", "--images", "models/samples", "--out", out("f")],
      [
        "segment",
        "--model",
        "models/fixtures/dinov2-tf4",
        "--images",
        "models/samples",
        "--k",
        "3",
        "--out",
        out("s"),
      ],
      [
        "figure",
        "--model",
        "models/fixtures/dinov2-tf4",
        "--images",
        "models/samples/coffee.png",
        "--out",
        out("f.svg"),
      ],
    ];
    lists.splice(0, complete.length, ...complete);
    const found: string[] = [];
    const statuses = new Map<number | null, number>();
    let next = 0;
    const lane = async (id: number) => {
      const env = {
        ...process.env,
        HF_HUB_OFFLINE: "1",
        HF_HUB_CACHE: join(temp.path, "hub"),
        SEGLENS_CACHE: join(temp.path, `cache-${id}`), // one cache per lane: runs in a lane are sequential
      };
      while (next < lists.length) {
        const args = lists[next++] as string[];
        const run = await runCliAsync(args, env, (child) => {
          const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
          child.on("exit", () => clearTimeout(timer));
        });
        statuses.set(run.status, (statuses.get(run.status) ?? 0) + 1);
        found.push(...violations(args, run));
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, id) => lane(id)));
    expect(found).toEqual([]);
    // The mix the seed gives: mostly refusals, some complete runs.
    expect(statuses.get(0) ?? 0).toBeGreaterThanOrEqual(complete.length);
    expect(statuses.get(2) ?? 0).toBeGreaterThan(RUNS / 2);
  }, 900_000);
});
