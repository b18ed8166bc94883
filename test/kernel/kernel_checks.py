"""Drives the seglens kernel, started from its installed kernelspec, with a real jupyter_client.

Usage: python kernel_checks.py WORKDIR. JUPYTER_PATH must point at the kernelspec's data dir.
Prints one JSON object {check_name: {"ok": bool, "detail": str}} on stdout; the vitest test
(test/kernel/kernel-integration.test.ts) asserts each check separately.
"""
import json
import os
import sys

import zmq
from kernel_client import Checks, KernelConnection, idle_of, until

ALL_BYTES = bytes(range(256))
BUDGET_S = 200  # the vitest test kills this script at 280 s: leave time to report
checks = Checks(BUDGET_S)
check, results = checks.check, checks.results
connection = KernelConnection(sys.argv[1])
km, kc = connection.km, connection.kc
iopub_until, run, send_shell = connection.iopub_until, connection.run, connection.send_shell
reply_to, send_control = connection.reply_to, connection.send_control


def result_text(msgs):
    texts = [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"]
    assert len(texts) == 1, [m["msg_type"] for m in msgs]
    return texts[0].replace(" ", "").replace("\n", "")


def ok(reply):
    assert reply["content"]["status"] == "ok", reply["content"]


@check
def kernel_info():
    reply = reply_to(kc.kernel_info())
    content = reply["content"]
    assert reply["msg_type"] == "kernel_info_reply"
    assert content["implementation"] == "seglens" and content["protocol_version"] == "5.3", content
    assert content["language_info"]["name"] == "typescript", content
    # The same request on the control channel, answered there; and the heartbeat echoes.
    reply = reply_to(send_control("kernel_info_request", {}), channel="control")
    assert reply["msg_type"] == "kernel_info_reply", reply["msg_type"]
    assert reply["header"]["session"] != kc.session.session, "replies carry the kernel's own session id"
    hb = zmq.Context.instance().socket(zmq.REQ)
    hb.linger = 0
    hb.connect(f"{km.transport}://{km.ip}:{km.hb_port}")
    hb.send(b"ping \x00\xff")
    assert hb.poll(60000), "no heartbeat echo within 60 s"
    assert hb.recv() == b"ping \x00\xff"
    hb.close()


@check
def execute_value_output_error():
    reply, msgs = run('const answer: number = 6 * 7;\nconsole.log("printed");\nanswer')
    ok(reply)
    result = [m for m in msgs if m["msg_type"] == "execute_result"]
    assert len(result) == 1 and result[0]["content"]["data"]["text/plain"] == "42", msgs
    streams = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    assert streams == "printed\n", streams
    reply, msgs = run('throw new RangeError("too far")')
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "RangeError", reply["content"]
    assert [m["content"]["evalue"] for m in msgs if m["msg_type"] == "error"] == ["too far"]
    reply, msgs = run('const s: string = 3;')
    assert reply["content"]["ename"] == "CompileError", reply["content"]
    assert "not assignable" in reply["content"]["evalue"], reply["content"]


@check
def allocator_settings_reach_the_kernel():
    reply, msgs = run('[process.env.MALLOC_MMAP_THRESHOLD_, process.env.MALLOC_TRIM_THRESHOLD_, process.env.GLIBC_TUNABLES].join(",")')
    ok(reply)
    assert result_text(msgs) == "33554432,1073741824,glibc.malloc.hugetlb=1", msgs


@check
def import_seglens_resolves_to_the_kernel_copy():
    reply, msgs = run('import { REPS } from "seglens";\nconst reps: readonly string[] = REPS;\nreps.join(",")')
    ok(reply)
    assert result_text(msgs) == "tokens,q,k,v", msgs


@check
def complete_and_inspect():
    ok(run("const seglensCompletionTarget = 1;")[0])
    code = "seglensCompl"
    reply = reply_to(kc.complete(code, len(code)))
    assert "seglensCompletionTarget" in reply["content"]["matches"], reply["content"]
    assert reply["content"]["cursor_end"] == len(code), reply["content"]
    reply = reply_to(kc.is_complete("if (true) {"))
    assert reply["content"]["status"] == "incomplete", reply["content"]


# Throws once a comm_open for {target} arrives: sent after the cells queued behind it, that
# comm_open makes the kernel hold them all before the cell fails, with no sleep or race.
GATED_THROW = """
import {{ requireKernel }} from "seglens/dist/kernel";
await new Promise<void>((resolve) => requireKernel().comms.registerTarget("{target}", () => resolve()));
throw new Error("boom");
"""
FLAGS = "(globalThis as { ranAfterError?: boolean; ranAfterTolerated?: boolean })"


def run_behind_failure(target, codes, stop_on_error):
    """Sends the gated failing cell, then codes, back to back; returns (msg ids, their replies in
    order, IOPub messages parented to them, up to the last one's idle)."""
    ids = [kc.execute(GATED_THROW.format(target=target), stop_on_error=stop_on_error)]
    ids += [kc.execute(code, stop_on_error=stop_on_error) for code in codes]
    send_shell("comm_open", {"comm_id": target, "target_name": target, "data": {}})
    replies = [reply_to(msg_id) for msg_id in ids]
    answered = [parent for parent in connection.shell_arrivals if parent in ids]
    assert answered == ids, "replies out of request order"
    got = iopub_until(idle_of(ids[-1]), timeout=60)
    return ids, replies, [m for m in got if m["parent_header"].get("msg_id") in ids]


@check
def error_aborts_queued_cells():
    ids, replies, msgs = run_behind_failure(
        "gate.abort", [f"{FLAGS}.ranAfterError = true;", '"third"'], stop_on_error=True)
    contents = [r["content"] for r in replies]
    assert [c["status"] for c in contents] == ["error", "aborted", "aborted"], contents
    assert contents[0]["evalue"] == "boom" and contents[1:] == [{"status": "aborted"}] * 2, contents
    for msg_id in ids[1:]:
        seen = [(m["msg_type"], m["content"].get("execution_state")) for m in msgs
                if m["parent_header"]["msg_id"] == msg_id]
        assert seen == [("status", "busy"), ("status", "idle")], seen
    # A request sent after the aborts runs; the aborted cells neither ran nor took a count.
    reply, msgs = run(f"{FLAGS}.ranAfterError === undefined")
    ok(reply)
    assert result_text(msgs) == "true", msgs
    assert reply["content"]["execution_count"] == contents[0]["execution_count"] + 1, reply["content"]


@check
def stop_on_error_false_runs_queued_cells():
    ids, replies, msgs = run_behind_failure(
        "gate.tolerated", [f"{FLAGS}.ranAfterTolerated = true;", f"{FLAGS}.ranAfterTolerated"],
        stop_on_error=False)
    contents = [r["content"] for r in replies]
    assert [c["status"] for c in contents] == ["error", "ok", "ok"], contents
    shown = [m["content"]["data"] for m in msgs
             if m["msg_type"] == "execute_result" and m["parent_header"]["msg_id"] == ids[2]]
    assert shown == [{"text/plain": "true"}], [m["msg_type"] for m in msgs]


@check
def interrupt_during_long_await():
    # A failed (interrupted) cell's declarations do not survive it in tslab: declare in a cell of its own.
    ok(run("let stopped = false;")[0])
    code = """
import { requireKernel } from "seglens/dist/kernel";
requireKernel().interruptSignal.addEventListener("abort", () => { stopped = true; });
console.log("awaiting");
await new Promise((resolve) => setTimeout(resolve, 600000));
"""
    msg_id = kc.execute(code)
    # The cell prints once its abort listener is registered: the interrupt comes after that.
    iopub_until(lambda m: m["msg_type"] == "stream" and "awaiting" in m["content"]["text"]
                and m["parent_header"].get("msg_id") == msg_id)
    km.interrupt_kernel()
    reply = reply_to(msg_id)
    assert reply["content"]["status"] == "error", reply["content"]
    iopub_until(idle_of(msg_id))
    reply, msgs = run("[1 + 1, stopped]")
    ok(reply)
    assert result_text(msgs) == "[2,true]", msgs


@check
def sync_loop_interrupt_and_display():
    # The cell marks a file just before it spins: an interrupt sent while the cell still compiles
    # would reach the kernel's handler, not the loop.
    marker = os.path.join(sys.argv[1], "spinning")
    msg_id = kc.execute(f'import {{ writeFileSync }} from "fs";\nwriteFileSync({json.dumps(marker)}, "");\n'
                        'let spins = 0;\nwhile (true) { spins++; }')
    # A blocked event loop sends nothing: the file is the only sign that the loop started.
    until(lambda: os.path.exists(marker), 60, "the cell to start spinning")
    km.interrupt_kernel()
    reply = reply_to(msg_id)
    assert reply["content"]["status"] == "error", reply["content"]
    assert "SIGINT" in reply["content"]["evalue"], reply["content"]
    iopub_until(idle_of(msg_id))
    code = """
import { requireKernel } from "seglens/dist/kernel";
import * as tslab from "tslab";
requireKernel().display({ "text/plain": "first" }, { displayId: "d1" });
requireKernel().display({ "text/plain": "second" }, { displayId: "d1", update: true });
tslab.display.html("<b>tslab</b>");
"""
    reply, msgs = run(code)
    ok(reply)
    shown = [(m["msg_type"], m["content"]["data"], m["content"].get("transient")) for m in msgs
             if m["msg_type"] in ("display_data", "update_display_data")]
    assert shown == [
        ("display_data", {"text/plain": "first"}, {"display_id": "d1"}),
        ("update_display_data", {"text/plain": "second"}, {"display_id": "d1"}),
        ("display_data", {"text/html": "<b>tslab</b>"}, {}),
    ], shown


@check
def comm_served_while_a_cell_awaits():
    code = """
import { requireKernel } from "seglens/dist/kernel";
await new Promise((resolve) => requireKernel().comms.registerTarget("wake", (comm, m) => resolve(m.data)));
"""
    msg_id = kc.execute(code + '"woken"')
    iopub_until(lambda m: m["msg_type"] == "execute_input" and m["parent_header"].get("msg_id") == msg_id)
    info = reply_to(kc.comm_info())  # answered while the cell is still waiting
    assert info["content"]["status"] == "ok"
    wake = send_shell("comm_open", {"comm_id": "w", "target_name": "wake", "data": {"v": 7}})
    reply = reply_to(msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    got = iopub_until(idle_of(msg_id))
    statuses = [m["content"]["execution_state"] for m in got
                if m["msg_type"] == "status" and m["parent_header"].get("msg_id") == wake]
    assert statuses == ["busy", "idle"], statuses


ECHO_TARGET = """
import { requireKernel } from "seglens/dist/kernel";
const closedComms: string[] = [];
requireKernel().comms.registerTarget("seglens.echo", (comm, opened) => {
  comm.send({ opened: opened.data }, { buffers: opened.buffers });
  comm.onMessage((m) => comm.send({ echo: m.data }, { buffers: m.buffers }));
  comm.onClose(() => closedComms.push(comm.commId));
});
"""


@check
def comm_both_ways_with_buffers():
    ok(run(ECHO_TARGET)[0])
    open_id = send_shell("comm_open", {"comm_id": "c1", "target_name": "seglens.echo", "data": {"x": 1}},
                         [ALL_BYTES, b"\x00\xff"])
    got = [m for m in iopub_until(idle_of(open_id)) if m["parent_header"].get("msg_id") == open_id]
    types = [m["msg_type"] for m in got]
    assert types == ["status", "comm_msg", "status"], types
    assert [m["content"]["execution_state"] for m in got if m["msg_type"] == "status"] == ["busy", "idle"]
    reply = got[1]
    assert reply["content"]["data"] == {"opened": {"x": 1}}, reply["content"]
    assert [bytes(b) for b in reply["buffers"]] == [ALL_BYTES, b"\x00\xff"]
    info = reply_to(kc.comm_info())
    assert info["msg_type"] == "comm_info_reply", info["msg_type"]
    assert info["content"]["comms"]["c1"] == {"target_name": "seglens.echo"}, info["content"]
    msg_id = send_shell("comm_msg", {"comm_id": "c1", "data": {"n": 5}}, [b"abc", ALL_BYTES[::-1]])
    got = [m for m in iopub_until(idle_of(msg_id)) if m["parent_header"].get("msg_id") == msg_id]
    echo = [m for m in got if m["msg_type"] == "comm_msg"]
    assert echo[0]["content"]["data"] == {"echo": {"n": 5}}, echo
    assert [bytes(b) for b in echo[0]["buffers"]] == [b"abc", ALL_BYTES[::-1]]
    close_id = send_shell("comm_close", {"comm_id": "c1", "data": {}})
    iopub_until(idle_of(close_id))
    reply, msgs = run("closedComms")
    assert result_text(msgs) == "['c1']", msgs
    # Kernel-opened comm: comm_open with buffers on IOPub, then a message back from the client.
    code = """
const fromKernel = requireKernel().comms.open("client.side", { data: { hi: true }, buffers: [new Uint8Array([1, 2, 3])] });
const received: number[][] = [];
fromKernel.onMessage((m) => received.push(Array.from(m.buffers[0])));
"""
    reply, msgs = run(code)
    ok(reply)
    opened = [m for m in msgs if m["msg_type"] == "comm_open"]
    assert opened and opened[0]["content"]["target_name"] == "client.side", msgs
    assert [bytes(b) for b in opened[0]["buffers"]] == [b"\x01\x02\x03"]
    comm_id = opened[0]["content"]["comm_id"]
    iopub_until(idle_of(send_shell("comm_msg", {"comm_id": comm_id, "data": {}}, [b"\x07\x08"])))
    reply, msgs = run("received")
    assert result_text(msgs) == "[[7,8]]", msgs


@check
def unknown_target_is_closed():
    msg_id = send_shell("comm_open", {"comm_id": "nobody", "target_name": "no.such.target", "data": {}})
    got = [m for m in iopub_until(idle_of(msg_id)) if m["parent_header"].get("msg_id") == msg_id]
    closes = [m for m in got if m["msg_type"] == "comm_close"]
    assert closes and closes[0]["content"]["comm_id"] == "nobody", [m["msg_type"] for m in got]


@check
def thousand_rapid_comm_messages():
    open_id = send_shell("comm_open", {"comm_id": "burst", "target_name": "seglens.echo", "data": {}})
    iopub_until(idle_of(open_id))
    ids = [send_shell("comm_msg", {"comm_id": "burst", "data": {"seq": i}}, [i.to_bytes(4, "little")])
           for i in range(1000)]
    got = iopub_until(idle_of(ids[-1]), timeout=120)
    echoes = [m for m in got if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == "burst"]
    seqs = [m["content"]["data"]["echo"]["seq"] for m in echoes]
    assert seqs == list(range(1000)), (len(seqs), seqs[:5])
    assert all(bytes(m["buffers"][0]) == i.to_bytes(4, "little") for i, m in enumerate(echoes))
    idles = {m["parent_header"]["msg_id"] for m in got if m["msg_type"] == "status"
             and m["content"]["execution_state"] == "idle"}
    assert set(ids) <= idles, len(set(ids) - idles)


@check
def malformed_messages_and_bad_signature():
    msg_id = send_shell("comm_msg", {"data": {"no": "comm_id"}})
    got = [m for m in iopub_until(idle_of(msg_id)) if m["parent_header"].get("msg_id") == msg_id]
    errors = [m for m in got if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    assert errors and "comm_id" in errors[0]["content"]["text"], got
    reply = reply_to(send_shell("execute_request", {"code": 5, "silent": False}))
    assert reply["msg_type"] == "execute_reply" and reply["content"]["status"] == "error", reply
    assert "content.code" in reply["content"]["evalue"], reply["content"]
    # Frames signed with the wrong key, and garbage frames: dropped, the kernel stays up.
    header = json.dumps({"msg_id": "forged", "msg_type": "execute_request", "session": "s", "username": "u",
                         "date": "", "version": "5.3"}).encode()
    body = json.dumps({"code": "process.exit(3)"}).encode()
    kc.shell_channel.socket.send_multipart([b"<IDS|MSG>", b"0" * 64, header, b"{}", b"{}", body])
    kc.shell_channel.socket.send_multipart([b"no delimiter"])
    reply = reply_to(kc.kernel_info())
    assert reply["content"]["status"] == "ok"
    assert km.is_alive()


SLIDER = """
import { intSlider } from "seglens";
const slider = intSlider({ value: 6, min: 2, max: 32, description: "k" });
const seenValues: unknown[] = [];
slider.on("change", ({ changes, origin }) => { if (origin === "frontend") seenValues.push(changes.value); });
slider
"""


@check
def int_slider_from_a_cell():
    import ipywidgets
    reply, msgs = run(SLIDER)
    ok(reply)
    opens = [m for m in msgs if m["msg_type"] == "comm_open"]
    assert len(opens) == 3, [m["msg_type"] for m in msgs]
    slider = opens[2]["content"]
    assert opens[2]["metadata"] == {"version": "2.1.0"}, opens[2]["metadata"]
    assert slider["target_name"] == "jupyter.widget"
    state = slider["data"]["state"]
    assert slider["data"]["buffer_paths"] == []
    reference = ipywidgets.IntSlider().get_state()
    assert set(state) == set(reference), set(state) ^ set(reference)
    for key in ("_model_name", "_model_module", "_model_module_version", "_view_name", "_view_module"):
        assert state[key] == reference[key], (key, state[key], reference[key])
    view = [m for m in msgs if m["msg_type"] == "execute_result"][0]["content"]["data"]
    mime = view["application/vnd.jupyter.widget-view+json"]
    assert mime["model_id"] == slider["comm_id"] and mime["version_major"] == 2, mime
    sid = slider["comm_id"]
    msg_id = send_shell("comm_msg", {"comm_id": sid, "data": {"method": "update", "state": {"value": 9},
                                                               "buffer_paths": []}})
    got = [m for m in iopub_until(idle_of(msg_id)) if m["parent_header"].get("msg_id") == msg_id]
    echo = [m["content"]["data"] for m in got if m["msg_type"] == "comm_msg"]
    assert echo == [{"method": "echo_update", "state": {"value": 9}, "buffer_paths": []}], echo
    reply, msgs = run('slider.set({ value: 3 }); slider.set({ value: 4 }); [slider.get("value"), seenValues]')
    updates = [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg"]
    assert updates == [{"method": "update", "state": {"value": 4}, "buffer_paths": []}], updates
    text = [m for m in msgs if m["msg_type"] == "execute_result"][0]["content"]["data"]["text/plain"]
    assert text.replace(" ", "").replace("\n", "") == "[4,[9]]", text
    msg_id = send_shell("comm_msg", {"comm_id": sid, "data": {"method": "request_state"}})
    got = [m for m in iopub_until(idle_of(msg_id)) if m["parent_header"].get("msg_id") == msg_id]
    full = [m["content"]["data"] for m in got if m["msg_type"] == "comm_msg"][0]
    assert full["method"] == "update" and full["state"]["value"] == 4 and full["state"]["_model_name"] == "IntSliderModel"
    # jupyter.widget.control: a reconnecting front end asks for every state at once.
    ctl_id = send_shell("comm_open", {"comm_id": "ctl", "target_name": "jupyter.widget.control", "data": {}})
    iopub_until(idle_of(ctl_id))
    msg_id = send_shell("comm_msg", {"comm_id": "ctl", "data": {"method": "request_states"}})
    got = [m for m in iopub_until(idle_of(msg_id)) if m["parent_header"].get("msg_id") == msg_id]
    states = [m["content"]["data"] for m in got if m["msg_type"] == "comm_msg"][0]
    assert states["method"] == "update_states" and states["states"][sid]["state"]["value"] == 4, states


@check
def shutdown():
    reply = reply_to(send_control("shutdown_request", {"restart": False}), channel="control")
    assert reply["msg_type"] == "shutdown_reply" and reply["content"] == {"status": "ok", "restart": False}, reply
    until(lambda: not km.is_alive(), 60, "the kernel process to exit")


if km.is_alive():
    km.shutdown_kernel(now=True)
kc.stop_channels()
print(json.dumps(results))
