"""The control socket and the server's lifecycle, against the real daemon.

Talks to ControlSocket (proto/evctl.proto, framed as proto/ctlframe.h says) with a
hand-written protobuf encoder and decoder, so that the tests need neither evctl nor a
protobuf package; when EVCTL names an executable evctl, a few scenarios also run
through it. Every effect is checked from outside the daemon: pids in /proc, the
scoreboard (sbdump), HTTP answers, files on disk, the parent's descriptors and RSS.

Optional tools: wrk (Debian package wrk) for the restarts under load (hammer otherwise);
root for the permission tests (setpriv runs the clients as other users).
"""
import json
import os
import re
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import (Server, alive, fd_count, fd_targets, log_detail,  # noqa: E402
                    raise_nofile, read_text, running, wait_until)

EVCTL = os.environ.get("EVCTL", "")
HAVE_EVCTL = bool(EVCTL) and os.access(EVCTL, os.X_OK)
WRK = shutil.which("wrk")

# ReplyStatus
OK, ERROR, BAD_REQUEST, BAD_VERSION, DENIED, BUSY = range(6)
MAX_REQUEST = 64 * 1024  # CTLFRAME_MAX_REQUEST
MAX_REPLY = 4 * 1024 * 1024  # CTLFRAME_MAX_REPLY

# ---- protobuf, by hand: varints, length-delimited fields, doubles ----


def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_uint(field, n):
    return pb_varint(field << 3) + pb_varint(n)


def pb_bytes(field, data):
    return pb_varint(field << 3 | 2) + pb_varint(len(data)) + data


def pb_parse(data):
    """The (field, wire type, value) triples of one message; ValueError if malformed."""
    out = []
    i = 0

    def varint():
        nonlocal i
        v = shift = 0
        while True:
            if i >= len(data) or shift > 63:
                raise ValueError("bad varint at %d" % i)
            b = data[i]
            i += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def take(n):
        nonlocal i
        if i + n > len(data):
            raise ValueError("field runs past the end")
        i += n
        return data[i - n:i]

    while i < len(data):
        key = varint()
        field, wt = key >> 3, key & 7
        if wt == 0:
            v = varint()
        elif wt == 1:
            v = take(8)
        elif wt == 2:
            v = take(varint())
        elif wt == 5:
            v = take(4)
        else:
            raise ValueError("wire type %d" % wt)
        out.append((field, wt, v))
    return out


# Schemas: field -> (name, kind); kind is "u" (unsigned varint), "i" (int32), "b" (bool),
# "s" (string), "d" (double), a schema dict (a message), or [kind] (repeated).
PROCESS_INFO = {
    1: ("slot", "u"), 2: ("pid", "i"), 3: ("generation", "u"), 4: ("quiescing", "b"),
    5: ("busy_workers", "u"), 6: ("idle_workers", "u"), 7: ("connections", "u"),
    8: ("keepalive", "u"), 9: ("requests", "u"), 10: ("bytes", "u"), 11: ("writing", "u"),
    12: ("closing", "u"), 13: ("accepting", "b"), 14: ("state", "s"),
}
STATUS_SNAPSHOT = {
    1: ("server_version", "s"), 2: ("parent_pid", "i"), 3: ("generation", "u"),
    4: ("uptime_seconds", "u"), 5: ("requests", "u"), 6: ("bytes", "u"),
    7: ("busy_workers", "u"), 8: ("idle_workers", "u"), 9: ("connections", "u"),
    10: ("processes", [PROCESS_INFO]), 11: ("keepalive", "u"), 12: ("writing", "u"),
    13: ("closing", "u"), 14: ("server_limit", "u"), 15: ("thread_limit", "u"),
    16: ("restarting", "b"),
}
RESTART_REPORT = {
    1: ("old_generation", "u"), 2: ("new_generation", "u"), 3: ("children_drained", "u"),
    4: ("seconds", "d"), 5: ("connections_closed_early", "u"),
}
REPLY = {
    1: ("version", "u"), 2: ("status", "u"), 3: ("message", "s"),
    4: ("snapshot", STATUS_SNAPSHOT), 5: ("restart", RESTART_REPORT),
    6: ("config_messages", ["s"]),
}
WIRE = {"u": 0, "i": 0, "b": 0, "s": 2, "d": 1}


def pb_decode(schema, data):
    """A dict of every field in `schema` (proto3 defaults for those absent)."""
    msg = {}
    for name, kind in schema.values():
        msg[name] = [] if isinstance(kind, list) else None if isinstance(kind, dict) else (
            "" if kind == "s" else False if kind == "b" else 0)
    for field, wt, v in pb_parse(data):
        if field not in schema:
            continue  # unknown fields are skipped, as protobuf does
        name, kind = schema[field]
        rep = isinstance(kind, list)
        k = kind[0] if rep else kind
        want = 2 if isinstance(k, dict) else WIRE[k]
        if wt != want:
            raise ValueError("field %s: wire type %d, expected %d" % (name, wt, want))
        if isinstance(k, dict):
            v = pb_decode(k, v)
        elif k == "s":
            v = v.decode("utf-8")
        elif k == "d":
            v = struct.unpack("<d", v)[0]
        elif k == "b":
            v = bool(v)
        elif k == "i":
            v &= 0xFFFFFFFF
            v = v - (1 << 32) if v & 0x80000000 else v
        if rep:
            msg[name].append(v)
        else:
            msg[name] = v
    return msg


COMMANDS = {"status": 10, "graceful": 11, "graceful_stop": 12, "stop": 13, "configtest": 14,
            "reopen_logs": 15, "restart": 16, "version": 17}


def pb_request(command=None, version=1, wait=False, timeout_seconds=0):
    msg = pb_uint(1, version) if version else b""
    if command:
        body = (pb_uint(1, 1) if wait else b"") + (
            pb_uint(2, timeout_seconds) if timeout_seconds else b"")
        msg += pb_bytes(COMMANDS[command], body)
    return msg


