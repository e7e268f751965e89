"""evctl against a fake control server: framing, requests, output, exit codes.

The fake daemon is a Unix stream server in this process that speaks the control
framing (4-byte big-endian length + message) with protobuf bytes built by hand from
proto/evctl.proto, so these tests pin the wire format and evctl's side of the contract
without the real daemon. Every server socket is closed and every wait is bounded.
"""
import atexit
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

EVCTL = os.environ.get("EVCTL", "evctl")
IS_ROOT = os.geteuid() == 0
NOBODY = 65534
MAX_REPLY = 4 * 1024 * 1024

# Request command fields and Reply status values (proto/evctl.proto).
CMD_FIELDS = {"status": 10, "graceful": 11, "graceful-stop": 12, "stop": 13,
              "configtest": 14, "reopen-logs": 15, "restart": 16, "version": 17}
OK, ERROR, BAD_REQUEST, BAD_VERSION, DENIED, BUSY = range(6)


# ---- protobuf wire format, by hand ----------------------------------------------

def varint(n):
    if n < 0:
        n += 1 << 64  # int32/int64 negatives: ten bytes, two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, v):
    return varint(field << 3) + varint(int(v))


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(field << 3 | 2) + varint(len(b)) + b


def f_double(field, d):
    return varint(field << 3 | 1) + struct.pack("<d", d)


def decode(buf):
    """A message as {field: [values]}: ints for varints, bytes for the rest."""
    out, i = {}, 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _read_varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = _read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(field, []).append(v)
    return out


def _read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def process_info(slot, pid, generation=1, state="running", accepting=True, quiescing=False,
                 busy=1, idle=24, connections=5, keepalive=3, requests=100, nbytes=4096,
                 writing=1, closing=0):
    return (f_varint(1, slot) + f_varint(2, pid) + f_varint(3, generation)
            + f_varint(4, quiescing) + f_varint(5, busy) + f_varint(6, idle)
            + f_varint(7, connections) + f_varint(8, keepalive) + f_varint(9, requests)
            + f_varint(10, nbytes) + f_varint(11, writing) + f_varint(12, closing)
            + f_varint(13, accepting) + f_bytes(14, state))


def snapshot(processes=(), server_version="evhttpd/9.8.7", parent_pid=4242, generation=3,
             uptime=93784, requests=123456, nbytes=5 * 1024 * 1024, busy=7, idle=43,
             connections=21, keepalive=11, writing=2, closing=1, restarting=False):
    b = (f_bytes(1, server_version) + f_varint(2, parent_pid) + f_varint(3, generation)
         + f_varint(4, uptime) + f_varint(5, requests) + f_varint(6, nbytes)
         + f_varint(7, busy) + f_varint(8, idle) + f_varint(9, connections)
         + f_varint(11, keepalive) + f_varint(12, writing) + f_varint(13, closing)
         + f_varint(14, 16) + f_varint(15, 64) + f_varint(16, restarting))
    for p in processes:
        b += f_bytes(10, p)
    return b


def restart_report(old, new, drained, seconds, closed_early=0):
    return (f_varint(1, old) + f_varint(2, new) + f_varint(3, drained) + f_double(4, seconds)
            + f_varint(5, closed_early))


def reply(status=OK, message=b"", snap=None, restart=None, config_messages=(), version=1):
    b = f_varint(1, version) + f_varint(2, status)
    if message:
        b += f_bytes(3, message)
    if snap is not None:
        b += f_bytes(4, snap)
    if restart is not None:
        b += f_bytes(5, restart)
    for m in config_messages:
        b += f_bytes(6, m)
    return b


def frame(msg):
    return struct.pack(">I", len(msg)) + msg


# ---- the fake daemon --------------------------------------------------------------

HANG = object()   # accept and read the request, never answer
CLOSE = object()  # read the request and close without answering


