"""Drives explore() in the seglens kernel with a real jupyter_client, as a front end would.

Usage: python explorer_checks.py WORKDIR REPO. JUPYTER_PATH must point at the kernelspec's data dir.
Prints one JSON object {check_name: {"ok": bool, "detail": str}, "latency_ms": {...}} on stdout;
test/kernel/explorer-integration.test.ts asserts each check separately.
"""
import json
import sys
import time

from kernel_client import Checks, KernelConnection

WORK, REPO = sys.argv[1], sys.argv[2]
BUDGET_S = 150
checks = Checks(BUDGET_S)
check, results = checks.check, checks.results
latency_ms = {}
state = {}
connection = KernelConnection(WORK)
km, kc = connection.km, connection.kc
send_shell = connection.send_shell


def iopub_until(pred, timeout=60):
    return connection.iopub_until(pred, timeout)


def run(code, timeout=60):
    return connection.run(code, timeout, parented_only=False)


def put_buffers(data, buffers):
    """ipywidgets' put_buffers: the raw frames back into the state at their paths."""
    for path, buffer in zip(data.get("buffer_paths", []), buffers):
        node = data["state"]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = bytes(buffer)
    return data["state"]


def updates_of(comm_id, msgs):
    return [put_buffers(m["content"]["data"], m["buffers"]) for m in msgs
            if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
            and m["content"]["data"].get("method") == "update"]


def until_status(comm_id, kind, timeout=60, already=()):
    """Reads IOPub (after the messages `already` read) until the comm's state says status `kind`;
    returns the merged updates seen."""
    merged = {}

    def pred(m):
        if m["msg_type"] != "comm_msg" or m["content"]["comm_id"] != comm_id:
            return False
        data = m["content"]["data"]
        if data.get("method") != "update":
            return False
        merged.update(put_buffers(data, m["buffers"]))
        return data["state"].get("status", {}).get("kind") == kind

    for i, m in enumerate(already):
        if pred(m):
            return merged, list(already[: i + 1])
    got = iopub_until(pred, timeout)
    return merged, got


def check_frame(frame, k, layers):
    labels = frame["labels"]
    assert labels["dtype"] == "uint8", labels
    assert labels["shape"] == [1, layers, 5, 4, 4], labels["shape"]
    data = labels["buffer"]
    assert len(data) == layers * 5 * 16, len(data)
    assert len(set(data)) <= k and max(data) < k, sorted(set(data))
    assert frame["k"] == k and frame["layers"] == list(range(1, layers + 1)), frame


@check
def explore_opens_and_sends_a_ready_frame():
    code = f'import {{ explore }} from "seglens";\nconst w = explore({{ model: {json.dumps(REPO + "/models/fixtures/dinov2-tf4")}, images: [{json.dumps(REPO + "/models/samples")}] }});'
    reply, msgs = run(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    opens = [m for m in msgs if m["msg_type"] == "comm_open"]
    assert len(opens) == 1, [m["msg_type"] for m in msgs]
    content = opens[0]["content"]
    assert opens[0]["metadata"] == {"version": "2.1.0"}
    opened = content["data"]["state"]
    for key, value in {"_model_module": "seglens", "_model_name": "ExplorerModel", "_view_module": "seglens",
                       "_view_name": "ExplorerView", "k": 6, "rep": "tokens", "frame": None}.items():
        assert opened[key] == value, (key, opened[key])
    assert opened["_model_module_version"].startswith("^"), opened["_model_module_version"]
    comm_id = state["comm"] = content["comm_id"]
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    assert shown and shown[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] == comm_id
    merged, _ = until_status(comm_id, "ready", already=msgs)
    layers = merged["layer_bounds"][1]
    state["layers"] = layers
    check_frame(merged["frame"], 6, layers)
    images = merged["images"]
    assert images["shape"][0] == 5 and images["shape"][3] == 3 and len(images["buffer"]) == \
        images["shape"][0] * images["shape"][1] * images["shape"][2] * 3, images["shape"]


@check
def k_update_from_the_client_gives_a_new_frame():
    comm_id = state["comm"]
    sent = time.time()
    send_shell("comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"k": 3}, "buffer_paths": []}})

    got_frame = {}

    def pred(m):
        if m["msg_type"] != "comm_msg" or m["content"]["comm_id"] != comm_id:
            return False
        data = m["content"]["data"]
        if data.get("method") != "update" or "frame" not in data["state"]:
            return False
        got_frame.update(put_buffers(data, m["buffers"]))
        return True

    iopub_until(pred)
    latency_ms["tiny_k_update"] = round((time.time() - sent) * 1000)
    check_frame(got_frame["frame"], 3, state["layers"])
    assert got_frame["status"] == {"kind": "ready"}, got_frame["status"]


@check
def cancel_message_sets_status_back():
    comm_id = state["comm"]
    send_shell("comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"k": 5}, "buffer_paths": []}})
    send_shell("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"action": "cancel"}}})
    merged, _ = until_status(comm_id, "ready")
    # Either the k=5 frame finished before the cancel arrived, or the k=3 frame stays.
    assert merged.get("frame") is None or merged["frame"]["k"] in (3, 5), merged


@check
def bad_model_shows_an_error_and_the_kernel_lives():
    code = f'const bad = explore({{ model: {json.dumps(REPO + "/models/no-such-model")}, images: [{json.dumps(REPO + "/models/samples")}] }});'
    reply, msgs = run(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    comm_id = [m for m in msgs if m["msg_type"] == "comm_open"][0]["content"]["comm_id"]
    merged, _ = until_status(comm_id, "error", already=msgs)
    assert "no-such-model" in merged["status"]["message"], merged["status"]
    reply, msgs = run("1 + 1")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"] == ["2"]


km.shutdown_kernel(now=True)
kc.stop_channels()
print(json.dumps({"checks": results, "latency_ms": latency_ms}))
