"""<Location> sections against the real daemon: Require ip / all / local decided by the
client's address (distinct loopback source addresses: 127.0.0.1, .2, .3), the longest
prefix winning whatever the order the sections are written in, the path matched after
the normalization files get (so %-encoding, dot segments and doubled slashes do not
slip past a Require), Header and ErrorDocument per section, the status page and the
health check placed with SetHandler (Require in effect replacing StatusAllow), the
main server's sections in a virtual host and a virtual host's own over them, and the
refusal in the error log.
"""
import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, running, wait_until  # noqa: E402


class ConnFrom(evtest.Conn):
    """A client connection from a chosen loopback address."""

    def __init__(self, port, source, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0))
        self.buf = b""


def get_from(s, source, path, host="localhost", method="GET"):
    c = ConnFrom(s.port, source)
    try:
        return c.request(method, path, host=host)
    finally:
        c.close()


def location_server():
    s = Server(extra="""
StatusAllow 127.0.0.1
ErrorDocument 404 /private/not-found.html
<Location /private/open>
    Require all granted
</Location>
<Location /private>
    Require ip 127.0.0.2 10.0.0.0/8
    Header always set X-Private yes
    ErrorDocument 403 /denied.html
</Location>
<Location /closed>
    Require all denied
</Location>
<Location /ops/status>
    SetHandler server-status
    Require ip 127.0.0.3
</Location>
<Location /ops/plain-status>
    SetHandler server-status
</Location>
<Location /ops/health>
    SetHandler server-health
    Require local
</Location>
<Location /ops/health/files>
    SetHandler none
</Location>
<Location /pub/>
    Header set Cache-Control "max-age=60"
</Location>
<VirtualHost *:%(port)d>
    ServerName main.example
</VirtualHost>
<VirtualHost *:%(port)d>
    ServerName open.example
    <Location /private>
        Require all granted
    </Location>
</VirtualHost>
""" % {"port": 0})
    with open(s.conf) as f:
        text = f.read().replace("*:0>", "*:%d>" % s.port)
    with open(s.conf, "w") as f:
        f.write(text)
    for name, data in (("private/x.txt", b"secret\n"), ("private/open/y.txt", b"open\n"),
                       ("closed/z.txt", b"closed\n"), ("pub/p.txt", b"public\n"),
                       ("denied.html", b"<p>ask the admin</p>\n"),
                       ("ops/health/files/f.txt", b"a file\n"), ("privateer.txt", b"arr\n"),
                       ("private/not-found.html", b"staff 404 page\n")):
        s.write(name, data)
    return s


class Require(unittest.TestCase):
    def test_ip(self):
        s = location_server()
        with running(s):
            r = get_from(s, "127.0.0.1", "/private/x.txt")
            self.assertEqual(r.status, 403)
            self.assertEqual(r.body, b"<p>ask the admin</p>\n")  # the section's ErrorDocument
            self.assertEqual(r.header("X-Private"), "yes")        # `always`: on errors too
            r = get_from(s, "127.0.0.2", "/private/x.txt")
            self.assertEqual((r.status, r.body), (200, b"secret\n"))
            self.assertEqual(r.header("X-Private"), "yes")
            r = get_from(s, "127.0.0.3", "/private/x.txt")
            self.assertEqual(r.status, 403)
            # Apache's prefix rule: /private covers /privateer.txt too
            self.assertEqual(get_from(s, "127.0.0.1", "/privateer.txt").status, 403)
            self.assertEqual(get_from(s, "127.0.0.2", "/privateer.txt").status, 200)
            # every method, before anything else is looked at
            self.assertEqual(get_from(s, "127.0.0.1", "/private/x.txt", method="HEAD").status, 403)
            self.assertEqual(get_from(s, "127.0.0.1", "/private/nothing", method="POST").status,
                             403)
            self.assertEqual(get_from(s, "127.0.0.2", "/private/nothing").status, 404)

    def test_normalized_paths_do_not_slip_past(self):
        s = location_server()
        with running(s):
            for path in ("/%70rivate/x.txt", "/pub/../private/x.txt", "//private/x.txt",
                         "/./private/x.txt", "/private//x.txt",
                         "http://localhost/private/x.txt"):
                self.assertEqual(get_from(s, "127.0.0.1", path).status, 403, path)
                r = get_from(s, "127.0.0.2", path)
                self.assertIn(r.status, (200, 404), path)
            self.assertEqual(get_from(s, "127.0.0.2", "/%70rivate/x.txt").body, b"secret\n")
            # an encoded slash names no file at all (as AllowEncodedSlashes Off)
            self.assertEqual(get_from(s, "127.0.0.1", "/%2Fprivate/x.txt").status, 404)

    def test_longest_prefix_wins(self):
        s = location_server()
        with running(s):
            # /private/open is written first, yet wins over /private for its paths
            r = get_from(s, "127.0.0.1", "/private/open/y.txt")
            self.assertEqual((r.status, r.body), (200, b"open\n"))
            # and takes /private's Header with it: sections merge, shorter first
            self.assertEqual(r.header("X-Private"), "yes")
            # string prefixes: /private/openly is under /private/open (granted; no file)
            self.assertEqual(get_from(s, "127.0.0.1", "/private/openly").status, 404)
            self.assertEqual(get_from(s, "127.0.0.1", "/private/ope").status, 403)

    def test_error_document_obeys_its_location(self):
        s = location_server()
        with running(s):
            # the 404 document lies under /private: only 127.0.0.2 may have it ...
            r = get_from(s, "127.0.0.2", "/missing")
            self.assertEqual((r.status, r.body), (404, b"staff 404 page\n"))
            # ... everyone else gets the built-in page, still a 404
            r = get_from(s, "127.0.0.1", "/missing")
            self.assertEqual(r.status, 404)
            self.assertNotIn(b"staff", r.body)
            self.assertIn(b"Not Found", r.body)

    def test_all_denied(self):
        s = location_server()
        with running(s):
            for src in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
                r = get_from(s, src, "/closed/z.txt")
                self.assertEqual(r.status, 403, src)
                self.assertNotIn(b"closed", r.body)
            self.assertEqual(get_from(s, "127.0.0.1", "/closed").status, 403)

    def test_refusal_is_logged(self):
        s = location_server()
        with running(s):
            get_from(s, "127.0.0.3", "/closed/z.txt?q=1")
            wait_until(lambda: "EVH00801" in s.error_log_text(), 5, what="the refusal logged")
            line = [ln for ln in s.error_log_text().splitlines() if "EVH00801" in ln][0]
            self.assertRegex(line, r"\[client 127\.0\.0\.3:\d+\] EVH00801: ")
            self.assertIn("client denied by server configuration: /closed/z.txt?q=1", line)
            self.assertIn("<Location /closed> of %s:" % s.conf, line)

    def test_virtual_hosts(self):
        s = location_server()
        with running(s):
            # the main server's sections apply in a virtual host ...
            self.assertEqual(get_from(s, "127.0.0.1", "/private/x.txt",
                                      host="main.example").status, 403)
            # ... unless its own section for the prefix says otherwise
            r = get_from(s, "127.0.0.1", "/private/x.txt", host="open.example")
            self.assertEqual((r.status, r.body), (200, b"secret\n"))
            self.assertEqual(r.header("X-Private"), "yes")  # the main server's Header stays
            self.assertEqual(get_from(s, "127.0.0.1", "/closed/z.txt",
                                      host="open.example").status, 403)


