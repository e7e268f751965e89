"""A scoreboard full of garbage: the daemon, evctl, evtop and the status page survive it.

The scoreboard is a file every process of the server maps shared; children write
their own records, and nothing that reads it may trust it. Here random bytes are
written over the whole file again and again, as a child gone wrong could, while:
requests are served; the parent replaces a killed child within 2 s and performs a
graceful restart (its own table, not the scoreboard, says whom to signal); `evctl
status --json` answers with figures clamped to the configuration; `evtop -b` runs
to the end; the status page answers in its three formats with clamped figures; and
the server stops cleanly (exit status 0, no sanitizer report).
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, wait_until  # noqa: E402

EVCTL = os.environ.get("EVCTL", "evctl")
EVTOP = os.environ.get("EVTOP", "evtop")
CHILDREN, THREADS = 2, 4


# The scoreboard's identity (magic, layout version, record sizes and limits): with it
# intact, readers attach and must clamp whatever else they find; without it they must
# refuse the file with a message.
IDENTITY = 32


class Scribbler:
    """Overwrites the scoreboard with random bytes, after its first `keep` bytes, until
    stopped."""

    def __init__(self, path, keep=IDENTITY):
        self.path = path
        self.keep = keep
        self.stop_flag = threading.Event()
        self.rounds = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        size = os.path.getsize(self.path)
        with open(self.path, "r+b", buffering=0) as f:
            while not self.stop_flag.is_set():
                keep = self.keep
                f.seek(keep)
                f.write(os.urandom(size - keep))
                self.rounds += 1
                # pacing, not synchronization: a few hundred rewrites a second
                self.stop_flag.wait(0.003)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(10)


class ScoreboardGarbage(unittest.TestCase):
    def test_everything_survives_a_scribbled_scoreboard(self):
        s = Server(start_servers=CHILDREN, threads=THREADS,
                   extra="ServerLimit 4\nStatusLocation /server-status\n")
        with s:
            sock = os.path.join(s.run, "ctl.sock")
            with Scribbler(s.scoreboard) as scribbler:
                wait_until(lambda: scribbler.rounds >= 10, 10, what="the scoreboard scribbled")
                for _ in range(20):
                    self.assertEqual(s.get("/").status, 200)

                # evctl: answers, with figures no larger than the configuration allows
                r = subprocess.run([EVCTL, "-s", sock, "--json", "status"], capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                d = json.loads(r.stdout)
                self.assertLessEqual(len(d["processes"]), 4)
                for p in d["processes"]:
                    self.assertLessEqual(p["workers_busy"] + p["workers_idle"], THREADS, p)
                    self.assertGreaterEqual(min(p["workers_busy"], p["workers_idle"],
                                                p["connections"]), 0, p)
                self.assertLessEqual(d["workers"]["busy"] + d["workers"]["idle"], 4 * THREADS)

                # evtop's batch mode reads the garbage several times and ends normally
                r = subprocess.run([EVTOP, "-b", "-n", "5", "-d", "0.05", "-s", s.scoreboard],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)

                # the status page, in its three forms
                auto = s.get("/server-status?auto")
                self.assertEqual(auto.status, 200)
                text = auto.body.decode()
                busy = int(re.search(r"^BusyWorkers: (\d+)$", text, re.M).group(1))
                idle = int(re.search(r"^IdleWorkers: (\d+)$", text, re.M).group(1))
                self.assertLessEqual(busy + idle, 4 * THREADS, text)
                self.assertEqual(s.get("/server-status").status, 200)
                self.assertEqual(s.get("/server-status?format=prometheus").status, 200)

                # with the identity gone too, evtop refuses the file and says why
                scribbler.keep = 0
                n = scribbler.rounds
                wait_until(lambda: scribbler.rounds >= n + 2, 10, what="the identity scribbled")
                r = subprocess.run([EVTOP, "-b", "-n", "1", "-s", s.scoreboard],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("not an evhttpd scoreboard", r.stderr)
                self.assertEqual(s.get("/server-status?auto").status, 200)
                self.assertEqual(s.get("/").status, 200)

                # a killed child is replaced from the parent's own table, within 2 s
                before = set(s.children())
                victim = sorted(before)[0]
                os.kill(victim, signal.SIGKILL)
                t0 = time.monotonic()
                wait_until(lambda: len(set(s.children()) - before) >= 1
                           and victim not in s.children(), 10, what="a replacement child")
                self.assertLess(time.monotonic() - t0, 2.0)

                # a graceful restart signals the right processes and completes
                r = subprocess.run([EVCTL, "-s", sock, "graceful", "--wait"], capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                old = before - {victim}
                wait_until(lambda: not (set(s.children()) & old), 15, what="old children gone")
                wait_until(lambda: len(s.children()) == CHILDREN, 15, what="new children")
                for _ in range(10):
                    self.assertEqual(s.get("/").status, 200)
                self.assertIsNone(s.proc.poll(), "the parent died")
            self.assertEqual(s.stop(), 0, s.stderr_text())


if __name__ == "__main__":
    evtest.main()
