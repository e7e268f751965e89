"""Start-up, configuration test mode, process and thread layout, stop."""
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import EVHTTPD, Server, wait_until  # noqa: E402


class ConfigTest(unittest.TestCase):
    def test_version(self):
        r = subprocess.run([EVHTTPD, "-v"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^evhttpd/\d+\.\d+\.\d+\n$")

    def test_syntax_ok(self):
        s = Server()
        r = subprocess.run([EVHTTPD, "-t", "-f", s.conf], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Syntax OK", r.stderr)

    def test_syntax_error_names_file_and_line(self):
        s = Server(extra="ThreadsPerChild lots")
        r = subprocess.run([EVHTTPD, "-t", "-f", s.conf], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        lineno = open(s.conf).read().splitlines().index("ThreadsPerChild lots") + 1
        self.assertIn("%s:%d:" % (s.conf, lineno), r.stderr)
        self.assertNotIn("Syntax OK", r.stderr)

    def test_unknown_directive_refuses_start(self):
        s = Server(extra="NoSuchDirective on")
        r = subprocess.run([EVHTTPD, "-F", "-f", s.conf], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("NoSuchDirective", r.stderr)

    def test_minus_c_overrides_file(self):
        s = Server()
        r = subprocess.run([EVHTTPD, "-t", "-f", s.conf, "-c", "Bogus 1"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("-c:1:", r.stderr)

    def test_bind_conflict_is_reported(self):
        with Server() as a:
            b = Server(extra="Listen 127.0.0.1:%d" % a.port)
            # b's own Listen is free; the extra one collides with a's
            r = subprocess.run([EVHTTPD, "-F", "-f", b.conf], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(r.returncode, 1)
            self.assertIn("Address already in use", r.stderr)

    @unittest.skipUnless(evtest.IS_ROOT, "needs root to switch users")
    def test_missing_user_refuses_start(self):
        s = Server(extra="User no-such-user-evtest")
        r = subprocess.run([EVHTTPD, "-F", "-f", s.conf], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("User no-such-user-evtest does not exist", r.stderr)


class ProcessTest(unittest.TestCase):
    def test_processes_threads_and_stop(self):
        s = Server(start_servers=3, threads=5)
        with s:
            kids = wait_until(lambda: len(s.children()) == 3 and s.children(), 10,
                              what="3 children")
            for pid in kids:
                # ThreadsPerChild workers + the listener + the main thread
                self.assertEqual(evtest.threads_of(pid), 5 + 2)
                if evtest.IS_ROOT:
                    with open("/proc/%d/status" % pid) as f:
                        uid_line = [l for l in f if l.startswith("Uid:")][0]
                    self.assertEqual(int(uid_line.split()[1]), 65534, "child must not serve as root")
            self.assertEqual(evtest.threads_of(s.pid), 1)
            with open(s.pidfile) as f:
                self.assertEqual(int(f.read()), s.pid)
            procs = s.sb_procs()
            self.assertEqual(sorted(p["pid"] for p in procs), sorted(kids))
            for p in procs:
                self.assertEqual(p["states"], "_" * 5)
            self.assertEqual(s.get("/").status, 200)
            rc = s.stop()
            self.assertEqual(rc, 0)
            self.assertFalse(os.path.exists(s.pidfile), "PidFile must be removed")
            for pid in kids:
                self.assertFalse(os.path.exists("/proc/%d" % pid) and
                                 open("/proc/%d/stat" % pid).read().split()[2] != "Z",
                                 "child %d still running" % pid)

    def test_killed_child_is_replaced(self):
        s = Server(start_servers=2, threads=3)
        with s:
            kids = wait_until(lambda: len(s.children()) == 2 and s.children(), 10,
                              what="2 children")
            victim = kids[0]
            os.kill(victim, signal.SIGKILL)
            t0 = __import__("time").monotonic()
            new = wait_until(lambda: (len(s.children()) == 2 and victim not in s.children()
                                      and s.children()), 5, what="a replacement child")
            elapsed = __import__("time").monotonic() - t0
            self.assertLess(elapsed, 2.0, "replacement took %.2fs" % elapsed)
            self.assertNotIn(victim, new)
            wait_until(lambda: victim not in [p["pid"] for p in s.sb_procs()], 5,
                       what="the dead child's slot to be cleaned")
            self.assertIn("killed by signal 9", s.error_log_text())
            self.assertEqual(s.get("/").status, 200)

    def test_spare_threads_grow_the_pool(self):
        s = Server(start_servers=1, threads=2, spare=(6, 10))
        with s:
            wait_until(lambda: len(s.children()) == 3, 8, what="3 children for 6 spare workers")
            wait_until(lambda: sum(p["states"].count("_") for p in s.sb_procs()) == 6, 5,
                       what="6 idle workers")

    def test_spare_threads_shrink_the_pool(self):
        s = Server(start_servers=4, threads=2, spare=(1, 3))
        with s:
            wait_until(lambda: len(s.children()) == 1, 10, what="the pool to shrink to 1 child")
            self.assertEqual(s.get("/").status, 200)
            self.assertIn("retiring one", s.error_log_text())

    def test_single_process_debug_mode(self):
        s = Server(threads=3)
        s.start("-X", wait_children=False)
        try:
            self.assertEqual(s.children(), [])
            wait_until(lambda: evtest.threads_of(s.pid) == 3 + 2, 5,
                       what="3 workers, the listener and the main thread")
            self.assertEqual(s.get("/").status, 200)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_detaches_without_minus_F(self):
        s = Server()
        r = subprocess.run([EVHTTPD, "-f", s.conf], capture_output=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        pid = int(wait_until(lambda: os.path.exists(s.pidfile) and open(s.pidfile).read(), 10,
                             what="the PidFile"))
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            self.assertEqual(int(fields[3]), pid, "the daemon leads its own session")
            wait_until(lambda: len(evtest.children_of(pid)) == 1, 10, what="the child")
            c = evtest.Conn(s.port)
            self.assertEqual(c.request("GET", "/").status, 200)
            c.close()
        finally:
            os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not os.path.exists(s.pidfile), 10, what="the PidFile to go")



def thread_policies(pid):
    """The scheduling policy (sched(7) number, /proc/PID/task/TID/stat field 41) of each
    thread of pid."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                out.append(int(f.read().rsplit(")", 1)[1].split()[38]))
        except OSError:
            pass
    return out


class SchedulingPolicyTest(unittest.TestCase):
    SCHED_OTHER, SCHED_BATCH = 0, 3

    def test_children_threads_are_batch_by_default(self):
        s = Server()
        with evtest.running(s):
            kids = s.children()
            self.assertTrue(kids)
            for k in kids:
                # the listener and every worker; not the main thread that waits for them
                def settled(k=k):
                    pol = thread_policies(k)
                    return len(pol) > 2 and pol.count(self.SCHED_BATCH) == len(pol) - 1
                wait_until(settled, 10, what="the child's threads as SCHED_BATCH",
                           detail=lambda k=k: thread_policies(k))
            # the parent answers signals and the control socket: left as it was
            self.assertEqual(set(thread_policies(s.pid)), {self.SCHED_OTHER})
            self.assertEqual(s.get("/").status, 200)

    def test_other_leaves_every_thread_alone(self):
        s = Server(extra="SchedulingPolicy other\n")
        with evtest.running(s):
            # served first: the listener and a worker have been past their start
            self.assertEqual(s.get("/").status, 200)
            for k in s.children():
                self.assertEqual(set(thread_policies(k)), {self.SCHED_OTHER}, k)

if __name__ == "__main__":
    evtest.main()
