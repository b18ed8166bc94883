import { describe, expect, it } from "vitest";
import type { CellOutcome, CellRunner } from "../../src/kernel/cell-runner";
import { createCommManager } from "../../src/kernel/comm-manager";
import { createKernelHandler } from "../../src/kernel/kernel-handler";
import type { JsonObject, JupyterMessage, OutgoingMessage } from "../../src/kernel/wire/wire-message";

// The protocol handlers without sockets: a fake cell runner, real comms.
function fakeRunner(outcome: CellOutcome): CellRunner & { interrupts: number } {
  return {
    interrupts: 0,
    run: async () => outcome,
    complete: () => ({ matches: ["alpha"], cursorStart: 0, cursorEnd: 2 }),
    inspect: () => undefined,
    isComplete: (code) =>
      code.endsWith("{") ? { status: "incomplete", indent: "" } : { status: "complete" },
    interrupt() {
      this.interrupts += 1;
    },
    close: () => undefined,
  };
}

function request(msg_type: string, content: JsonObject, buffers: Uint8Array[] = []): JupyterMessage {
  const header = {
    msg_id: `id-${msg_type}`,
    session: "s",
    username: "u",
    date: "",
    msg_type,
    version: "5.3",
  };
  return { header, parent_header: {}, metadata: {}, content, buffers };
}

function setup(outcome: CellOutcome = { status: "ok", hasValue: true, value: 42 }) {
  const published: OutgoingMessage[] = [];
  const comms = createCommManager((m) => published.push(m));
  const runner = fakeRunner(outcome);
  const handler = createKernelHandler({ runner, comms, version: "0.1.0", onShutdown: () => undefined });
  const handle = (msg: JupyterMessage) => handler.handle(msg, (m) => published.push(m));
  return { published, comms, runner, handle };
}

describe("createKernelHandler", () => {
  it("execute_request with a value publishes execute_input and execute_result, replies ok with count 1", async () => {
    const { published, handle } = setup();
    const reply = await handle(request("execute_request", { code: "42" }));
    expect(reply).toEqual({
      msg_type: "execute_reply",
      content: { status: "ok", execution_count: 1, user_expressions: {}, payload: [] },
    });
    expect(published).toEqual([
      { msg_type: "execute_input", content: { code: "42", execution_count: 1 } },
      {
        msg_type: "execute_result",
        content: { execution_count: 1, data: { "text/plain": "42" }, metadata: {} },
      },
    ]);
  });

  it("execute_request whose cell throws publishes error and replies status error with ename", async () => {
    const { published, handle } = setup({
      status: "error",
      ename: "RangeError",
      evalue: "far",
      traceback: ["t"],
    });
    const reply = await handle(request("execute_request", { code: "x" }));
    expect(reply?.content).toMatchObject({ status: "error", ename: "RangeError", evalue: "far" });
    expect(published.map((m) => m.msg_type)).toEqual(["execute_input", "error"]);
  });

  it("execute_request with code 5 replies status error naming content.code and publishes stderr", async () => {
    const { published, handle } = setup();
    const reply = await handle(request("execute_request", { code: 5 }));
    expect(reply?.msg_type).toBe("execute_reply");
    expect(reply?.content).toMatchObject({ status: "error", ename: "WireFormatError" });
    expect(String(reply?.content.evalue)).toMatch(/^invalid content\.code: 5; expected a string$/);
    expect(published[0]).toMatchObject({ msg_type: "stream", content: { name: "stderr" } });
  });

  it("comm_info_request replies comm_info_reply (not complete_reply, tslab bug 1) listing open comms", async () => {
    const { comms, handle } = setup();
    comms.open("t1", { commId: "a" });
    comms.open("t2", { commId: "b" });
    expect(await handle(request("comm_info_request", {}))).toEqual({
      msg_type: "comm_info_reply",
      content: { status: "ok", comms: { a: { target_name: "t1" }, b: { target_name: "t2" } } },
    });
    expect((await handle(request("comm_info_request", { target_name: "t2" })))?.content).toEqual({
      status: "ok",
      comms: { b: { target_name: "t2" } },
    });
  });

  it("comm_open for a registered target delivers data and buffers; comm_msg and comm_close reach the comm", async () => {
    const { comms, handle } = setup();
    const log: unknown[] = [];
    comms.registerTarget("echo", (comm, opened) => {
      log.push(["open", opened.data, Array.from(opened.buffers[0] ?? [])]);
      comm.onMessage((m) => log.push(["msg", m.data]));
      comm.onClose((m) => log.push(["close", m.data]));
    });
    await handle(
      request("comm_open", { comm_id: "c", target_name: "echo", data: { a: 1 } }, [Uint8Array.of(0, 255)]),
    );
    await handle(request("comm_msg", { comm_id: "c", data: { b: 2 } }));
    await handle(request("comm_close", { comm_id: "c", data: { bye: true } }));
    expect(log).toEqual([
      ["open", { a: 1 }, [0, 255]],
      ["msg", { b: 2 }],
      ["close", { bye: true }],
    ]);
    expect(comms.info().comms).toEqual({});
  });

  it("comm_open for an unknown target is answered with comm_close", async () => {
    const { published, handle } = setup();
    expect(
      await handle(request("comm_open", { comm_id: "x", target_name: "nope", data: {} })),
    ).toBeUndefined();
    expect(published).toEqual([{ msg_type: "comm_close", content: { comm_id: "x", data: {} } }]);
  });

  it("comm_msg without comm_id is answered on stderr, not thrown", async () => {
    const { published, handle } = setup();
    expect(await handle(request("comm_msg", { data: {} }))).toBeUndefined();
    expect(published).toEqual([
      {
        msg_type: "stream",
        content: {
          name: "stderr",
          text: "seglens kernel: rejected comm_msg: WireFormatError: invalid content.comm_id: undefined; expected a string\n",
        },
      },
    ]);
  });

  it("interrupt_request interrupts the runner; is_complete and complete answer from it", async () => {
    const { runner, handle } = setup();
    expect((await handle(request("interrupt_request", {})))?.content).toEqual({ status: "ok" });
    expect(runner.interrupts).toBe(1);
    expect((await handle(request("is_complete_request", { code: "if (x) {" })))?.content).toEqual({
      status: "incomplete",
      indent: "",
    });
    expect((await handle(request("complete_request", { code: "al", cursor_pos: 2 })))?.content).toEqual({
      status: "ok",
      matches: ["alpha"],
      cursor_start: 0,
      cursor_end: 2,
      metadata: {},
    });
  });

  it("complete and inspect with cursor_pos beyond the code, negative or 1e300 reply status error naming it", async () => {
    const { handle } = setup();
    for (const type of ["complete_request", "inspect_request"]) {
      for (const cursor_pos of [3, -1, 1e300, 0.5]) {
        const reply = await handle(request(type, { code: "al", cursor_pos }));
        expect(reply?.msg_type).toBe(type.replace("_request", "_reply"));
        expect(reply?.content).toMatchObject({ status: "error", ename: "WireFormatError" });
        expect(reply?.content.evalue).toBe(
          `invalid content.cursor_pos: ${JSON.stringify(cursor_pos)}; expected an integer in 0..2`,
        );
      }
    }
  });
});
