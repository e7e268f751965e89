"""Faults against the real daemon: children killed or stopped, descriptors and disk
running out, clients that misbehave, files that change under a download.

Each test's docstring says what "survived" means for it. Every wait is a polled
condition with a deadline; the few fixed pauses are windows in which time itself is
what is measured (CPU used, log lines written, a child's age), and say so.

Needs: EVCTL (evctl status --json) for the scoreboard as the parent reports it,
SBDUMP for the raw scoreboard, HAMMER for the load; root for the tmpfs of the
disk-full case (skipped otherwise).
"""
import json
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import (Server, alive, fd_count, fd_targets, kill_quietly, log_detail,  # noqa: E402
                    proc_stat, raise_nofile, read_text, running, wait_until)

EVCTL = os.environ.get("EVCTL", "")
HAVE_EVCTL = bool(EVCTL) and os.access(EVCTL, os.X_OK)
MB = 1024 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")

# ---- looking at processes from outside ----


def proc_state(pid):
    st = proc_stat(pid)
    return st[0] if st else None


def cpu_seconds(pid):
    st = proc_stat(pid)
    return (int(st[11]) + int(st[12])) / CLK_TCK


def age_seconds(pid):
    """How long ago the process started (starttime is field 22, in clock ticks)."""
    st = proc_stat(pid)
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    return up - int(st[19]) / CLK_TCK


def limit_nofile(pid, n):
    """Set the descriptor limit (soft and hard) of a running process to n. Lowering
    another process's limit takes its credentials or CAP_SYS_RESOURCE, which a root
    in a container may lack: then as the child's own uid and gid (setpriv)."""
    try:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, n))
        return True
    except PermissionError:
        if not evtest.IS_ROOT or not shutil.which("setpriv"):
            return False
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid"):
                ids[k] = v.split()[0]
    r = subprocess.run(["setpriv", "--reuid=" + ids["Uid"], "--regid=" + ids["Gid"],
                        "--clear-groups", sys.executable, "-c",
                        "import resource, sys; resource.prlimit(%d, resource.RLIMIT_NOFILE, "
                        "(%d, %d))" % (pid, n, n)], cwd="/", capture_output=True, text=True,
                       timeout=30)
    return r.returncode == 0


# ---- the daemon's own view ----


