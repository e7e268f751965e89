"""Listener buckets (ListenCoresBucketsRatio): SO_REUSEPORT sockets, one group per
address, each child polling the sockets of one bucket only.

Checked from outside: the listening sockets come from /proc/net/tcp and tcp6 (their
inodes), and what each child polls from its epoll descriptor's fdinfo (the watched
descriptors, resolved to socket inodes through /proc/PID/fd). "Pass" means: one socket
per bucket, every child of the current generation polls exactly one of them, every
bucket has such a child after start, after graceful restarts under load (no request
lost), after a child is killed, and after surplus children are retired; connections
spread over the buckets; a change of the bucket count is refused with a warning until
a full restart.

Needs at least 2 CPUs in this process's affinity mask (2 buckets at ratio 1).
"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, alive, kill_quietly, log_detail, running, wait_until  # noqa: E402

EVCTL = os.environ.get("EVCTL", "")
HAVE_EVCTL = bool(EVCTL) and os.access(EVCTL, os.X_OK)
CPUS = len(os.sched_getaffinity(0))


def listening_inodes(port):
    """Inodes of the sockets listening on port (state 0A), from /proc/net/tcp*."""
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(int(fields[9]))
        except OSError:
            pass
    return inodes


def polled_inodes(pid):
    """Socket inodes the process's epoll instances watch."""
    out = set()
    fd_dir = "/proc/%d/fd" % pid
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return out
    for fd in fds:
        try:
            if os.readlink(os.path.join(fd_dir, fd)) != "anon_inode:[eventpoll]":
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                watched = [int(m) for m in re.findall(r"^tfd:\s*(\d+)", f.read(), re.M)]
        except OSError:
            continue
        for t in watched:
            try:
                m = re.match(r"socket:\[(\d+)\]", os.readlink(os.path.join(fd_dir, str(t))))
            except OSError:
                continue
            if m:
                out.add(int(m.group(1)))
    return out


def buckets_server(extra="", threads=4, children=2, start=1):
    return Server(start_servers=start, threads=threads, spare=(1, 2 * threads * children),
                  extra="ListenCoresBucketsRatio 1\nMaxRequestWorkers %d\n%s"
                        % (threads * children, extra))


def current_children(s):
    gen = max((p["gen"] for p in s.sb_procs()), default=0)
    return [p["pid"] for p in s.sb_procs()
            if p["gen"] == gen and not p["quiescing"] and alive(p["pid"])]


def coverage(s):
    """{child pid: listening inodes it polls} for the current generation."""
    socks = listening_inodes(s.port)
    return {pid: polled_inodes(pid) & socks for pid in current_children(s)}


def covered(s, nb):
    """Every current child polls exactly one bucket's socket, all nb are polled."""
    cov = coverage(s)
    socks = set().union(*cov.values()) if cov else set()
    return len(listening_inodes(s.port)) == nb and len(socks) == nb and \
        all(len(v) == 1 for v in cov.values())


@unittest.skipUnless(CPUS >= 2, "needs 2 CPUs for 2 listener buckets")
class ListenBuckets(unittest.TestCase):
    def test_one_socket_per_bucket_each_child_polls_one(self):
        """StartServers 1 is raised to the bucket count; 400 new connections spread
        over both children."""
        s = buckets_server()
        with running(s):
            wait_until(lambda: covered(s, 2), 10, what="both buckets polled",
                       detail=lambda: "%r\n%s" % (coverage(s), log_detail(s)()))
            for _ in range(400):
                self.assertEqual(s.get("/").status, 200)
            reqs = {p["pid"]: p["requests"] for p in s.sb_procs()}
            sys.stderr.write("400 connections over 2 buckets: %r\n" % sorted(reqs.values()))
            self.assertEqual(len(reqs), 2)
            self.assertTrue(all(n >= 40 for n in reqs.values()), reqs)
            self.assertIn("listener bucket 1", s.error_log_text())

    def test_killed_child_is_replaced_in_its_bucket(self):
        s = buckets_server()
        with running(s):
            wait_until(lambda: covered(s, 2), 10, what="both buckets polled")
            before = coverage(s)
            victim = sorted(before)[0]
            kill_quietly(victim)
            wait_until(lambda: victim not in coverage(s) and covered(s, 2), 10,
                       what="a replacement in the same bucket", detail=log_detail(s))
            after = coverage(s)
            new = [p for p in after if p not in before]
            self.assertEqual(len(new), 1, after)
            self.assertEqual(after[new[0]], before[victim])
            self.assertEqual(s.get("/").status, 200)

    @unittest.skipUnless(HAVE_EVCTL, "needs EVCTL")
    def test_graceful_restarts_under_load_keep_every_bucket(self):
        """5 graceful restarts during hammer load: each new generation polls both
        buckets, and no request fails."""
        s = buckets_server()
        sock = os.path.join(s.run, "ctl.sock")
        with running(s):
            wait_until(lambda: covered(s, 2), 10, what="both buckets polled")
            load = {}
            import threading
            t = threading.Thread(target=lambda: load.update(evtest.hammer(s.port, 4, 2, 4)))
            t.start()
            for gen in range(2, 7):
                r = subprocess.run([EVCTL, "-s", sock, "graceful"], capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                wait_until(lambda: max(p["gen"] for p in s.sb_procs()) == gen and covered(s, 2),
                           10, what="generation %d in both buckets" % gen,
                           detail=lambda: "%r\n%s" % (coverage(s), log_detail(s)()))
            t.join(30)
            sys.stderr.write("5 restarts with 2 buckets under load: %r\n" % load)
            self.assertGreater(load.get("ok", 0), 0, load)
            self.assertEqual(load.get("bad", 0), 0, load)
            self.assertEqual(load.get("timeouts", 0), 0, load)

    def test_surplus_children_retire_but_never_a_bucket_s_last(self):
        """4 children for 2 buckets and MaxSpareThreads low: the parent retires one a
        second down to one per bucket, and no further."""
        s = buckets_server(children=4, start=4, extra="MaxSpareThreads 1\n")
        with running(s):
            wait_until(lambda: len(current_children(s)) == 2, 15, what="retired to 2",
                       detail=lambda: s.sbdump() + log_detail(s)())
            wait_until(lambda: covered(s, 2), 10, what="both buckets kept",
                       detail=lambda: "%r" % coverage(s))
            # the retire pass runs once a second: two more passes must change nothing
            time.sleep(2.2)
            self.assertEqual(len(current_children(s)), 2)
            self.assertTrue(covered(s, 2), coverage(s))

    @unittest.skipUnless(HAVE_EVCTL, "needs EVCTL")
    def test_bucket_count_change_waits_for_a_full_restart(self):
        s = buckets_server()
        sock = os.path.join(s.run, "ctl.sock")
        with running(s):
            wait_until(lambda: covered(s, 2), 10, what="both buckets polled")
            with open(s.conf, "a") as f:
                f.write("ListenCoresBucketsRatio 0\n")
            r = subprocess.run([EVCTL, "-s", sock, "graceful"], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("needs a full restart", r.stdout + r.stderr)
            wait_until(lambda: max(p["gen"] for p in s.sb_procs()) == 2 and covered(s, 2), 10,
                       what="generation 2 still in 2 buckets")


if __name__ == "__main__":
    evtest.main()
