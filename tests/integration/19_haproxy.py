"""evhttpd behind a real HAProxy: the PROXY protocol and the lame-duck graceful stop.

HAProxy (Debian's haproxy, /usr/sbin/haproxy) runs in the foreground with a config
written into the test's temporary directory, in front of one or two evhttpd with a
`Listen ... proxy` listener. Clients connect from distinct loopback addresses
(127.0.0.2, .3, ...), so the address evhttpd logs tells whether the PROXY header was
read: HAProxy itself always connects from 127.0.0.1.

What "pass" means:
- test_access_log_shows_real_clients_v1_and_v2: every request that went through
  HAProxy with a v1 header and with a v2 header is logged (%h) with the client's own
  address, never with HAProxy's.
- test_untrusted_and_plain_clients_refused: with ProxyProtocolTrusted naming some
  other address, HAProxy's connections are refused (its client gets 502/503), so is a
  direct client forging a header and a trusted peer sending no header; each refusal
  is an EVH00211 line naming the socket's peer, and no forged address reaches the
  access log.
- test_graceful_stop_of_one_backend_under_wrk: a graceful stop of one of two
  backends under wrk load costs the clients nothing (no socket error, no non-2xx):
  HAProxy's health check sees the 503 and takes the backend out while it still
  accepts, the backend serves during its lame duck, the other backend takes over,
  and the stopped one exits 0. Beyond wrk's view, HAProxy's own counters must show no
  response error and no retry: `retry-on` is configured as an operator would, but the
  stop must not need it. The backends get enough workers for HAProxy's connections;
  with ThreadsPerChild 8 evhttpd sheds idle keep-alive connections (by design, when
  connections exceed ThreadsPerChild + AsyncRequestWorkerFactor x idle workers) and
  HAProxy had to retry 0.5-5% of requests, before the stop as much as after it.
  Without the lame duck (GracefulStopDelay 0) wrk still sees no error, thanks to
  retry-on, but HAProxy counts some 30 retries: the counters are what tell.

Every wait is a polled condition with a deadline. The only fixed pause is the load
running before the graceful stop (time itself is what is measured there).

Needs haproxy (every test is skipped without it), and wrk and EVCTL for the graceful
stop (skipped without them).
Runs as root or not; uses only 127.0.0.0/8.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Conn, Server, log_detail, read_text, running, wait_until  # noqa: E402

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK)
                                      else None)
WRK = "/usr/bin/wrk" if os.access("/usr/bin/wrk", os.X_OK) else shutil.which("wrk")
EVCTL = os.environ.get("EVCTL", "")
HAVE_EVCTL = bool(EVCTL) and os.access(EVCTL, os.X_OK)

HAPROXY_GLOBAL = """global
    stats socket %(sock)s mode 600 level admin
    log stderr format raw local0
defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
"""


def say(fmt, *args):
    sys.stderr.write((fmt % args if args else fmt) + "\n")


class HAProxy:
    """One haproxy in the foreground (-db) with the config `body` (after the global and
    defaults sections) in `workdir`; its log (stderr) goes to a file there."""

    def __init__(self, workdir, body, port):
        self.dir = workdir
        self.port = port
        self.sock = os.path.join(workdir, "haproxy.sock")
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        self.log = os.path.join(workdir, "haproxy.log")
        self.text = HAPROXY_GLOBAL % {"sock": self.sock} + body
        with open(self.cfg, "w") as f:
            f.write(self.text)
        self.proc = None

    def start(self):
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.cfg], stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT)

        # HAProxy binds every listener before it serves any, so the runtime socket
        # answering means the frontend listens too (a probe connection to the frontend
        # would be logged as a bad request)
        def up():
            if self.proc.poll() is not None:
                raise AssertionError("haproxy exited with %s:\n%s" % (self.proc.returncode,
                                                                       self.log_text()))
            try:
                return self.command("show info").startswith("Name:")
            except OSError:
                return False
        wait_until(up, 10, what="haproxy to listen on %d" % self.port, detail=self.log_text)
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logf.close()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    def log_text(self):
        return read_text(self.log)

    def command(self, cmd, timeout=2.0):
        """One command on the runtime socket; its whole answer."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        try:
            s.connect(self.sock)
            s.sendall(cmd.encode() + b"\n")
            out = b""
            while True:
                d = s.recv(65536)
                if not d:
                    return out.decode(errors="replace")
                out += d
        finally:
            s.close()

    def stats(self, backend):
        """{server: {field: value}} from `show stat` for one backend's servers."""
        lines = self.command("show stat").splitlines()
        if not lines or not lines[0].startswith("# "):
            raise AssertionError("unexpected show stat answer: %r" % lines[:3])
        names = lines[0][2:].split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(names, line.split(",")))
            if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND"):
                out[row["svname"]] = row
        return out

    def servers(self, backend):
        """{server: (status, check_status)} for one backend."""
        return {k: (v["status"], v["check_status"]) for k, v in self.stats(backend).items()}


