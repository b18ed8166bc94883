"""Drives the seglens kernel as a hostile or broken front end would, through a real jupyter_client.

Usage: python hostile_front_end.py WORKDIR REPO SEED. JUPYTER_PATH must point at the kernelspec's
data dir. Prints one JSON object {"checks": {name: {"ok", "detail"}}, "fuzz": {...}} on stdout;
test/kernel/hostile-front-end.test.ts asserts each check separately. The kernel's stderr goes to
WORKDIR/kernel-stderr.txt, which must not report an uncaught error.

Replies are matched to their requests by parent msg_id: these checks send many requests whose
replies nobody waits for, and jupyter_client's wait_for_ready leaves stale kernel_info_replies.
"""
import json
import os
import random
import sys
import time
import uuid

from jupyter_client import KernelManager
from kernel_client import Checks, idle_of

WORK, REPO, SEED = sys.argv[1], sys.argv[2], int(sys.argv[3])
BUDGET_S = 200  # the vitest test kills this script at 280 s: leave time to report
FUZZ_MESSAGES = 300
checks = Checks(BUDGET_S)
check, results = checks.check, checks.results
state = {}
fuzz_report = {}

stderr_path = os.path.join(WORK, "kernel-stderr.txt")
stderr_file = open(stderr_path, "w")
km = KernelManager(kernel_name="seglens")
km.start_kernel(cwd=WORK, stderr=stderr_file)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=120)
shell = kc.shell_channel.socket


def send(msg_type, content, buffers=None, channel=None, header=None, metadata=None):
    """Sends a message (on shell unless `channel`); returns its msg_id."""
    msg = kc.session.msg(msg_type, content, header=header, metadata=metadata)
    kc.session.send(channel or shell, msg, buffers=buffers or [])
    return msg["header"]["msg_id"]


def send_raw(frames_after_signature, sign=True):
    """Sends JSON frames as given (bytes), signed with the session key unless `sign` is False."""
    signature = kc.session.sign(frames_after_signature[:4]) if sign else b"0" * 64
    shell.send_multipart([b"<IDS|MSG>", signature, *frames_after_signature])


def reply_to(msg_id, timeout=60, channel=None):
    """The reply whose parent is msg_id; other replies on the channel are skipped."""
    get = channel.get_msg if channel else kc.get_shell_msg
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = get(timeout=max(0.1, deadline - time.time()))
        except Exception:
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg
    raise AssertionError(f"no reply to {msg_id} within {timeout} s")


def iopub_until(pred, timeout=60):
    got = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        except Exception:
            continue
        got.append(msg)
        if pred(msg):
            return got
    raise AssertionError(f"timed out; last messages: {[m['msg_type'] for m in got[-10:]]}")


