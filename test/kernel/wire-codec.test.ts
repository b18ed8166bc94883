import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WireFormatError } from "../../src/kernel/kernel-errors";
import { createSigner, decodeFrames, encodeFrames } from "../../src/kernel/wire/wire-codec";

const signer = createSigner("hmac-sha256", "secret");
const header = { msg_id: "m1", session: "s", username: "u", date: "", msg_type: "comm_msg", version: "5.3" };
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

describe("encodeFrames / decodeFrames", () => {
  it("encodeFrames signs the four JSON frames only and appends buffers raw", () => {
    const frames = encodeFrames(
      {
        identities: [Buffer.from("id")],
        header,
        parent_header: {},
        metadata: {},
        content: { a: 1 },
        buffers: [allBytes],
      },
      signer,
    );
    expect(frames.map((f) => Buffer.from(f).toString("utf8")).slice(0, 2)).toEqual(["id", "<IDS|MSG>"]);
    const hmac = createHmac("sha256", "secret");
    for (const frame of frames.slice(3, 7)) hmac.update(frame);
    expect(Buffer.from(frames[2] as Uint8Array).toString()).toBe(hmac.digest("hex"));
    expect(Buffer.from(frames[7] as Uint8Array).equals(Buffer.from(allBytes))).toBe(true);
  });

  it("decodeFrames round-trips identities, JSON parts and buffers byte-exact", () => {
    const frames = encodeFrames(
      {
        identities: [Buffer.from("id")],
        header,
        parent_header: {},
        metadata: { m: true },
        content: { a: 1 },
        buffers: [allBytes],
      },
      signer,
    ).map((f) => Buffer.from(f));
    const { identities, message } = decodeFrames(frames, signer);
    expect(identities.map(String)).toEqual(["id"]);
    expect(message.header).toEqual(header);
    expect(message.metadata).toEqual({ m: true });
    expect(message.content).toEqual({ a: 1 });
    expect(Buffer.from(message.buffers[0] as Uint8Array).equals(Buffer.from(allBytes))).toBe(true);
  });

  it("decodeFrames rejects a wrong signature, a missing delimiter and a header without msg_type", () => {
    const good = encodeFrames(
      { identities: [], header, parent_header: {}, metadata: {}, content: {}, buffers: [] },
      signer,
    ).map((f) => Buffer.from(f));
    const forged = [...good];
    forged[1] = Buffer.from("0".repeat(64));
    expect(() => decodeFrames(forged, signer)).toThrow(WireFormatError);
    expect(() => decodeFrames(forged, signer)).toThrow(/invalid signature/);
    expect(() => decodeFrames([Buffer.from("x")], signer)).toThrow(/no "<IDS\|MSG>" delimiter/);
    const noType = encodeFrames(
      {
        identities: [],
        header: { ...header, msg_type: "" },
        parent_header: {},
        metadata: {},
        content: {},
        buffers: [],
      },
      signer,
    ).map((f) => Buffer.from(f));
    expect(() => decodeFrames(noType, signer)).toThrow(/invalid header.msg_type: ""/);
  });

  it("createSigner with an empty key signs nothing and accepts an empty signature", () => {
    const open = createSigner("hmac-sha256", "");
    expect(open.sign([Buffer.from("{}")])).toBe("");
    expect(open.verify("", [Buffer.from("{}")])).toBe(true);
  });
});
