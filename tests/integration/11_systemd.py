"""systemd without PID 1: socket activation (systemd-socket-activate) and sd_notify
(NOTIFY_SOCKET pointed at a datagram socket of the test's)."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import EVHTTPD, Server, wait_until  # noqa: E402

ACTIVATE = shutil.which("systemd-socket-activate")
EVCTL = os.environ.get("EVCTL", "evctl")


class Notifications:
    """A datagram socket standing in for systemd's notification socket."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.seen = []

    def poll(self):
        try:
            while True:
                self.seen.append(self.sock.recv(4096).decode())
        except (socket.timeout, BlockingIOError):
            pass
        return self.seen

    def wait_for(self, field, after=0, timeout=15):
        def found():
            self.poll()
            return any(field in m.split("\n") for m in self.seen[after:])
        wait_until(found, timeout, what="%s from evhttpd" % field, detail=lambda: self.seen)
        for i, m in enumerate(self.seen[after:]):
            if field in m.split("\n"):
                return after + i
        return -1


@unittest.skipUnless(ACTIVATE, "systemd-socket-activate is not installed")
class SocketActivation(unittest.TestCase):
    def test_activated_socket_serves_and_notifications_follow_restarts(self):
        s = Server()  # its config Listens on 127.0.0.1:PORT: the socket systemd will pass
        notes = Notifications(s.dir)
        env = dict(os.environ, NOTIFY_SOCKET=notes.path)
        errfile = os.path.join(s.dir, "stderr")
        with open(errfile, "wb") as err:
            # the activator passes on only the variables named with -E
            proc = subprocess.Popen([ACTIVATE, "-l", "127.0.0.1:%d" % s.port, "--fdname=http",
                                     "-E", "NOTIFY_SOCKET=" + notes.path,
                                     EVHTTPD, "-F", "-f", s.conf],
                                    env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            # the activator listens first: the first connection starts evhttpd, which
            # must take over that very socket (a bind of its own would fail: in use)
            def served():
                try:
                    return s.get("/").status == 200
                except OSError:
                    return False
            wait_until(served, 20, what="a request through the activated socket")
            ready = notes.wait_for("READY=1")
            self.assertTrue(any(m.startswith("STATUS=") or "\nSTATUS=" in m
                                for m in notes.seen), notes.seen)
            evhttpd_pid = int(open(s.pidfile).read())
            # the listening socket in evhttpd is the activator's (inherited), not a new one
            self.assertNotIn("Address already in use", open(s.error_log).read())
            # a graceful restart: RELOADING=1 (with MONOTONIC_USEC), then READY=1 again
            if os.access(EVCTL, os.X_OK):
                r = subprocess.run([EVCTL, "-s", os.path.join(s.run, "ctl.sock"), "graceful"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
            else:
                os.kill(evhttpd_pid, signal.SIGUSR1)
            reloading = notes.wait_for("RELOADING=1", after=ready + 1)
            self.assertTrue(any(line.startswith("MONOTONIC_USEC=")
                                for line in notes.seen[reloading].split("\n")), notes.seen)
            notes.wait_for("READY=1", after=reloading + 1)
            self.assertEqual(s.get("/").status, 200)
            os.kill(evhttpd_pid, signal.SIGTERM)
            notes.wait_for("STOPPING=1", after=reloading + 1)
            proc.wait(15)
        finally:
            if proc.poll() is None:  # the activator has become evhttpd: TERM stops it all
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            with open(errfile, errors="replace") as f:
                err = f.read()
            for mark in ("ERROR: AddressSanitizer", "runtime error:"):
                self.assertNotIn(mark, err)


class NotifyOutsideSystemd(unittest.TestCase):
    def test_without_notify_socket_nothing_changes(self):
        with Server() as s:
            self.assertEqual(s.get("/").status, 200)


if __name__ == "__main__":
    evtest.main()
