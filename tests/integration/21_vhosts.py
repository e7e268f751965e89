"""Virtual hosts against the real daemon: <VirtualHost> sections chosen by the Host
field or the absolute-form authority, per Listen, with the first vhost of an address
as its default; each site's own DocumentRoot and DirectoryIndex; the same path in two
sites never answered from the other's cache; %v in the access log; `evhttpd -S`.
Alias (a directory, a single file) and every Redirect form, a virtual host's own
before the main server's, as mod_alias orders them. Header (set, append, add, unset,
always on error pages) and ExpiresByType, the main server's first, then the vhost's.
ErrorDocument: a local document served with the original status, a text, a URL (a
redirect), a document that cannot be served (the built-in page), a vhost's own over
the main server's. Options Indexes: a listing, sorted and escaped, hidden names left
out, per vhost; 403 without it.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, free_port, read_text, running, wait_until  # noqa: E402


def vhost_server():
    other = free_port()
    s = Server(extra="""
Listen 127.0.0.1:%(other)d
LogFormat "%%v %%h \\"%%r\\" %%>s" vcommon
CustomLog %(dir)s/vhost_log vcommon
<VirtualHost *:%(port)d>
    ServerName a.example
    ServerAlias *.a.example
    DocumentRoot %(dir)s/site-a
</VirtualHost>
<VirtualHost *:%(port)d>
    ServerName b.example
    ServerAlias b.example.org
    DocumentRoot %(dir)s/site-b
    DirectoryIndex home.html