def frame(msg):
    return struct.pack(">I", len(msg)) + msg


# ---- the control client ----


def sock_path(s):
    return os.path.join(s.run, "ctl.sock")


def ctl_connect(path, timeout=10.0):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(timeout)
    c.connect(path)
    return c


def recv_exact(c, n):
    """Up to n bytes: fewer only at end of stream (a reset counts as the end)."""
    buf = b""
    while len(buf) < n:
        try:
            d = c.recv(n - len(buf))
        except (ConnectionResetError, BrokenPipeError):
            break
        if not d:
            break
        buf += d
    return buf


def read_reply(c):
    """The reply frame on c, decoded; None when the server closed without one."""
    hdr = recv_exact(c, 4)
    if not hdr:
        return None
    if len(hdr) < 4:
        raise AssertionError("reply cut inside its length prefix: %r" % hdr)
    n = struct.unpack(">I", hdr)[0]
    if not 0 < n <= MAX_REPLY:
        raise AssertionError("reply length %d" % n)
    body = recv_exact(c, n)
    if len(body) != n:
        raise AssertionError("reply cut: %d of %d bytes" % (len(body), n))
    return pb_decode(REPLY, body)


def ctl_raw(path, data, timeout=10.0):
    """One exchange: send data, read the reply, then the server's close (so that the
    parent has closed its end when this returns)."""
    c = ctl_connect(path, timeout)
    try:
        try:
            c.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused (and closed) before the whole request was read: read why
        r = read_reply(c)
        if r is not None and recv_exact(c, 1) != b"":
            raise AssertionError("data after the reply: %r" % r)
        return r
    finally:
        c.close()


def ctl(s, command, timeout=10.0, **kw):
    """Send one command to server s (or a socket path); the decoded reply."""
    path = s if isinstance(s, str) else sock_path(s)
    r = ctl_raw(path, frame(pb_request(command, **kw)), timeout)
    if r is None:
        raise AssertionError("%s: the server closed without a reply" % command)
    return r


def status(s):
    r = ctl(s, "status")
    if r["status"] != OK or r["snapshot"] is None:
        raise AssertionError("status failed: %r" % r)
    return r["snapshot"]


def graceful_ok(tc, s, **kw):
    r = ctl(s, "graceful", timeout=60, **kw)
    tc.assertEqual(r["status"], OK, r)
    return r


# ---- looking at the daemon from outside ----


def sb_generation(s):
    m = re.search(r"^header generation=(\d+)", s.sbdump(), re.M)
    if not m:
        raise AssertionError("no generation in sbdump:\n" + s.sbdump())
    return int(m.group(1))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def current_pids(s, snap=None):
    snap = snap or status(s)
    return sorted(p["pid"] for p in snap["processes"] if p["generation"] == snap["generation"])


def http_ok(tc, s, path="/"):
    r = s.get(path)
    tc.assertEqual(r.status, 200, r)
    return r


class SlowGet(threading.Thread):
    """GET path with a small receive buffer, read at `rate` bytes a second: the server
    keeps writing the response for about size/rate seconds. The bounded rate is a
    measured window, not synchronization."""

    def __init__(self, port, path, rate, rcvbuf=32768):
        super().__init__(daemon=True)
        self.port, self.path, self.rate, self.rcvbuf = port, path, rate, rcvbuf
        self.status = None
        self.length = None
        self.got = 0
        self.error = None
        self.done_at = None

    def run(self):
        try:
            self._download()
        except Exception as e:  # reported by the test through .error
            self.error = repr(e)
        finally:
            self.done_at = time.monotonic()

    def _download(self):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        c.settimeout(30)
        try:
            c.connect(("127.0.0.1", self.port))
            c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                       % self.path).encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                d = c.recv(4096)
                if not d:
                    raise EOFError("closed before the response head")
                buf += d
            head, body = buf.split(b"\r\n\r\n", 1)
            self.status = int(head.split()[1])
            m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
            self.length = int(m.group(1)) if m else None
            self.got = len(body)
            start = time.monotonic()
            while self.length is None or self.got < self.length:
                allowed = int(self.rate * (time.monotonic() - start)) + 16384 - self.got
                if allowed <= 0:
                    time.sleep(min(0.05, -allowed / self.rate))
                    continue
                d = c.recv(min(allowed, 65536))
                if not d:
                    break
                self.got += len(d)
        finally:
            c.close()

    def complete(self):
        return self.error is None and self.status == 200 and self.length is not None \
            and self.got == self.length

    def __repr__(self):
        return "<SlowGet %s status=%s got=%d of %s error=%s>" % (
            self.path, self.status, self.got, self.length, self.error)


def start_downloads(s, n, path, rate, min_bytes=65536):
    """n slow downloads, returned once each has received min_bytes of its body."""
    gets = [SlowGet(s.port, path, rate) for _ in range(n)]
    for g in gets:
        g.start()
    wait_until(lambda: all(g.got >= min_bytes or g.error for g in gets), 15,
               what="the downloads to start", detail=lambda: gets)
    for g in gets:
        if g.error:
            raise AssertionError("download failed at once: %r" % g)
    return gets


def join_downloads(gets, timeout):
    deadline = time.monotonic() + timeout
    for g in gets:
        g.join(max(0.1, deadline - time.monotonic()))
        if g.is_alive():
            raise AssertionError("download still running after %ds: %r" % (timeout, g))


MB = 1024 * 1024


# ---- the tests ----


