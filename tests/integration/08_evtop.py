"""evtop against the real daemon: batch snapshots checked value by value, graceful
restarts, the daemon going away and coming back, errors, and the interactive screen
driven in tmux (skipped when tmux is missing).

Batch output is parsed as evtop(1) documents it: snapshots start with "evtop - ",
summary lines carry stable labels, the process table has a header row whose names key
each row. Every wait is bounded; every process started is stopped by its pid.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from evtest import Server, children_of, hammer, main, wait_until

EVTOP = os.environ.get("EVTOP", "evtop")
TMUX = shutil.which("tmux")
MB = 1024 * 1024


# ---- batch output ---------------------------------------------------------------

def parse_batch(out):
    """The snapshots of `evtop -b` output: a dict per snapshot with the summary lines
    ("title", "Requests", ...), the parsed numbers and the table rows as dicts."""
    snaps = []
    for chunk in re.split(r"^(?=evtop - )", out, flags=re.M):
        if not chunk.strip():
            continue
        lines = chunk.rstrip("\n").split("\n")
        snap = {"title": lines[0], "lines": lines, "procs": []}
        if "waiting for evhttpd" in lines[0]:
            snap["waiting"] = True
            snaps.append(snap)
            continue
        for line in lines[1:]:
            label, _, _ = line.partition(":")
            if label in ("Requests", "Latency", "Processes", "Connections"):
                snap[label] = line
        m = re.search(r"generation (\d+)  parent (\d+)", lines[0])
        snap["generation"], snap["parent"] = int(m.group(1)), int(m.group(2))
        snap["requests"] = int(re.match(r"Requests: (\d+) total", snap["Requests"]).group(1))
        m = re.match(r"Processes: (\d+), (\d+) stopping   Workers: (\d+) busy, (\d+) idle",
                     snap["Processes"])
        snap["nprocs"], snap["stopping"], snap["busy"], snap["idle"] = map(int, m.groups())
        head = lines.index(next(l for l in lines if l.startswith("SLOT")))
        names = lines[head].split()
        for row in lines[head + 1:]:
            cells = dict(zip(names, row.split()))
            for k in ("SLOT", "PID", "GEN", "THR", "BUSY", "IDLE", "CONNS", "KA", "REQS"):
                cells[k] = int(cells[k])
            snap["procs"].append(cells)
        snaps.append(snap)
    return snaps


def evtop(*args, timeout=30, env=None):
    return subprocess.run([EVTOP] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=env)


def batch(s, *args):
    r = evtop("-b", "-s", s.scoreboard, *args)
    if r.returncode != 0:
        raise AssertionError("evtop -b failed (%d): %s" % (r.returncode, r.stderr))
    return parse_batch(r.stdout)


def sb_requests(s):
    return sum(p["requests"] for p in s.sb_procs())


def sb_generation(s):
    return int(re.search(r"^header generation=(\d+)", s.sbdump(), re.M).group(1))


class StalledDownload:
    """A GET of a big file whose reader never reads: the child serving it cannot finish,
    so after a graceful restart it keeps draining until close()."""

    def __init__(self, port, path):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
        self.first = self.sock.recv(1024)

    def close(self):
        self.sock.close()


# ---- batch mode -----------------------------------------------------------------

class Batch(unittest.TestCase):
    def test_snapshot_values(self):
        n = 7
        with Server(start_servers=2, threads=4) as s:
            for _ in range(n):
                self.assertEqual(s.get("/").status, 200)
            wait_until(lambda: sb_requests(s) == n, 10, what="%d requests in the scoreboard" % n,
                       detail=s.sbdump)
            r = evtop("-b", "-n", "1", "-s", s.scoreboard, env=dict(os.environ, TERM="dumb"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("\x1b", r.stdout, "terminal control in batch output")
            (snap,) = parse_batch(r.stdout)
            self.assertIn("evhttpd/", snap["title"])
            self.assertEqual(snap["parent"], s.pid)
            self.assertEqual(snap["generation"], 1)
            self.assertEqual(snap["requests"], n)
            self.assertEqual(sorted(p["PID"] for p in snap["procs"]), sorted(s.children()))
            self.assertEqual(sum(p["REQS"] for p in snap["procs"]), n)
            for p in snap["procs"]:
                self.assertEqual(p["THR"], 4, p)
                self.assertEqual(p["BUSY"] + p["IDLE"], 4, p)
                self.assertEqual((p["GEN"], p["STATE"]), (1, "accepting"), p)
                # the first snapshot has no interval yet
                self.assertEqual((p["REQ/S"], p["B/S"]), ("-", "-"), p)
            self.assertEqual((snap["nprocs"], snap["stopping"]), (2, 0))
            self.assertEqual(snap["busy"] + snap["idle"], 8)
            self.assertIn("(since start)", snap["Latency"])
            self.assertNotIn("p50 -", snap["Latency"])

    def test_count_and_interval(self):
        with Server(start_servers=1, threads=4) as s:
            t0 = time.monotonic()
            r = evtop("-b", "-n", "2", "-d", "0.2", "-s", s.scoreboard)
            elapsed = time.monotonic() - t0
            self.assertEqual(r.returncode, 0, r.stderr)
            snaps = parse_batch(r.stdout)
            self.assertEqual(len(snaps), 2, r.stdout)
            self.assertGreaterEqual(elapsed, 0.2)
            # separated by exactly one blank line, like top -b
            self.assertIn("\n\nevtop - ", r.stdout)
            self.assertNotIn("\n\n\nevtop - ", r.stdout)
            self.assertFalse(r.stdout.endswith("\n\n"))
            self.assertIn("Requests: 0 total, -/s", snaps[0]["Requests"])
            self.assertIn("Requests: 0 total, 0/s", snaps[1]["Requests"])
            self.assertRegex(snaps[1]["Latency"], r"\(last 0\.2\ds\)$")

    def test_rates_under_load(self):
        with Server(start_servers=2, threads=8) as s:
            result = {}
            t = threading.Thread(target=lambda: result.update(hammer(s.port, 4, 2, 3)))
            t.start()
            try:
                wait_until(lambda: sb_requests(s) > 0, 10, what="load to start")
                snaps = batch(s, "-n", "2", "-d", "0.5")
            finally:
                t.join(60)
            self.assertGreater(result.get("ok", 0), 0, result)
            rate = float(re.match(r"Requests: \d+ total, ([0-9.]+)[kM]?/s",
                                  snaps[1]["Requests"]).group(1))
            self.assertGreater(rate, 0, snaps[1]["Requests"])
            self.assertRegex(snaps[1]["Latency"],
                             r"p50 [0-9.]+[um]?s, p99 [0-9.]+[um]?s \(last 0\.5\ds\)$")
            self.assertGreater(snaps[1]["requests"], snaps[0]["requests"])
            self.assertTrue(any(p["REQ/S"] not in ("-", "0") for p in snaps[1]["procs"]),
                            snaps[1]["procs"])
            # hammer counts answers; the server also counts requests cut off at the end
            wait_until(lambda: sb_requests(s) >= result["ok"], 10, what="every answer counted")
            self.assertEqual(batch(s, "-n", "1")[0]["requests"], sb_requests(s))

    def test_graceful_restart_shows_draining(self):
        big = b"x" * (16 * MB)
        with Server(start_servers=1, threads=4, files={"big": big}) as s:
            old = s.children()
            stall = StalledDownload(s.port, "/big")
            try:
                self.assertTrue(stall.first.startswith(b"HTTP/1.1 200"), stall.first)
                os.kill(s.pid, signal.SIGUSR1)  # graceful restart
                wait_until(lambda: sb_generation(s) == 2 and
                           any(p["gen"] == 2 and "_" in p["states"] for p in s.sb_procs()), 15,
                           what="generation 2 running", detail=s.sbdump)
                (snap,) = batch(s, "-n", "1")
                self.assertEqual(snap["generation"], 2)
                draining = [p for p in snap["procs"] if p["STATE"] == "draining"]
                self.assertEqual([p["PID"] for p in draining], old, snap["procs"])
                self.assertEqual(draining[0]["GEN"], 1)
                self.assertEqual(draining[0]["CONNS"], 1, draining)
                self.assertEqual(snap["stopping"], 1)
                new = [p for p in snap["procs"] if p["GEN"] == 2]
                self.assertTrue(new and all(p["STATE"] == "accepting" for p in new), new)
            finally:
                stall.close()
            wait_until(lambda: not set(old) & set(p["pid"] for p in s.sb_procs()), 30,
                       what="the old child to finish draining", detail=s.sbdump)
            (snap,) = batch(s, "-n", "1")
            self.assertEqual(snap["stopping"], 0, snap["procs"])
            self.assertEqual({p["GEN"] for p in snap["procs"]}, {2})

    def test_follows_the_daemon_through_stop_and_start(self):
        s = Server(start_servers=1, threads=4)
        s.start()
        out_path = os.path.join(s.dir, "evtop.out")
        out = open(out_path, "w")
        p = subprocess.Popen([EVTOP, "-b", "-d", "0.1", "-n", "600", "-s", s.scoreboard],
                             stdout=out, stderr=subprocess.STDOUT)

        def text():
            with open(out_path) as f:
                return f.read()
        try:
            first_parent = s.pid
            wait_until(lambda: "parent %d" % first_parent in text(), 10, what="a first snapshot",
                       detail=text)
            s.stop()
            wait_until(lambda: "waiting for evhttpd: %s: No such file or directory"
                       % s.scoreboard in text(), 10, what="evtop to wait", detail=text)
            s.start()
            wait_until(lambda: "parent %d" % s.pid in text().rpartition("waiting for")[2], 15,
                       what="evtop to attach to the new daemon", detail=text)
            self.assertNotEqual(s.pid, first_parent)
            self.assertIsNone(p.poll(), "evtop exited: " + text())
            snaps = parse_batch(text())
            after = [x for x in snaps if x.get("parent") == s.pid]
            self.assertEqual(sorted(x["PID"] for x in after[-1]["procs"]), sorted(s.children()))
            # no rate across two daemons: the first snapshot after waiting has none
            self.assertIn("-/s", after[0]["Requests"])
        finally:
            p.terminate()
            p.wait(10)
            out.close()
            s.stop()
            shutil.rmtree(s.dir, ignore_errors=True)

    def test_config_lookup(self):
        with Server(start_servers=1, threads=4) as s:
            r = evtop("-b", "-n", "1", "-f", s.conf)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([p["PID"] for p in parse_batch(r.stdout)[0]["procs"]],
                             s.children())
            broken = os.path.join(s.dir, "broken.conf")
            with open(broken, "w") as f:
                f.write("Listen 127.0.0.1:1\nNoSuchDirective on\n")
            r = evtop("-b", "-n", "1", "-f", broken)
            self.assertEqual(r.returncode, 1)
            self.assertTrue(r.stderr.startswith("evtop: %s:2: " % broken), r.stderr)


class Errors(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="evtop-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_missing_scoreboard(self):
        path = os.path.join(self.dir, "scoreboard")
        for args in (["-b", "-n", "1"], []):
            r = evtop(*args, "-s", path)
            self.assertEqual(r.returncode, 1, args)
            self.assertEqual(r.stderr, "evtop: %s: No such file or directory (is evhttpd "
                             "running?)\n" % path)
            self.assertEqual(r.stdout, "")

    def test_not_a_scoreboard(self):
        path = os.path.join(self.dir, "scoreboard")
        with open(path, "wb") as f:
            f.write(b"EHSB" + b"\0" * 4000)
        r = evtop("-b", "-n", "1", "-s", path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "evtop: %s: not an evhttpd scoreboard (or another "
                         "version)\n" % path)

    def test_usage(self):
        for args in (["-d", "0"], ["-d", "x"], ["-d", "inf"], ["-n", "0"], ["-n", "-3"],
                     ["-s", "a", "-f", "b"], ["--bogus"], ["extra"], ["-s"]):
            r = evtop(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertTrue(r.stderr.startswith("evtop: "), (args, r.stderr))
            self.assertIn("(see evtop --help)", r.stderr)
        r = evtop("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: evtop [-f CONFIG | -s SCOREBOARD]", r.stdout)

    def test_interactive_needs_a_terminal(self):
        with Server(start_servers=1, threads=4) as s:
            r = evtop("-s", s.scoreboard)
            self.assertEqual(r.returncode, 1)
            self.assertIn("must be a terminal", r.stderr)


# ---- interactive, in tmux -------------------------------------------------------

@unittest.skipIf(TMUX is None, "tmux is not installed (Debian: tmux)")
class Interactive(unittest.TestCase):
    """evtop on a real terminal: tmux gives it one and shows what it drew."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="evtop-tmux-")
        self.sock = os.path.join(self.dir, "tmux.sock")
        # a plain sh: it leaves terminal modes alone, so what evtop leaves is what stty sees
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "evt", "-x", "120", "-y", "40",
                  "env", "PS1=$ ", "sh")
        self.tmux("set-option", "-t", "evt", "status", "off")

    def tearDown(self):
        subprocess.run([TMUX, "-S", self.sock, "kill-server"], capture_output=True, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def tmux(self, *args):
        r = subprocess.run([TMUX, "-S", self.sock] + list(args), capture_output=True,
                           text=True, timeout=10)
        if r.returncode != 0:
            raise AssertionError("tmux %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "evt")

    def alternate(self):
        return self.tmux("display-message", "-p", "-t", "evt", "#{alternate_on}").strip()

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "evt", *keys)

    def type_line(self, text):
        self.tmux("send-keys", "-t", "evt", "-l", text)
        self.tmux("send-keys", "-t", "evt", "Enter")

    def see(self, pred, what, timeout=10):
        if isinstance(pred, str):
            text = pred
            pred = lambda scr: text in scr
        return wait_until(lambda: pred(self.screen()), timeout, what=what, detail=self.screen)

    def start_evtop(self, s, *args):
        self.type_line("%s -s %s %s; echo EVTOP-EXIT=$?" % (EVTOP, s.scoreboard, " ".join(args)))
        self.see("Sort: SLOT (ascending)", "evtop's first frame")
        self.assertEqual(self.alternate(), "1")

    def assert_restored(self, code):
        self.see("EVTOP-EXIT=%d" % code, "evtop to exit with %d" % code)
        self.assertEqual(self.alternate(), "0", "left on the alternate screen")
        self.assertNotIn("Sort:", self.screen(), "evtop's screen left behind")
        self.type_line("stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e icanon | tr '\\n' ' '; "
                       "echo STTY-DONE")
        self.see(lambda scr: re.search(r"(?m)^(icanon echo|echo icanon) STTY-DONE", scr),
                 "echo and icanon restored")

    def test_screen_keys_resize_quit(self):
        with Server(start_servers=2, threads=4) as s:
            for _ in range(3):
                s.get("/")
            self.start_evtop(s)
            scr = self.screen()
            self.assertIn("parent %d" % s.pid, scr)
            self.assertRegex(scr, r"(?m)^SLOT +PID +GEN STATE +THR BUSY IDLE")
            for pid in s.children():
                self.assertRegex(scr, r"(?m)^ +\d+ +%d +1 accepting +4 " % pid)
            lines = scr.split("\n")
            self.assertTrue(lines[39].startswith(" Sort: SLOT"), lines[39])
            # the worker-state grid is on by default: each child's four idle workers
            self.assertIn("_ idle  S starting  R reading  W writing  K keep-alive", scr)
            for pid in s.children():
                self.assertRegex(scr, r"(?m)^ +\d+ +%d  ____$" % pid)

            self.keys("h")
            self.see("Press any key to return.", "the help screen")
            self.keys("x")
            self.see(lambda scr: "Press any key" not in scr and "SLOT     PID" in scr,
                     "the table again")

            self.keys("s")
            self.see("Sort: PID (ascending)", "the sort indicator on PID")
            self.keys("r")
            self.see("Sort: PID (descending)", "the sort reversed")
            self.keys(">", ">", "<")
            self.see("Sort: GEN (descending)", "sorting by GEN")

            self.tmux("resize-window", "-t", "evt", "-x", "90", "-y", "25")
            self.see(lambda scr: scr.split("\n")[24].startswith(" Sort: GEN") and
                     len(scr.split("\n")[24].rstrip()) <= 90, "a redraw at 90x25")

            self.keys("1")
            self.see(lambda scr: re.search(r"(?m)^SLOT +THR +PID M +ACC +LAST +DUR CLIENT", scr)
                     and "GET / HTTP/1.1" in scr, "the per-worker view")
            self.keys("1", "g")
            self.see(lambda scr: "_ idle" not in scr and "SLOT     PID" in scr,
                     "the process table without the grid")
            self.keys("q")
            self.assert_restored(0)

    def test_colours_and_no_color(self):
        colour = re.compile(r"\x1b\[(?:[0-9;]*;)?[34][0-7]m")
        with Server(start_servers=1, threads=4) as s:
            for prefix, option, coloured in (("", "", True), ("", "--no-color", False),
                                             ("NO_COLOR=1 ", "", False)):
                self.type_line("%s%s -s %s %s; echo EVTOP-EXIT=$?"
                               % (prefix, EVTOP, s.scoreboard, option))
                self.see("Sort: SLOT (ascending)", "evtop's first frame")
                sgr = self.tmux("capture-pane", "-p", "-e", "-t", "evt")
                self.assertEqual(bool(colour.search(sgr)), coloured, (prefix, option, sgr[:300]))
                # the footer stands out either way: colours, or reverse video
                self.assertRegex(sgr, r"\x1b\[(30m\x1b\[46|7)m Sort:")
                self.keys("q")
                self.assert_restored(0)
                self.tmux("send-keys", "-t", "evt", "-l", "clear")
                self.tmux("send-keys", "-t", "evt", "Enter")
                self.see(lambda scr: "EVTOP-EXIT" not in scr, "a cleared screen")

    def test_sigterm_restores_the_terminal(self):
        with Server(start_servers=1, threads=4) as s:
            shell = int(self.tmux("display-message", "-p", "-t", "evt", "#{pane_pid}"))
            self.start_evtop(s)
            (pid,) = wait_until(lambda: children_of(shell), 5, what="evtop's pid")
            os.kill(pid, signal.SIGTERM)
            self.assert_restored(128 + signal.SIGTERM)

    def test_waits_for_the_daemon(self):
        s = Server(start_servers=1, threads=4)
        s.start()
        try:
            self.start_evtop(s, "-d", "0.2")
            s.stop()
            self.see("waiting for evhttpd: %s: No such file or directory" % s.scoreboard,
                     "the waiting screen")
            s.start()
            self.see("parent %d" % s.pid, "the new daemon")
            self.keys("q")
            self.assert_restored(0)
        finally:
            s.stop()
            shutil.rmtree(s.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