class Handlers(unittest.TestCase):
    def test_status_with_require(self):
        s = location_server()
        with running(s):
            # Require ip 127.0.0.3 decides, not StatusAllow 127.0.0.1
            self.assertEqual(get_from(s, "127.0.0.1", "/ops/status?auto").status, 403)
            r = get_from(s, "127.0.0.3", "/ops/status?auto")
            self.assertEqual(r.status, 200)
            self.assertIn(b"ServerMPM: event", r.body)
            self.assertEqual(get_from(s, "127.0.0.3", "/ops/status/anything?auto").status, 200)

    def test_status_location_keeps_status_allow_under_a_broad_require(self):
        # Apache's common `<Location /> Require all granted` does not open StatusLocation
        s = Server(extra="StatusLocation /server-status\nStatusAllow 127.0.0.1\n"
                         "<Location />\n    Require all granted\n</Location>\n")
        with running(s):
            self.assertEqual(get_from(s, "127.0.0.2", "/server-status?auto").status, 403)
            self.assertEqual(get_from(s, "127.0.0.1", "/server-status?auto").status, 200)
            self.assertEqual(get_from(s, "127.0.0.2", "/index.html").status, 200)

    def test_status_without_require_keeps_status_allow(self):
        s = location_server()
        with running(s):
            r = get_from(s, "127.0.0.1", "/ops/plain-status?auto")
            self.assertEqual(r.status, 200)
            self.assertIn(b"Total Accesses:", r.body)
            self.assertEqual(get_from(s, "127.0.0.2", "/ops/plain-status?auto").status, 403)

    def test_health(self):
        s = location_server()
        with running(s):
            r = get_from(s, "127.0.0.2", "/ops/health")
            self.assertEqual((r.status, r.body), (200, b"ok\n"))
            self.assertEqual(get_from(s, "127.0.0.2", "/ops/health", method="POST").status, 405)
            # SetHandler none below it: files again, still under Require local
            r = get_from(s, "127.0.0.3", "/ops/health/files/f.txt")
            self.assertEqual((r.status, r.body), (200, b"a file\n"))

    def test_header_only_below_its_prefix(self):
        s = location_server()
        with running(s):
            r = get_from(s, "127.0.0.1", "/pub/p.txt")
            self.assertEqual((r.status, r.header("Cache-Control")), (200, "max-age=60"))
            # "/pub/" with its slash: "/pub" itself is not below it (it redirects)
            r = get_from(s, "127.0.0.1", "/pub")
            self.assertEqual((r.status, r.header("Cache-Control")), (301, None))
            self.assertIsNone(get_from(s, "127.0.0.1", "/index.html").header("Cache-Control"))


class ExampleConfiguration(unittest.TestCase):
    """docs/examples/sites.conf, the annotated example of every per-site feature, stays
    a configuration the server accepts."""

    def test_accepted(self):
        src = os.environ.get("EV_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
        conf = os.path.join(src, "docs", "examples", "sites.conf")
        r = subprocess.run([evtest.EVHTTPD, "-S", "-f", conf], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Syntax OK", r.stderr)
        self.assertIn("default server www.example.com", r.stdout)
        self.assertIn("namevhost files.example.net", r.stdout)


if __name__ == "__main__":
    evtest.main()