def run(code, timeout=60):
    """Executes code; returns (reply, the IOPub messages up to its idle)."""
    msg_id = send("execute_request", {"code": code, "silent": False, "store_history": True,
                                      "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    reply = reply_to(msg_id, timeout)
    return reply, iopub_until(idle_of(msg_id), timeout)


def printed(code):
    """What the cell printed on stdout, parsed as JSON."""
    reply, msgs = run(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    text = "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    return json.loads(text)


def comm_update(comm_id, changes, buffer_paths=(), buffers=()):
    return send("comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": changes,
                                                         "buffer_paths": list(buffer_paths)}}, list(buffers))


def kernel_updates(comm_id, msgs):
    """The states of the `update` messages the kernel sent on comm_id, in order."""
    return [m["content"]["data"]["state"] for m in msgs
            if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
            and m["content"]["data"].get("method") == "update"]


def update_with(comm_id, key, pred=lambda value: True):
    """An IOPub predicate: an `update` on comm_id whose state has `key` with pred(value)."""
    def test(m):
        if m["msg_type"] != "comm_msg" or m["content"]["comm_id"] != comm_id:
            return False
        data = m["content"]["data"]
        return data.get("method") == "update" and key in data["state"] and pred(data["state"][key])
    return test


# Every own property of the prototypes a polluting message could reach, as the kernel sees them.
PROTOTYPES = """console.log(JSON.stringify(Object.fromEntries(
  [Object, Array, Function, String, Number, Uint8Array, ArrayBuffer, Promise, Map]
    .map((C) => [C.name, Object.getOwnPropertyNames(C.prototype).sort()]))));"""
PROBE = """console.log(JSON.stringify(["x", "y", "z", "polluted", "k", "value", "buffer", "0"]
  .filter((name) => (({}) as any)[name] !== undefined || ([] as any)[name] !== undefined)));"""


@check
def prototypes_before():
    state["prototypes"] = printed(PROTOTYPES)
    assert printed(PROBE) == []


SLIDER = """import { intSlider } from "seglens";
const slider = intSlider({ value: 5, min: 0, max: 10 });
slider"""


@check
def buffer_paths_and_state_keys_cannot_pollute():
    reply, msgs = run(SLIDER)
    assert reply["content"]["status"] == "ok", reply["content"]
    slider = state["slider"] = [m for m in msgs if m["msg_type"] == "comm_open"][-1]["content"]["comm_id"]
    paths = [["__proto__", "x"], ["constructor", "prototype", "y"], ["value", "__proto__", "z"],
             ["layout", "constructor", "prototype", "polluted"], ["__proto__"]]
    msg_id = comm_update(slider, {"value": 6, "__proto__": {"polluted": 1}, "constructor": {"prototype": {"k": 2}}},
                         paths, [b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"])
    got = iopub_until(idle_of(msg_id))
    echoes = [m["content"]["data"]["state"] for m in got if m["msg_type"] == "comm_msg"
              and m["content"]["data"].get("method") == "echo_update"]
    assert echoes == [{"value": 6}], echoes
    assert printed(PROBE) == []
    assert printed(PROTOTYPES) == state["prototypes"]
    assert printed('console.log(JSON.stringify([slider.get("value"), Object.getPrototypeOf(slider.state()) '
                   '=== Object.prototype, Object.keys(slider.state()).filter((k) => /proto|constructor/.test(k))]))') \
        == [6, True, []]


@check
def undeclared_keys_are_ignored_and_refused_values_sent_back():
    slider = state["slider"]
    msg_id = comm_update(slider, {"value": 99, "min": -5, "bogus": 1, "_model_name": "Evil"})
    got = iopub_until(idle_of(msg_id))
    updates = kernel_updates(slider, got)
    assert updates == [{"value": 6, "min": 0}], updates
    assert not [m for m in got if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "echo_update"]
    assert printed('console.log(JSON.stringify([slider.get("value"), slider.get("min"), "bogus" in slider.state(), '
                   'slider.spec.modelName]))') == [6, 0, False, "IntSliderModel"]


EXPLORE = """import {{ explore }} from "seglens";
const w = explore({{ model: {model}, images: [{images}], precompute: false }});"""


def open_explorer():
    code = EXPLORE.format(model=json.dumps(REPO + "/models/fixtures/dinov2-tf4"),
                          images=json.dumps(REPO + "/models/samples"))
    reply, msgs = run(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    comm_id = [m for m in msgs if m["msg_type"] == "comm_open"][-1]["content"]["comm_id"]
    ready = update_with(comm_id, "status", lambda s: s.get("kind") == "ready")
    if not any(ready(m) for m in msgs):
        iopub_until(ready)
    return comm_id


BAD_CONTROLS = [
    ({"k": 99}, "invalid k 99; expected 2..32; kept k 6"),
    ({"k": 2.5}, "invalid k 2.5; expected an integer; kept k 6"),
    ({"k": None}, "invalid k null; expected an integer; kept k 6"),
    ({"models": ["/etc/passwd"]}, 'invalid models ["/etc/passwd"]; expected models the selector offers'),
    ({"models": "org/some-hub-model"}, 'invalid models ["org/some-hub-model"]'),
    ({"models": []}, "invalid models []; expected 1 to 3 different models"),
    ({"opacity": 2}, "invalid opacity 2; expected a number in 0..1; kept opacity 0.6"),
    ({"opacity": "1"}, 'invalid opacity "1"; expected a number in 0..1'),
    ({"layer_range": [0, 999]}, "invalid layer range [0, 999]; expected within ["),
    ({"layer_range": [1]}, "invalid layer range [1]; expected [first, last] block numbers"),
    ({"image": 99}, 'invalid image 99; expected "all" or an index below 5'),
    ({"rep": "x"}, 'invalid rep "x"; expected one of tokens, q, k, v; kept rep "tokens"'),
    ({"normalize": 1}, 'invalid normalize 1; expected "l2" or "none"; kept normalize "l2"'),
    ({"status": {"kind": "error", "message": "forged"}}, "status is set by the kernel, not by the view"),
    ({"frame": None}, "frame is set by the kernel, not by the view"),
    ({"model_choices": ["/etc/passwd"]}, "model_choices is set by the kernel, not by the view"),
]


@check
def explorer_refuses_bad_controls_shows_why_and_sends_the_kept_value():
    comm_id = state["explorer"] = open_explorer()
    failures = []
    for changes, line in BAD_CONTROLS:
        [(key, _)] = changes.items()
        msg_id = comm_update(comm_id, changes)
        got = iopub_until(update_with(comm_id, "view_error", lambda v: isinstance(v, str)))
        if not any(idle_of(msg_id)(m) for m in got):
            iopub_until(idle_of(msg_id))
        updates = kernel_updates(comm_id, got)
        shown = updates[-1]["view_error"]
        resets = [u[key] for u in updates if key in u]
        if not shown.startswith(line) or not resets or resets[0] == changes[key]:
            failures.append((changes, shown, resets[:1]))
    assert not failures, failures
    controls = printed('console.log(JSON.stringify([w.get("k"), w.get("models").length, w.get("opacity"), '
                       'w.get("rep"), w.get("image"), w.get("status").kind]))')
    assert controls == [6, 1, 0.6, "tokens", "all", "ready"], controls
    # A good change clears the message and computes.
    comm_update(comm_id, {"k": 3})
    got = iopub_until(update_with(comm_id, "frame", lambda f: f is not None and f["k"] == 3))
    assert any(u.get("view_error", "unset") is None for u in kernel_updates(comm_id, got)), kernel_updates(comm_id, got)


@check
def comm_open_cannot_take_over_an_open_comm():
    comm_id = state["explorer"]
    msg_id = send("comm_open", {"comm_id": comm_id, "target_name": "no.such.target", "data": {}})
    got = iopub_until(idle_of(msg_id))
    assert not [m for m in got if m["msg_type"] == "comm_close"], "the explorer's comm was closed"
    errors = "".join(m["content"]["text"] for m in got if m["msg_type"] == "stream")
    assert "is already open" in errors, errors
    comm_update(comm_id, {"k": 4})
    iopub_until(update_with(comm_id, "frame", lambda f: f is not None and f["k"] == 4))


def deep(depth):
    return ("[" * depth + "]" * depth).encode()


def header_bytes(msg_type, **fields):
    return json.dumps({"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": kc.session.session,
                       "username": "u", "date": "", "version": "5.3", **fields}).encode()


@check
def malformed_shell_and_control_messages_are_answered_or_dropped():
    # Requests with content the spec does not allow: each answered with status error.
    requests = [
        ("execute_request", {"code": None}), ("execute_request", {}), ("execute_request", {"code": ["1"]}),
        ("execute_request", {"code": "1", "silent": "no"}), ("execute_request", {"code": "1", "stop_on_error": 3}),
        ("complete_request", {"code": "x", "cursor_pos": -1}), ("complete_request", {"code": 7, "cursor_pos": 0}),
        ("complete_request", {"code": "x", "cursor_pos": 1e300}), ("complete_request", {"code": "x", "cursor_pos": 2}), ("inspect_request", {"code": {}, "cursor_pos": 0}),
        ("inspect_request", {"code": "x"}), ("is_complete_request", {"code": None}),
        ("shutdown_request", {"restart": "yes"}), ("shutdown_request", {"restart": 1}),
    ]
    failures = []
    for msg_type, content in requests:
        msg_id = send(msg_type, content)
        reply = reply_to(msg_id)
        if reply["content"].get("status") != "error" or reply["msg_type"] != msg_type.replace("_request", "_reply"):
            failures.append((msg_type, content, reply["msg_type"], reply["content"]))
    # Control requests too.
    for msg_type, content in [("shutdown_request", {"restart": None}), ("kernel_info_request", {"x": [1] * 1000})]:
        msg_id = send(msg_type, content, channel=kc.control_channel.socket)
        reply = reply_to(msg_id, channel=kc.control_channel)
        if reply["msg_type"] != msg_type.replace("_request", "_reply"):
            failures.append((msg_type, content, reply["msg_type"]))
    # Requests the kernel answers although the content is odd, and messages without replies.
    odd = [("comm_info_request", {"target_name": 7}), ("history_request", {"hist_access_type": 5}),
           ("kernel_info_request", {"unexpected": {"__proto__": {"x": 1}}})]
    for msg_type, content in odd:
        msg_id = send(msg_type, content, metadata={"__proto__": {"x": 1}, "deep": [[[[1]]]]})
        iopub_until(idle_of(msg_id))
    for content in [{}, {"comm_id": 5}, {"comm_id": "a", "target_name": None}, {"comm_id": "b", "target_name": "t",
                    "data": []}, {"comm_id": "__proto__", "target_name": "constructor", "data": {"x": 1}}]:
        iopub_until(idle_of(send("comm_open", content)))
    for content in [{"comm_id": None}, {"comm_id": []}, {"comm_id": state["explorer"], "data": "x"},
                    {"comm_id": state["explorer"], "data": {"method": "update", "state": "x"}},
                    {"comm_id": state["explorer"], "data": {"method": "nope"}},
                    {"comm_id": state["explorer"], "data": {"method": "update", "state": {}, "buffer_paths": "x"}}]:
        iopub_until(idle_of(send("comm_msg", content)))
    iopub_until(idle_of(send("comm_close", {"comm_id": {"a": 1}})))
    # Frames the kernel must drop: broken headers, invalid or too deep JSON, a forged signature.
    dropped = [
        [header_bytes(""), b"{}", b"{}", b"{}"],
        [header_bytes("comm_msg", msg_id=5), b"{}", b"{}", b"{}"],
        [b'"header"', b"{}", b"{}", b"{}"],
        [header_bytes("comm_msg"), b"[]", b"{}", b"{}"],
        [header_bytes("comm_msg"), b"{}", b"not json", b"{}"],
        [header_bytes("comm_msg"), b"{}", b"{}", b'{"data": ' + deep(200_000) + b"}"],
        [header_bytes("kernel_info_request"), b"{}", deep(101), b"{}"],
        [header_bytes("comm_msg"), b"{}", b"{}"],
    ]
    for frames in dropped:
        send_raw(frames)
    send_raw([header_bytes("execute_request"), b"{}", b"{}", b'{"code": "process.exit(3)"}'], sign=False)
    # A huge but well-formed message is handled like a small one.
    msg_id = send("comm_msg", {"comm_id": state["explorer"], "data": {"method": "custom", "content": "x" * 5_000_000}})
    iopub_until(idle_of(msg_id), timeout=120)
    assert not failures, failures
    reply = reply_to(send("kernel_info_request", {}))
    assert reply["content"]["status"] == "ok" and km.is_alive()


def random_json(rng, depth=0):
    """A random JSON value: nulls, huge and odd numbers, strings with control characters, prototype keys."""
    kind = rng.randrange(9 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2, 3, 6, 32, 33, 2 ** 53 + 1, 2 ** 64, -2 ** 63, 1e308, -1e308, 5e-324, -0.0, 0.5, 1.5])
    if kind == 3:
        return rng.choice(["", "all", "tokens", "q", "l2", "none", "__proto__", "\u0000\n\u2028", "x" * 1000,
                           "../../etc/passwd", "org/name", REPO + "/models/fixtures/dinov2-tf4"])
    if kind == 4:
        return rng.choice(KEYS)
    if kind in (5, 6):
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS): random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


KEYS = ["__proto__", "constructor", "prototype", "k", "models", "opacity", "layer_range", "image", "rep",
        "normalize", "status", "frame", "images", "value", "min", "view_error", "layout", "buffer", "x", "0", ""]


def random_path(rng):
    return [rng.choice(KEYS) if rng.random() < 0.8 else rng.choice([0, 1, -1, 2 ** 40, 1.5, None, [], {}])
            for _ in range(rng.randrange(0, 5))]


def fuzz_message(rng, comm_ids):
    """One random message: (msg_type, content, buffers, metadata)."""
    roll = rng.random()
    buffers = [bytes(rng.randrange(256) for _ in range(rng.randrange(6))) for _ in range(rng.randrange(4))]
    metadata = random_json(rng) if rng.random() < 0.3 else {}
    metadata = metadata if isinstance(metadata, dict) else {"m": metadata}
    if roll < 0.12:
        return "comm_open", {"comm_id": rng.choice([uuid.uuid4().hex, *comm_ids, "__proto__", 7, None]),
                             "target_name": rng.choice(["jupyter.widget", "jupyter.widget.control", "x", "", 5, None]),
                             "data": random_json(rng)}, buffers, metadata
    if roll < 0.2:
        # Closing comms the checks still use would only test closing; close others.
        return "comm_close", {"comm_id": rng.choice([uuid.uuid4().hex, "__proto__", 3, None]),
                              "data": random_json(rng)}, buffers, metadata
    if roll < 0.9:
        method = rng.choice(["update", "update", "update", "request_state", "custom", "echo_update", None, 4])
        data = {"method": method}
        if rng.random() < 0.9:
            data["state"] = {rng.choice(KEYS): random_json(rng) for _ in range(rng.randrange(4))} \
                if rng.random() < 0.85 else random_json(rng)
        if rng.random() < 0.7:
            data["buffer_paths"] = [random_path(rng) for _ in range(rng.randrange(4))] \
                if rng.random() < 0.9 else random_json(rng)
        if method == "custom":
            data["content"] = rng.choice([{"action": "cancel"}, {"action": "export", "format": random_json(rng)},
                                          random_json(rng)])
        return "comm_msg", {"comm_id": rng.choice(comm_ids + [uuid.uuid4().hex, None]),
                            "data": data if rng.random() < 0.95 else random_json(rng)}, buffers, metadata
    # Malformed requests: content of the wrong shape (never a cell to run, never a real shutdown).
    msg_type = rng.choice(["execute_request", "complete_request", "inspect_request", "is_complete_request",
                           "comm_info_request", "kernel_info_request", "history_request", "shutdown_request",
                           "no_such_request", "comm_msg"])
    content = {key: random_json(rng) for key in rng.sample(["code", "cursor_pos", "restart", "target_name",
                                                           "silent", "comm_id"], rng.randrange(4))}
    if msg_type == "execute_request" and isinstance(content.get("code"), str):
        content["code"] = [content["code"]]
    if msg_type == "shutdown_request" and content.get("restart") in (None, True, False):
        content["restart"] = "maybe"
    return msg_type, content, buffers, metadata


@check
def fuzz_random_comm_and_shell_messages():
    rng = random.Random(SEED)
    comm_ids = [state["explorer"], state["slider"]]
    control = uuid.uuid4().hex
    iopub_until(idle_of(send("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}})))
    comm_ids.append(control)
    sent = []
    counts = {}
    for i in range(FUZZ_MESSAGES):
        if rng.random() < 0.05:
            send_raw([header_bytes(rng.choice(["comm_msg", "", "execute_request"])), b"{}",
                      rng.choice([b"{", b"[]", b"null", deep(150)]), b"{}"], sign=rng.random() < 0.7)
            counts["raw"] = counts.get("raw", 0) + 1
            continue
        msg_type, content, buffers, metadata = fuzz_message(rng, comm_ids)
        sent.append(send(msg_type, content, buffers, metadata=metadata))
        counts[msg_type] = counts.get(msg_type, 0) + 1
    # Every message the kernel accepted is answered with its own idle, in order.
    iopub_until(idle_of(sent[-1]), timeout=120)
    fuzz_report.update({"seed": SEED, "messages": FUZZ_MESSAGES, "by_type": counts})


@check
def after_everything_the_kernel_lives_unpolluted_and_the_explorer_works():
    assert km.is_alive()
    reply, msgs = run("1 + 1")
    assert reply["content"]["status"] == "ok", reply["content"]
    results = [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"]
    assert results == ["2"], results
    assert printed(PROBE) == []
    assert printed(PROTOTYPES) == state["prototypes"]
    controls = printed('console.log(JSON.stringify({ k: w.get("k"), models: w.get("models"), '
                       'choices: w.get("model_choices"), opacity: w.get("opacity"), rep: w.get("rep"), '
                       'range: w.get("layer_range"), bounds: w.get("layer_bounds"), image: w.get("image"), '
                       'normalize: w.get("normalize"), proto: Object.getPrototypeOf(w.state()) === Object.prototype }))')
    assert isinstance(controls["k"], int) and 2 <= controls["k"] <= 32, controls
    assert 1 <= len(controls["models"]) <= 3 and set(controls["models"]) <= set(controls["choices"]), controls
    assert controls["choices"] == [REPO + "/models/fixtures/dinov2-tf4"], controls
    assert 0 <= controls["opacity"] <= 1 and controls["rep"] in ("tokens", "q", "k", "v"), controls
    assert controls["normalize"] in ("l2", "none") and controls["proto"] is True, controls
    assert controls["image"] == "all" or 0 <= controls["image"] < 5, controls
    assert controls["bounds"][0] <= controls["range"][0] <= controls["range"][1] <= controls["bounds"][1], controls
    comm_id = state["explorer"]
    k = 7 if controls["k"] != 7 else 5
    comm_update(comm_id, {"k": k, "rep": "tokens", "normalize": "l2"})
    got = iopub_until(update_with(comm_id, "frame", lambda f: f is not None and f["k"] == k), timeout=120)
    assert not [u for u in kernel_updates(comm_id, got) if u.get("status", {}).get("kind") == "error"], \
        kernel_updates(comm_id, got)
    # The slider still syncs both ways.
    comm_update(state["slider"], {"value": 3})
    assert printed('console.log(JSON.stringify(slider.get("value")))') == 3


@check
def the_kernel_reported_no_uncaught_error():
    stderr_file.flush()
    with open(stderr_path) as f:
        text = f.read()
    bad = [line for line in text.splitlines()
           if "uncaught exception" in line or "unhandled rejection" in line or "handler failed" in line]
    assert not bad, bad[:5]


km.shutdown_kernel(now=True)
kc.stop_channels()
print(json.dumps({"checks": results, "fuzz": fuzz_report}))