class StatusAndVersion(unittest.TestCase):
    def test_status_matches_processes(self):
        s = Server(start_servers=2, threads=4)
        with running(s):
            snap = status(s)
            self.assertEqual(snap["generation"], 1)
            self.assertEqual(snap["parent_pid"], s.pid)
            self.assertFalse(snap["restarting"])
            self.assertEqual(snap["server_limit"], 16)
            self.assertEqual(snap["thread_limit"], 64)
            self.assertTrue(snap["server_version"].startswith("evhttpd/"), snap)
            procs = snap["processes"]
            self.assertEqual(len(procs), 2, procs)
            self.assertEqual(sorted(p["pid"] for p in procs), sorted(s.children()))
            self.assertEqual(sorted(p["slot"] for p in procs), [0, 1])
            for p in procs:
                self.assertEqual((p["generation"], p["state"], p["accepting"]),
                                 (1, "running", True), p)
            wait_until(lambda: status(s)["idle_workers"] == 8, 5, what="8 idle workers",
                       detail=lambda: status(s))
            http_ok(self, s)
            wait_until(lambda: status(s)["requests"] >= 1, 5,
                       what="the request counted in the snapshot", detail=lambda: status(s))

    def test_version_configtest_and_one_exchange_per_connection(self):
        s = Server()
        with running(s):
            r = ctl(s, "version")
            self.assertEqual((r["status"], r["version"]), (OK, 1), r)
            self.assertTrue(r["message"].startswith("evhttpd/"), r)
            r = ctl(s, "configtest")
            self.assertEqual(r["status"], OK, r)
            self.assertEqual(r["config_messages"], [], r)
            # one exchange per connection: the reply, then the close
            c = ctl_connect(sock_path(s))
            c.sendall(frame(pb_request("status")))
            self.assertEqual(read_reply(c)["status"], OK)
            self.assertEqual(recv_exact(c, 1), b"", "the connection stayed open")
            c.close()


