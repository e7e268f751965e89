"""Soak: many requests of mixed kinds, and the children's memory afterwards.

A load generator of a few client processes (raw sockets, standard library only) sends
EV_SOAK_REQUESTS requests (60000 by default, for CI; `./dev soak` runs 1000000) in this
mix, checking every answer as it goes:

  - keep-alive sessions of 2-8 requests on one connection,
  - single requests with Connection: close (the server must then close),
  - pipelined batches of 3-5 requests written at once on one connection,
  - inside those: GETs of a small file and of a ~100 KiB file, single and multiple
    (multipart/byteranges) Range requests, and 404s,
  - downloads of a 1 MiB file abandoned after a few KiB, closed with SO_LINGER 0 (a
    reset) or plainly.

"Survived" means: every answer had the expected status and exactly the expected body
bytes (wrong answers: 0; a reset or early close is allowed only on the abandoned
downloads, where the client does it); the same children served the whole run
(MaxConnectionsPerChild 0, spare-thread bounds the load never reaches); and, in the plain
build, each child's VmRSS at the end is within 5 % (plus a small absolute slack) of what
it was once the first 10 % of the requests had been served. In the ASan build the RSS
check is skipped - ASan's quarantine of freed memory and its shadow pages grow by design -
and leaks are found by LeakSanitizer when the daemon exits (Server.stop() fails on any
sanitizer report).

The memory is sampled with the daemon quiet (no client socket open in any child), after
the first 10 % and at the end, so both samples see the same state. Waits are polled
conditions with deadlines; there are no sleeps.

Needs: SBDUMP (Server start-up). Figures are printed to stderr.
"""
import multiprocessing
import os
import random
import re
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, wait_until  # noqa: E402

