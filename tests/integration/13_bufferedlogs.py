"""BufferedLogs against the real daemon: every request logged exactly once, in whole
lines, whatever path its line takes to the file.

With BufferedLogs On a worker keeps its lines and writes them when its buffer fills,
when the oldest is a second old, and before it sleeps; so an idle server holds
nothing back, a loaded one writes at least once a second, a reopened log receives
the lines written after the reopen, and a child that stops writes what it holds.
With BufferedLogs Off (the default) a line is written before the connection moves
on, so a client can read it as soon as the next thing it waits for happens.

Waiting for lines is polling with a deadline: when a line is written is exactly what
the buffering changes.
"""
import collections
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, wait_until  # noqa: E402

EVCTL = os.environ.get("EVCTL", "")
HAVE_EVCTL = bool(EVCTL) and os.access(EVCTL, os.X_OK)

BUFFERED = "BufferedLogs On\n"
BODY = b"a small file\n"
# The "common" format evtest's CustomLog uses; r= names the request.
LINE = re.compile(r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                  r'"GET /a\.txt(?:\?r=(\S+))? HTTP/1\.1" (\d{3}) (\d+|-)$')
LOAD_SECONDS = 3  # hammer's run; the log must grow during it
FLUSH_WITHIN = 10.0  # deadline for lines of an idle server (they come at once)