class FakeDaemon:
    """Serves one connection at a time on a Unix socket. `answer(request)` gets the
    decoded Request and returns Reply bytes (framed here), ("raw", bytes) to send as is,
    HANG or CLOSE. Requests are kept in .requests as (raw bytes, decoded)."""

    def __init__(self, path, answer):
        self.path = path
        self.answer = answer
        self.requests = []
        self.errors = []
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                try:
                    self._one(conn)
                except Exception as e:  # reported by stop(), not lost in the thread
                    self.errors.append(repr(e))

    def _recv_exact(self, conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError("client closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def _one(self, conn):
        conn.settimeout(10)
        (n,) = struct.unpack(">I", self._recv_exact(conn, 4))
        if n == 0 or n > 64 * 1024:
            raise ValueError("request length %d" % n)
        raw = self._recv_exact(conn, n)
        req = decode(raw)
        self.requests.append((raw, req))
        out = self.answer(req)
        if out is CLOSE:
            return
        if out is HANG:
            # until evctl gives up and closes, bounded by the socket timeout
            try:
                while conn.recv(1):
                    pass
            except socket.timeout:
                pass
            return
        if isinstance(out, tuple) and out[0] == "raw":
            conn.sendall(out[1])
        else:
            conn.sendall(frame(out))

    def stop(self):
        self.stopping.set()
        self.sock.close()
        self.thread.join(15)
        if self.thread.is_alive():
            raise AssertionError("fake daemon thread did not stop")
        if self.errors:
            raise AssertionError("fake daemon: " + "; ".join(self.errors))


def command_of(req):
    """The command name of a decoded Request, and its sub-message decoded."""
    for name, field in CMD_FIELDS.items():
        if field in req:
            return name, decode(req[field][0])
    return None, None


class Result:
    def __init__(self, p):
        self.code = p.returncode
        self.raw = p.stdout
        self.out = p.stdout.decode("utf-8")  # evctl's output is always UTF-8
        self.err = p.stderr.decode("utf-8", "replace")
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if mark in self.err:
                raise AssertionError("sanitizer report from evctl:\n" + self.err)

    def json(self):
        lines = self.out.splitlines()
        if len(lines) != 1:
            raise AssertionError("expected one line of JSON, got %r" % self.out)
        return json.loads(lines[0])


_evctl_copy = None


def evctl_for_anyone():
    """A copy of EVCTL that any user may run: the build tree may sit in a directory only
    its owner can enter (a clone under mktemp -d), which would make every run as another
    user fail with EACCES before evctl even starts."""
    global _evctl_copy
    if _evctl_copy is None:
        d = tempfile.mkdtemp(prefix="evctl-bin-")
        os.chmod(d, 0o755)
        _evctl_copy = os.path.join(d, "evctl")
        shutil.copy(shutil.which(EVCTL) or EVCTL, _evctl_copy)
        os.chmod(_evctl_copy, 0o755)
        atexit.register(shutil.rmtree, d, True)
    return _evctl_copy


def run(args, timeout=20, user=None):
    def drop():
        os.setgroups([])
        os.setgid(user)
        os.setuid(user)
    prog = EVCTL if user is None else evctl_for_anyone()
    p = subprocess.run([prog] + list(args), capture_output=True, timeout=timeout,
                       preexec_fn=drop if user is not None else None)
    return Result(p)


class EvctlCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="evctl-")
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.daemon = None

    def tearDown(self):
        if self.daemon is not None:
            self.daemon.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def serve(self, answer):
        if not callable(answer):
            fixed = answer
            answer = lambda req: fixed  # noqa: E731
        self.daemon = FakeDaemon(self.sock, answer)
        return self.daemon

    def evctl(self, *args, **kw):
        return run(["-s", self.sock] + list(args), **kw)

    def only_request(self):
        self.assertEqual(len(self.daemon.requests), 1)
        raw, req = self.daemon.requests[0]
        self.assertEqual(req.get(1), [1], "Request.version must be 1")
        return command_of(req)


class StatusTest(EvctlCase):
    PROCS = [process_info(0, 1001, generation=3, busy=2, idle=23, connections=9,
                          requests=70000, nbytes=3 << 30),
             process_info(1, 1002, generation=2, state="draining", accepting=False,
                          quiescing=True, busy=0, idle=25, writing=4, closing=2)]

    def test_json_fields(self):
        self.serve(reply(snap=snapshot(self.PROCS, restarting=True)))
        r = self.evctl("status", "--json")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(self.only_request()[0], "status")
        d = r.json()
        self.assertEqual(d["command"], "status")
        self.assertEqual(d["status"], "ok")
        self.assertEqual(d["message"], "")
        self.assertEqual(d["generation"], 3)
        self.assertEqual(d["uptime_seconds"], 93784)
        self.assertEqual(d["server_version"], "evhttpd/9.8.7")
        self.assertEqual(d["parent_pid"], 4242)
        self.assertIs(d["restarting"], True)
        self.assertEqual(d["server_limit"], 16)
        self.assertEqual(d["thread_limit"], 64)
        self.assertEqual(d["requests"], 123456)
        self.assertEqual(d["bytes"], 5 * 1024 * 1024)
        self.assertEqual(d["workers"], {"busy": 7, "idle": 43})
        self.assertEqual(d["connections"],
                         {"total": 21, "keepalive": 11, "writing": 2, "closing": 1})
        self.assertEqual(len(d["processes"]), 2)
        p0, p1 = d["processes"]
        self.assertEqual(p0, {"pid": 1001, "slot": 0, "generation": 3, "state": "running",
                              "accepting": True, "quiescing": False, "connections": 9,
                              "keepalive": 3, "writing": 1, "closing": 0, "workers_busy": 2,
                              "workers_idle": 23, "requests": 70000, "bytes": 3 << 30})
        self.assertEqual((p1["state"], p1["accepting"], p1["quiescing"], p1["writing"],
                          p1["closing"]), ("draining", False, True, 4, 2))

    def test_human_table(self):
        self.serve(reply(snap=snapshot(self.PROCS)))
        r = self.evctl("status")
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("evhttpd/9.8.7", r.out)
        self.assertIn("generation 3", r.out)
        self.assertIn("up 1d 2h 3m 4s", r.out)
        self.assertIn("7 busy, 43 idle", r.out)
        self.assertIn("21 total, 11 keepalive, 2 writing, 1 closing", r.out)
        rows = [line.split() for line in r.out.splitlines() if line.split()[:1] in (["0"], ["1"])]
        self.assertEqual([row[1] for row in rows], ["1001", "1002"])
        self.assertEqual(rows[1][3:5], ["draining", "no"])
        self.assertEqual(r.err, "")

    def test_reply_larger_than_a_request(self):
        procs = [process_info(i, 10000 + i) for i in range(4000)]
        self.serve(reply(snap=snapshot(procs)))
        r = self.evctl("--json", "status")
        self.assertEqual(r.code, 0, r.err)
        d = r.json()
        self.assertEqual(len(d["processes"]), 4000)
        self.assertEqual(d["processes"][-1]["pid"], 13999)

    def test_ok_without_snapshot_is_a_failure(self):
        self.serve(reply())
        r = self.evctl("status")
        self.assertEqual(r.code, 1)
        self.assertIn("no status", r.err)


class RestartTest(EvctlCase):
    def test_graceful_wait(self):
        self.serve(reply(restart=restart_report(3, 4, 2, 1.25, 5)))
        r = self.evctl("graceful", "--wait", "--drain-timeout", "90", "--json")
        self.assertEqual(r.code, 0, r.err)
        name, sub = self.only_request()
        self.assertEqual(name, "graceful")
        self.assertEqual(sub.get(1), [1])   # wait
        self.assertEqual(sub.get(2), [90])  # timeout_seconds
        d = r.json()
        self.assertEqual((d["command"], d["status"], d["wait"]), ("graceful", "ok", True))
        self.assertEqual((d["old_generation"], d["new_generation"], d["children_drained"],
                          d["seconds"], d["connections_closed_early"]), (3, 4, 2, 1.25, 5))

    def test_graceful_without_wait(self):
        self.serve(reply(restart=restart_report(3, 4, 0, 0.01)))
        r = self.evctl("graceful")
        self.assertEqual(r.code, 0, r.err)
        name, sub = self.only_request()
        self.assertEqual(name, "graceful")
        self.assertNotEqual(sub.get(1), [1])
        self.assertEqual(r.out, "graceful restart: generation 3 -> 4, generation 3 draining\n")

    def test_graceful_stop_wait_human(self):
        self.serve(reply(restart=restart_report(4, 0, 3, 2.5)))
        r = self.evctl("--wait", "graceful-stop")
        self.assertEqual(r.code, 0, r.err)
        name, sub = self.only_request()
        self.assertEqual((name, sub.get(1)), ("graceful-stop", [1]))
        self.assertEqual(r.out, "graceful stop: generation 4 drained, 3 children in 2.5 s\n")

    def test_restart_json_and_missing_report(self):
        self.serve(reply(restart=restart_report(7, 8, 0, 0.5, 12)))
        d = self.evctl("restart", "--json").json()
        self.assertEqual(self.only_request()[0], "restart")
        self.assertEqual((d["old_generation"], d["new_generation"],
                          d["connections_closed_early"]), (7, 8, 12))
        self.daemon.stop()
        os.unlink(self.sock)
        self.serve(reply(status=BUSY, message=b"a restart is already under way"))
        r = self.evctl("restart", "--json")
        self.assertEqual(r.code, 1)
        d = r.json()
        self.assertEqual(d["status"], "busy")
        for k in ("old_generation", "new_generation", "children_drained", "seconds",
                  "connections_closed_early"):
            self.assertIsNone(d[k], k)
        self.assertEqual(r.err, "evctl: restart: busy: a restart is already under way\n")

    def test_graceful_with_config_errors(self):
        msgs = [b"/etc/evhttpd/evhttpd.conf:7: unknown directive \"Lsten\""]
        self.serve(reply(status=ERROR, message=b"the configuration has errors",
                         config_messages=msgs))
        r = self.evctl("graceful")
        self.assertEqual(r.code, 1)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, msgs[0].decode() + "\n"
                         "evctl: graceful: error: the configuration has errors\n")
        r = self.evctl("graceful", "--json")
        self.assertEqual(r.code, 1)
        d = r.json()
        self.assertEqual((d["status"], d["messages"], d["old_generation"]),
                         ("error", [msgs[0].decode()], None))

    def test_drain_timeout_reported_by_the_server(self):
        self.serve(reply(status=ERROR, message=b"old generation did not drain in 10 s",
                         restart=restart_report(3, 4, 1, 10.0, 6)))
        r = self.evctl("graceful", "--wait")
        self.assertEqual(r.code, 1)
        self.assertIn("did not drain", r.err)
        self.assertIn("6 connections closed early", r.out)


