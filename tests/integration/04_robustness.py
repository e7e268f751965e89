"""Regressions found by review: shedding under churn, half-closed writers, slow heads,
pipelined heads behind long downloads, children that retire while busy."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, wait_until  # noqa: E402


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sparse(server, name, size):
    with open(server.path(name), "wb") as f:
        f.truncate(size)
    os.chmod(server.path(name), 0o644)


class Robustness(unittest.TestCase):
    def test_shedding_under_churn_loses_no_child(self):
        # a small accept limit (2 + 1 x idle) so keep-alive connections are shed constantly
        s = Server(threads=2, extra="AsyncRequestWorkerFactor 1", keepalive_timeout="30")
        with s:
            kids = s.children()
            counts = evtest.hammer(s.port, 16, 8, 4)
            # spare maintenance may add children under this load; none may die
            self.assertFalse(set(kids) - set(s.children()),
                             "a child died: " + s.error_log_text()[-2000:])
            self.assertNotIn("killed by signal", s.error_log_text())
            self.assertEqual(counts["bad"], 0, counts)
            self.assertGreater(counts["ok"], 100, counts)
            self.assertEqual(s.get("/").status, 200)

    def test_half_closed_client_does_not_spin(self):
        s = Server(threads=2)
        sparse(s, "big.bin", 64 << 20)
        with s:
            child = s.children()[0]
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.connect(("127.0.0.1", s.port))
            c.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            c.shutdown(socket.SHUT_WR)
            wait_until(lambda: s.sb_procs()[0]["writing"] == 1, 10, what="write completion")
            before = cpu_seconds(child)
            time.sleep(1.5)  # the measurement window, not synchronization
            used = cpu_seconds(child) - before
            self.assertLess(used, 0.3, "child burned %.2f CPU-s on one parked download" % used)
            c.close()

    def test_slow_head_costs_linear_time(self):
        s = Server(threads=2, extra="LimitRequestHeaderSize 1000000")
        with s:
            child = s.children()[0]
            head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
                b"X-Filler-%d: %s\r\n" % (i, b"v" * 8000) for i in range(90)) + b"\r\n"
            c = s.conn(timeout=30)
            before = cpu_seconds(child)
            for i in range(0, len(head), 200):
                c.send(head[i:i + 200])
            r = c.read_response()
            used = cpu_seconds(child) - before
            self.assertEqual(r.status, 200)
            self.assertLess(used, 0.5, "%d-byte head in 200-byte pieces cost %.2f CPU-s"
                            % (len(head), used))

    def test_pipelined_head_behind_long_download(self):
        # The server can run ahead of this reader by its socket buffers (a few MiB, well
        # under a second here); the download itself takes longer than header=2.
        s = Server(threads=2, extra="RequestReadTimeout header=2")
        sparse(s, "big.bin", 32 << 20)
        with s:
            c = s.conn(timeout=20)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            c.send(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET / HTT")
            head = c.read_response(head_only=True)
            self.assertEqual(head.status, 200)
            left = int(head.header("Content-Length")) - len(c.buf)
            c.buf = b""
            t0 = time.monotonic()
            while left > 0:  # read slowly: the download outlasts RequestReadTimeout
                d = c.sock.recv(min(left, 65536))
                self.assertTrue(d)
                left -= len(d)
                time.sleep(0.01)
            self.assertGreater(time.monotonic() - t0, 2.5)
            c.send(b"P/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)

    def test_retiring_child_is_replaced_while_it_drains(self):
        s = Server(threads=2, spare=(2, 4), extra="MaxConnectionsPerChild 3")
        sparse(s, "big.bin", 64 << 20)
        with s:
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", s.port))
            slow.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            for i in range(8):
                t0 = time.monotonic()
                self.assertEqual(s.get("/").status, 200)
                self.assertLess(time.monotonic() - t0, 5.0, "request %d waited" % i)
            slow.close()

    def test_trickling_heads_hold_no_worker(self):
        n = 1000
        soft, hard = __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)
        if hard < n + 100:
            self.skipTest("cannot open %d descriptors" % n)
        __import__("resource").setrlimit(__import__("resource").RLIMIT_NOFILE, (hard, hard))
        s = Server(threads=10, extra="AsyncRequestWorkerFactor 200")
        with s:
            conns = []
            for i in range(n):
                c = socket.create_connection(("127.0.0.1", s.port))
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                conns.append(c)
            wait_until(lambda: s.sb_procs()[0]["connections"] == n, 10,
                       what="%d connections" % n, detail=s.sbdump)
            busiest, times = 0, []
            for rnd in range(10):  # one more header byte from every client per round
                for c in conns:
                    c.sendall(b"a")
                busiest = max(busiest, max(p["states"].count("R") + p["states"].count("W")
                                           for p in s.sb_procs()))
                t0 = time.monotonic()
                self.assertEqual(s.get("/").status, 200)
                times.append(time.monotonic() - t0)
            times.sort()
            sys.stderr.write("%d trickling clients: fresh request median %.1f ms, max %.1f ms, "
                             "most busy workers seen %d\n"
                             % (n, times[len(times) // 2] * 1000, times[-1] * 1000, busiest))
            self.assertLess(times[len(times) // 2], 0.050)
            # (the fresh requests' own connections may take a moment to be closed)
            wait_until(lambda: s.sb_procs()[0]["connections"] == n, 5,
                       what="exactly the %d trickling clients, none dropped" % n,
                       detail=s.sbdump)
            # with every head still incomplete, no worker may be held by one
            wait_until(lambda: s.sb_procs()[0]["states"] == "_" * 10, 2,
                       what="every worker idle", detail=s.sbdump)
            for c in conns:
                c.close()

    def test_no_open_redirect(self):
        s = Server(files={"dir/index.html": b"x"})
        with s:
            for target in ("//evil.example/%2e%2e/dir", "/./dir", "//dir"):
                r = s.get(target)
                self.assertEqual(r.status, 301, target)
                self.assertEqual(r.header("Location"), "/dir/", target)
            r = s.get("/dir?a=%2F//x")
            self.assertEqual(r.header("Location"), "/dir/?a=%2F//x")


if __name__ == "__main__":
    evtest.main()