def log_lines(path):
    """The lines of the file at path (none if it does not exist); a partial last
    line fails the test (lines are written whole)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    if data and not data.endswith(b"\n"):
        raise AssertionError("%s ends inside a line: %r" % (path, data[-200:]))
    return data.decode("latin-1").splitlines()


def parse(tc, lines, where):
    """The r= ids of lines (None for a line without one); each must be well-formed."""
    ids = []
    for line in lines:
        m = LINE.match(line)
        tc.assertTrue(m, "%s: malformed line %r" % (where, line))
        tc.assertEqual(m.group(2), "200", "%s: %r" % (where, line))
        tc.assertEqual(m.group(3), str(len(BODY)), "%s: %r" % (where, line))
        ids.append(m.group(1))
    return ids


def assert_once_each(tc, ids, want, where):
    counts = collections.Counter(ids)
    dup = sorted(i for i, n in counts.items() if n > 1)
    missing = sorted(set(want) - set(counts))
    extra = sorted(set(counts) - set(want))
    tc.assertEqual((dup[:5], missing[:5], extra[:5]), ([], [], []),
                   "%s: duplicated, missing, unexpected ids (first 5 of %d, %d, %d)"
                   % (where, len(dup), len(missing), len(extra)))


def clients(s, tag, nthreads=4, conns=4, per_conn=8, singles=8):
    """Requests from nthreads client threads at once: each makes `conns` keep-alive
    connections of `per_conn` requests, then `singles` requests on a new connection
    each. Returns the ids requested, once every answer was checked."""
    errors = []
    ids = [[] for _ in range(nthreads)]

    def client(t):
        try:
            for k in range(conns):
                c = s.conn()
                try:
                    for i in range(per_conn):
                        rid = "%s-%d-k%d-%d" % (tag, t, k, i)
                        r = c.request("GET", "/a.txt?r=" + rid)
                        if (r.status, r.body) != (200, BODY):
                            raise AssertionError("%s: %r" % (rid, r))
                        ids[t].append(rid)
                finally:
                    c.close()
            for i in range(singles):
                rid = "%s-%d-n%d" % (tag, t, i)
                r = s.get("/a.txt?r=" + rid)
                if (r.status, r.body) != (200, BODY):
                    raise AssertionError("%s: %r" % (rid, r))
                ids[t].append(rid)
        except Exception as e:  # reported by the test thread
            errors.append(e)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(nthreads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
        if th.is_alive():
            raise AssertionError("a client thread is still running after 120 s")
    if errors:
        raise errors[0]
    return [i for t in ids for i in t]


class Hammer:
    """tests/tools/hammer in the background, GET /a.txt for LOAD_SECONDS."""

    def __init__(self, s, keepalive=6, churn=2, seconds=LOAD_SECONDS):
        self.proc = subprocess.Popen([evtest.HAMMER, str(s.port), str(keepalive), str(churn),
                                      str(seconds), "/a.txt"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started = time.monotonic()
        self.seconds = seconds

    def running(self):
        return self.proc.poll() is None

    def result(self):
        out, err = self.proc.communicate(timeout=self.seconds + 60)
        if self.proc.returncode != 0:
            raise AssertionError("hammer failed: " + err)
        return {k: int(v) for k, v in (kv.split("=") for kv in out.split())}

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)


def fd_targets(pid):
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            pass
    return out


class BufferedTest(unittest.TestCase):
    """Each test its own daemon: two children of four workers, BufferedLogs On, and
    no room for a third child, so that every line comes from the two watched here."""

    EXTRA = BUFFERED + "MaxRequestWorkers 8\n"

    def setUp(self):
        self.s = Server(extra=self.EXTRA, start_servers=2, threads=4, files={"a.txt": BODY})
        self.s.start()
        self.addCleanup(self.stop)

    def stop(self):
        kids = self.s.children() if self.s.proc.poll() is None else []
        try:
            self.s.stop()
        finally:
            for p in kids:  # should the parent hang, its children must not outlive it
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def wait_lines(self, path, n, what):
        """Poll until the file at path holds n lines (and check it stays there)."""
        wait_until(lambda: len(log_lines(path)) >= n, FLUSH_WITHIN, what=what,
                   detail=lambda: "%d lines" % len(log_lines(path)))
        lines = log_lines(path)
        self.assertEqual(len(lines), n, "%s: more lines than requests" % what)
        return lines

    def hammer(self, **kw):
        h = Hammer(self.s, **kw)
        self.addCleanup(h.kill)
        return h

    def reopen(self):
        """evctl reopen-logs (SIGUSR2 without evctl); returns once every child holds
        the new file."""
        s = self.s
        rotated = s.access_log + ".1"
        children = s.children()
        if HAVE_EVCTL:
            r = subprocess.run([EVCTL, "-s", os.path.join(s.run, "ctl.sock"), "reopen-logs"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        else:
            os.kill(s.pid, signal.SIGUSR2)
        self.assertEqual(sorted(s.children()), sorted(children), "children came or went")
        wait_until(lambda: all(s.access_log in fd_targets(p) and rotated not in fd_targets(p)
                               for p in children), 10,
                   what="every child to hold the new access log",
                   detail=lambda: {p: fd_targets(p) for p in children})

    def graceful_stop(self):
        """evctl graceful-stop --wait (SIGWINCH without evctl); returns once the
        daemon exited."""
        s = self.s
        if HAVE_EVCTL:
            r = subprocess.run([EVCTL, "-s", os.path.join(s.run, "ctl.sock"), "graceful-stop",
                                "--wait"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        else:
            os.kill(s.pid, signal.SIGWINCH)
        self.assertEqual(s.proc.wait(30), 0, s.stderr_text())

    # -- the checks ---------------------------------------------------------------

    def test_idle_server_writes_every_line(self):
        """Keep-alive and new connections from several clients; once the answers are
        in and the workers idle, the log holds each request once. An idle server
        writes nothing else, so only the flush before sleeping can have put them
        there."""
        want = clients(self.s, "idle")
        self.assertEqual(len(want), 4 * (4 * 8 + 8))
        lines = self.wait_lines(self.s.access_log, len(want), "every line of an idle server")
        assert_once_each(self, parse(self, lines, "access_log"), want, "access_log")
        # and again: the buffers were emptied, nothing is written twice
        more = clients(self.s, "again", nthreads=2, conns=1, per_conn=5, singles=3)
        lines = self.wait_lines(self.s.access_log, len(want) + len(more), "the second round")
        assert_once_each(self, parse(self, lines, "access_log"), want + more, "access_log")

    def test_lines_appear_during_load(self):
        """Under load for LOAD_SECONDS the file grows while the load runs (a buffer
        waits at most a second), and afterwards holds one line per answer."""
        h = self.hammer()
        sizes = []
        while h.running():
            sizes.append(os.path.getsize(self.s.access_log))
            time.sleep(0.05)  # sampling pace, not synchronization
        growth = [b for a, b in zip(sizes, sizes[1:]) if b > a]
        counts = h.result()
        self.assertEqual(counts["timeouts"], 0, counts)
        self.assertGreater(counts["ok"], 100, counts)
        self.assertGreaterEqual(len(growth), LOAD_SECONDS,
                                "the log grew only %d times during %d s of load (sizes %s)"
                                % (len(growth), LOAD_SECONDS, sizes[::10]))
        lines = self.wait_lines(self.s.access_log, counts["ok"] + counts["bad"],
                                "one line per answer")
        parse(self, lines, "access_log")

    def test_reopen_quiet(self):
        """A rename and a reopen between two rounds of requests: the first round's
        lines stay in the renamed file, the second's all land in the new one."""
        s = self.s
        first = clients(s, "old", nthreads=3, conns=2, per_conn=5, singles=4)
        self.wait_lines(s.access_log, len(first), "the first round")
        os.rename(s.access_log, s.access_log + ".1")
        self.reopen()
        second = clients(s, "new", nthreads=3, conns=2, per_conn=5, singles=4)
        lines = self.wait_lines(s.access_log, len(second), "the second round in the new log")
        assert_once_each(self, parse(self, lines, "access_log"), second, "access_log")
        old = log_lines(s.access_log + ".1")
        assert_once_each(self, parse(self, old, "access_log.1"), first, "access_log.1")

    def test_reopen_under_load(self):
        """A rename and a reopen while buffers are full of lines: each line lands
        whole in the old file or the new one, none lost, none twice, and the load
        after the reopen reaches the new file."""
        s = self.s
        h = self.hammer()
        wait_until(lambda: os.path.getsize(s.access_log) > 0, FLUSH_WITHIN,
                   what="first lines under load")
        os.rename(s.access_log, s.access_log + ".1")
        self.reopen()
        self.assertTrue(h.running(), "the load ended before the reopen")
        counts = h.result()
        self.assertEqual(counts["timeouts"], 0, counts)
        total = counts["ok"] + counts["bad"]
        wait_until(lambda: len(log_lines(s.access_log)) + len(log_lines(s.access_log + ".1"))
                   >= total, FLUSH_WITHIN, what="every line in one file or the other")
        new, old = log_lines(s.access_log), log_lines(s.access_log + ".1")
        self.assertEqual(len(new) + len(old), total, "lines (new + old) against answers")
        self.assertGreater(len(new), 0)
        self.assertGreater(len(old), 0)
        parse(self, new, "access_log")
        parse(self, old, "access_log.1")

    def stop_under_load(self, stop):
        """Stop the daemon with stop() halfway through a load; afterwards the log
        holds one line per answer."""
        s = self.s
        h = self.hammer()
        wait_until(lambda: os.path.getsize(s.access_log) > 0, FLUSH_WITHIN,
                   what="first lines under load")
        stop()
        self.assertTrue(h.running(), "the load ended before the stop")
        counts = h.result()
        self.assertEqual(counts["timeouts"], 0, counts)
        total = counts["ok"] + counts["bad"]
        lines = log_lines(s.access_log)  # the daemon is gone: nothing more will come
        self.assertEqual(len(lines), total, "lines against answers (%r)" % counts)
        parse(self, lines, "access_log")

    def test_graceful_stop_under_load(self):
        self.stop_under_load(self.graceful_stop)

    def test_sigterm_under_load(self):
        """SIGTERM: children close their idle connections at once, workers finish the
        request in hand and leave; what they buffered is written on the way out."""
        def sigterm():
            self.s.proc.send_signal(signal.SIGTERM)
            self.assertEqual(self.s.proc.wait(30), 0, self.s.stderr_text())
        self.stop_under_load(sigterm)

    def test_graceful_stop_after_requests(self):
        """Requests, then at once a graceful stop: every line is there when the
        daemon has exited (no polling: it writes nothing after)."""
        want = clients(self.s, "stop", nthreads=4, conns=2, per_conn=10, singles=5)
        self.graceful_stop()
        lines = log_lines(self.s.access_log)
        assert_once_each(self, parse(self, lines, "access_log"), want, "access_log")