KIB = 1024
TOTAL = int(os.environ.get("EV_SOAK_REQUESTS", "60000"))
CLIENTS = int(os.environ.get("EV_SOAK_CLIENTS", "4"))
SETTLE = max(1, TOTAL // 10)

# RSS may grow by 5 % of the settled figure plus this much. The slack absorbs what is
# not a leak but moves RSS in coarse steps: pages are 4 KiB each, glibc gives each worker
# thread its own malloc arena that grows and trims its top in 128 KiB steps (and a thread
# that happened to be idle during the first 10 % may touch its arena only later), and
# stacks of threads that once ran deeper stay resident. 256 KiB is two arena steps. A
# child settles near 4 MiB, so the limit is about +450 KiB: one leaked small allocation
# (32 bytes with malloc's header) per request is ~0.9 MiB per child even in CI's 60,000.
SLACK_KIB = 256
GROWTH = 1.05

SMALL = random.Random(1).randbytes(517)
MID = random.Random(2).randbytes(100 * KIB + 123)
BIG = random.Random(3).randbytes(1024 * KIB)
FILES = {"small.html": SMALL, "mid.bin": MID, "big.bin": BIG}


def asan_build():
    """True when EVHTTPD is built with AddressSanitizer. The binary names __asan_init
    either way: gcc links libasan dynamically (an undefined symbol in .dynsym), clang
    links its runtime statically (a defined one). Reading the file needs no nm or ldd,
    and unlike ASAN_OPTIONS it does not depend on how the test was started."""
    try:
        with open(evtest.EVHTTPD, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def socket_fds(pid):
    """How many sockets pid has open."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


# ---- the client side: runs in the load generator's processes ----


class Wrong(Exception):
    """An answer that was not the expected one."""


class Client:
    """One connection with a buffered reader of responses (Content-Length framing)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = bytearray()

    def fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise Wrong("connection closed by server")
        self.buf += chunk

    def head(self):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            self.fill()
        lines = bytes(self.buf[:i]).decode("latin-1").split("\r\n")
        del self.buf[:i + 4]
        m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0])
        if not m:
            raise Wrong("bad status line %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return int(m.group(1)), headers

    def response(self):
        status, headers = self.head()
        if "content-length" not in headers:
            raise Wrong("%d without Content-Length: %r" % (status, headers))
        n = int(headers["content-length"])
        while len(self.buf) < n:
            self.fill()
        body = bytes(self.buf[:n])
        del self.buf[:n]
        return status, headers, body

    def eof(self):
        """True if the server closes the connection with nothing more sent."""
        if self.buf:
            return False
        return self.sock.recv(1) == b""

    def close(self):
        self.sock.close()


def pick_request(rng):
    """One request of the mix: (request text without the final CRLF, check function)."""
    r = rng.random()
    if r < 0.30:
        return "GET /small.html HTTP/1.1\r\nHost: soak\r\n", expect_full(SMALL)
    if r < 0.50:
        return "GET /mid.bin HTTP/1.1\r\nHost: soak\r\n", expect_full(MID)
    if r < 0.70:
        a = rng.randrange(len(MID))
        b = rng.randrange(a, min(len(MID), a + 20000))
        return ("GET /mid.bin HTTP/1.1\r\nHost: soak\r\nRange: bytes=%d-%d\r\n" % (a, b),
                expect_range(a, b))
    if r < 0.85:
        # 2-4 ranges, ascending, with gaps wider than any coalescing would bridge
        n = rng.randint(2, 4)
        cuts = sorted(rng.sample(range(0, len(MID) // 1000), n * 2))
        ranges = [(cuts[2 * i] * 1000, cuts[2 * i + 1] * 1000 - rng.randint(1, 500))
                  for i in range(n)]
        spec = ",".join("%d-%d" % r for r in ranges)
        return ("GET /mid.bin HTTP/1.1\r\nHost: soak\r\nRange: bytes=%s\r\n" % spec,
                expect_multi(ranges))
    return ("GET /missing/%d.html HTTP/1.1\r\nHost: soak\r\n" % rng.randrange(1 << 30),
            expect_status(404))


def expect_full(data):
    def check(status, headers, body):
        if status != 200 or body != data:
            raise Wrong("full: %d, %d bytes (want 200, %d)" % (status, len(body), len(data)))
    return check


def expect_range(a, b):
    def check(status, headers, body):
        cr = "bytes %d-%d/%d" % (a, b, len(MID))
        if status != 206 or headers.get("content-range") != cr or body != MID[a:b + 1]:
            raise Wrong("range %d-%d: %d %r, %d bytes" % (a, b, status,
                                                          headers.get("content-range"),
                                                          len(body)))
    return check


def expect_multi(ranges):
    def check(status, headers, body):
        m = re.match(r"multipart/byteranges; *boundary=(\S+)", headers.get("content-type", ""))
        if status != 206 or not m:
            raise Wrong("multi %r: %d %r" % (ranges, status, headers.get("content-type")))
        delim = b"\r\n--" + m.group(1).encode()
        parts = body.split(delim)
        if parts[0] != b"" or parts[-1] != b"--\r\n" or len(parts) != len(ranges) + 2:
            raise Wrong("multi %r: bad framing (%d parts)" % (ranges, len(parts)))
        for (a, b), part in zip(ranges, parts[1:-1]):
            head, sep, data = part.partition(b"\r\n\r\n")
            want = ("Content-Range: bytes %d-%d/%d" % (a, b, len(MID))).encode()
            if not sep or want not in head or data != MID[a:b + 1]:
                raise Wrong("multi %r: part %d-%d wrong (%r, %d bytes)" % (
                    ranges, a, b, head, len(data)))
    return check


def expect_status(want):
    def check(status, headers, body):
        if status != want:
            raise Wrong("want %d, got %d" % (want, status))
    return check


def op_keepalive(port, rng, stats):
    reqs = [pick_request(rng) for _ in range(rng.randint(2, 8))]
    stats["sent"] += len(reqs)
    c = Client(port)
    try:
        for text, check in reqs:
            c.sock.sendall((text + "\r\n").encode())
            check(*c.response())
            stats["ok"] += 1
    finally:
        c.close()


def op_close(port, rng, stats):
    text, check = pick_request(rng)
    stats["sent"] += 1
    c = Client(port)
    try:
        c.sock.sendall((text + "Connection: close\r\n\r\n").encode())
        status, headers, body = c.response()
        check(status, headers, body)
        if not c.eof():
            raise Wrong("Connection: close, but the server kept the connection")
        stats["ok"] += 1
    finally:
        c.close()


def op_pipeline(port, rng, stats):
    reqs = [pick_request(rng) for _ in range(rng.randint(3, 5))]
    stats["sent"] += len(reqs)
    c = Client(port)
    try:
        c.sock.sendall("".join(text + "\r\n" for text, _ in reqs).encode())
        for _, check in reqs:
            check(*c.response())
            stats["ok"] += 1
    finally:
        c.close()


def op_abort(port, rng, stats):
    stats["sent"] += 1
    c = Client(port)
    try:
        c.sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: soak\r\n\r\n")
        status, headers = c.head()
        if status != 200 or headers.get("content-length") != str(len(BIG)):
            raise Wrong("big: %d %r" % (status, headers))
        want = rng.randint(1, 16) * KIB
        while len(c.buf) < want:
            c.fill()
        if bytes(c.buf[:want]) != BIG[:want]:
            raise Wrong("big: first %d bytes differ" % want)
        if rng.random() < 0.5:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        stats["ok"] += 1
    finally:
        c.close()


OPS = ((op_keepalive, 0.40), (op_close, 0.20), (op_pipeline, 0.25), (op_abort, 0.15))


def client_share(args):
    """Send about n requests to port; return the counts and a few wrong answers."""
    port, seed, n = args
    rng = random.Random(seed)
    stats = {"ok": 0, "wrong": 0, "sent": 0}
    samples = []
    ops, weights = zip(*OPS)
    while stats["sent"] < n:
        op = rng.choices(ops, weights)[0]
        sent, ok = stats["sent"], stats["ok"]
        try:
            op(port, rng, stats)
        except (Wrong, OSError) as e:
            # the failed request and any after it on the connection: all wrong
            stats["wrong"] += max(1, (stats["sent"] - sent) - (stats["ok"] - ok))
            if len(samples) < 5:
                samples.append("%s: %s: %s" % (op.__name__, type(e).__name__, e))
        stats[op.__name__] = stats.get(op.__name__, 0) + 1
    return stats, samples


# ---- the test ----


class SoakTest(unittest.TestCase):
    def test_soak(self):
        asan = asan_build()
        s = Server(extra="MaxConnectionsPerChild 0\nMaxKeepAliveRequests 0\nLogLevel warn\n",
                   start_servers=2, threads=16, spare=(1, 256), files=FILES)
        pool = multiprocessing.get_context("fork").Pool(CLIENTS)
        try:
            with s:
                pids = sorted(s.children())
                self.assertEqual(len(pids), 2, pids)
                base_sockets = {p: socket_fds(p) for p in pids}

                def quiet():
                    # every client connection closed in every child
                    return all(socket_fds(p) <= base_sockets[p] for p in pids)

                seed = [0]

                def phase(n):
                    shares = [n // CLIENTS + (i < n % CLIENTS) for i in range(CLIENTS)]
                    jobs = []
                    for share in shares:
                        seed[0] += 1
                        jobs.append((s.port, seed[0], share))
                    totals = {}
                    samples = []
                    for st, sm in pool.map(client_share, jobs):
                        for k, v in st.items():
                            totals[k] = totals.get(k, 0) + v
                        samples += sm
                    wait_until(quiet, 30, what="children to close every client connection",
                               detail=lambda: {p: socket_fds(p) for p in pids})
                    return totals, samples

                t0 = time.monotonic()
                first, samples1 = phase(SETTLE)
                settled = {p: vm_rss_kib(p) for p in pids}
                t1 = time.monotonic()
                rest, samples2 = phase(TOTAL - SETTLE)
                end = {p: vm_rss_kib(p) for p in pids}
                elapsed = time.monotonic() - t0
                after = sorted(s.children())
                parent_rss = vm_rss_kib(s.pid)

                sent = first["sent"] + rest["sent"]
                wrong = first["wrong"] + rest["wrong"]
                ops = {k: first.get(k, 0) + rest.get(k, 0) for k in rest if k.startswith("op_")}
                print("\nsoak: %d requests (%d in the first phase), %d wrong, %.1f s "
                      "(%.0f req/s; first phase %.1f s), %d clients, %s build" % (
                          sent, first["sent"], wrong, elapsed, sent / elapsed, t1 - t0,
                          CLIENTS, "asan" if asan else "plain"), file=sys.stderr)
                print("soak: operations %s" % ops, file=sys.stderr)
                for p in pids:
                    print("soak: child %d VmRSS settled %d KiB, end %d KiB (%+.2f %%)" % (
                        p, settled[p], end[p], 100.0 * (end[p] - settled[p]) / settled[p]),
                        file=sys.stderr)
                print("soak: parent %d VmRSS %d KiB" % (s.pid, parent_rss), file=sys.stderr)
                for line in samples1 + samples2:
                    print("soak: wrong: " + line, file=sys.stderr)

                self.assertEqual(wrong, 0, samples1 + samples2)
                self.assertGreaterEqual(sent, TOTAL)
                self.assertEqual(after, pids, "children changed during the run")
                if asan:
                    print("soak: ASan build: RSS not checked (the quarantine of freed memory "
                          "grows by design); LeakSanitizer checks at exit", file=sys.stderr)
                else:
                    for p in pids:
                        limit = settled[p] * GROWTH + SLACK_KIB
                        self.assertLessEqual(
                            end[p], limit,
                            "child %d: VmRSS %d KiB after %d requests, %d KiB after the "
                            "first %d (limit %.0f KiB)" % (p, end[p], sent, settled[p],
                                                           first["sent"], limit))
        finally:
            pool.close()
            pool.join()


if __name__ == "__main__":
    evtest.main()