class SimpleCommandsTest(EvctlCase):
    def test_stop_and_reopen_logs(self):
        self.serve(lambda req: reply(message=b"logs reopened" if 15 in req else b""))
        r = self.evctl("stop")
        self.assertEqual((r.code, r.out), (0, "stop: begun\n"), r.err)
        r = self.evctl("reopen-logs", "--json")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json(), {"command": "reopen-logs", "status": "ok",
                                    "message": "logs reopened"})
        self.assertEqual([command_of(q)[0] for _, q in self.daemon.requests],
                         ["stop", "reopen-logs"])

    def test_configtest(self):
        msgs = [b"warning: MaxRequestWorkers 401 rounded to 400"]
        self.serve(reply(config_messages=msgs))
        r = self.evctl("configtest")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(self.only_request()[0], "configtest")
        self.assertEqual(r.out, "warning: MaxRequestWorkers 401 rounded to 400\nSyntax OK\n")
        d = self.evctl("configtest", "--json").json()
        self.assertEqual(d["messages"], [m.decode() for m in msgs])

    def test_configtest_errors(self):
        msgs = [b"/etc/evhttpd/evhttpd.conf:3: unknown directive \"Bogus\"",
                b"/etc/evhttpd/evhttpd.conf:9: ThreadsPerChild takes a number"]
        self.serve(reply(status=ERROR, message=b"configuration has errors",
                         config_messages=msgs))
        r = self.evctl("configtest", "--json")
        self.assertEqual(r.code, 1)
        d = r.json()
        self.assertEqual((d["status"], d["messages"]), ("error", [m.decode() for m in msgs]))
        r = self.evctl("configtest")
        self.assertEqual(r.code, 1)
        self.assertNotIn("Syntax OK", r.out)
        self.assertIn(":9: ThreadsPerChild", r.out)

    def test_version(self):
        self.serve(reply(snap=snapshot(server_version="evhttpd/9.8.7")))
        r = self.evctl("version")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(self.only_request()[0], "version")
        self.assertRegex(r.out, r"^client: evctl/\d+\.\d+\.\d+\nserver: evhttpd/9\.8\.7\n$")
        d = self.evctl("version", "--json").json()
        self.assertRegex(d["evctl_version"], r"^evctl/\d+\.\d+\.\d+$")
        self.assertEqual(d["server_version"], "evhttpd/9.8.7")

    def test_version_unreachable(self):
        r = self.evctl("version")
        self.assertEqual(r.code, 3)
        self.assertRegex(r.out, r"^client: evctl/\d+\.\d+\.\d+\n$")
        self.assertEqual(r.err, "evctl: connect %s: No such file or directory\n" % self.sock)
        r = self.evctl("version", "--json")
        self.assertEqual(r.code, 3)
        d = r.json()
        self.assertEqual((d["status"], d["server_version"]), ("unreachable", None))


