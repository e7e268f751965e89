"""ErrorLog, CustomLog and KeepAliveTimeout inside <VirtualHost>, against the real daemon.

Apache's semantics: a virtual host with CustomLog lines logs its requests there and
nowhere else, one without any uses the main server's; a path several sites name is
opened once; a request that could not be parsed belongs to the default site of its
Listen. A request's error (a missing file, a directory without an index, a file the
server may not read) goes to its site's ErrorLog, process messages stay in the main
one. `evctl reopen-logs` reopens them all. The keep-alive wait after a response is
the KeepAliveTimeout of the site that answered it, and HTTP/1.0 answers say so.

Timing is measured with bounded socket timeouts (EOF awaited with a deadline) and
log lines are awaited by polling with a deadline; nothing sleeps to synchronize.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, fd_targets, read_text, running, wait_until  # noqa: E402

EVCTL = os.environ.get("EVCTL", "")
HAVE_EVCTL = bool(EVCTL) and os.access(EVCTL, os.X_OK)

# a.example (the default of the address): relative log paths, KeepAliveTimeout 1.
# b.example: absolute paths, KeepAliveTimeout 30. Both also write both_log.
# c.example: nothing of its own, so the main server's logs and KeepAliveTimeout (5).
VHOSTS = """
LogFormat "%%v \\"%%r\\" %%>s" vlog
<VirtualHost *:%(port)d>
    ServerName a.example
    DocumentRoot %(dir)s/site-a
    CustomLog a_access vlog
    CustomLog both_log vlog
    ErrorLog a_error
    KeepAliveTimeout 1
</VirtualHost>
<VirtualHost *:%(port)d>
    ServerName b.example
    DocumentRoot %(dir)s/site-b
    CustomLog %(dir)s/b_access vlog
    CustomLog %(dir)s/both_log vlog
    ErrorLog %(dir)s/b_error
    KeepAliveTimeout 30
</VirtualHost>
<VirtualHost *:%(port)d>
    ServerName c.example
    DocumentRoot %(dir)s/site-c
</VirtualHost>
"""


def vlog_server():
    s = Server(extra="@VHOSTS@")
    with open(s.conf) as f:
        text = f.read().replace("@VHOSTS@", VHOSTS % {"port": s.port, "dir": s.dir})
    with open(s.conf, "w") as f:
        f.write(text)
    for site in ("site-a", "site-b", "site-c"):
        os.makedirs(os.path.join(s.dir, site, "noindex"))
        with open(os.path.join(s.dir, site, "f.txt"), "wb") as f:
            f.write(site.encode() + b"\n")
        secret = os.path.join(s.dir, site, "secret.txt")
        with open(secret, "wb") as f:
            f.write(b"nobody may read this\n")
        os.chmod(secret, 0)
    return s


def logs(s):
    return {name: os.path.join(s.dir, name)
            for name in ("a_access", "b_access", "both_log", "a_error", "b_error")}


def get(s, host, path, version="HTTP/1.1", headers=None):
    c = s.conn()
    try:
        return c.request("GET", path, headers=headers, version=version, host=host)
    finally:
        c.close()


def tags(path):
    """The ?tags of the requests logged in an access log."""
    return re.findall(r"\?(\w+) ", read_text(path))


def reopen(s):
    """evctl reopen-logs (SIGUSR2 to the parent without evctl)."""
    if HAVE_EVCTL:
        r = subprocess.run([EVCTL, "-s", os.path.join(s.run, "ctl.sock"), "reopen-logs"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("evctl reopen-logs: " + r.stdout + r.stderr)
    else:
        os.kill(s.pid, signal.SIGUSR2)


class AccessLogs(unittest.TestCase):
    def test_each_request_in_its_sites_logs_only(self):
        s = vlog_server()
        L = logs(s)
        with running(s):
            for host, tag in (("a.example", "a"), ("b.example", "b"), ("c.example", "c"),
                              (None, "nohost"), ("unknown.test", "other")):
                version = "HTTP/1.1" if host else "HTTP/1.0"  # 1.1 requires Host
                self.assertEqual(get(s, host, "/f.txt?" + tag, version).status, 200)
            # unparsable: the Listen's default site (a.example), as Apache does
            c = s.conn()
            c.send(b"GET /f.txt?bad HTTP/1.1\r\nno colon here\r\n\r\n")
            self.assertEqual(c.read_response().status, 400)
            c.close()
            want = {"a_access": ["a", "nohost", "other", "bad"], "b_access": ["b"],
                    "both_log": ["a", "b", "nohost", "other", "bad"]}
            wait_until(lambda: all(sorted(tags(L[k])) == sorted(v) for k, v in want.items())
                       and "c" in tags(s.access_log), 10, what="every line in its logs",
                       detail=lambda: {k: tags(p) for k, p in L.items()})
            self.assertEqual(tags(s.access_log), ["c"])
            self.assertRegex(read_text(L["b_access"]), r'^b\.example "GET /f\.txt\?b HTTP/1\.1" 200\n$')
            # both_log, named by two sites, is one open file in each child
            for pid in s.children():
                held = [t for t in fd_targets(pid) if t == L["both_log"]]
                self.assertEqual(len(held), 1, fd_targets(pid))

    def test_reopen_covers_virtual_host_logs(self):
        s = vlog_server()
        L = logs(s)
        with running(s):
            get(s, "a.example", "/f.txt?before")
            get(s, "a.example", "/missing-before")
            wait_until(lambda: "before" in tags(L["a_access"])
                       and "missing-before" in read_text(L["a_error"]), 10,
                       what="the first lines")
            for k in ("a_access", "a_error", "b_access"):
                os.rename(L[k], L[k] + ".1")
            children = s.children()
            reopen(s)
            wait_until(lambda: all(L["a_access"] in fd_targets(p) and L["a_error"] in
                                   fd_targets(p) and L["b_access"] in fd_targets(p)
                                   for p in children), 10,
                       what="every child to hold the new files",
                       detail=lambda: {p: fd_targets(p) for p in children})
            get(s, "a.example", "/f.txt?after")
            get(s, "a.example", "/missing-after")
            get(s, "b.example", "/f.txt?bafter")
            wait_until(lambda: "after" in tags(L["a_access"]) and "bafter" in tags(L["b_access"])
                       and "missing-after" in read_text(L["a_error"]), 10,
                       what="lines in the new files")
            self.assertNotIn("after", tags(L["a_access"] + ".1"))
            self.assertNotIn("missing-after", read_text(L["a_error"] + ".1"))
            self.assertNotIn("before", tags(L["a_access"]))

    def test_new_children_do_not_hold_the_draining_generations_logs(self):
        """A child forked while an older generation drains inherits that generation's
        log descriptors; it must let go of them, or a rotated log stays open (its
        space never freed) for the child's whole life."""
        s = vlog_server()
        L = logs(s)
        s.write("big.bin", b"\0" * (64 << 20))
        with running(s):
            old_children = set(s.children())
            # a download the client stops reading keeps the old generation draining
            slow = s.conn()
            slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.send(b"GET /big.bin HTTP/1.1\r\nHost: a.example\r\n\r\n")
            slow.sock.recv(1024)
            os.kill(s.pid, signal.SIGUSR1)
            wait_until(lambda: set(s.children()) - old_children, 15, what="a new child")
            new = sorted(set(s.children()) - old_children)
            self.assertTrue(old_children & set(s.children()), "the old child drains still")
            for p in new:
                targets = fd_targets(p)
                for path in (s.access_log, L["a_access"], L["both_log"], L["a_error"]):
                    self.assertEqual(targets.count(path), 1, (p, path, targets))
            slow.close()