</VirtualHost>
""" % {"other": other, "port": 0, "dir": "@DIR@"})
    # the port and directory are known only once the Server exists
    with open(s.conf) as f:
        text = f.read().replace("@DIR@", s.dir).replace("*:0>", "*:%d>" % s.port)
    with open(s.conf, "w") as f:
        f.write(text)
    for site, files in (("site-a", {"index.html": b"A index\n", "same.txt": b"from A\n"}),
                        ("site-b", {"home.html": b"B home\n", "same.txt": b"from B, longer\n",
                                    "index.html": b"B index, not its DirectoryIndex\n"})):
        os.makedirs(os.path.join(s.dir, site))
        for name, data in files.items():
            with open(os.path.join(s.dir, site, name), "wb") as f:
                f.write(data)
    s.write("same.txt", b"from the main server\n")
    s.other = other
    return s


class VirtualHosts(unittest.TestCase):
    def test_chosen_by_host(self):
        s = vhost_server()
        with running(s):
            cases = [("a.example", "/", b"A index\n"),
                     ("A.EXAMPLE.", "/", b"A index\n"),
                     ("a.example:%d" % s.port, "/same.txt", b"from A\n"),
                     ("www.a.example", "/same.txt", b"from A\n"),
                     ("b.example", "/", b"B home\n"),
                     ("b.example.org", "/same.txt", b"from B, longer\n"),
                     ("unknown.test", "/same.txt", b"from A\n")]  # the first is the default
            # twice over one keep-alive connection and again on fresh ones: every
            # worker's cache meets the same path under both document roots
            c = s.conn()
            for _ in range(2):
                for host, path, body in cases:
                    r = c.request("GET", path, host=host)
                    self.assertEqual((r.status, r.body), (200, body), (host, path))
            c.close()
            for _ in range(8):
                for host, path, body in cases:
                    r = s.conn().request("GET", path, host=host)
                    self.assertEqual((r.status, r.body), (200, body), (host, path))

    def test_absolute_form_and_no_host(self):
        s = vhost_server()
        with running(s):
            c = s.conn()
            r = c.request("GET", "http://b.example/same.txt", host="a.example")
            self.assertEqual(r.body, b"from B, longer\n")
            r = c.request("GET", "/same.txt", version="HTTP/1.0", host=None)
            self.assertEqual(r.body, b"from A\n")
            c.close()

    def test_other_listen_is_the_main_server(self):
        s = vhost_server()
        with running(s):
            c = evtest.Conn(s.other)
            r = c.request("GET", "/same.txt", host="b.example")
            self.assertEqual(r.body, b"from the main server\n")
            c.close()

    def test_v_in_access_log(self):
        s = vhost_server()
        log = os.path.join(s.dir, "vhost_log")
        with running(s):
            for port, host, q in ((s.port, "www.a.example", "a"), (s.port, "b.example.org", "b"),
                                  (s.other, "b.example", "main")):
                c = evtest.Conn(port)
                c.request("GET", "/same.txt?" + q, host=host)
                c.close()
            wait_until(lambda: read_text(log).count("\n") >= 3, 5, what="three log lines")
            lines = read_text(log).splitlines()
        # workers log after sending, so lines of separate connections come in any order
        logged = {re.search(r"\?(\w+) ", ln).group(1): ln.split()[0] for ln in lines[-3:]}
        self.assertEqual(logged, {"a": "a.example", "b": "b.example", "main": "-"})

    def test_dump_vhosts(self):
        s = vhost_server()
        for args in (["-S"], ["-t", "-D", "DUMP_VHOSTS"]):
            r = subprocess.run([evtest.EVHTTPD] + args + ["-f", s.conf], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Syntax OK", r.stderr)
            out = r.stdout
            self.assertRegex(out, r"127\.0\.0\.1:%d +is a NameVirtualHost\n +default server "
                                  r"a\.example \(.*evhttpd\.conf:\d+\)" % s.port)
            self.assertRegex(out, r"port %d namevhost b\.example \(" % s.port)
            self.assertIn("alias *.a.example", out)
            self.assertIn("alias b.example.org", out)
            self.assertRegex(out, r"127\.0\.0\.1:%d +main server" % s.other)
        sys.stderr.write(out)

    def test_missing_document_root_is_reported(self):
        s = vhost_server()
        os.rename(os.path.join(s.dir, "site-b"), os.path.join(s.dir, "site-b.moved"))
        r = subprocess.run([evtest.EVHTTPD, "-F", "-f", s.conf], capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(s.error_log_text() + r.stderr,
                         r"DocumentRoot .*site-b of the <VirtualHost> at .*evhttpd\.conf:\d+ "
                         r"cannot be opened")


class AliasAndRedirect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        s = cls.s = Server(extra="""
Alias /docs @DIR@/docs
Alias /favicon.ico @DIR@/icons/fav.ico
Redirect /old http://new.example/new
Redirect permanent /perm/ /moved/
Redirect seeother /see /other
Redirect gone /gone
Redirect 307 /t307 https://t.example/x
Redirect 308 /p308 https://p.example/y?keep=1
<VirtualHost *:@PORT@>
    ServerName v.example
    Redirect /docs/private https://login.example
    Alias /docs @DIR@/v-docs