class GracefulRestart(unittest.TestCase):
    def test_graceful_wait_replies_after_old_children_exited(self):
        s = Server(start_servers=2, threads=4)
        with running(s):
            old = current_pids(s)
            self.assertEqual(old, sorted(s.children()))
            r = graceful_ok(self, s, wait=True)
            # the reply is sent from the reaping of the last old child
            still = [p for p in old if alive(p)]
            self.assertEqual(still, [], "old children alive when the reply came")
            rep = r["restart"]
            self.assertIsNotNone(rep, r)
            self.assertEqual((rep["old_generation"], rep["new_generation"],
                              rep["children_drained"], rep["connections_closed_early"]),
                             (1, 2, len(old), 0), r)
            self.assertGreaterEqual(rep["seconds"], 0.0)
            self.assertLess(rep["seconds"], 10.0)
            wait_until(lambda: len(s.children()) == 2, 10, what="2 new children",
                       detail=log_detail(s))
            self.assertEqual(set(s.children()) & set(old), set())
            snap = status(s)
            self.assertEqual(snap["generation"], 2)
            self.assertFalse(snap["restarting"], snap)
            self.assertEqual(sorted(p["pid"] for p in snap["processes"]), sorted(s.children()))
            self.assertTrue(all(p["generation"] == 2 for p in snap["processes"]), snap)
            self.assertEqual(sb_generation(s), 2)
            http_ok(self, s)
            # without wait: the reply says what drains
            r = graceful_ok(self, s)
            self.assertEqual((r["restart"]["old_generation"], r["restart"]["new_generation"]),
                             (2, 3), r)
            wait_until(lambda: not status(s)["restarting"], 10, what="generation 2 drained",
                       detail=log_detail(s))
            http_ok(self, s)

    def test_broken_config_changes_nothing(self):
        s = Server(start_servers=2, threads=4)
        with running(s):
            old = sorted(s.children())
            with open(s.conf) as f:
                good = f.read()
            line = good.count("\n") + 1
            with open(s.conf, "a") as f:
                f.write("Bogus directive\n")
            where = "%s:%d:" % (s.conf, line)
            for wait in (False, True):
                r = ctl(s, "graceful", wait=wait)
                self.assertEqual(r["status"], ERROR, r)
                self.assertTrue(any(m.startswith(where) for m in r["config_messages"]),
                                "no %s in %r" % (where, r["config_messages"]))
                self.assertIsNone(r["restart"], r)
            r = ctl(s, "configtest")
            self.assertEqual(r["status"], ERROR, r)
            self.assertTrue(any(m.startswith(where) for m in r["config_messages"]), r)
            r = ctl(s, "restart")
            self.assertEqual(r["status"], ERROR, r)
            # the signals take the same path: logged, nothing changes
            logged = s.error_log_text().count(where)
            os.kill(s.pid, signal.SIGUSR1)
            os.kill(s.pid, signal.SIGHUP)
            wait_until(lambda: s.error_log_text().count(where) >= logged + 2, 5,
                       what="both signals' errors in the error log", detail=log_detail(s))
            snap = status(s)
            self.assertEqual(snap["generation"], 1)
            self.assertEqual(sorted(p["pid"] for p in snap["processes"]), old)
            self.assertEqual(sorted(s.children()), old)
            self.assertEqual(sb_generation(s), 1)
            http_ok(self, s)
            with open(s.conf, "w") as f:
                f.write(good)
            r = graceful_ok(self, s, wait=True)
            self.assertEqual(r["restart"]["new_generation"], 2, r)
            self.assertEqual([p for p in old if alive(p)], [])
            http_ok(self, s)

    def test_graceful_while_every_child_is_dead(self):
        # Children that die young twice in a row put the parent in back-off (2 s) with
        # no child at all; a graceful restart then has an empty generation to drain.
        s = Server(start_servers=1, threads=4)
        with running(s):
            for _ in range(2):
                pids = s.children()
                for p in pids:
                    os.kill(p, signal.SIGKILL)
                wait_until(lambda: s.children() and not set(s.children()) & set(pids)
                           or "EVH00406" in s.error_log_text(), 10,
                           what="a replacement child or the back-off", detail=log_detail(s))
            wait_until(lambda: "EVH00406" in s.error_log_text() and not s.children(), 5,
                       what="the parent backing off with no child", detail=log_detail(s))
            r = graceful_ok(self, s)
            self.assertEqual(r["restart"]["new_generation"], 2, r)
            wait_until(lambda: len(s.children()) == 1, 10, what="a generation 2 child",
                       detail=log_detail(s))
            try:
                snap = ctl(s, "status", timeout=5)["snapshot"]
            except socket.timeout:
                self.fail("the parent stopped answering after a graceful restart of a "
                          "generation that had no child")
            self.assertEqual(snap["generation"], 2)
            self.assertFalse(snap["restarting"], "generation 1 had no child, yet drains: %r"
                             % snap)
            http_ok(self, s)
            r = graceful_ok(self, s, wait=True)
            self.assertEqual((r["restart"]["old_generation"], r["restart"]["new_generation"]),
                             (2, 3), r)
            self.assertFalse(status(s)["restarting"])
            http_ok(self, s)

    def test_restarts_under_load_lose_no_request(self):
        # 16 workers a child: with fewer than wrk's 16 connections the listener sheds idle
        # keep-alive connections by design (listener.c), which wrk counts as read errors
        # even without a restart.
        s = Server(start_servers=1, threads=16)
        with running(s):
            restarts = 20
            if WRK:
                load = subprocess.Popen([WRK, "-t1", "-c16", "-d12s",
                                         "http://127.0.0.1:%d/" % s.port],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
            else:
                # hammer counts a close after "Connection: close" and an abrupt one alike
                # (reconnects): only wrong answers and timeouts show a lost request
                out = {}
                load = threading.Thread(target=lambda: out.update(
                    evtest.hammer(s.port, 16, 0, 12)), daemon=True)
                load.start()
            try:
                time.sleep(1.0)  # measured window: the load runs before the first restart
                refused = []
                for _ in range(restarts):
                    r = ctl(s, "graceful")
                    if r["status"] != OK:
                        refused.append(r)
                    time.sleep(0.3)
            except BaseException:
                if WRK:  # never outlive the test
                    load.kill()
                    load.wait(10)
                raise
            if WRK:
                text = load.communicate(timeout=60)[0]
            else:
                load.join(60)
                text = repr(out)
            sys.stderr.write("load during %d graceful restarts: %s\n" % (restarts, text))
            self.assertEqual(refused, [])
            if WRK:
                self.assertEqual(load.returncode, 0, text)
                self.assertNotIn("Socket errors", text)
                self.assertNotIn("Non-2xx", text)
                self.assertRegex(text, r"\d+ requests in")
            else:
                self.assertEqual((out["bad"], out["timeouts"]), (0, 0), out)
                self.assertGreater(out["ok"], 0, out)
            self.assertEqual(status(s)["generation"], restarts + 1)

            def settled():
                snap = status(s)
                return not snap["restarting"] and all(
                    p["generation"] == restarts + 1 for p in snap["processes"]) and sorted(
                    s.children()) == sorted(p["pid"] for p in snap["processes"])
            wait_until(settled, 15, what="only generation %d children left" % (restarts + 1),
                       detail=lambda: "%r\n%s" % (status(s), s.error_log_text()[-3000:]))
            http_ok(self, s)

    def test_fifty_restarts_with_slow_downloads(self):
        # StartServers 1, ThreadsPerChild 4, MaxRequestWorkers 8 (2 children at most),
        # ServerLimit 32: 30 slots of headroom for draining children. Restarts come
        # faster than idle children exit; one refused for want of a free slot (the
        # documented policy) is retried once a slot frees, and counted.
        size, rate, restarts, limit = 6 * MB, 1 * MB, 50, 32
        s = Server(start_servers=1, threads=4, spare=(4, 8),
                   extra="ServerLimit %d\nMaxRequestWorkers 8\n" % limit,
                   files={"big.bin": os.urandom(size)})
        with running(s):
            gets = start_downloads(s, 4, "/big.bin", rate)
            max_draining = refused = 0
            for i in range(restarts):
                r = ctl(s, "graceful")
                while r["status"] == ERROR and "restart refused" in r["message"]:
                    refused += 1
                    self.assertLess(refused, 100, r)
                    wait_until(lambda: len(status(s)["processes"]) < limit, 10,
                               what="a free slot", detail=log_detail(s))
                    r = ctl(s, "graceful")
                self.assertEqual(r["status"], OK, r)
                self.assertEqual(r["restart"]["new_generation"], i + 2, r)
                http_ok(self, s)
                snap = status(s)
                max_draining = max(max_draining, sum(
                    1 for p in snap["processes"] if p["generation"] != snap["generation"]))
            gen = status(s)["generation"]
            in_flight = sum(1 for g in gets if g.is_alive())
            join_downloads(gets, 30)
            sys.stderr.write("%d restarts: generation %d, at most %d children draining, "
                             "%d refused for want of a slot, %d of 4 downloads still running "
                             "after the restarts\n"
                             % (restarts, gen, max_draining, refused, in_flight))
            self.assertEqual(gen, restarts + 1)
            for g in gets:
                self.assertTrue(g.complete(), g)
            self.assertNotIn("EVH00415", s.error_log_text(), "a draining child was hurried")
            wait_until(lambda: not status(s)["restarting"], 15, what="every generation drained",
                       detail=lambda: status(s))
            http_ok(self, s)


class SlotPolicy(unittest.TestCase):
    """The scoreboard-slot policy of evhttpd(8) when ServerLimit leaves no headroom:
    a restart that cannot get StartServers free slots is refused, naming who holds
    them; a current generation that needs a slot a draining child holds stops that
    child at once."""

    def test_restart_refused_while_draining_children_hold_the_slots(self):
        # ServerLimit 2, one child a generation: generation 2 takes the second slot while
        # generation 1's child drains a download, so generation 3 has none
        s = Server(start_servers=1, threads=4, spare=(1, 8),
                   extra="ServerLimit 2\nMaxRequestWorkers 4\n",
                   files={"big.bin": os.urandom(4 * MB)})
        with running(s):
            old = current_pids(s)
            gets = start_downloads(s, 1, "/big.bin", 1 * MB)
            graceful_ok(self, s)
            r = ctl(s, "graceful")
            self.assertEqual(r["status"], ERROR, r)
            self.assertIn("restart refused", r["message"])
            self.assertIn("%d (generation 1)" % old[0], r["message"])
            snap = status(s)
            self.assertEqual(snap["generation"], 2, snap)
            self.assertIn("EVH00419", s.error_log_text())
            http_ok(self, s)
            # nothing was cut to make room, and a slot frees once the drain is over
            join_downloads(gets, 30)
            self.assertTrue(gets[0].complete(), gets[0])
            wait_until(lambda: len(status(s)["processes"]) < 2, 10, what="the drained slot",
                       detail=log_detail(s))
            r = graceful_ok(self, s)
            self.assertEqual(r["restart"]["new_generation"], 3, r)
            http_ok(self, s)

    def test_current_generation_takes_the_slot_of_a_draining_child(self):
        # MinSpareThreads 8 with 4 threads a child: every generation wants 2 children;
        # ServerLimit 3 leaves one slot for a restart. Both generation-1 children hold
        # downloads, so after the restart generation 2's second child needs a slot
        # only a draining child can give.
        s = Server(start_servers=1, threads=4, spare=(8, 16),
                   extra="ServerLimit 3\nMaxRequestWorkers 8\nGracefulRestartTimeout 60\n"
                         "AsyncRequestWorkerFactor 0.5\n",
                   files={"big.bin": os.urandom(6 * MB)})
        with running(s):
            wait_until(lambda: len(current_pids(s)) == 2, 10, what="two children",
                       detail=log_detail(s))
            gets = []

            def both_busy():
                return all(p["connections"] > 0 for p in status(s)["processes"])
            # the child that accepts is the kernel's choice (the same idle child, mostly,
            # until it reaches its connection limit): add downloads until each holds one
            for _ in range(30):
                if gets and both_busy():
                    break
                gets += start_downloads(s, 1, "/big.bin", 512 * 1024)
            self.assertTrue(both_busy(), "both children should hold a download: %r" % gets)
            old = set(current_pids(s))
            t0 = time.monotonic()
            graceful_ok(self, s)
            wait_until(lambda: "EVH00415" in s.error_log_text(), 10,
                       what="a draining child stopped for its slot", detail=log_detail(s))
            line = next(ln for ln in s.error_log_text().splitlines() if "EVH00415" in ln)
            hurried = int(re.search(r"stopping child (\d+) of draining generation 1", line)
                          .group(1))
            self.assertIn(hurried, old, line)
            wait_until(lambda: len(current_pids(s)) == 2, 10,
                       what="generation 2 at its two children", detail=log_detail(s))
            took = time.monotonic() - t0
            wait_until(lambda: not alive(hurried), 10, what="the stopped child to exit")
            http_ok(self, s)
            join_downloads(gets, 60)
            cut = [g for g in gets if not g.complete()]
            sys.stderr.write("slot taken from draining child %d: generation 2 at 2 children "
                             "%.2f s after the restart; %d of %d downloads cut\n"
                             % (hurried, took, len(cut), len(gets)))
            # only the stopped child's downloads are cut, and one child drained untouched
            self.assertGreaterEqual(len(cut), 1, gets)
            self.assertLess(len(cut), len(gets), gets)
            for g in cut:
                self.assertIsNone(g.error, g)  # a clean close, not a reset or a timeout
            self.assertEqual(s.error_log_text().count("EVH00415"), 1, log_detail(s)())


class DrainTimeouts(unittest.TestCase):
    def _drain_cut_short(self, s, **kw):
        with running(s):
            gets = start_downloads(s, 1, "/big.bin", 1 * MB)
            t0 = time.monotonic()
            r = graceful_ok(self, s, wait=True, **kw)
            took = time.monotonic() - t0
            join_downloads(gets, 30)
            self.assertLess(took, 3.5, "the drain was not bounded: %.1f s, %r" % (took, r))
            self.assertGreaterEqual(r["restart"]["connections_closed_early"], 1, r)
            self.assertFalse(gets[0].complete(), "the download should have been cut")
            http_ok(self, s)

    def test_graceful_restart_timeout_stops_the_drain(self):
        self._drain_cut_short(Server(extra="GracefulRestartTimeout 1\n",
                                     files={"big.bin": os.urandom(8 * MB)}))

    def test_request_drain_timeout_stops_the_drain(self):
        # Graceful.timeout_seconds (evctl graceful --drain-timeout)
        self._drain_cut_short(Server(files={"big.bin": os.urandom(8 * MB)}), timeout_seconds=1)


class HardRestart(unittest.TestCase):
    def test_restart_command_and_sighup(self):
        s = Server(start_servers=2, threads=4)
        with running(s):
            old = sorted(s.children())
            r = ctl(s, "restart")
            self.assertEqual(r["status"], OK, r)
            self.assertEqual((r["restart"]["old_generation"], r["restart"]["new_generation"]),
                             (1, 2), r)
            # the children were stopped before the reply
            self.assertEqual([p for p in old if alive(p)], [])
            wait_until(lambda: len(s.children()) == 2, 10, what="2 new children",
                       detail=log_detail(s))
            self.assertEqual(set(s.children()) & set(old), set())
            self.assertEqual(status(s)["generation"], 2)
            self.assertEqual(sb_generation(s), 2)
            http_ok(self, s)

            old = sorted(s.children())
            os.kill(s.pid, signal.SIGHUP)
            wait_until(lambda: status(s)["generation"] == 3, 10, what="generation 3",
                       detail=log_detail(s))
            wait_until(lambda: len(s.children()) == 2 and not set(s.children()) & set(old),
                       10, what="2 new children after SIGHUP", detail=log_detail(s))
            self.assertEqual([p for p in old if alive(p)], [])
            self.assertFalse(status(s)["restarting"])
            http_ok(self, s)


def tcp_buffering():
    """The most a response can have in flight in the kernel once the server wrote it:
    the largest send buffer (tcp_wmem) plus SlowGet's receive buffer, and some slack."""
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        return int(f.read().split()[2]) + 256 * 1024


class GracefulStop(unittest.TestCase):
    # 8 MB at 2 MB/s: longer than the kernel can buffer (tcp_wmem max, 4 MB by default)
    SIZE = 8 * MB
    RATE = 2 * MB

    def _check_exit(self, s):
        rc = s.proc.wait(15)
        self.assertEqual(rc, 0, s.stderr_text())
        self.assertFalse(os.path.exists(s.pidfile), "PidFile left behind")
        self.assertFalse(os.path.exists(sock_path(s)), "ControlSocket left behind")
        self.assertEqual(s.stop(), 0)

    def test_graceful_stop_wait_after_download(self):
        s = Server(files={"big.bin": os.urandom(self.SIZE)})
        with running(s):
            self.assertTrue(os.path.exists(s.pidfile))
            gets = start_downloads(s, 1, "/big.bin", self.RATE)
            c = ctl_connect(sock_path(s), timeout=30)
            c.sendall(frame(pb_request("graceful_stop", wait=True)))
            r = read_reply(c)
            got_at_reply = gets[0].got
            c.close()
            self.assertIsNotNone(r, "closed without a reply")
            self.assertEqual(r["status"], OK, r)
            join_downloads(gets, 30)
            self.assertTrue(gets[0].complete(), gets[0])
            # the reply follows the child's exit, which follows the last byte written;
            # what the client had not read yet can only be what the kernel buffers
            self.assertGreaterEqual(got_at_reply, self.SIZE - tcp_buffering(),
                                    "the reply came while the download was in flight")
            self._check_exit(s)

    def test_sigwinch(self):
        s = Server(files={"big.bin": os.urandom(self.SIZE)})
        with running(s):
            gets = start_downloads(s, 1, "/big.bin", self.RATE)
            os.kill(s.pid, signal.SIGWINCH)
            wait_until(lambda: "EVH00422" in s.error_log_text(), 5, what="the graceful stop",
                       detail=log_detail(s))
            ahead = gets[0].got + 2 * MB  # still short of SIZE - tcp_buffering()
            wait_until(lambda: gets[0].got >= ahead or not gets[0].is_alive(), 10,
                       what="the download to go on")
            self.assertIsNone(s.proc.poll(), "the parent exited during the download")
            r = ctl(s, "graceful")
            self.assertEqual(r["status"], ERROR, "graceful restart during a stop: %r" % r)
            join_downloads(gets, 30)
            self.assertTrue(gets[0].complete(), gets[0])
            self._check_exit(s)


class ReopenLogs(unittest.TestCase):
    def _rotate(self, s, suffix, reopen):
        rotated = s.access_log + suffix
        os.rename(s.access_log, rotated)
        os.rename(s.error_log, s.error_log + suffix)
        reopen()
        children = s.children()

        def reopened():
            return all(s.access_log in fd_targets(p) and rotated not in fd_targets(p)
                       for p in children)
        wait_until(reopened, 5, what="every child to hold the new access log",
                   detail=lambda: "%s\n%s" % ({p: fd_targets(p) for p in children},
                                              read_text(s.error_log + suffix)[-2000:]))
        size = os.path.getsize(rotated)
        marker = "/reopened-%s" % suffix.strip(".")
        self.assertEqual(s.get(marker).status, 404)
        wait_until(lambda: marker in read_text(s.access_log), 5,
                   what="the request in the new access log")
        self.assertEqual(os.path.getsize(rotated), size, "the rotated file grew")
        wait_until(lambda: "EVH00424" in s.error_log_text(), 5,
                   what="the parent's notice in the new error log")

    def test_reopen_command_and_sigusr2(self):
        s = Server(start_servers=2, threads=4)
        with running(s):
            http_ok(self, s)
            wait_until(lambda: os.path.getsize(s.access_log) > 0, 5, what="a first log line")
            self._rotate(s, ".1", lambda: self.assertEqual(ctl(s, "reopen_logs")["status"], OK))
            self._rotate(s, ".2", lambda: os.kill(s.pid, signal.SIGUSR2))


class BadInput(unittest.TestCase):
    RSS_MARGIN_KIB = 512

    def setUp(self):
        self.s = Server()
        cm = running(self.s)
        cm.__enter__()
        self.addCleanup(cm.__exit__, None, None, None)
        self.path = sock_path(self.s)
        for _ in range(20):  # warm the parent's pools before the baseline
            status(self.s)
        self.fds = fd_count(self.s.pid)
        self.rss = rss_kib(self.s.pid)

    def recovered(self, what, rss_margin=None):
        s = self.s
        self.assertIsNone(s.proc.poll(), "the daemon died after " + what)
        self.assertEqual(status(s)["generation"], 1)
        http_ok(self, s)
        wait_until(lambda: fd_count(s.pid) == self.fds, 8,
                   what="the parent's descriptors back to %d after %s" % (self.fds, what),
                   detail=lambda: fd_targets(s.pid))
        rss = rss_kib(s.pid)
        self.assertLessEqual(rss, self.rss + (rss_margin or self.RSS_MARGIN_KIB),
                             "parent RSS %d KiB, was %d KiB, after %s" % (rss, self.rss, what))

    def test_malformed_frames_are_answered(self):
        body = pb_request("status")
        pad = MAX_REQUEST - len(body)
        # exactly 64 KiB: an unknown field (100) pads the request, and is ignored
        for n in range(pad - 8, pad):
            full = body + pb_bytes(100, b"x" * n)
            if len(full) == MAX_REQUEST:
                break
        self.assertEqual(len(full), MAX_REQUEST)
        cases = [
            ("zero-length frame", struct.pack(">I", 0), BAD_REQUEST),
            ("4 GB length prefix", b"\xff\xff\xff\xff", BAD_REQUEST),
            ("70000-byte length", struct.pack(">I", 70000) + b"\0" * 1000, BAD_REQUEST),
            ("64 KiB + 1", frame(full + b"\0"), BAD_REQUEST),
            ("exactly 64 KiB", frame(full), OK),
            ("garbage protobuf", frame(b"\xff\xff\xff\xff\xff\xff"), BAD_REQUEST),
            ("bad wire type", frame(b"\x0f\x01"), BAD_REQUEST),
            ("truncated field", frame(pb_uint(1, 1) + b"\x52\x10ab"), BAD_REQUEST),
            ("version 2", frame(pb_request("status", version=2)), BAD_VERSION),
            ("no version", frame(pb_request("status", version=0)), BAD_VERSION),
            ("no command", frame(pb_request(None)), BAD_REQUEST),
            ("unknown command", frame(pb_uint(1, 1) + pb_bytes(30, b"")), BAD_REQUEST),
        ]
        for what, data, want in cases:
            with self.subTest(what):
                r = ctl_raw(self.path, data)
                self.assertIsNotNone(r, "%s: closed without a reply" % what)
                self.assertEqual(r["status"], want, r)
                self.assertEqual(r["version"], 1, r)
                self.assertTrue(r["message"], r)
                self.recovered(what)

    def test_truncated_frame_then_close(self):
        for data in (b"\x00\x00", frame(pb_request("status"))[:-1], struct.pack(">I", 100)):
            c = ctl_connect(self.path)
            c.sendall(data)
            c.close()
        self.recovered("truncated frames")

    def test_silent_and_trickling_clients_are_closed(self):
        closed = {}

        def silent():
            c = ctl_connect(self.path, timeout=10)
            t0 = time.monotonic()
            try:
                d = recv_exact(c, 1)
                closed["silent"] = (time.monotonic() - t0, d)
            except socket.timeout:
                closed["silent"] = (None, b"")
            c.close()

        def trickle():
            data = frame(pb_request("status"))
            c = ctl_connect(self.path, timeout=1.0)
            t0 = time.monotonic()
            try:
                for b in data:
                    c.sendall(bytes([b]))
                    try:
                        if c.recv(1) == b"":
                            break
                    except socket.timeout:
                        pass  # a second passed: the next byte
            except (BrokenPipeError, ConnectionResetError):
                pass
            closed["trickle"] = (time.monotonic() - t0, None)
            c.close()
        threads = [threading.Thread(target=f, daemon=True) for f in (silent, trickle)]
        for t in threads:
            t.start()
        # while they hang on, others are served
        time.sleep(0.5)  # measured window: both clients connected
        self.assertEqual(status(self.s)["generation"], 1)
        for t in threads:
            t.join(15)
        took, data = closed["silent"]
        self.assertIsNotNone(took, "a silent client was not closed within 10 s")
        self.assertEqual(data, b"", "a silent client got a reply")
        self.assertTrue(4.0 <= took <= 6.0, "silent client closed after %.1f s" % took)
        took = closed["trickle"][0]
        self.assertTrue(4.0 <= took <= 7.0, "trickling client closed after %.1f s" % took)
        self.recovered("silent and trickling clients")

    def _thousand_clients(self, n):
        data = frame(pb_request("status"))
        sel = selectors.DefaultSelector()
        pending = []
        for _ in range(n):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.setblocking(False)
            pending.append(c)
        results = {"reply": 0, "close": 0}
        bufs = {}
        deadline = time.monotonic() + 30
        while pending or bufs:
            if time.monotonic() > deadline:
                raise AssertionError("%d clients unconnected, %d unanswered after 30 s: %r"
                                     % (len(pending), len(bufs), results))
            still = []
            for c in pending:  # the backlog is 64: connect as the parent accepts
                try:
                    c.connect(self.path)
                except (BlockingIOError, InterruptedError):
                    still.append(c)
                    continue
                except OSError as e:
                    if e.errno == 11:  # EAGAIN: backlog full
                        still.append(c)
                        continue
                    raise
                try:
                    c.send(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                bufs[c] = b""
                sel.register(c, selectors.EVENT_READ)
            pending = still
            for key, _ in sel.select(0.01):
                c = key.fileobj
                try:
                    d = c.recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    d = b""
                except BlockingIOError:
                    continue
                if d:
                    bufs[c] += d
                    continue
                buf = bufs.pop(c)
                sel.unregister(c)
                c.close()
                if not buf:
                    results["close"] += 1
                    continue
                n_ = struct.unpack(">I", buf[:4])[0]
                self.assertEqual(len(buf), 4 + n_, "a partial reply")
                self.assertEqual(pb_decode(REPLY, buf[4:])["status"], OK)
                results["reply"] += 1
        sel.close()
        return results

    def test_a_thousand_clients_at_once(self):
        n = 1000
        if raise_nofile(n + 100) < n + 100:
            self.skipTest("cannot open %d descriptors" % n)
        first = self._thousand_clients(n)
        self.recovered("%d clients" % n, rss_margin=8192)
        rss1 = rss_kib(self.s.pid)
        second = self._thousand_clients(n)
        sys.stderr.write("%d control clients at once: %r, then %r; parent RSS %d -> %d -> %d "
                         "KiB\n" % (n, first, second, self.rss, rss1, rss_kib(self.s.pid)))
        for res in (first, second):
            self.assertEqual(res["reply"] + res["close"], n)
            self.assertGreater(res["reply"], 0, res)
        self.recovered("%d clients twice" % n, rss_margin=8192)
        self.assertLessEqual(rss_kib(self.s.pid), rss1 + self.RSS_MARGIN_KIB,
                             "the second burst grew the parent: a leak per client")


PEER = r'''
import socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.settimeout(10)
try:
    c.connect(sys.argv[1])
except OSError as e:
    print("connect-error %d" % e.errno)
    sys.exit(0)
try:
    c.sendall(bytes.fromhex(sys.argv[2]))
except OSError:
    pass  # refused before the request was read: the reply is still there to read
buf = b""
while True:
    try:
        d = c.recv(65536)
    except OSError:
        break
    if not d:
        break
    buf += d
print("reply " + buf.hex())
'''


def as_user(user, group, groups, path, data):
    """Send data to the control socket as user:group (supplementary groups `groups`);
    ("reply", decoded reply or None) or ("connect-error", errno)."""
    cmd = ["setpriv", "--reuid=" + user, "--regid=" + group]
    cmd += ["--groups=" + ",".join(groups)] if groups else ["--clear-groups"]
    r = subprocess.run(cmd + [sys.executable, "-c", PEER, path, data.hex()], cwd="/",
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("setpriv failed: " + r.stderr)
    kind, _, rest = r.stdout.strip().partition(" ")
    if kind == "connect-error":
        return kind, int(rest)
    raw = bytes.fromhex(rest)
    return kind, pb_decode(REPLY, raw[4:]) if raw else None


@unittest.skipUnless(evtest.IS_ROOT and shutil.which("setpriv"), "needs root and setpriv")
class Permissions(unittest.TestCase):
    # The children run as nobody (evtest's User when root); ControlGroup adm.
    def test_peer_credentials(self):
        s = Server(extra="ControlGroup adm\n")
        with running(s):
            path = sock_path(s)
            st = os.stat(path)
            self.assertEqual(st.st_mode & 0o777, 0o660)
            self.assertEqual(st.st_gid, 4)
            # open the first gate to everyone, so that the second is what decides
            os.chmod(s.run, 0o755)
            os.chmod(path, 0o666)
            data = frame(pb_request("status"))
            cases = [
                ("the children's User", "nobody", "nogroup", [], DENIED),
                ("the children's User, in ControlGroup", "nobody", "nogroup", ["adm"], DENIED),
                ("another user", "daemon", "daemon", [], DENIED),
                ("a ControlGroup member", "daemon", "daemon", ["adm"], OK),
                ("ControlGroup as primary group", "daemon", "adm", [], OK),
            ]
            for what, user, group, groups, want in cases:
                with self.subTest(what):
                    kind, r = as_user(user, group, groups, path, data)
                    self.assertEqual(kind, "reply", (what, r))
                    self.assertIsNotNone(r, "%s: closed without a reply" % what)
                    self.assertEqual(r["status"], want, (what, r))
                    if want == DENIED:
                        self.assertIsNone(r["snapshot"])
            wait_until(lambda: re.search(r"EVH00701: control socket: refused pid \d+ uid 65534",
                                         s.error_log_text()), 5,
                       what="the refusal in the error log", detail=log_detail(s))
            # a refused stop changes nothing
            kind, r = as_user("nobody", "nogroup", [], path, frame(pb_request("stop")))
            self.assertEqual(r["status"], DENIED, r)
            self.assertIsNone(s.proc.poll())
            http_ok(self, s)

    def test_control_group_member_reaches_the_default_socket(self):
        # nothing loosened: the runtime directory and the socket as the daemon made them
        s = Server(extra="ControlGroup adm\n")
        with running(s):
            kind, r = as_user("daemon", "daemon", ["adm"], sock_path(s),
                              frame(pb_request("status")))
            self.assertEqual(kind, "reply", "a ControlGroup member cannot reach %s: errno %s "
                             "(runtime directory mode %o, gid %d)"
                             % (sock_path(s), r, os.stat(s.run).st_mode & 0o7777,
                                os.stat(s.run).st_gid))
            self.assertEqual(r["status"], OK, r)


@unittest.skipUnless(HAVE_EVCTL, "EVCTL does not name an evctl binary")
class Evctl(unittest.TestCase):
    def evctl(self, s, *args, timeout=60):
        return subprocess.run([EVCTL, "-s", sock_path(s)] + list(args), capture_output=True,
                              text=True, timeout=timeout)

    def test_status_json(self):
        s = Server(start_servers=2, threads=4)
        with running(s):
            r = self.evctl(s, "status", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            j = json.loads(r.stdout)
            self.assertEqual((j["generation"], j["parent_pid"]), (1, s.pid), j)
            self.assertEqual(sorted(p["pid"] for p in j["processes"]), sorted(s.children()))

    def test_graceful_wait(self):
        s = Server(start_servers=2, threads=4)
        with running(s):
            old = s.children()
            r = self.evctl(s, "graceful", "--wait")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"\b1 -> 2\b.*\b2 children drained", r.stdout)
            self.assertEqual([p for p in old if alive(p)], [])
            r = self.evctl(s, "graceful", "--wait", "--json")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            j = json.loads(r.stdout)
            self.assertEqual((j["old_generation"], j["new_generation"]), (2, 3), j)
            http_ok(self, s)

    def test_broken_config(self):
        s = Server()
        with running(s):
            with open(s.conf) as f:
                line = f.read().count("\n") + 1
            with open(s.conf, "a") as f:
                f.write("Bogus directive\n")
            for cmd in ("graceful", "configtest"):
                r = self.evctl(s, cmd)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("%s:%d:" % (s.conf, line), r.stdout + r.stderr)
            self.assertEqual(status(s)["generation"], 1)

    def test_unreachable(self):
        r = subprocess.run([EVCTL, "-s", "/nonexistent/ctl.sock", "status"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)

    @unittest.skipUnless(evtest.IS_ROOT and shutil.which("setpriv"), "needs root and setpriv")
    def test_denied(self):
        s = Server()
        with running(s):
            os.chmod(s.run, 0o755)
            os.chmod(sock_path(s), 0o666)
            r = subprocess.run(["setpriv", "--reuid=daemon", "--regid=daemon", "--clear-groups",
                                EVCTL, "-s", sock_path(s), "status"], cwd="/",
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 4, r.stdout + r.stderr)


if __name__ == "__main__":
    evtest.main()