class ErrorLogs(unittest.TestCase):
    def test_request_errors_in_the_sites_error_log(self):
        s = vlog_server()
        L = logs(s)
        with running(s):
            self.assertEqual(get(s, "a.example", "/missing-a.html").status, 404)
            self.assertEqual(get(s, "b.example", "/noindex/").status, 403)
            self.assertEqual(get(s, "b.example", "/secret.txt").status, 403)
            self.assertEqual(get(s, "c.example", "/missing-c.html").status, 404)
            wait_until(lambda: "missing-a.html" in read_text(L["a_error"])
                       and "secret.txt" in read_text(L["b_error"])
                       and "missing-c.html" in s.error_log_text(), 10,
                       what="the error lines", detail=lambda: (read_text(L["a_error"]),
                                                               read_text(L["b_error"])))
            a, b, main = read_text(L["a_error"]), read_text(L["b_error"]), s.error_log_text()
        self.assertRegex(a, r"\[info\] \[pid \d+:tid \d+\] \[gen \d+\] \[client 127\.0\.0\.1:\d+\]"
                            r" EVH\d{5}: File does not exist: .*/site-a/missing-a\.html\n")
        self.assertRegex(b, r"\[error\] .*\[client 127\.0\.0\.1:\d+\] EVH\d{5}: Cannot serve "
                            r"directory .*/site-b/noindex/: No matching DirectoryIndex "
                            r"\(index\.html\) found, and server-generated directory index "
                            r"forbidden by Options directive\n")
        self.assertRegex(b, r"\[error\] .*\[client 127\.0\.0\.1:\d+\] EVH\d{5}: .*"
                            r"/site-b/secret\.txt")
        self.assertRegex(main, r"\[client 127\.0\.0\.1:\d+\] EVH\d{5}: File does not exist: "
                               r".*/site-c/missing-c\.html")
        for text in ("missing-a.html", "noindex", "secret.txt"):
            self.assertNotIn(text, main)
        self.assertNotIn("missing-c", a + b)
        # process-level messages stay in the main error log
        self.assertNotIn("child started", a + b)


class KeepAliveTimeouts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = vlog_server().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def idle_close(self, hosts, deadline):
        """Seconds until the server closes a connection idle after requests for
        `hosts` (in order), or None when it is still open after `deadline`."""
        c = self.s.conn()
        try:
            for host in hosts:
                self.assertEqual(c.request("GET", "/f.txt", host=host).status, 200)
            t0 = time.monotonic()
            return time.monotonic() - t0 if c.closed_by_peer(deadline) else None
        finally:
            c.close()

    def test_short_timeout_closes(self):
        took = self.idle_close(["a.example"], 5)
        self.assertIsNotNone(took, "a.example (1 s) kept the connection 5 s")
        self.assertGreater(took, 0.7)
        self.assertLess(took, 3)

    def test_long_timeout_keeps_open(self):
        # past a.example's 1 s and c.example's main 5 s would be too long a test
        self.assertIsNone(self.idle_close(["b.example"], 2.5), "b.example (30 s) closed early")

    def test_last_site_decides(self):
        took = self.idle_close(["b.example", "a.example"], 5)
        self.assertIsNotNone(took)
        self.assertLess(took, 3)
        self.assertIsNone(self.idle_close(["a.example", "b.example"], 2.5))

    def test_http10_keep_alive_field(self):
        for host, want in (("a.example", "timeout=1"), ("b.example", "timeout=30"),
                           ("c.example", "timeout=5"), (None, "timeout=1")):
            r = get(self.s, host, "/f.txt", version="HTTP/1.0",
                    headers={"Connection": "keep-alive"})
            self.assertEqual(r.header("Keep-Alive"), want, host)


if __name__ == "__main__":
    evtest.main()
