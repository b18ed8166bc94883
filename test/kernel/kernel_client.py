"""What the kernel test scripts share: a budgeted check runner and one jupyter_client connection
to the seglens kernel (JUPYTER_PATH must point at the kernelspec's data dir)."""
import time
import traceback

from jupyter_client import KernelManager


class Checks:
    """Runs each decorated check at once, records ok/detail, and skips checks past the time budget."""

    def __init__(self, budget_s):
        self.budget_s = budget_s
        self.started = time.time()
        self.results = {}

    def check(self, fn):
        if time.time() - self.started > self.budget_s:
            self.results[fn.__name__] = {"ok": False, "detail": f"skipped: the checks ran over {self.budget_s} s"}
            return fn
        try:
            fn()
            self.results[fn.__name__] = {"ok": True, "detail": ""}
        except Exception as error:  # report every failure, keep checking
            self.results[fn.__name__] = {"ok": False, "detail": "".join(traceback.format_exception(error))[-3000:]}
        return fn


def idle_of(msg_id):
    return lambda m: m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" \
        and m["parent_header"].get("msg_id") == msg_id


class KernelConnection:
    """A started seglens kernel and a client with its channels open."""

    def __init__(self, cwd):
        self.km = KernelManager(kernel_name="seglens")
        self.km.start_kernel(cwd=cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def iopub_until(self, pred, timeout=30):
        """Reads IOPub until pred(msg) holds; returns every message read."""
        got = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            except Exception:
                continue
            got.append(msg)
            if pred(msg):
                return got
        raise AssertionError(f"timed out; last messages: {[m['msg_type'] for m in got[-10:]]}")

    def run(self, code, timeout=60, parented_only=True):
        """Executes code; returns (reply, the IOPub messages read until its idle — only those
        parented to it, unless parented_only is False)."""
        msg_id = self.kc.execute(code)
        reply = self.kc.get_shell_msg(timeout=timeout)
        assert reply["parent_header"]["msg_id"] == msg_id, reply
        got = self.iopub_until(idle_of(msg_id), timeout)
        return reply, [m for m in got if not parented_only or m["parent_header"].get("msg_id") == msg_id]

    def send_shell(self, msg_type, content, buffers=None):
        msg = self.kc.session.send(self.kc.shell_channel.socket, msg_type, content, buffers=buffers or [])
        return msg["header"]["msg_id"]
