"""What the kernel test scripts share: a budgeted check runner and one jupyter_client connection
to the seglens kernel (JUPYTER_PATH must point at the kernelspec's data dir).

Every wait here is for a message or a condition, with a deadline generous enough for a machine
whose cores are busy with other work; none is a fixed sleep."""
import queue
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


def until(condition, timeout, what):
    """Polls condition() every 20 ms until it holds (for state no message announces, such as a file
    the kernel writes or the kernel process having exited); fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class KernelConnection:
    """A started seglens kernel and a client with its channels open.

    Replies are matched to their requests by parent msg_id, never taken in arrival order: when the
    kernel needs over a second to start (a busy machine), jupyter_client's wait_for_ready sends
    kernel_info_request again each second and leaves the extra kernel_info_replies on the shell
    channel."""

    def __init__(self, cwd):
        self.km = KernelManager(kernel_name="seglens")
        self.km.start_kernel(cwd=cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        # Replies read while waiting for another one, by parent msg_id; and every parent msg_id of
        # a shell reply in arrival order (to check the order the kernel answered in).
        self.unclaimed = {"shell": {}, "control": {}}
        self.shell_arrivals = []

    def iopub_until(self, pred, timeout=60):
        """Reads IOPub until pred(msg) holds; returns every message read."""
        got = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                continue
            got.append(msg)
            if pred(msg):
                return got
        raise AssertionError(f"timed out; last messages: {[m['msg_type'] for m in got[-10:]]}")

    def reply_to(self, msg_id, timeout=60, channel="shell"):
        """The reply on `channel` ("shell" or "control") whose parent is msg_id. Replies to other
        requests read meanwhile are kept for their own reply_to call; stale ones are never claimed."""
        unclaimed = self.unclaimed[channel]
        deadline = time.monotonic() + timeout
        while msg_id not in unclaimed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {channel} reply to {msg_id} within {timeout} s; "
                                     f"unclaimed replies: {[m['msg_type'] for m in unclaimed.values()]}")
            try:
                if channel == "shell":
                    msg = self.kc.get_shell_msg(timeout=remaining)
                else:
                    msg = self.kc.control_channel.get_msg(timeout=remaining)
            except queue.Empty:
                continue
            parent = msg["parent_header"].get("msg_id")
            if channel == "shell":
                self.shell_arrivals.append(parent)
            unclaimed[parent] = msg
        return unclaimed.pop(msg_id)

    def run(self, code, timeout=60, parented_only=True):
        """Executes code; returns (reply, the IOPub messages read until its idle — only those
        parented to it, unless parented_only is False)."""
        msg_id = self.kc.execute(code)
        reply = self.reply_to(msg_id, timeout)
        got = self.iopub_until(idle_of(msg_id), timeout)
        return reply, [m for m in got if not parented_only or m["parent_header"].get("msg_id") == msg_id]

    def send_shell(self, msg_type, content, buffers=None):
        msg = self.kc.session.send(self.kc.shell_channel.socket, msg_type, content, buffers=buffers or [])
        return msg["header"]["msg_id"]

    def send_control(self, msg_type, content):
        msg = self.kc.session.msg(msg_type, content)
        self.kc.control_channel.send(msg)
        return msg["header"]["msg_id"]