class ReplyStatusTest(EvctlCase):
    CASES = [(ERROR, 1, "error"), (BAD_REQUEST, 1, "bad_request"),
             (BAD_VERSION, 1, "bad_version"), (DENIED, 4, "denied"), (BUSY, 1, "busy")]

    def test_each_status(self):
        for status, code, name in self.CASES:
            with self.subTest(name=name):
                self.serve(reply(status=status, message=b"because"))
                r = self.evctl("status")
                self.assertEqual(r.code, code)
                self.assertEqual(r.out, "")
                self.assertEqual(r.err, "evctl: status: %s: because\n" % name)
                r = self.evctl("--json", "status")
                self.assertEqual(r.code, code)
                self.assertEqual(r.json(), {"command": "status", "status": name,
                                            "message": "because"})
                self.daemon.stop()
                os.unlink(self.sock)
                self.daemon = None

    def test_other_protocol_version(self):
        self.serve(reply(snap=snapshot(), version=2))
        r = self.evctl("status")
        self.assertEqual(r.code, 1)
        self.assertIn("protocol 2", r.err)

    def test_json_string_escaping(self):
        msg = (b'quote " backslash \\ nl \n tab \t bell \x07 del \x7f '
               b'utf8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 '
               b'bad \xff overlong \xc0\xaf surrogate \xed\xa0\x80 short \xe2\x82')
        self.serve(reply(status=ERROR, message=msg))
        r = self.evctl("stop", "--json")
        self.assertEqual(r.code, 1)
        self.assertEqual(r.json()["message"],
                         'quote " backslash \\ nl \n tab \t bell \x07 del \x7f '
                         'utf8 \u00e9\u20ac\U0001F600 '
                         'bad \ufffd overlong \ufffd\ufffd surrogate \ufffd\ufffd\ufffd '
                         'short \ufffd\ufffd')
        self.assertIn(b"\\u000a", r.raw)
        self.assertIn(b"\\u0007", r.raw)
        self.assertIn("\u00e9\u20ac\U0001F600".encode(), r.raw)  # passed through as UTF-8