def client_request(port, source, path, timeout=10.0):
    """GET path through 127.0.0.1:port from the local address `source`, Connection:
    close; the Response."""
    c = Conn.__new__(Conn)
    c.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                      source_address=(source, 0))
    c.buf = b""
    try:
        return c.request("GET", path, {"Connection": "close"})
    finally:
        c.close()


def log_lines(path, needle=None):
    lines = read_text(path).splitlines()
    return [ln for ln in lines if needle is None or needle in ln]


def lines_for(path, target):
    """Access-log lines whose request is `GET target`."""
    return [ln for ln in log_lines(path) if '"GET %s HTTP/1.1"' % target in ln]


@unittest.skipUnless(HAPROXY, "haproxy is not installed")
class HAProxyTest(unittest.TestCase):

    def test_access_log_shows_real_clients_v1_and_v2(self):
        t0 = time.monotonic()
        pport = evtest.free_port()
        clients = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        files = {"v%d/c%s.txt" % (v, ip.rsplit(".", 1)[1]): b"v%d %s\n" % (v, ip.encode())
                 for v in (1, 2) for ip in clients}
        s = Server(extra="Listen 127.0.0.1:%d proxy\nProxyProtocolTrusted 127.0.0.1\n" % pport,
                   files=files)
        hport = evtest.free_port()
        body = """frontend fe
    bind 127.0.0.1:%(h)d
    use_backend be_v1 if { path_beg /v1/ }
    default_backend be_v2
backend be_v1
    server ev 127.0.0.1:%(p)d send-proxy
backend be_v2
    server ev 127.0.0.1:%(p)d send-proxy-v2
""" % {"h": hport, "p": pport}
        with running(s), HAProxy(s.dir, body, hport) as ha:
            say("haproxy config:\n%s", ha.text)
            for v in (1, 2):
                for ip in clients:
                    path = "/v%d/c%s.txt" % (v, ip.rsplit(".", 1)[1])
                    r = client_request(hport, ip, path)
                    self.assertEqual((r.status, r.body), (200, files[path[1:]]),
                                     "%s from %s" % (path, ip))
            # BufferedLogs is off: each line is written before the connection moves on,
            # but HAProxy may answer the client before evhttpd's worker gets there
            wait_until(lambda: len([ln for ln in log_lines(s.access_log) if "/v" in ln]) >= 6,
                       10, what="six access-log lines", detail=log_detail(s))
            logged = [ln for ln in log_lines(s.access_log) if "/v" in ln]
            say("access log:\n%s", "\n".join(logged))
            for v in (1, 2):
                for ip in clients:
                    path = "/v%d/c%s.txt" % (v, ip.rsplit(".", 1)[1])
                    mine = lines_for(s.access_log, path)
                    self.assertEqual(len(mine), 1, "one line for %s: %s" % (path, logged))
                    self.assertEqual(mine[0].split(" ", 1)[0], ip,
                                     "v%d header: %s logged as %r" % (v, ip, mine[0]))
            self.assertFalse([ln for ln in logged if ln.startswith("127.0.0.1 ")],
                             "HAProxy's own address in the access log")
            self.assertNotIn("EVH00211", s.error_log_text())
        say("test_access_log_shows_real_clients_v1_and_v2: %.1f s", time.monotonic() - t0)

    def test_untrusted_and_plain_clients_refused(self):
        t0 = time.monotonic()
        pport = evtest.free_port()
        s = Server(extra="Listen 127.0.0.1:%d proxy\nProxyProtocolTrusted 127.0.0.9\n" % pport,
                   files={"secret.txt": b"secret\n"})
        hport = evtest.free_port()
        body = """frontend fe
    bind 127.0.0.1:%(h)d
    default_backend be
backend be
    server ev 127.0.0.1:%(p)d send-proxy-v2
""" % {"h": hport, "p": pport}

        def refusals(ip):
            return [ln for ln in log_lines(s.error_log, "EVH00211")
                    if "connection from %s closed" % ip in ln]

        with running(s), HAProxy(s.dir, body, hport) as ha:
            # 1. HAProxy (127.0.0.1, not trusted) carries client 127.0.0.5
            r = client_request(hport, "127.0.0.5", "/secret.txt")
            say("through haproxy from 127.0.0.5: %d %s", r.status, r.reason)
            self.assertIn(r.status, (502, 503), "HAProxy's answer for a refused backend")
            logged = wait_until(lambda: refusals("127.0.0.1"), 5,
                                what="EVH00211 naming 127.0.0.1", detail=log_detail(s))
            self.assertIn("not a ProxyProtocolTrusted address", logged[0])

            # EVH00211 is rate-limited to one line a second per child: each further
            # refusal is repeated until its own line appears (bounded by the deadline)
            def refused_and_logged(source, payload, ip):
                before = len(refusals(ip))

                def attempt():
                    c = socket.create_connection(("127.0.0.1", pport), timeout=5,
                                                 source_address=(source, 0))
                    try:
                        c.sendall(payload)
                        c.settimeout(5)
                        got = b""
                        try:
                            while True:
                                d = c.recv(4096)
                                if not d:
                                    break
                                got += d
                        except ConnectionResetError:
                            pass
                        self.assertEqual(got, b"", "a refused connection got an answer")
                    finally:
                        c.close()
                    return len(refusals(ip)) > before
                return wait_until(attempt, 8, interval=0.25, what="EVH00211 naming " + ip,
                                  detail=log_detail(s))

            # 2. a direct client from 127.0.0.1 forging client 127.0.0.77
            forged = (b"PROXY TCP4 127.0.0.77 127.0.0.1 4242 %d\r\n" % pport
                      + b"GET /secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            refused_and_logged("127.0.0.1", forged, "127.0.0.1")
            # 3. the trusted peer itself sending plain HTTP, no header
            plain = b"GET /secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            refused_and_logged("127.0.0.9", plain, "127.0.0.9")

            # the plain listener still serves, and its line is written before the next
            # request on the same server: nothing refused reached the access log
            self.assertEqual(s.get("/secret.txt").status, 200)
            wait_until(lambda: lines_for(s.access_log, "/secret.txt"), 5,
                       what="the direct request's line")
            errs = log_lines(s.error_log, "EVH00211")
            acc = log_lines(s.access_log)
            say("error log EVH00211:\n%s\naccess log:\n%s\nhaproxy log:\n%s",
                "\n".join(errs), "\n".join(acc), ha.log_text().strip())
            self.assertEqual(len(acc), 1, "only the direct request is logged")
            self.assertTrue(acc[0].startswith("127.0.0.1 "), acc[0])
            for ln in errs:
                self.assertNotIn("127.0.0.5", ln)
                self.assertNotIn("127.0.0.77", ln)
        say("test_untrusted_and_plain_clients_refused: %.1f s", time.monotonic() - t0)

    @unittest.skipUnless(WRK, "wrk is not installed")
    @unittest.skipUnless(HAVE_EVCTL, "EVCTL is not set")
    def test_graceful_stop_of_one_backend_under_wrk(self):
        t0 = time.monotonic()
        payload = b"x" * 512 + b"\n"
        ports = {}
        servers = {}
        for name in ("a", "b"):
            ports[name] = evtest.free_port()
            servers[name] = Server(
                extra="Listen 127.0.0.1:%d proxy\nProxyProtocolTrusted 127.0.0.1\n"
                      "HealthLocation /healthz\nGracefulStopDelay 3\n" % ports[name],
                # enough workers for HAProxy's 32 server connections: with fewer, the
                # connection limit (ThreadsPerChild + AsyncRequestWorkerFactor x idle)
                # sheds idle keep-alive connections HAProxy holds in its pool, and each
                # one it reuses at that moment costs a retry (see the module docstring)
                threads=64, files={"file": payload})
        a, b = servers["a"], servers["b"]
        hport = evtest.free_port()
        body = """frontend fe
    bind 127.0.0.1:%(h)d
    default_backend be
backend be
    balance roundrobin
    http-reuse safe
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout
    option httpchk GET /healthz
    default-server send-proxy-v2 check check-send-proxy inter 500 fall 1 rise 2
    server a 127.0.0.1:%(a)d
    server b 127.0.0.1:%(b)d
""" % {"h": hport, "a": ports["a"], "b": ports["b"]}

        with running(a), running(b), HAProxy(a.dir, body, hport) as ha:
            say("haproxy config:\n%s", ha.text)
            wait_until(lambda: all(v[1] == "L7OK" and v[0] == "UP"
                                   for v in ha.servers("be").values())
                       and len(ha.servers("be")) == 2,
                       10, what="both servers UP by check", detail=lambda: ha.servers("be"))

            # the watcher: HAProxy's view of a, and whether a's plain listener still
            # answers a fresh connection (its /healthz tells the lame duck apart)
            events = {"down": None, "first_503": None, "last_fresh": None,
                      "a_lines_at_503": None, "b_lines_at_down": None}
            stop = threading.Event()

            def watch():
                deadline = time.monotonic() + 30
                while not stop.is_set() and time.monotonic() < deadline:
                    now = time.monotonic()
                    try:
                        state = ha.servers("be").get("a", ("?", "?"))[0]
                    except OSError:
                        state = "?"
                    if events["down"] is None and state.startswith("DOWN"):
                        events["down"] = now
                        events["b_lines_at_down"] = len(lines_for(b.access_log, "/file"))
                    try:
                        c = Conn(a.port, timeout=0.5)
                        try:
                            r = c.request("GET", "/healthz", {"Connection": "close"})
                            code = r.status
                        finally:
                            c.close()
                    except (OSError, EOFError):
                        code = None
                    if code is not None:
                        events["last_fresh"] = now
                    if code == 503 and events["first_503"] is None:
                        events["first_503"] = now
                        events["a_lines_at_503"] = len(lines_for(a.access_log, "/file"))
                    stop.wait(0.05)

            watcher = threading.Thread(target=watch, daemon=True)
            wrk = subprocess.Popen([WRK, "-t2", "-c32", "-d10s", "--latency",
                                    "http://127.0.0.1:%d/file" % hport],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                watcher.start()
                time.sleep(2)  # load running before the stop: a measured window
                t_stop = time.monotonic()
                a_lines_at_stop = len(lines_for(a.access_log, "/file"))
                ev = subprocess.run([EVCTL, "-s", os.path.join(a.run, "ctl.sock"),
                                     "graceful-stop", "--wait"],
                                    capture_output=True, text=True, timeout=30)
                t_evctl = time.monotonic()
                a.proc.wait(15)
                t_exit = time.monotonic()
                out, _ = wrk.communicate(timeout=30)
            finally:
                stop.set()
                if wrk.poll() is None:
                    wrk.kill()
                    wrk.wait(5)
                watcher.join(5)

            say("wrk report:\n%s", out)
            say("evctl graceful-stop --wait: rc %d, %s%s", ev.returncode, ev.stdout.strip(),
                ev.stderr.strip())

            def rel(t):
                return "%.2f s" % (t - t_stop) if t is not None else "never"
            say("after the stop: first 503 from a %s, haproxy marked a DOWN %s, last fresh "
                "connection served by a %s, evctl returned %s, a exited %s",
                rel(events["first_503"]), rel(events["down"]), rel(events["last_fresh"]),
                rel(t_evctl), rel(t_exit))
            a_file = lines_for(a.access_log, "/file")
            b_file = lines_for(b.access_log, "/file")
            say("requests served: a %d (%d after the stop, %d after its first 503), b %d "
                "(%d after a went DOWN)", len(a_file), len(a_file) - a_lines_at_stop,
                len(a_file) - (events["a_lines_at_503"] or 0), len(b_file),
                len(b_file) - (events["b_lines_at_down"] or 0))
            say("a's error log:\n%s", "\n".join(
                ln for ln in log_lines(a.error_log) if "EVH0042" in ln or "EVH0043" in ln
                or "EVH00211" in ln))
            counters = ("stot", "econ", "eresp", "wretr", "wredis", "connect", "reuse")
            st = ha.stats("be")
            for name in ("a", "b"):
                say("haproxy server %s: %s", name, ", ".join(
                    "%s %s" % (k, st[name].get(k)) for k in counters))
            halog = ha.log_text().splitlines()
            # dontlog-normal: a request line here is one HAProxy had to retry or failed
            reqs = [ln for ln in halog if '"GET ' in ln]
            say("haproxy log (%d request lines):\n%s", len(reqs),
                "\n".join([ln for ln in halog if '"GET ' not in ln] + reqs[:20]))

            self.assertEqual(ev.returncode, 0, ev.stderr)
            self.assertEqual(a.proc.returncode, 0, "a's parent exit status")

            # wrk prints these two lines only when their counts are not zero
            self.assertRegex(out, r"Requests/sec:", "wrk ran")
            m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                          out)
            self.assertIsNone(m, "wrk socket errors: " + (m.group(0) if m else ""))
            self.assertNotIn("Non-2xx or 3xx responses", out)

            # HAProxy took a out while a still accepted fresh connections: the lame duck
            # did its job. (last_fresh is a lower bound of when a stopped accepting.)
            self.assertIsNotNone(events["first_503"], "the watcher saw a's lame duck")
            self.assertIsNotNone(events["down"], "HAProxy marked a DOWN")
            self.assertLess(events["down"], events["last_fresh"],
                            "HAProxy marked a DOWN before a stopped accepting")
            self.assertLess(events["down"] - t_stop, 3.0, "DOWN within the lame-duck window")

            # a served during its lame duck: more lines after the watcher's first 503
            # than the at most 32 requests wrk can have had in flight at that moment
            self.assertGreater(len(a_file) - events["a_lines_at_503"], 32,
                               "a served requests in its lame duck")
            # b took over: many requests after a went DOWN (wrk ran ~6 s more)
            self.assertGreater(len(b_file) - events["b_lines_at_down"], 1000,
                               "b served after a went DOWN")
            self.assertIn("EVH00431", a.error_log_text())
            self.assertRegex("\n".join(halog), r"Server be/a is DOWN, reason: Layer7 wrong "
                             r"status, code: 503", "the health check took a out, not a refusal")

            # stricter than wrk's view: HAProxy needed no retry either, so the stop would
            # have been clean without retry-on (response errors and retries are 0)
            for name in ("a", "b"):
                for k in ("econ", "eresp", "wretr", "wredis"):
                    self.assertEqual(st[name][k], "0", "haproxy %s of server %s" % (k, name))
            self.assertEqual(reqs, [], "HAProxy logged retried or failed requests")
        say("test_graceful_stop_of_one_backend_under_wrk: %.1f s", time.monotonic() - t0)


if __name__ == "__main__":
    evtest.main()