</VirtualHost>
""")
        with open(s.conf) as f:
            text = f.read().replace("@DIR@", s.dir).replace("@PORT@", str(s.port))
        with open(s.conf, "w") as f:
            f.write(text)
        for path, data in (("docs/index.html", b"docs index\n"), ("docs/sub/f.txt", b"sub\n"),
                           ("icons/fav.ico", b"ICON"), ("v-docs/index.html", b"v docs\n")):
            os.makedirs(os.path.dirname(os.path.join(s.dir, path)), exist_ok=True)
            with open(os.path.join(s.dir, path), "wb") as f:
                f.write(data)
        s.start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def get(self, path, host="main.example"):
        c = self.s.conn()
        try:
            return c.request("GET", path, host=host)
        finally:
            c.close()

    def test_alias(self):
        # main.example is not a name of the vhost, but the vhost is the address's only
        # one, hence its default: the main server's Aliases are inherited after its own
        cases = [("/docs/", "x.test", 200, b"v docs\n"),
                 ("/docs/sub/f.txt", "x.test", 404, None),  # the vhost's own Alias wins
                 ("/favicon.ico", "x.test", 200, b"ICON"),  # inherited from the main server
                 ("/favicon.ico/x", "x.test", 404, None),
                 ("/docsx", "x.test", 404, None)]           # a segment boundary, not a prefix
        for path, host, status, body in cases:
            r = self.get(path, host)
            self.assertEqual(r.status, status, (path, host))
            if body is not None:
                self.assertEqual(r.body, body, path)
        r = self.get("/docs", "v.example")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("Location"), "/docs/")

    def test_redirects(self):
        cases = [("/old", 302, "http://new.example/new"),
                 ("/old/a%20b?q=1", 302, "http://new.example/new/a%20b?q=1"),
                 ("/perm/x/y", 301, "/moved/x/y"),
                 ("/see", 303, "/other"),
                 ("/t307/z", 307, "https://t.example/x/z"),
                 ("/p308/z?a=b", 308, "https://p.example/y?keep=1/z"),
                 ("/docs/private/x", 302, "https://login.example/x")]
        for path, status, location in cases:
            r = self.get(path)
            self.assertEqual(r.status, status, path)
            self.assertEqual(r.header("Location"), location, path)
        r = self.get("/gone/x")
        self.assertEqual(r.status, 410)
        self.assertIsNone(r.header("Location"))
        self.assertEqual(self.get("/oldx").status, 404)


class HeadersAndExpires(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        s = cls.s = Server(extra="""
Header always set Strict-Transport-Security "max-age=63072000"
Header set X-Site main
Header add X-Multi one
ExpiresActive On
ExpiresByType text/html "access plus 1 hour"
<VirtualHost *:@PORT@>
    ServerName b.example
    Header set X-Site b
    Header add X-Multi two
    Header append Cache-Control no-transform
    Header unset Server
    ExpiresByType text/* "access plus 2 days"
</VirtualHost>
<VirtualHost *:@PORT@>
    ServerName c.example
    ExpiresActive Off
</VirtualHost>
""")
        with open(s.conf) as f:
            text = f.read().replace("@PORT@", str(s.port))
        with open(s.conf, "w") as f:
            f.write(text)
        s.write("page.txt", b"text\n")
        s.start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def get(self, path, host):
        c = self.s.conn()
        try:
            return c.request("GET", path, host=host)
        finally:
            c.close()

    def values(self, r, name):
        return [v for k, v in r.headers if k.lower() == name.lower()]

    def test_headers(self):
        r = self.get("/", "b.example")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.values(r, "X-Site"), ["b"])  # the vhost's set after main's
        self.assertEqual(self.values(r, "X-Multi"), ["one", "two"])
        self.assertEqual(self.values(r, "Server"), [])
        self.assertEqual(r.header("Strict-Transport-Security"), "max-age=63072000")
        r = self.get("/", "c.example")
        self.assertEqual(self.values(r, "X-Site"), ["main"])
        self.assertEqual(r.header("Server"), "evhttpd/0.1.0")
        # an error page gets only the `always` ones
        r = self.get("/missing", "b.example")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("Strict-Transport-Security"), "max-age=63072000")
        self.assertIsNone(r.header("X-Site"))
        self.assertIsNotNone(r.header("Server"))

    def test_expires(self):
        # text/html: the main server's exact rule beats the vhost's text/*
        r = self.get("/", "b.example")
        self.assertEqual(r.header("Cache-Control"), "max-age=3600, no-transform")
        self.assertRegex(r.header("Expires"), r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$")
        r = self.get("/page.txt", "b.example")
        self.assertEqual(r.header("Cache-Control"), "max-age=172800, no-transform")
        # the default vhost (b) for an unknown name; c turns expiry off
        r = self.get("/page.txt", "c.example")
        self.assertIsNone(r.header("Cache-Control"))
        self.assertIsNone(r.header("Expires"))
        r = self.get("/missing", "b.example")
        self.assertIsNone(r.header("Expires"))


class ErrorDocuments(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        s = cls.s = Server(extra="""
ErrorDocument 404 /errors/404.html
ErrorDocument 403 "<p>no entry</p>"
ErrorDocument 410 https://status.example/gone
ErrorDocument 405 /errors/missing.html
Redirect gone /old
<VirtualHost *:@PORT@>
    ServerName v.example
    ErrorDocument 404 "vhost's own 404"
</VirtualHost>
<VirtualHost *:@PORT@>
    ServerName w.example
</VirtualHost>
""")
        with open(s.conf) as f:
            text = f.read().replace("@PORT@", str(s.port))
        with open(s.conf, "w") as f:
            f.write(text)
        s.write("errors/404.html", b"<h1>custom 404</h1>\n")
        os.makedirs(os.path.join(s.docroot, "dir"))  # no index: 403
        s.start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def ask(self, method, path, host):
        c = self.s.conn()
        try:
            return c.request(method, path, host=host)
        finally:
            c.close()

    def test_forms(self):
        r = self.ask("GET", "/nothing", "w.example")
        self.assertEqual((r.status, r.body), (404, b"<h1>custom 404</h1>\n"))
        self.assertEqual(r.header("Content-Type"), "text/html")
        r = self.ask("HEAD", "/nothing", "w.example")
        self.assertEqual((r.status, r.header("Content-Length")), (404, "20"))
        r = self.ask("GET", "/dir/", "w.example")
        self.assertEqual((r.status, r.body), (403, b"<p>no entry</p>"))
        r = self.ask("GET", "/old", "w.example")
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"), "https://status.example/gone")
        # a document that cannot be served: the built-in page, with the status
        r = self.ask("POST", "/", "w.example")
        self.assertEqual(r.status, 405)
        self.assertIn(b"Method Not Allowed", r.body)
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")
        # the vhost's own, and the main server's for the statuses it names none for
        r = self.ask("GET", "/nothing", "v.example")
        self.assertEqual((r.status, r.body), (404, b"vhost's own 404"))
        self.assertEqual(self.ask("GET", "/dir/", "v.example").body, b"<p>no entry</p>")


class Listings(unittest.TestCase):
    def test_options_indexes(self):
        s = Server(extra="""
Options Indexes
<VirtualHost *:@PORT@>
    ServerName off.example
    Options -Indexes
</VirtualHost>
<VirtualHost *:@PORT@>
    ServerName on.example
</VirtualHost>
""")
        with open(s.conf) as f:
            text = f.read().replace("@PORT@", str(s.port))
        with open(s.conf, "w") as f:
            f.write(text)
        s.write("list/b file.txt", b"12345")
        s.write("list/a<&>.txt", b"1")
        s.write("list/.hidden", b"secret")
        s.write("list/zsub/x", b"x")
        with running(s):
            r = s.conn().request("GET", "/list/", host="on.example")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
            body = r.body.decode()
            rows = re.findall(r'<a href="([^"]*)">([^<]*)</a></td><td>[^<]*</td><td>([^<]*)<',
                              body)
            self.assertEqual(rows, [("../", "Parent Directory", "-"),
                                    ("a%3C%26%3E.txt", "a&lt;&amp;&gt;.txt", "1"),
                                    ("b%20file.txt", "b file.txt", "5"),
                                    ("zsub/", "zsub/", "-")])
            self.assertNotIn("hidden", body)
            self.assertIn("<title>Index of /list/</title>", body)
            r = s.conn().request("HEAD", "/list/", host="on.example")
            self.assertEqual((r.status, r.body), (200, b""))
            self.assertEqual(s.conn().request("GET", "/list/", host="off.example").status, 403)
            # an index file still wins over the listing
            s.write("list/index.html", b"the index\n")
            r = s.conn().request("GET", "/list/", host="on.example")
            self.assertEqual(r.body, b"the index\n")


if __name__ == "__main__":
    evtest.main()