class FailureTest(EvctlCase):
    def test_missing_socket(self):
        r = self.evctl("status")
        self.assertEqual(r.code, 3)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, "evctl: connect %s: No such file or directory\n" % self.sock)

    def test_nobody_listening(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.sock)  # a stale socket file: bound, not listening
        try:
            r = self.evctl("status")
        finally:
            s.close()
        self.assertEqual(r.code, 3)
        self.assertEqual(r.err, "evctl: connect %s: Connection refused\n" % self.sock)

    def test_permission_denied(self):
        self.serve(reply(snap=snapshot()))
        if IS_ROOT:
            os.chmod(self.dir, 0o700)  # nobody cannot reach the socket
            r = self.evctl("status", user=NOBODY)
        else:
            os.chmod(self.sock, 0)
            r = self.evctl("status")
        self.assertEqual(r.code, 4)
        self.assertEqual(r.err, "evctl: connect %s: Permission denied\n" % self.sock)
        self.assertEqual(self.daemon.requests, [])

    def test_timeout(self):
        self.serve(HANG)
        t = time.monotonic()
        r = self.evctl("status", "--timeout", "0.3")
        took = time.monotonic() - t
        self.assertEqual(r.code, 1)
        self.assertEqual(r.err, "evctl: read %s: no reply within 0.3 s (--timeout)\n" % self.sock)
        self.assertLess(took, 5)
        self.assertGreaterEqual(took, 0.3)

    def test_timeout_applies_to_wait(self):
        self.serve(HANG)
        r = self.evctl("graceful", "--wait", "--timeout=0.2")
        self.assertEqual(r.code, 1)
        self.assertIn("no reply within 0.2 s", r.err)

    def test_closed_without_reply(self):
        self.serve(CLOSE)
        r = self.evctl("stop")
        self.assertEqual(r.code, 1)
        self.assertIn("closed the connection without a reply", r.err)

    def test_malformed_reply(self):
        self.serve(("raw", frame(b"\xff\xff\xff\xff")))
        r = self.evctl("status")
        self.assertEqual(r.code, 1)
        self.assertIn("malformed reply", r.err)

    def test_oversized_reply(self):
        self.serve(("raw", struct.pack(">I", MAX_REPLY + 1) + b"x" * 64))
        r = self.evctl("status")
        self.assertEqual(r.code, 1)
        self.assertIn("reply of %d bytes refused" % (MAX_REPLY + 1), r.err)

    def test_empty_frame_refused(self):
        self.serve(("raw", struct.pack(">I", 0)))
        r = self.evctl("status")
        self.assertEqual(r.code, 1)
        self.assertIn("reply of 0 bytes refused", r.err)


