"""Overload and restarts against the real daemon: a burst of connections far beyond
MaxRequestWorkers, and a hundred graceful restarts while downloads are in flight.

Each test's docstring says what "survived" means for it. Every wait is a polled
condition with a deadline; the few fixed pauses are windows in which time itself is
what is measured (a load running before a burst, the pace of restarts), and say so.

Needs: EVCTL (evctl status/graceful) for the parent's view, SBDUMP for the raw
scoreboard, HAMMER for the mixed load.
"""
import contextlib
import hashlib
import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, alive, raise_nofile, running, wait_until  # noqa: E402

EVCTL = os.environ.get("EVCTL", "")
HAVE_EVCTL = bool(EVCTL) and os.access(EVCTL, os.X_OK)
MB = 1024 * 1024
INDEX = b"<html><body>hello</body></html>\n"  # evtest.Server's index.html


def evctl(s, *args, timeout=30):
    return subprocess.run([EVCTL, "-s", os.path.join(s.run, "ctl.sock")] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def status(s):
    r = evctl(s, "--json", "status")
    if r.returncode != 0:
        raise AssertionError("evctl status failed (%d): %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def percentile(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def head_of(buf):
    """(status, content-length, connection-close, head length) once buf holds a whole
    response head, else None."""
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return None
    head = buf[:i]
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
    if not m:
        raise AssertionError("bad status line %r" % head[:80])
    cl = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    close = re.search(rb"\r\nconnection:\s*close", head, re.I) is not None
    return int(m.group(1)), (int(cl.group(1)) if cl else None), close, i + 4


# ---- the burst: a helper run in several client processes ----

# argv: port, connections, deadline (seconds after "go"). Prints its counts as JSON.
BURST_CLIENT = r'''
import errno, json, resource, select, socket, sys, time
port, n, deadline = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
body = sys.argv[4].encode()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
req = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
expect_tail = b"\r\n\r\n" + body
c = {"ok": 0, "wrong": 0, "closed_before_answer": 0, "refused": 0,
     "timeout_connecting": 0, "timeout_waiting": 0, "socket_errors": 0}
wrong = []
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()
t0 = time.monotonic()
ep = select.epoll(n + 16)
conns = {}  # fd: [sock, state 0 connecting / 1 sent, buffer]
for _ in range(n):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    except OSError:
        c["socket_errors"] += 1
        continue
    e = s.connect_ex(("127.0.0.1", port))
    if e not in (0, errno.EINPROGRESS):
        c["refused" if e == errno.ECONNREFUSED else "socket_errors"] += 1
        s.close()
        continue
    conns[s.fileno()] = [s, 0, b""]
    ep.register(s.fileno(), select.EPOLLOUT)
opened = time.monotonic() - t0
end = t0 + deadline
lat = []
def finish(fd, key):
    s = conns.pop(fd)[0]
    ep.unregister(fd)
    s.close()
    c[key] += 1
while conns and time.monotonic() < end:
    for fd, ev in ep.poll(0.2, 512):
        st = conns.get(fd)
        if st is None:
            continue
        s = st[0]
        if st[1] == 0:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                finish(fd, "refused" if err == errno.ECONNREFUSED else "closed_before_answer")
                continue
            try:
                s.send(req)
            except OSError:
                finish(fd, "closed_before_answer")
                continue
            st[1] = 1
            ep.modify(fd, select.EPOLLIN)
            continue
        try:
            d = s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            d = None
        if d:
            st[2] += d
            continue
        buf = st[2]
        if not buf:
            finish(fd, "closed_before_answer")
        elif buf.startswith(b"HTTP/1.1 200 ") and buf.endswith(expect_tail):
            lat.append(time.monotonic() - t0)
            finish(fd, "ok")
        else:
            if len(wrong) < 5:
                wrong.append(buf[:200].decode("latin-1"))
            finish(fd, "wrong")
for fd, st in list(conns.items()):
    finish(fd, "timeout_connecting" if st[1] == 0 else "timeout_waiting")
c["wrong_samples"] = wrong
c["open_seconds"] = round(opened, 3)
c["last_answer_seconds"] = round(max(lat), 3) if lat else None
c["seconds"] = round(time.monotonic() - t0, 3)
print(json.dumps(c))
'''


class Established(threading.Thread):
    """A keep-alive client that requests / continuously, recording (start, latency) of
    every answered request. A reused connection the server closes before any byte of
    an answer is counted as `shed` and the request retried on a new connection (the
    listener sheds idle keep-alive connections at its connection limit, evhttpd(8),
    and a client may retry an idempotent request then, RFC 9112 9.3.1). Anything else
    (a wrong answer, no answer within 10 s, a new connection cut or refused) is an
    error."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.samples = []
        self.errors = []
        self.shed = 0
        self.stop = threading.Event()

    def run(self):
        sock, reused, buf = None, False, b""
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                    reused, buf = False, b""
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                while True:
                    h = head_of(buf)
                    if h and h[1] is not None and len(buf) >= h[3] + h[1]:
                        break
                    d = sock.recv(65536)
                    if not d:
                        raise EOFError("closed")
                    buf += d
            except (EOFError, ConnectionResetError, BrokenPipeError) as e:
                if sock is not None:
                    sock.close()
                    sock = None
                if reused and not buf:
                    self.shed += 1
                    continue
                self.errors.append("%.3f %r after %d bytes" % (t, e, len(buf)))
                continue
            except OSError as e:  # timeout, refused
                if sock is not None:
                    sock.close()
                    sock = None
                self.errors.append("%.3f %r" % (t, e))
                continue
            status, length, close, hl = h
            body, buf = buf[hl:hl + length], buf[hl + length:]
            if (status, body) != (200, INDEX):
                self.errors.append("%.3f wrong answer %d %r" % (t, status, body[:60]))
            else:
                self.samples.append((t, time.monotonic() - t))
            reused = True
            if close:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()


def fresh_latency(port):
    t = time.monotonic()
    c = evtest.Conn(port, timeout=5)
    try:
        r = c.request("GET", "/")
    finally:
        c.close()
    if (r.status, r.body) != (200, INDEX):
        raise AssertionError("wrong answer after the burst: %r" % r)
    return time.monotonic() - t


class Overload(unittest.TestCase):
    BURST = 15000
    PROCS = 4

    def test_fifteen_thousand_connections_at_once(self):
        """Survived: 15,000 connections opened at once from 4 client processes against
        MaxRequestWorkers 64 (2 children of 32 workers, ListenBacklog 4096) all end
        cleanly: answered 200 with the right body, or closed (EOF, reset, refused)
        before any answer; none gets a wrong answer, and none is left unanswered at the
        deadline, since the server keeps accepting. 8 established keep-alive clients
        keep being served: no wrong answer, no request unanswered; an idle keep-alive
        connection shed at the connection limit (by design, evhttpd(8)) is retried and
        counted. Their p99 latency during the burst is reported. Within 2 s after the
        burst a fresh connection's request is answered in under 50 ms."""
        if raise_nofile() < 4500:
            self.skipTest("RLIMIT_NOFILE hard limit below 4500")
        s = Server(start_servers=2, threads=32, spare=(32, 96),
                   extra="ServerLimit 4\nMaxRequestWorkers 64\nListenBacklog 4096\n"
                         "KeepAliveTimeout 60\nMaxKeepAliveRequests 0\n")
        with running(s):
            per = self.BURST // self.PROCS
            deadline = 40.0
            clients = [subprocess.Popen(
                [sys.executable, "-c", BURST_CLIENT, str(s.port), str(per), str(deadline),
                 INDEX.decode()], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for _ in range(self.PROCS)]
            est = []
            try:
                for p in clients:
                    self.assertEqual(p.stdout.readline(), "ready\n")
                est = [Established(s.port) for _ in range(8)]
                for e in est:
                    e.start()
                wait_until(lambda: all(len(e.samples) >= 20 for e in est), 10,
                           what="the established clients to be served")
                time.sleep(0.5)  # measured window: latency before the burst
                t_burst = time.monotonic()
                for p in clients:
                    p.stdin.write("go\n")
                    p.stdin.flush()
                results = []
                for p in clients:
                    out, _ = p.communicate(timeout=deadline + 30)
                    self.assertEqual(p.returncode, 0, out)
                    results.append(json.loads(out))
                t_end = time.monotonic()
                # back to normal: a fresh request under 50 ms, within 2 s
                first, probes = None, []

                def quick():
                    nonlocal first
                    lat = fresh_latency(s.port)
                    probes.append(lat)
                    if first is None:
                        first = time.monotonic() - t_end
                    return lat < 0.050
                wait_until(quick, 2.0, interval=0.05,
                           what="a fresh request under 50 ms after the burst",
                           detail=lambda: ["%.1f ms" % (x * 1000) for x in probes])
                recovered = time.monotonic() - t_end
                time.sleep(0.5)  # measured window: latency after the burst
            finally:
                for e in est:
                    e.stop.set()
                for e in est:
                    e.join(15)
                for p in clients:
                    if p.poll() is None:
                        p.kill()
                        p.wait(10)
            tot = {k: sum(r[k] for r in results) for k in results[0]
                   if isinstance(results[0][k], int)}
            before = [lat for e in est for t, lat in e.samples if t < t_burst]
            during = [lat for e in est for t, lat in e.samples if t_burst <= t < t_end]
            after = [lat for e in est for t, lat in e.samples if t >= t_end]
            errors = [x for e in est for x in e.errors]
            shed = sum(e.shed for e in est)
            sys.stderr.write(
                "burst of %d connections (%d processes): %r; opened in %s s, last answer at "
                "%s s, burst took %.1f s\n"
                "established clients: %d requests during the burst, p50 %.1f ms p99 %.1f ms "
                "max %.1f ms (before: p99 %.1f ms; after: p99 %.1f ms); %d shed and "
                "retried; errors %d %r\n"
                "after the burst: fresh request under 50 ms after %.2f s (probes %s ms)\n"
                % (self.BURST, self.PROCS, tot, [r["open_seconds"] for r in results],
                   [r["last_answer_seconds"] for r in results], t_end - t_burst,
                   len(during), percentile(during, .5) * 1000, percentile(during, .99) * 1000,
                   max(during or [0]) * 1000, percentile(before, .99) * 1000,
                   percentile(after, .99) * 1000, shed, len(errors), errors[:5],
                   recovered, [round(x * 1000, 1) for x in probes]))
            self.assertIsNone(s.proc.poll(), "the parent died")
            self.assertEqual(tot["wrong"], 0, [r["wrong_samples"] for r in results])
            self.assertEqual(tot["socket_errors"], 0, tot)
            self.assertEqual(tot["timeout_connecting"] + tot["timeout_waiting"], 0,
                             "connections left unanswered after %d s: %r" % (deadline, tot))
            self.assertGreater(tot["ok"], self.BURST // 2, tot)
            self.assertEqual(errors, [])
            self.assertGreater(len(during), 0, "the established clients were starved")
            # at most 2 children (MaxRequestWorkers 64 / ThreadsPerChild 32)
            self.assertLessEqual(len(s.children()), 2)


# ---- restarts ----


class SlowDownloader(threading.Thread):
    """Downloads `path` again and again at `rate` bytes a second with a small receive
    buffer (so the server cannot finish early into the socket), each over a new
    connection, checking the sha256 of every body, until stop is set; the download
    under way then is finished."""

    def __init__(self, port, path, rate, digest, size):
        super().__init__(daemon=True)
        self.port, self.path, self.rate, self.digest, self.size = port, path, rate, digest, size
        self.complete = 0
        self.failures = []
        self.got = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self._once()
            except Exception as e:  # a failure, reported
                self.failures.append("%r after %d bytes" % (e, self.got))

    def _once(self):
        self.got = 0
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        c.settimeout(15)
        try:
            c.connect(("127.0.0.1", self.port))
            c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                       % self.path).encode())
            buf = b""
            while head_of(buf) is None:
                d = c.recv(16384)
                if not d:
                    raise EOFError("closed before the response head")
                buf += d
            status, length, _, hl = head_of(buf)
            if (status, length) != (200, self.size):
                raise AssertionError("answer %d length %s" % (status, length))
            h = hashlib.sha256(buf[hl:])
            self.got = len(buf) - hl
            t0 = time.monotonic()
            while self.got < length:
                allowed = int(self.rate * (time.monotonic() - t0)) - self.got
                if allowed <= 0:
                    time.sleep(0.01)  # pacing the reads, not synchronization
                    continue
                d = c.recv(min(allowed, 65536, length - self.got))
                if not d:
                    raise EOFError("cut at %d of %d bytes" % (self.got, length))
                h.update(d)
                self.got += len(d)
            if h.hexdigest() != self.digest:
                raise AssertionError("sha256 mismatch")
            self.complete += 1
        finally:
            c.close()


class Requester(threading.Thread):
    """Keep-alive GETs of a small file. A close after an answer that said
    "Connection: close" is expected; a reused connection closed before any byte of an
    answer is the keep-alive race (retried, counted as `retried`); any other request
    left without a whole right answer (a new connection cut, a cut mid-answer, no
    answer in 5 s, a wrong answer) is a failure."""

    def __init__(self, port, path, body):
        super().__init__(daemon=True)
        self.port, self.path, self.body = port, path, body
        self.ok = self.retried = self.closes = 0
        self.failures = []
        self.stop = threading.Event()

    def run(self):
        sock, reused, buf = None, False, b""
        req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.path).encode()
        while not self.stop.is_set():
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                    reused, buf = False, b""
                sock.sendall(req)
                while True:
                    h = head_of(buf)
                    if h and h[1] is not None and len(buf) >= h[3] + h[1]:
                        break
                    d = sock.recv(65536)
                    if not d:
                        raise EOFError("closed")
                    buf += d
            except (EOFError, ConnectionResetError, BrokenPipeError) as e:
                if sock is not None:
                    sock.close()
                    sock = None
                if reused and not buf:
                    self.retried += 1
                else:
                    self.failures.append("%r after %d bytes (reused %s)" % (e, len(buf), reused))
                continue
            except OSError as e:
                if sock is not None:
                    sock.close()
                    sock = None
                self.failures.append(repr(e))
                continue
            status, length, close, hl = h
            body, buf = buf[hl:hl + length], buf[hl + length:]
            if (status, body) != (200, self.body):
                self.failures.append("wrong answer %d" % status)
            else:
                self.ok += 1
            reused = True
            if close:
                self.closes += 1
                sock.close()
                sock = None
        if sock is not None:
            sock.close()


@unittest.skipUnless(HAVE_EVCTL, "needs EVCTL")
class Restarts(unittest.TestCase):
    def test_hundred_graceful_restarts_with_slow_downloads(self):
        """Survived: 100 graceful restarts, 0.1 s apart without waiting for drains,
        during a mixed load (hammer, plus keep-alive requesters that tell every request
        apart) and 8 slow downloaders (8 MiB at 1.2 to 2.9 MiB/s, again and again, so
        each download spans several restarts): no request fails (a close announced by
        "Connection: close" is not a failure; a request without an answer is), every
        download completes with the right sha256, the live children (/proc, sampled
        during the run) and the processes in evctl status and the scoreboard never
        exceed ServerLimit, and at the end only the last generation's children remain.
        A restart refused for want of a free slot (the documented policy, evhttpd(8))
        is retried once a slot frees, and counted."""
        # 8 MiB: more than the loopback socket buffers hold (tcp_wmem up to 4 MiB), so a
        # child keeps writing a download for seconds
        size, rate, restarts, limit, ndl = 8 * MB, 2 * MB, 100, 24, 8
        files = {"f%d.bin" % i: os.urandom(size) for i in range(3)}
        small = os.urandom(3000)
        files["small.bin"] = small
        digests = {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
        # 32 workers a child, more than the clients' 17 connections: no child sheds idle
        # keep-alive connections for want of an idle worker (listener.c, by design), so
        # a keep-alive connection closed without an announcement is the restarts' doing
        s = Server(start_servers=2, threads=32, spare=(32, 96),
                   extra="ServerLimit %d\nMaxRequestWorkers 64\nGracefulRestartTimeout 30\n"
                         "KeepAliveTimeout 10\n" % limit, files=files)
        with running(s):
            # rates from 1.2 to 2.9 MiB/s: downloads of 2.8 to 6.7 s that drift apart, so
            # that they pin children of many generations at once
            dls = [SlowDownloader(s.port, "/f%d.bin" % (i % 3), int(rate * (0.6 + i / 8)),
                                  digests["f%d.bin" % (i % 3)], size) for i in range(ndl)]
            reqs = [Requester(s.port, "/small.bin", small) for _ in range(3)]
            for t in dls + reqs:
                t.start()
            # hammer runs for a fixed time: rounds of 4 s until the restarts are over
            load = {"ok": 0, "reconnects": 0, "bad": 0, "timeouts": 0, "rounds": 0}
            load_stop = threading.Event()

            def hammer_rounds():
                while not load_stop.is_set():
                    for k, v in evtest.hammer(s.port, 4, 2, 4).items():
                        load[k] += v
                    load["rounds"] += 1
            hammer = threading.Thread(target=hammer_rounds, daemon=True)
            hammer.start()
            samples = {"proc": 0, "status": 0, "sb": 0}
            stop_sampling = threading.Event()

            def sample():
                while not stop_sampling.is_set():
                    samples["proc"] = max(samples["proc"], len(s.children()))
                    with contextlib.suppress(AssertionError):
                        samples["sb"] = max(samples["sb"], len(s.sb_procs()))
                    stop_sampling.wait(0.02)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            refused = []
            failed_ctl = []
            ctl_times = []
            t0 = time.monotonic()
            try:
                wait_until(lambda: all(d.got > 0 for d in dls), 10,
                           what="the downloads to start")
                for i in range(restarts):
                    tg = time.monotonic()
                    r = evctl(s, "--json", "graceful")
                    ctl_times.append(time.monotonic() - tg)
                    while r.returncode != 0 and "refused" in (r.stdout + r.stderr):
                        refused.append(i)
                        self.assertLess(len(refused), 200, r.stdout + r.stderr)
                        wait_until(lambda: len(status(s)["processes"]) < limit, 10,
                                   what="a free slot")
                        r = evctl(s, "--json", "graceful")
                    if r.returncode != 0:
                        failed_ctl.append(r.stdout + r.stderr)
                        continue
                    snap = status(s)
                    samples["status"] = max(samples["status"], len(snap["processes"]))
                    time.sleep(0.1)  # the pace of the restarts, not synchronization
                restarts_took = time.monotonic() - t0
                self.assertTrue(hammer.is_alive(), "the load ended before the last restart")
                load_stop.set()
                for d in dls:
                    d.stop.set()
                for t in reqs:
                    t.stop.set()
                hammer.join(60)
                self.assertFalse(hammer.is_alive(), "hammer still running")
                for t in dls + reqs:
                    t.join(30)
                    self.assertFalse(t.is_alive(), "a client still running")
            finally:
                stop_sampling.set()
                load_stop.set()
                for t in dls + reqs:
                    t.stop.set()
                sampler.join(10)
            snap = status(s)
            gen = snap["generation"]

            def settled():
                sn = status(s)
                return not sn["restarting"] and all(
                    p["generation"] == gen for p in sn["processes"]) and sorted(
                    s.children()) == sorted(p["pid"] for p in sn["processes"])
            t_settle = time.monotonic()
            wait_until(settled, 35, what="only generation %d children left" % gen,
                       detail=lambda: "%r\n%s" % (status(s), s.error_log_text()[-3000:]))
            settle = time.monotonic() - t_settle
            dl_fail = [f for d in dls for f in d.failures]
            rq_fail = [f for t in reqs for f in t.failures]
            sys.stderr.write(
                "%d graceful restarts in %.1f s (%d refused for want of a slot and retried, "
                "%d evctl failures): generation %d; hammer %r; requesters ok %d, announced "
                "closes %d, keep-alive races retried %d, failures %d %r; downloads "
                "complete %d, failures %d %r; max children /proc %d, status %d, scoreboard %d "
                "(ServerLimit %d); settled %.1f s after the restarts; evctl graceful took mean %.0f ms, max %.0f ms\n"
                % (restarts, restarts_took, len(refused), len(failed_ctl), gen, load,
                   sum(t.ok for t in reqs), sum(t.closes for t in reqs),
                   sum(t.retried for t in reqs), len(rq_fail), rq_fail[:5],
                   sum(d.complete for d in dls), len(dl_fail), dl_fail[:5],
                   samples["proc"], samples["status"], samples["sb"], limit, settle,
                   sum(ctl_times) / len(ctl_times) * 1000, max(ctl_times) * 1000))
            self.assertIsNone(s.proc.poll(), "the parent died")
            self.assertEqual(failed_ctl, [])
            self.assertEqual(gen, restarts + 1)
            self.assertEqual((load["bad"], load["timeouts"]), (0, 0), load)
            self.assertGreater(load["ok"], 1000, load)
            self.assertEqual(rq_fail, [])
            # A graceful stop answers a request arriving on an idle keep-alive connection
            # with "Connection: close" (listener_drain_keepalive), and no child sheds here;
            # but a client idle for the whole 0.5 s grace (a busy, sanitized build) can
            # still send just as its connection closes: the race of every persistent
            # connection, which RFC 9112 section 9.3.1 has clients answer by retrying an
            # idempotent request. Those retries all succeeded (rq_fail above); they must
            # stay rare.
            self.assertLessEqual(sum(t.retried for t in reqs), restarts // 20,
                                 "keep-alive connections closed under a request")
            self.assertEqual(dl_fail, [])
            self.assertGreaterEqual(sum(d.complete for d in dls), ndl * 2)
            self.assertLessEqual(samples["proc"], limit)
            self.assertLessEqual(samples["status"], limit)
            self.assertLessEqual(samples["sb"], limit)
            self.assertNotIn("EVH00415", s.error_log_text(), "a draining child was hurried")
            r = s.get("/small.bin")
            self.assertEqual((r.status, r.body), (200, small))


if __name__ == "__main__":
    evtest.main()