class ListenerCloseTest(unittest.TestCase):
    """A response cut short by Timeout is logged when the listener closes it."""

    def cut_by_timeout(self, extra):
        s = Server(extra=extra + "Timeout 1\n", files={"big.bin": b"x" * (64 << 20)})
        s.start()
        try:
            c = s.conn()
            self.addCleanup(c.close)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.send(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(c.sock.recv(100))
            # then read no more: the server's writes block, Timeout closes the connection
            wait_until(lambda: any("/big.bin" in line for line in log_lines(s.access_log)),
                       10, what="the line of the download cut short by Timeout")
            line = [x for x in log_lines(s.access_log) if "/big.bin" in x][0]
            sent = int(line.rsplit(" ", 1)[1])
            self.assertTrue(0 < sent < 64 << 20, line)
        finally:
            s.stop()  # in the sanitizer build, a leaked buffer fails here

    def test_unbuffered(self):
        self.cut_by_timeout("")

    def test_buffered(self):
        """With BufferedLogs On too: the child's listener thread, which logs a response
        cut short by Timeout or a stop (listener_close), writes its line at once (it has
        no buffer that a before-sleep hook would flush)."""
        self.cut_by_timeout(BUFFERED)


class ReopenTest(unittest.TestCase):
    """A child started after a reopen writes where the others do."""

    def test_child_started_after_reopen(self):
        """parent_reopen_logs reopens the parent's own CustomLog descriptors too, which
        every child inherits at fork: a child started afterwards (here: to replace one
        killed) logs to the new access_log, not to the rotated access_log.1."""
        s = Server(extra=BUFFERED, files={"a.txt": BODY})
        s.start()
        try:
            os.rename(s.access_log, s.access_log + ".1")
            os.kill(s.pid, signal.SIGUSR2)
            old = s.children()[0]
            wait_until(lambda: s.access_log in fd_targets(old)
                       and s.access_log + ".1" not in fd_targets(old), 10,
                       what="the child to hold the new access log")
            os.kill(old, signal.SIGKILL)
            wait_until(lambda: [p for p in s.children() if p != old], 10,
                       what="a new child")
            r = s.get("/a.txt?r=after")
            self.assertEqual((r.status, r.body), (200, BODY))
            wait_until(lambda: log_lines(s.access_log) or log_lines(s.access_log + ".1"), 10,
                       what="the line")
            self.assertEqual(parse(self, log_lines(s.access_log), "access_log"), ["after"])
            self.assertEqual(log_lines(s.access_log + ".1"), [])
        finally:
            s.stop()


class UnbufferedTest(unittest.TestCase):
    """BufferedLogs Off (the default): a line is in the file before the server moves
    on from its request, so no polling is needed to read it."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(start_servers=1, threads=4, files={"a.txt": BODY})
        cls.s.start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def ids(self):
        return parse(self, log_lines(self.s.access_log), "access_log")

    def test_line_written_before_the_close(self):
        """Connection: close: the line is written before the server closes, so it is
        there once the client sees the end of the stream."""
        for i in range(20):
            rid = "close-%d" % i
            c = self.s.conn()
            try:
                r = c.request("GET", "/a.txt?r=" + rid, {"Connection": "close"})
                self.assertEqual((r.status, r.body), (200, BODY))
                self.assertTrue(c.closed_by_peer(10))
            finally:
                c.close()
            self.assertEqual(self.ids().count(rid), 1, rid)

    def test_line_written_before_the_next_request(self):
        """Keep-alive: once the answer to request k is in, the line of request k - 1
        is in the file (it was written before the connection went back for k)."""
        c = self.s.conn()
        try:
            prev = None
            for i in range(30):
                rid = "ka-%d" % i
                r = c.request("GET", "/a.txt?r=" + rid)
                self.assertEqual((r.status, r.body), (200, BODY))
                if prev is not None:
                    self.assertEqual(self.ids().count(prev), 1, prev)
                prev = rid
        finally:
            c.close()


if __name__ == "__main__":
    evtest.main()