def status(s):
    """evctl status --json: the parent's table joined with the scoreboard."""
    r = subprocess.run([EVCTL, "-s", os.path.join(s.run, "ctl.sock"), "--json", "status"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("evctl status failed (%d): %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def status_pids(s):
    return sorted(p["pid"] for p in status(s)["processes"])


def sb_pids(s):
    return sorted(p["pid"] for p in s.sb_procs())


def evctl(s, *args, timeout=30):
    return subprocess.run([EVCTL, "-s", os.path.join(s.run, "ctl.sock")] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def log_count(s, msg_id):
    return s.error_log_text().count(msg_id)


def sparse(s, name, size):
    with open(s.path(name), "wb") as f:
        f.truncate(size)
    os.chmod(s.path(name), 0o644)
    return s.path(name)


def pattern(size, seed):
    """size bytes that differ from any other seed's at every 8-byte word."""
    word = struct.pack("<Q", seed * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)
    block = bytes(b ^ (i & 0xFF) for i, b in enumerate(word * 8192))  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


class Download(threading.Thread):
    """GET path on a connection with a small receive buffer, reading `rate` bytes a
    second (0: not at all until go_fast is set). Keeps what it received when `keep`."""

    def __init__(self, port, path, rate, keep=False, rcvbuf=16384):
        super().__init__(daemon=True)
        self.port, self.path, self.rate, self.keep, self.rcvbuf = port, path, rate, keep, rcvbuf
        self.status = self.length = None
        self.got = 0
        self.body = bytearray()
        self.error = None
        self.eof = False  # the server closed (FIN, or RST: then reset is set too)
        self.reset = False
        self.go_fast = threading.Event()
        self.stop = threading.Event()

    def run(self):
        try:
            self._download()
        except Exception as e:  # reported through .error
            self.error = repr(e)

    def _download(self):
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        c.settimeout(20)
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
            self._take(body)
            t0 = time.monotonic()
            base = self.got
            while not self.stop.is_set():
                if not self.go_fast.is_set():
                    allowed = base + int(self.rate * (time.monotonic() - t0)) - self.got
                    if allowed <= 0:
                        self.go_fast.wait(0.02)
                        continue
                else:
                    allowed = 1 << 20
                try:
                    d = c.recv(min(allowed, 1 << 20))
                except ConnectionResetError:
                    self.eof = self.reset = True
                    break
                if not d:
                    self.eof = True
                    break
                self._take(d)
        finally:
            c.close()

    def _take(self, d):
        self.got += len(d)
        if self.keep:
            self.body += d

    def __repr__(self):
        return "<Download %s status=%s got=%d of %s eof=%s reset=%s error=%s>" % (
            self.path, self.status, self.got, self.length, self.eof, self.reset, self.error)


# ---- the tests ----


@unittest.skipUnless(HAVE_EVCTL, "needs EVCTL")
class KilledChildren(unittest.TestCase):
    def test_sigkill_under_load(self):
        """Survived: the parent lives; every killed child is replaced within 2 s and
        disappears from status and scoreboard; the load sees no wrong answer and no
        unanswered request (only connections cut); afterwards every answer is right.

        The parent backs off when children die young (under 10 s, evhttpd(8)): no delay
        after the first such death, 2 s after the second in a row. A death of an older
        child resets the count. So the ten kills alternate: a child running for more
        than 10 s, then its young replacement (the first young death: no delay), five
        times over; none may trigger the back-off (EVH00406)."""
        body = pattern(3000, 1)  # small: served from the worker's file cache
        # MaxRequestWorkers 40: 5 children at most, so only replacements are spawned.
        # AsyncRequestWorkerFactor 100: the churning clients leave connections in
        # lingering close, which count against a child's limit (8 + factor x idle
        # workers); at the default factor of 2 a busy moment could reach it, and the
        # child would close an idle keep-alive connection to make room (listener.c, by
        # design), which the checker cannot tell from a kill's cut.
        s = Server(start_servers=5, threads=8, spare=(1, 64),
                   extra="MaxRequestWorkers 40\nKeepAliveTimeout 30\n"
                         "AsyncRequestWorkerFactor 100\n",
                   files={"check.bin": body})
        with running(s):
            first = sorted(s.children())
            self.assertEqual(len(first), 5)
            load = {}
            seconds = 17  # 11 s until the children are old enough, the kills, slack
            # fewer connections (4 + 2 + the checker's) than a child has workers: no
            # child sheds keep-alive connections for want of an idle worker
            # (listener.c, by design), so every cut the checker sees is a kill's
            hammer = threading.Thread(target=lambda: load.update(
                evtest.hammer(s.port, 4, 2, seconds)), daemon=True)
            hammer.start()
            load_end = time.monotonic() + seconds
            checker = Checker(s.port, "/check.bin", body)
            checker.start()
            try:
                # measured: the children must be older than the parent's YOUNG_CHILD
                wait_until(lambda: all(age_seconds(p) > 10.5 for p in first), 15,
                           what="the first children to be 10 s old")
                times, kills = [], []
                for old in first:
                    young = self._kill_and_replace(s, old, times, kills)
                    wait_until(lambda: young in sb_pids(s), 5,
                               what="replacement %d in the scoreboard" % young,
                               detail=s.sbdump)
                    self._kill_and_replace(s, young, times, kills)
                self.assertGreater(load_end - time.monotonic(), 0.5,
                                   "the load ended before the last kill: raise `seconds`")
                hammer.join(seconds + 60)
            finally:
                checker.stop.set()
                checker.join(10)
            sys.stderr.write("10 SIGKILLs under load: replacement after %s ms (max %.0f); "
                             "hammer %r; checker %r\n"
                             % ([round(t * 1000) for t in times], max(times) * 1000, load,
                                checker.counts))
            self.assertIsNone(s.proc.poll(), "the parent died")
            self.assertLess(max(times), 2.0, times)
            self.assertEqual(log_count(s, "EVH00406"), 0,
                             "the parent backed off: " + s.error_log_text()[-2000:])
            self.assertEqual(s.error_log_text().count("killed by signal 9"), 10)
            self.assertEqual((load["bad"], load["timeouts"]), (0, 0), load)
            self.assertGreater(load["ok"], 1000, load)
            self.assertEqual(checker.counts["wrong"], [], checker.counts)
            self.assertGreater(checker.counts["ok"], 100, checker.counts)
            self.assertIsNone(checker.error, checker.error)
            # a kill cuts the checker's one connection at most once, at once
            self.assertLessEqual(len(checker.cuts), len(kills), checker.cuts)
            late = [round(t - max([k for k in kills if k <= t] or [0]), 3)
                    for t in checker.cuts]
            self.assertTrue(all(d < 1.0 for d in late),
                            "connections cut that no kill explains (s after the last "
                            "kill): %r" % late)
            # settled: the parent's table, the scoreboard and /proc agree
            wait_until(lambda: status_pids(s) == sorted(s.children()) == sb_pids(s), 5,
                       what="status, scoreboard and /proc to agree",
                       detail=lambda: (status_pids(s), sb_pids(s), s.children()))
            for _ in range(20):
                r = s.get("/check.bin")
                self.assertEqual((r.status, r.body), (200, body))

    def _kill_and_replace(self, s, victim, times, kills):
        before = set(s.children())
        self.assertIn(victim, before)
        t0 = time.monotonic()
        kills.append(t0)
        os.kill(victim, signal.SIGKILL)
        new = wait_until(lambda: set(s.children()) - before - {victim}, 5,
                         what="a replacement for child %d" % victim, detail=log_detail(s),
                         interval=0.005)
        times.append(time.monotonic() - t0)
        self.assertFalse(alive(victim))
        # the slot is cleaned: only live pids in the parent's status and the scoreboard
        wait_until(lambda: victim not in status_pids(s) and victim not in sb_pids(s), 2,
                   what="child %d gone from status and scoreboard" % victim,
                   detail=lambda: (status(s), s.sbdump()))
        for p in status_pids(s) + sb_pids(s):
            self.assertTrue(alive(p), "pid %d in status is not alive" % p)
        return min(new)


class Checker(threading.Thread):
    """Keep-alive GETs of one path, each answer compared with `body`. A connection the
    server cuts (EOF or reset, the fate of connections on a killed child) is counted
    and reopened, as is one closed after "Connection: close" (MaxKeepAliveRequests),
    uncounted; anything else (other status, other bytes, no answer in 3 s, a refused
    connection) is wrong."""

    def __init__(self, port, path, body):
        super().__init__(daemon=True)
        self.port, self.path, self.body = port, path, body
        self.counts = {"ok": 0, "cut": 0, "wrong": []}
        self.cuts = []  # time.monotonic() of each cut
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                try:
                    c = evtest.Conn(self.port, timeout=3)
                except OSError as e:  # the listening socket is the parent's: never
                    self.counts["wrong"].append("connect: %r" % e)
                    return
                try:
                    while not self.stop.is_set():
                        r = c.request("GET", self.path)
                        if (r.status, r.body) != (200, self.body):
                            self.counts["wrong"].append((r.status, len(r.body)))
                        else:
                            self.counts["ok"] += 1
                        if (r.header("Connection") or "").lower() == "close":
                            break  # MaxKeepAliveRequests: an announced close
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    self.counts["cut"] += 1
                    self.cuts.append(time.monotonic())
                except socket.timeout:
                    self.counts["wrong"].append("no answer in 3 s")
                finally:
                    c.close()
        except Exception as e:
            self.error = repr(e)


@unittest.skipUnless(HAVE_EVCTL, "needs EVCTL")
class StoppedChild(unittest.TestCase):
    def _restart_beside_stopped_child(self, s):
        """SIGSTOP the only child, restart gracefully; (old pid, new pids, when the
        restart was asked, seconds until the new generation answered)."""
        old = s.children()[0]
        os.kill(old, signal.SIGSTOP)
        self.addCleanup(kill_quietly, old)
        wait_until(lambda: proc_state(old) == "T", 5, what="child %d stopped" % old)
        t0 = time.monotonic()
        r = evctl(s, "graceful")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        new = wait_until(lambda: set(s.children()) - {old}, 5, what="a new child",
                         detail=log_detail(s))
        wait_until(lambda: s.get("/").status == 200, 5, what="the new generation serving")
        return old, sorted(new), t0, time.monotonic() - t0

    def test_new_generation_serves_beside_a_stopped_child(self):
        """Survived: with the only child SIGSTOPped, a graceful restart is accepted and
        its new generation answers within 5 s; the parent stays responsive."""
        s = Server(start_servers=1, threads=4, extra="GracefulRestartTimeout 2\n")
        with running(s):
            old, new, _, served = self._restart_beside_stopped_child(s)
            sys.stderr.write("stopped child: the new generation answered %.0f ms after the "
                             "restart\n" % (served * 1000))
            for _ in range(10):
                self.assertEqual(s.get("/").status, 200)
            snap = status(s)
            self.assertEqual(snap["generation"], 2)
            self.assertIn(new[0], [p["pid"] for p in snap["processes"]])
            kill_quietly(old)  # spare the stop its 3 s wait for this child

    def test_stopped_child_is_killed_after_graceful_restart_timeout(self):
        """Survived: GracefulRestartTimeout (2 s) after a graceful restart, the parent
        tells the old generation's SIGSTOPped child to stop (SIGTERM, which it cannot act
        on) and 3 s later kills it (SIGKILL): it disappears, a SIGCONT finds nothing, and
        only the new generation is left in status."""
        s = Server(start_servers=1, threads=4, extra="GracefulRestartTimeout 2\n")
        self.addCleanup(shutil.rmtree, s.dir, True)  # the harness keeps the dir of a failed test
        with running(s):
            old, new, t0, _ = self._restart_beside_stopped_child(s)
            try:
                # 2 s, up to 1 s until the parent's next check, 3 s for SIGTERM to act,
                # up to 1 s until the check after that, and slack
                gone = wait_until(lambda: proc_stat(old) is None and time.monotonic(), 12,
                                  what="the stopped child %d to be gone" % old,
                                  detail=lambda: "state %s\n%s" % (
                                      proc_state(old), s.error_log_text()[-2000:]))
            finally:
                kill_quietly(old)  # spare the stop its 3 s wait for a child that cannot act
            took = gone - t0
            sys.stderr.write("stopped child gone %.2f s after the restart\n" % took)
            self.assertGreaterEqual(took, 4.9, "killed before GracefulRestartTimeout + 3 s")
            self.assertLess(took, 8.5)
            with self.assertRaises(ProcessLookupError):
                os.kill(old, signal.SIGCONT)
            snap = status(s)
            self.assertEqual(snap["generation"], 2)
            self.assertEqual(sorted(p["pid"] for p in snap["processes"]), new)
            self.assertFalse(snap["restarting"], snap)
            self.assertEqual(s.get("/").status, 200)


class DescriptorExhaustion(unittest.TestCase):
    def test_emfile_backs_off_and_recovers(self):
        """Survived: a child limited to 64 descriptors and offered 200 connections logs
        its accept failures at most about once a second, uses under 30 % of a CPU while
        exhausted, keeps its pid, and serves a fresh request within 2 s of the extra
        connections closing.

        The daemon raises its own soft limit to the hard one at start, so the limit is
        set on the running child with prlimit(2), soft and hard (its fork-time queue
        sizing is unaffected: it has a floor of 1024 entries anyway)."""
        n = 200
        if raise_nofile(n + 100) < n + 100:
            self.skipTest("cannot open %d descriptors" % n)
        # a high factor: the accept limit (4 + factor x idle) must not bind before EMFILE
        s = Server(start_servers=1, threads=4, extra="AsyncRequestWorkerFactor 100\n")
        with running(s):
            child = s.children()[0]
            if not limit_nofile(child, 64):
                self.skipTest("cannot lower the child's RLIMIT_NOFILE")
            self.assertEqual(s.get("/").status, 200)
            logged0 = log_count(s, "EVH00202")
            conns = []
            try:
                for _ in range(n):
                    conns.append(socket.create_connection(("127.0.0.1", s.port), timeout=10))
                t_first = wait_until(lambda: log_count(s, "EVH00202") > logged0
                                     and time.monotonic(), 5,
                                     what="an accept error in the error log",
                                     detail=log_detail(s))
                cpu0 = cpu_seconds(child)
                w0 = time.monotonic()
                time.sleep(3.0)  # the measured window: CPU and log lines over 3 s
                window = time.monotonic() - w0
                cpu = (cpu_seconds(child) - cpu0) / window
                held = fd_count(child)
            finally:
                for c in conns:
                    c.close()
            t0 = time.monotonic()
            r = wait_until(lambda: self._fresh(s), 2, what="a fresh request to succeed",
                           detail=log_detail(s))
            recovered = time.monotonic() - t0
            # the episode: from the first accept error to the recovery
            episode = time.monotonic() - t_first
            lines = log_count(s, "EVH00202") - logged0
            sys.stderr.write("EMFILE: %d descriptors held, %d accept-error lines in %.1f s, "
                             "child CPU %.1f %%, fresh request %.0f ms after the close\n"
                             % (held, lines, episode, cpu * 100, recovered * 1000))
            self.assertEqual(r.status, 200)
            self.assertGreaterEqual(held, 60, "the child never ran out of descriptors")
            self.assertLessEqual(lines, episode + 2, "accept errors logged more than once a "
                                 "second:\n" + s.error_log_text()[-2000:])
            self.assertLess(cpu, 0.30, "the exhausted child spun: %.0f %% CPU" % (cpu * 100))
            self.assertEqual(s.children(), [child])
            self.assertNotIn("killed by signal", s.error_log_text())

    @staticmethod
    def _fresh(s):
        try:
            c = s.conn(timeout=0.5)
            try:
                return c.request("GET", "/")
            finally:
                c.close()
        except (OSError, EOFError):
            return None


# one line of the common format, as evtest's requests make it
CLF_LINE = re.compile(r'127\.0\.0\.1 - - \[[^]]+\] "GET \S+ HTTP/1\.1" 200 \d+')


@unittest.skipUnless(evtest.IS_ROOT, "needs root to mount a tmpfs")
class AccessLogDiskFull(unittest.TestCase):
    def setUp(self):
        """A 256 KiB tmpfs for the CustomLog, unmounted at the end (the server, stopped
        first, holds the file open until then)."""
        self.mnt = tempfile.mkdtemp(prefix="evtest-tmpfs-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755",
                            "tmpfs", self.mnt], capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a tmpfs: " + r.stderr.strip())
        self.addCleanup(os.rmdir, self.mnt)
        self.addCleanup(lambda: subprocess.run(["umount", self.mnt]).returncode == 0 or
                        subprocess.run(["umount", "-l", self.mnt]))
        self.log = os.path.join(self.mnt, "access_log")
        self.filler = os.path.join(self.mnt, "filler")

    def fill(self):
        """Take every free page of the tmpfs; what is left is the slack of the last
        page of the log (tmpfs allocates whole pages)."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for _ in range(1000):  # 256 KiB in pages, and then some
                os.write(fd, b"\0" * 4096)
            self.fail("the tmpfs never filled up")
        except OSError as e:
            self.assertEqual(e.errno, 28)  # ENOSPC
        finally:
            os.close(fd)

    def test_full_disk_under_customlog(self):
        """Survived: while the CustomLog's file system is full every request is still
        answered, the failure is in the error log a handful of times (at most about one
        line a second), and once space returns new lines reach the log by themselves."""
        log, filler = self.log, self.filler
        s = Server(start_servers=1, threads=4, extra="CustomLog %s common\n" % log)
        with running(s):
            c = KeepAlive(s)
            self.addCleanup(c.close)
            self.assertEqual(c.get("/?before").status, 200)
            wait_until(lambda: "/?before" in read_text(log), 5, what="a first line")
            self.fill()
            size_full = os.path.getsize(log)
            failed0 = log_count(s, "EVH00601")
            t0 = time.monotonic()
            n = 0
            while time.monotonic() - t0 < 2.5:  # 2.5 s of requests: the rate is measured
                r = c.get("/?full-%d" % n)
                self.assertEqual(r.status, 200)
                n += 1
            spent = time.monotonic() - t0
            lines = log_count(s, "EVH00601") - failed0
            # what still fit: at most the rest of the log's last page
            grown = os.path.getsize(log) - size_full
            full_text = read_text(log)
            os.unlink(filler)
            t1 = time.monotonic()
            k = 0

            def logged_again():
                nonlocal k
                k += 1
                self.assertEqual(c.get("/?after-%d" % k).status, 200)
                return "/?after-" in read_text(log)
            wait_until(logged_again, 3, what="new lines in the access log",
                       detail=lambda: read_text(log)[-500:])
            resumed = time.monotonic() - t1
            c.close()
            sys.stderr.write("CustomLog on a full tmpfs: %d requests in %.1f s all answered, "
                             "%d error lines, logging resumed %.0f ms after space returned\n"
                             % (n, spent, lines, resumed * 1000))
            self.assertGreater(n, 50)
            self.assertNotIn("/?full-%d " % (n - 1), full_text)
            self.assertLessEqual(grown, 4096)
            self.assertGreaterEqual(lines, 1, "the failure was not logged")
            self.assertLessEqual(lines, spent + 2, "logged more than once a second")
            # the other CustomLog was not disturbed
            wait_until(lambda: "/?full-%d " % (n - 1) in read_text(s.access_log), 5,
                       what="every request in the other access log")

    # BUG (see the report): al_write_all() (daemon/accesslog.c) leaves the part of a
    # line that a short write got out in the file; the first line written once space
    # returns is glued to it ('"GET /?full-000053127.0.0.1 - - [...] "GET /?after'),
    # and the error log names the short write "(20022)The given path is incomplete"
    # (APR_EINCOMPLETE).
    def test_no_torn_line_after_disk_full(self):
        """Survived: a CustomLog that ran out of space and got it back holds whole lines,
        except at most the one line the full disk cut short, which stands on its own line:
        no fragment is glued to the next line.

        Made deterministic: the requests are sized so that the slack left in the log's
        last page is not a multiple of their line length, so one line is always cut."""
        log = self.log
        s = Server(start_servers=1, threads=4, extra="CustomLog %s common\n" % log)
        self.addCleanup(shutil.rmtree, s.dir, True)  # the harness keeps the dir of a failed test
        with running(s):
            c = KeepAlive(s)
            self.addCleanup(c.close)
            for i in range(2):  # a log that ends on a page boundary leaves no slack
                self.assertEqual(c.get("/?before-%d" % i).status, 200)
                wait_until(lambda: "/?before-%d " % i in read_text(log), 5, what="a line")
                if os.path.getsize(log) % 4096:
                    break
            first = read_text(log).splitlines()[0]
            self.assertRegex(first, CLF_LINE)
            slack = -os.path.getsize(log) % 4096
            target = "/?full-%06d"
            base = len(first) + 1 - len("/?before-0") + len(target % 0)
            pad = 0 if slack % base else 1
            length = base + pad
            self.fill()
            for i in range(slack // length + 5):
                self.assertEqual(c.get(target % i + "x" * pad).status, 200)
            os.unlink(self.filler)
            self.assertEqual(c.get("/?after").status, 200)
            wait_until(lambda: "/?after " in read_text(log), 5, what="the line after")
            lines = read_text(log).splitlines()
            bad = [line for line in lines if not CLF_LINE.fullmatch(line)]
            self.assertLessEqual(len(bad), 1, "lines torn by the full file system: %r" % bad)
            for line in bad:
                # the cut line: a prefix of a line of this run, never two lines in one
                self.assertEqual(line.count("127.0.0.1 - - ["), 1, line)
                self.assertTrue(line.startswith("127.0.0.1 - - ["), line)
            self.assertRegex(lines[-1], CLF_LINE)


class KeepAlive:
    """Requests on one connection, reopened after "Connection: close"
    (MaxKeepAliveRequests)."""

    def __init__(self, s):
        self.s, self.c = s, None

    def get(self, path):
        if self.c is None:
            self.c = self.s.conn()
        r = self.c.request("GET", path)
        if (r.header("Connection") or "").lower() == "close":
            self.close()
        return r

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


@unittest.skipUnless(HAVE_EVCTL, "needs EVCTL")
class MisbehavingClients(unittest.TestCase):
    def test_reset_halfclose_slow_reader(self):
        """Survived: resets mid-response and half-closed requests are answered or
        dropped without harm; a slow reader sits in write completion holding no worker;
        the child's descriptors return to their baseline once every client is gone."""
        threads = 4
        page = pattern(300 * 1024, 2)
        s = Server(start_servers=1, threads=threads, files={"page.bin": page})
        sparse(s, "huge.bin", 200 * MB)
        with running(s):
            child = s.children()[0]
            self.assertEqual(s.get("/page.bin").body, page)
            wait_until(lambda: s.sb_procs()[0]["connections"] == 0, 5, what="no connection")
            base = fd_count(child)
            base_targets = fd_targets(child)

            # resets mid-response: read a little, then close with SO_LINGER 0 (RST)
            for path in ("/huge.bin", "/page.bin") * 3:
                c = socket.socket()
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
                c.settimeout(10)
                c.connect(("127.0.0.1", s.port))
                c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
                self.assertTrue(c.recv(4096).startswith(b"HTTP/1.1 200"))
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()

            # half-close after the request: the whole response, then the server's close
            for path, want in (("/page.bin", page), ("/index.html", None)):
                c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
                c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
                c.shutdown(socket.SHUT_WR)
                data = b""
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    data += d
                c.close()
                head, _, body = data.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
                if want is not None:
                    self.assertEqual(body, want)

            # a slow reader of 200 MB: in write completion, every worker idle
            slow = Download(s.port, "/huge.bin", rate=256 * 1024)
            slow.start()
            wait_until(lambda: slow.got > 64 * 1024 or slow.error, 10, what="the download")
            samples = []
            deadline = time.monotonic() + 10
            while len(samples) < 20 and time.monotonic() < deadline:
                p = status(s)["processes"][0]
                samples.append((p["writing"], p["workers_busy"], p["workers_idle"]))
            sb = s.sb_procs()[0]
            parked = sum(1 for w, b, i in samples if (w, b, i) == (1, 0, threads))
            sys.stderr.write("slow reader: %d of %d status samples (writing, busy, idle) = "
                             "(1, 0, %d): %r; scoreboard states %s\n"
                             % (parked, len(samples), threads, samples, sb["states"]))
            self.assertIsNone(slow.error, slow)
            self.assertEqual(slow.length, 200 * MB)
            self.assertLess(slow.got, 100 * MB, "not a slow reader: %r" % slow)
            # a worker may be caught in the moment it writes what the reader made room
            # for; the connection must otherwise be parked, never held by a worker
            self.assertGreaterEqual(parked, len(samples) - 2, samples)
            self.assertTrue(all(w + b >= 1 for w, b, _ in samples), samples)
            slow.stop.set()
            slow.join(10)

            wait_until(lambda: fd_count(child) == base, 5,
                       what="the child's descriptors back to %d" % base,
                       detail=lambda: (fd_targets(child), base_targets, s.sbdump()))
            self.assertEqual(s.children(), [child])
            self.assertEqual(s.get("/page.bin").body, page)


class ChangingFiles(unittest.TestCase):
    def test_truncated_while_served(self):
        """Survived: a 64 MiB file truncated to 4 KiB during a slow download ends that
        download short (the connection is closed, fewer bytes than Content-Length);
        no child dies, other requests keep being answered."""
        s = Server(start_servers=1, threads=4)
        big = sparse(s, "big.bin", 64 * MB)
        with running(s):
            kids = sorted(s.children())
            d = Download(s.port, "/big.bin", rate=512 * 1024)
            d.start()
            wait_until(lambda: d.got >= 256 * 1024 or d.error, 10, what="the download",
                       detail=lambda: d)
            os.truncate(big, 4096)
            self.assertEqual(s.get("/").status, 200)
            d.go_fast.set()
            d.join(20)
            self.assertFalse(d.is_alive(), d)
            sys.stderr.write("truncated during download: %r\n" % d)
            self.assertIsNone(d.error, d)
            self.assertEqual((d.status, d.length), (200, 64 * MB))
            self.assertTrue(d.eof, d)
            self.assertLess(d.got, 64 * MB, d)
            self.assertEqual(sorted(s.children()), kids)
            self.assertNotIn("killed by signal", s.error_log_text())
            r = s.get("/big.bin")
            self.assertEqual((r.status, len(r.body)), (200, 4096))
            self.assertEqual(s.get("/").status, 200)

    def test_replaced_while_served(self):
        """Survived: a file renamed over during a download is sent whole in its old
        content (the open descriptor stays valid); new requests get the new file,
        a large one at once and a small cached one within the cache's 1 s validation."""
        old_big, new_big = pattern(8 * MB, 3), pattern(6 * MB, 4)
        old_small, new_small = pattern(2000, 5), pattern(1500, 6)
        s = Server(start_servers=1, threads=4,
                   files={"big.bin": old_big, "small.bin": old_small})
        with running(s):
            self.assertEqual(s.get("/small.bin").body, old_small)  # now cached
            d = Download(s.port, "/big.bin", rate=2 * MB, keep=True)
            d.start()
            wait_until(lambda: d.got >= 256 * 1024 or d.error, 10, what="the download",
                       detail=lambda: d)
            for name, data in (("big.bin", new_big), ("small.bin", new_small)):
                tmp = s.write(name + ".new", data)
                os.rename(tmp, s.path(name))
            t0 = time.monotonic()
            r = s.get("/big.bin")
            self.assertEqual((r.status, r.body), (200, new_big))
            wait_until(lambda: s.get("/small.bin").body == new_small, 2.5,
                       what="the new small file")
            small_after = time.monotonic() - t0
            self.assertTrue(d.is_alive(), "the download should still run: %r" % d)
            d.go_fast.set()
            d.join(20)
            sys.stderr.write("renamed during download: %r; new small file served after "
                             "%.0f ms\n" % (d, small_after * 1000))
            self.assertIsNone(d.error, d)
            self.assertEqual((d.status, d.length, d.got), (200, len(old_big), len(old_big)))
            self.assertTrue(bytes(d.body) == old_big, "the download mixed old and new bytes")


if __name__ == "__main__":
    evtest.main()