class CommandLineTest(EvctlCase):
    def test_usage_errors(self):
        self.serve(reply(snap=snapshot()))
        for args in ([], ["bogus"], ["stop", "--wait"], ["status", "--drain-timeout", "5"],
                     ["status", "--timeout", "-1"], ["status", "--timeout", "soon"],
                     ["status", "--timeout"], ["graceful", "--drain-timeout", "1.5"],
                     ["status", "extra"], ["--frob", "status"], ["help"]):
            with self.subTest(args=args):
                r = self.evctl(*args)
                self.assertEqual(r.code, 2, r.err)
                self.assertEqual(r.out, "")
                self.assertRegex(r.err, r"^evctl: [^\n]+\n$")
        r = run(["-s", self.sock, "-f", os.path.join(self.dir, "x.conf"), "status"])
        self.assertEqual(r.code, 2)
        r = run(["help", "bogus"])
        self.assertEqual((r.code, r.err), (2, "evctl: help: unknown command 'bogus'\n"))
        self.assertEqual(self.daemon.requests, [])

    def test_help(self):
        for args in (["--help"], ["help"], ["-h"], ["--json", "help"]):
            r = run(args)
            self.assertEqual(r.code, 0, r.err)
            for name in CMD_FIELDS:
                self.assertIn("\n  %s " % name, r.out)
            for opt in ("-s SOCKET", "-f CONFIG", "--json", "--timeout S", "--wait",
                        "--drain-timeout S"):
                self.assertIn(opt, r.out)
            self.assertIn("Exit status", r.out)
            for code in range(5):
                self.assertIn("\n  %d  " % code, r.out)
        r = run(["help", "graceful"])
        self.assertEqual(r.code, 0)
        self.assertIn("graceful [--wait] [--timeout S]", r.out)

    def test_options_anywhere(self):
        self.serve(reply(snap=snapshot()))
        for args in (["-s", self.sock, "status", "--json"],
                     ["status", "--json", "-s", self.sock],
                     ["--json", "--socket=" + self.sock, "status"],
                     ["-s" + self.sock, "--timeout", "5", "status", "--json"]):
            with self.subTest(args=args):
                r = run(args)
                self.assertEqual(r.code, 0, r.err)
                self.assertEqual(r.json()["generation"], 3)


class ConfigTest(EvctlCase):
    def write_conf(self, text):
        path = os.path.join(self.dir, "evhttpd.conf")
        with open(path, "w") as f:
            f.write("Listen 127.0.0.1:1\nDocumentRoot %s\n%s" % (self.dir, text))
        return path

    def test_control_socket_from_config(self):
        self.serve(reply(snap=snapshot()))
        conf = self.write_conf("ControlSocket %s\n" % self.sock)
        r = run(["-f", conf, "status", "--json"])
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json()["generation"], 3)

    def test_default_control_socket_from_include(self):
        # resolved by the daemon's own parser: no ControlSocket means
        # DefaultRuntimeDir/ctl.sock, and DefaultRuntimeDir comes from an Include
        self.serve(reply(snap=snapshot()))
        inc = os.path.join(self.dir, "runtime.conf")
        with open(inc, "w") as f:
            f.write("DefaultRuntimeDir %s\n" % self.dir)
        conf = self.write_conf("Include %s\n" % inc)
        r = run(["status", "-f", conf])
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(len(self.daemon.requests), 1)

    def test_broken_config(self):
        conf = self.write_conf("ControlSocket %s\nNoSuchDirective 1\n" % self.sock)
        r = run(["-f", conf, "status"])
        self.assertEqual(r.code, 1)
        self.assertRegex(r.err, r"^evctl: %s:4: [^\n]*NoSuchDirective[^\n]*\n$" % conf)

    def test_missing_config(self):
        conf = os.path.join(self.dir, "absent.conf")
        r = run(["-f", conf, "status"])
        self.assertEqual(r.code, 1)
        self.assertIn(conf, r.err)


if __name__ == "__main__":
    if shutil.which(EVCTL) is None and not os.access(EVCTL, os.X_OK):
        print("evctl not found (set EVCTL)", file=sys.stderr)
        sys.exit(77)
    unittest.main(verbosity=2)
