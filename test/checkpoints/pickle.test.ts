import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unpickle } from "../../src/checkpoints/pickle";
import { plainMetadata } from "../../src/checkpoints/pickle-plain";
import { PickleDict, PickleObject } from "../../src/checkpoints/pickle-values";
import { unpickleTorch } from "../../src/checkpoints/torch-pickle";
import { UnsupportedModelError } from "../../src/errors";
import { CHECKPOINTS } from "./expected";
import { op, pickleBytes } from "./pickle-bytes";

const pickles = JSON.parse(readFileSync(join(CHECKPOINTS, "pickles.json"), "utf8")) as Record<string, string>;

describe("unpickle", () => {
  for (const [protocol, base64] of Object.entries(pickles)) {
    it(`reads what CPython's pickle.dumps wrote with protocol ${protocol}: ints of every width, big ints, floats, unicode, bytes, tuples, shared lists`, () => {
      const root = unpickleTorch(Buffer.from(base64, "base64"), `protocol ${protocol}`);
      expect(plainMetadata(root)).toEqual({
        int: 7,
        byte: 200,
        short: 40000,
        neg: -123456,
        big: "1180591620717411303424",
        negbig: "-1180591620717411303424",
        float: 0.1,
        text: "ViT ü 🙂 \\ \n",
        bytes: { __bytes__: 2 },
        tuple: [1, [2.5, "x"]],
        list: [1, [null]],
        flags: [true, false],
        shared: [["shared"], ["shared"]],
        "3": "int key",
      });
      const shared = (root as PickleDict).items.get("shared") as unknown[];
      expect(shared[0]).toBe(shared[1]);
    });
  }

  it("a GLOBAL that is not whitelisted, called with REDUCE, becomes an inert object recording its name and arguments", () => {
    const bytes = pickleBytes(
      op.proto(2),
      op.global("os", "system"),
      op.mark,
      op.str("rm -rf /"),
      op.tuple,
      op.reduce,
      op.stop,
    );
    const reducers = new Map<string, (args: unknown[]) => unknown>();
    const value = unpickle(bytes, { reducers, persistentLoad: () => null, label: "test" });
    expect(value).toBeInstanceOf(PickleObject);
    expect(value).toMatchObject({ className: "os.system", args: ["rm -rf /"], state: null });
  });

  it("BUILD on an OrderedDict sets its attributes, not its items (as torch's _metadata)", () => {
    const bytes = pickleBytes(
      op.proto(2),
      op.global("collections", "OrderedDict"),
      op.emptyTuple,
      op.reduce,
      op.emptyDict,
      op.str("_metadata"),
      op.int(1),
      op.setItem,
      op.build,
      op.stop,
    );
    const dict = unpickleTorch(bytes, "test") as PickleDict;
    expect(dict.className).toBe("collections.OrderedDict");
    expect(dict.items.size).toBe(0);
    expect(dict.attributes).toBeInstanceOf(PickleDict);
  });

  it("a 1 MB integer (LONG4) is not decoded, so it cannot stall the reader (decoding is quadratic)", () => {
    const size = 1 << 20;
    const bytes = new Uint8Array(2 + 5 + size + 1).fill(0x7f);
    bytes.set([...op.proto(2), 0x8b, 0, 0, 0x10, 0], 0);
    bytes[bytes.length - 1] = 0x2e;
    const options = { reducers: new Map(), persistentLoad: () => null, label: "test" };
    expect(unpickle(bytes, options)).toBe("<integer of 1048576 bytes>");
  });

  it("a protocol newer than 5 and out-of-band buffers are UnsupportedModelError", () => {
    const options = { reducers: new Map(), persistentLoad: () => null, label: "data.pkl in x" };
    expect(() => unpickle(pickleBytes(op.proto(6), op.none, op.stop), options)).toThrow(
      UnsupportedModelError,
    );
    expect(() => unpickle(pickleBytes(op.proto(6), op.none, op.stop), options)).toThrow(
      /data\.pkl in x uses pickle protocol 6; seglens reads protocols 0–5/,
    );
    expect(() => unpickle(pickleBytes(op.proto(5), [0x97], op.stop), options)).toThrow(/out-of-band buffers/);
  });
});
