"""Connections parked in the listener: keep-alive, write completion, the accept limit."""
import os
import resource
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, wait_until  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class IdleConnections(unittest.TestCase):
    N = 1000

    def test_idle_keepalive_connections_hold_no_worker(self):
        if raise_nofile(self.N + 100) < self.N + 100:
            self.skipTest("cannot open %d descriptors" % self.N)
        s = Server(threads=10, extra="AsyncRequestWorkerFactor 200", keepalive_timeout="60")
        with s:
            child = s.children()[0]
            threads_before = evtest.threads_of(child)
            warm = [s.conn() for _ in range(20)]
            for c in warm:
                self.assertEqual(c.request("GET", "/").status, 200)
            for c in warm:
                c.close()
            rss_before = rss_kib(child)
            conns = []
            for i in range(self.N):
                c = s.conn()
                self.assertEqual(c.request("GET", "/").status, 200)
                conns.append(c)
            wait_until(lambda: sum(p["keepalive"] for p in s.sb_procs()) == self.N, 10,
                       what="%d keep-alive connections in the scoreboard" % self.N,
                       detail=lambda: s.sbdump() + s.error_log_text()[-3000:])
            procs = s.sb_procs()
            self.assertEqual(procs[0]["states"], "_" * 10, "a worker is held by an idle connection")
            self.assertEqual(procs[0]["connections"], self.N)
            self.assertEqual(evtest.threads_of(child), threads_before, "threads were added")
            rss_after = rss_kib(child)
            per_conn = (rss_after - rss_before) * 1024.0 / self.N
            sys.stderr.write("RSS %d KiB -> %d KiB: %.0f bytes per idle keep-alive connection\n"
                             % (rss_before, rss_after, per_conn))
            self.assertLess(per_conn, 2048, "idle connections keep too much memory")
            t0 = time.monotonic()
            self.assertEqual(s.get("/").status, 200)
            self.assertLess(time.monotonic() - t0, 1.0)
            # every parked connection still works
            for c in conns[::50]:
                self.assertEqual(c.request("GET", "/").status, 200)
            for c in conns:
                c.close()
            wait_until(lambda: s.sb_procs()[0]["connections"] == 0, 10,
                       what="the server to see every connection closed")


class KeepAliveRules(unittest.TestCase):
    def test_keepalive_timeout_closes_idle_connection(self):
        with Server(keepalive_timeout="700ms") as s:
            c = s.conn()
            self.assertEqual(c.request("GET", "/").status, 200)
            t0 = time.monotonic()
            self.assertTrue(c.closed_by_peer(timeout=5))
            elapsed = time.monotonic() - t0
            self.assertGreater(elapsed, 0.5)
            self.assertLess(elapsed, 2.0)

    def test_max_keepalive_requests(self):
        with Server(extra="MaxKeepAliveRequests 3") as s:
            c = s.conn()
            self.assertIsNone(c.request("GET", "/").header("Connection"))
            self.assertIsNone(c.request("GET", "/").header("Connection"))
            self.assertEqual(c.request("GET", "/").header("Connection"), "close")
            self.assertTrue(c.closed_by_peer())

    def test_keepalive_off(self):
        with Server(extra="KeepAlive Off") as s:
            c = s.conn()
            self.assertEqual(c.request("GET", "/").header("Connection"), "close")
            self.assertTrue(c.closed_by_peer())

    def test_accept_limit_sheds_oldest_keepalive(self):
        # limit = ThreadsPerChild + factor x idle workers = 2 + 1 x 2 = 4
        with Server(threads=2, extra="AsyncRequestWorkerFactor 1", keepalive_timeout="60") as s:
            old = []
            for i in range(4):
                c = s.conn()
                self.assertEqual(c.request("GET", "/").status, 200)
                old.append(c)
                # the limit counts idle workers: let this one finish parking first
                wait_until(lambda: s.sb_procs()[0]["keepalive"] == i + 1
                           and s.sb_procs()[0]["states"] == "__", 5,
                           what="%d parked, workers idle" % (i + 1), detail=s.sbdump)
            # a new client must still be served: the oldest idle connection makes room
            self.assertEqual(s.get("/").status, 200)
            self.assertTrue(old[0].closed_by_peer(timeout=5), "the oldest was not shed")
            self.assertEqual(old[3].request("GET", "/").status, 200)


class WriteCompletion(unittest.TestCase):
    def test_slow_reader_holds_no_worker(self):
        s = Server(threads=1, extra="Timeout 30")
        size = 64 * 1024 * 1024
        with open(s.path("big.bin"), "wb") as f:
            f.truncate(size)
        os.chmod(s.path("big.bin"), 0o644)
        with s:
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", s.port))
            slow.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_until(lambda: s.sb_procs()[0]["writing"] == 1, 10,
                       what="the response to park in write completion")
            self.assertEqual(s.sb_procs()[0]["states"], "_")
            # the only worker is free: another client is served at once
            t0 = time.monotonic()
            r = s.get("/")
            self.assertEqual(r.status, 200)
            self.assertLess(time.monotonic() - t0, 2.0)
            # the slow reader resumes and receives every byte
            slow.settimeout(30)
            got = 0
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += slow.recv(65536)
            head, rest = buf.split(b"\r\n\r\n", 1)
            self.assertIn(b"Content-Length: %d" % size, head)
            got = len(rest)
            while got < size:
                d = slow.recv(1 << 20)
                if not d:
                    break
                got += len(d)
            self.assertEqual(got, size)
            slow.close()


if __name__ == "__main__":
    evtest.main()
