"""PrecompressedFiles against the real daemon: x.css answered from x.css.br or
x.css.gz for a client that accepts the coding (q-values, q=0, "*", x-gzip), with the
original's Content-Type, Content-Encoding, Vary and an ETag of its own; identity with
Vary otherwise; a variant older than the file, not a regular file, or a symlink out of
the root is ignored; conditionals, ranges (multipart included) and HEAD on the encoded
bytes; directory index files and Alias targets; a variant that appears or goes stale
while the server runs; a virtual host inheriting the directive, and one turning it off
that never serves a variant. The server never decodes: the .br file is a valid
brotli stream only so that curl can decode it.
"""
import gzip
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, running, wait_until  # noqa: E402

REPEAT = 8  # requests per check on fresh connections: more than the workers
CHANGE_WITHIN = 3.0  # seconds a change on disk may take to show (1 s by design)

CSS = b"".join(b".rule-%d { color: #%06x; margin: %dpx; }\n" % (i, i * 2654435 & 0xFFFFFF, i)
               for i in range(200))
HTML = b"<html><body>" + b"<p>directory index</p>\n" * 50 + b"</body></html>\n"


def brotli_stored(data):
    """A brotli stream (RFC 7932) holding data in one uncompressed meta-block:
    WBITS=16, then ISLAST=0, MNIBBLES=4, MLEN-1, ISUNCOMPRESSED=1, padding to a byte,
    the bytes, and an empty last meta-block."""
    assert 0 < len(data) <= 65536
    header = (len(data) - 1) << 4 | 1 << 20
    return header.to_bytes(3, "little") + data + b"\x03"


def aged(path, seconds=60):
    """Date a file `seconds` back (a file of the current second has its Last-Modified
    clamped to Date, which would make two answers differ)."""
    t = time.time() - seconds
    os.utime(path, (t, t), follow_symlinks=False)


def precompressed_server():
    s = Server(extra="""
PrecompressedFiles gzip br
Alias /alias @DIR@/aliased
<VirtualHost *:@PORT@>
    ServerName inherits.example
</VirtualHost>
<VirtualHost *:@PORT@>
    ServerName plain.example
    PrecompressedFiles off
</VirtualHost>
""")
    with open(s.conf) as f:
        text = f.read().replace("@DIR@", s.dir).replace("@PORT@", str(s.port))
    with open(s.conf, "w") as f:
        f.write(text)
    s.gz = gzip.compress(CSS)
    s.br = brotli_stored(CSS)
    s.html_gz = gzip.compress(HTML)
    files = {"x.css": CSS, "x.css.gz": s.gz, "x.css.br": s.br,
             "gzonly.css": CSS, "gzonly.css.gz": s.gz,
             "old.css": CSS, "old.css.gz": s.gz,
             "dirvar.css": CSS,
             "link.css": CSS,
             "none.css": CSS,
             "stale.css": CSS, "stale.css.gz": s.gz,
             "gone.css": CSS, "gone.css.gz": s.gz,
             "dir/index.html": HTML, "dir/index.html.gz": s.html_gz}
    for name, data in files.items():
        aged(s.write(name, data))
    aged(s.path("old.css.gz"), 3600)  # older than old.css
    os.mkdir(s.path("dirvar.css.gz"))  # not a regular file
    outside = os.path.join(s.dir, "outside.gz")
    with open(outside, "wb") as f:
        f.write(s.gz)
    os.symlink(outside, s.path("link.css.gz"))  # leads out of the root
    aliased = os.path.join(s.dir, "aliased")
    os.mkdir(aliased)
    for name, data in (("a.txt", b"aliased text\n" * 40), ("a.txt.gz", b"GZ of a.txt")):
        with open(os.path.join(aliased, name), "wb") as f:
            f.write(data)
        aged(os.path.join(aliased, name))
    return s


def get(s, path, ae=None, host="localhost", method="GET", headers=None, conn=None):
    h = dict(headers or {})
    if ae is not None:
        h["Accept-Encoding"] = ae
    c = conn or s.conn()
    try:
        return c.request(method, path, h, host=host)
    finally:
        if conn is None:
            c.close()


class Precompressed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = precompressed_server()
        cls.ctx = running(cls.s)
        cls.ctx.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.ctx.__exit__(None, None, None)

    def assert_vary(self, r, vary=True):
        """Vary: Accept-Encoding once, or no Vary at all."""
        got = [v for k, v in r.headers if k.lower() == "vary"]
        self.assertEqual(got, ["Accept-Encoding"] if vary else [], r)

    def assert_coded(self, r, coding, body, ctype="text/css"):
        self.assertEqual(r.status, 200, r)
        self.assert_vary(r)
        self.assertEqual(r.header("Content-Encoding"), coding, r)
        self.assertEqual(r.header("Content-Type"), ctype, r)
        self.assertEqual(r.body, body)

    def assert_identity(self, r, body=CSS, vary=True):
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("Content-Encoding"), r)
        self.assert_vary(r, vary)
        self.assertEqual(r.body, body)

    def test_negotiation(self):
        s = self.s
        cases = [(None, None), ("gzip", "gzip"), ("br", "br"), ("gzip, br", "br"),
                 ("gzip, deflate, br, zstd", "br"), ("GZIP", "gzip"), ("x-gzip", "gzip"),
                 ("gzip;q=1.0, br;q=0.5", "gzip"), ("br;q=0.5, gzip;q=0.5", "br"),
                 ("br;q=0, gzip;q=0", None), ("gzip;q=0", None), ("*;q=0", None),
                 ("*", "br"), ("gzip;q=0, *", "br"), ("br;q=0, *;q=0.1", "gzip"),
                 ("deflate", None), ("", None), ("identity", None)]
        bodies = {None: CSS, "gzip": s.gz, "br": s.br}
        # on one keep-alive connection (one worker's cache, hits after the first) and on
        # fresh ones (spread over the workers)
        c = s.conn()
        for _ in range(2):
            for ae, coding in cases:
                r = get(s, "/x.css", ae, conn=c)
                if coding is None:
                    self.assert_identity(r)
                else:
                    self.assert_coded(r, coding, bodies[coding])
        c.close()
        for _ in range(REPEAT):
            for ae, coding in cases[:5]:
                r = get(s, "/x.css", ae)
                self.assertEqual((r.header("Content-Encoding"), r.body),
                                 (coding, bodies[coding]), ae)
        # only what exists: no .br here, so br falls back to gzip, or to identity
        self.assert_coded(get(s, "/gzonly.css", "br, gzip;q=0.1"), "gzip", s.gz)
        self.assert_identity(get(s, "/gzonly.css", "br"))
        # Accept-Encoding over two lines is one list
        c = s.conn()
        c.send(b"GET /x.css HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: br;q=0\r\n"
               b"Accept-Encoding: gzip\r\n\r\n")
        self.assert_coded(c.read_response(), "gzip", s.gz)
        c.close()

    def test_curl_decodes(self):
        s = self.s
        url = "http://127.0.0.1:%d" % s.port
        out = subprocess.run(["curl", "-sS", "--compressed", "-D", "-", "-o",
                              os.path.join(s.dir, "curl.gz.out"), url + "/gzonly.css"],
                             capture_output=True, timeout=30, check=True).stdout.decode()
        self.assertRegex(out, r"(?i)content-encoding: gzip\r\n")
        with open(os.path.join(s.dir, "curl.gz.out"), "rb") as f:
            self.assertEqual(f.read(), CSS)
        version = subprocess.run(["curl", "-V"], capture_output=True, text=True,
                                 timeout=30).stdout
        if "brotli" not in version.lower():
            sys.stderr.write("curl without brotli: br decoding not checked\n")
            return
        out = subprocess.run(["curl", "-sS", "--compressed", "-D", "-", "-o",
                              os.path.join(s.dir, "curl.br.out"), url + "/x.css"],
                             capture_output=True, timeout=30, check=True).stdout.decode()
        self.assertRegex(out, r"(?i)content-encoding: br\r\n")
        with open(os.path.join(s.dir, "curl.br.out"), "rb") as f:
            self.assertEqual(f.read(), CSS)

    def test_unusable_variants_are_ignored(self):
        s = self.s
        for _ in range(REPEAT):
            self.assert_identity(get(s, "/old.css", "gzip"))  # older than the file
            self.assert_identity(get(s, "/dirvar.css", "gzip"))  # a directory
            self.assert_identity(get(s, "/link.css", "gzip"))  # a symlink out of the root
        # the variant itself is a file like any other, with no Content-Encoding
        r = get(s, "/x.css.gz", "gzip")
        self.assertEqual((r.status, r.header("Content-Encoding"), r.body), (200, None, s.gz))
        self.assertEqual(r.header("Content-Type"), "application/gzip")

    def test_etags_and_conditionals(self):
        s = self.s
        tags = {ae: get(s, "/x.css", ae).header("ETag") for ae in (None, "gzip", "br")}
        self.assertEqual(len(set(tags.values())), 3, tags)
        self.assertTrue(tags["gzip"].endswith('-gzip"'), tags)
        self.assertTrue(tags["br"].endswith('-br"'), tags)
        for _ in range(REPEAT):
            r = get(s, "/x.css", "gzip", headers={"If-None-Match": tags["gzip"]})
            self.assertEqual(r.status, 304, r)
            self.assertEqual(r.header("ETag"), tags["gzip"])
            self.assert_vary(r)
            # the same tag means nothing for another representation
            self.assert_identity(get(s, "/x.css", None, headers={"If-None-Match": tags["gzip"]}))
            self.assert_coded(get(s, "/x.css", "br", headers={"If-None-Match": tags["gzip"]}),
                              "br", s.br)
            r = get(s, "/x.css", None, headers={"If-None-Match": tags[None]})
            self.assertEqual(r.status, 304, r)
            self.assert_vary(r)
        r = get(s, "/x.css", "gzip", headers={"If-Match": tags[None]})
        self.assertEqual(r.status, 412, r)
        self.assert_vary(r)

    def test_ranges_on_encoded_bytes(self):
        s = self.s
        gz = s.gz
        for _ in range(REPEAT):
            r = get(s, "/x.css", "gzip", headers={"Range": "bytes=0-9"})
            self.assertEqual(r.status, 206, r)
            self.assertEqual(r.body, gz[:10])
            self.assertEqual(r.header("Content-Range"), "bytes 0-9/%d" % len(gz))
            self.assertEqual(r.header("Content-Encoding"), "gzip")
            self.assert_vary(r)
        r = get(s, "/x.css", "gzip", headers={"Range": "bytes=-5"})
        self.assertEqual((r.status, r.body), (206, gz[-5:]))
        # multipart: each part's range over the variant's size, the original's type
        r = get(s, "/x.css", "gzip", headers={"Range": "bytes=0-4,10-14"})
        self.assertEqual(r.status, 206, r)
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assert_vary(r)
        boundary = re.search(r"boundary=(\S+)", r.header("Content-Type")).group(1)
        parts = r.body.split(b"--" + boundary.encode())[1:-1]
        self.assertEqual(len(parts), 2)
        for part, (a, b) in zip(parts, ((0, 4), (10, 14))):
            head, body = part.split(b"\r\n\r\n", 1)
            self.assertIn(b"Content-Type: text/css", head)
            self.assertIn(b"Content-Range: bytes %d-%d/%d" % (a, b, len(gz)), head)
            self.assertEqual(body[:-2], gz[a:b + 1])
        # If-Range against the variant's own tag
        tag = get(s, "/x.css", "gzip").header("ETag")
        r = get(s, "/x.css", "gzip", headers={"Range": "bytes=0-9", "If-Range": tag})
        self.assertEqual((r.status, r.body), (206, gz[:10]))
        plain = get(s, "/x.css").header("ETag")
        r = get(s, "/x.css", "gzip", headers={"Range": "bytes=0-9", "If-Range": plain})
        self.assert_coded(r, "gzip", gz)
        # a date cannot tell the codings apart (the variant may share the file's mtime):
        # the whole representation, never bytes of one coding resumed in another
        date = get(s, "/x.css").header("Last-Modified")
        for coding, whole in (("gzip", gz), (None, None)):
            r = get(s, "/x.css", coding, headers={"Range": "bytes=0-9", "If-Range": date})
            self.assertEqual(r.status, 200, (coding, r))
            if whole is not None:
                self.assertEqual(r.body, whole)
        # beyond the variant (though not beyond the original): 416 over the variant's size
        r = get(s, "/x.css", "gzip", headers={"Range": "bytes=%d-" % (len(gz) + 10)})
        self.assertEqual(r.status, 416, r)
        self.assertEqual(r.header("Content-Range"), "bytes */%d" % len(gz))
        self.assert_vary(r)

    def test_head(self):
        s = self.s
        for ae, coding, size in (("gzip", "gzip", len(s.gz)), ("br", "br", len(s.br)),
                                 (None, None, len(CSS))):
            c = s.conn()
            r = get(s, "/x.css", ae, method="HEAD", conn=c)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Encoding"), coding)
            self.assertEqual(r.header("Content-Length"), str(size))
            self.assert_vary(r)
            # no body followed: the next answer on the connection is parsed cleanly
            self.assert_identity(get(s, "/x.css", conn=c))
            c.close()

    def test_directory_index_and_alias(self):
        s = self.s
        for _ in range(REPEAT):
            self.assert_coded(get(s, "/dir/", "gzip"), "gzip", s.html_gz, ctype="text/html")
            self.assert_identity(get(s, "/dir/", None), HTML)
            self.assert_coded(get(s, "/alias/a.txt", "gzip"), "gzip", b"GZ of a.txt",
                              ctype="text/plain")
            self.assert_identity(get(s, "/alias/a.txt", "br"), b"aliased text\n" * 40)

    def test_virtual_hosts(self):
        s = self.s
        for _ in range(REPEAT):
            # the first vhost (the default) inherits the main server's directive
            self.assert_coded(get(s, "/x.css", "gzip", host="inherits.example"), "gzip", s.gz)
            # PrecompressedFiles off: the same files, never a variant, no Vary
            for ae in ("gzip", "br", "*", None):
                self.assert_identity(get(s, "/x.css", ae, host="plain.example"), vary=False)
            self.assert_identity(get(s, "/dir/", "gzip", host="plain.example"), HTML, vary=False)

    def test_changes_on_disk(self):
        s = self.s
        # a variant that appears is served within the revalidation delay
        for _ in range(REPEAT):
            self.assert_identity(get(s, "/none.css", "gzip"))
        aged(s.write("none.css.gz", s.gz), 30)
        wait_until(lambda: all(get(s, "/none.css", "gzip").body == s.gz for _ in range(REPEAT)),
                   CHANGE_WITHIN + 2, what="the new variant to be served")
        # a file rewritten after its variant: the variant is stale and left alone
        for _ in range(REPEAT):
            self.assert_coded(get(s, "/stale.css", "gzip"), "gzip", s.gz)
        s.write("stale.css", CSS + b"/* newer */\n")
        wait_until(lambda: all(get(s, "/stale.css", "gzip").body == CSS + b"/* newer */\n"
                               for _ in range(REPEAT)),
                   CHANGE_WITHIN + 2, what="the stale variant to be ignored")
        # a variant that disappears
        for _ in range(REPEAT):
            self.assert_coded(get(s, "/gone.css", "gzip"), "gzip", s.gz)
        os.unlink(s.path("gone.css.gz"))
        wait_until(lambda: all(get(s, "/gone.css", "gzip").body == CSS for _ in range(REPEAT)),
                   CHANGE_WITHIN + 2, what="the removed variant to be forgotten")


class WithoutCache(Precompressed):
    """The same with the file cache off: every request opens the files."""

    @classmethod
    def setUpClass(cls):
        cls.s = precompressed_server()
        with open(cls.s.conf, "a") as f:
            f.write("FileCacheSize 0\n")
        cls.ctx = running(cls.s)
        cls.ctx.__enter__()


class Config(unittest.TestCase):
    def test_unknown_coding(self):
        s = Server(extra="PrecompressedFiles gzip deflate\n")
        try:
            r = subprocess.run([evtest.EVHTTPD, "-t", "-f", s.conf], capture_output=True,
                               text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertRegex(r.stderr, r"evhttpd\.conf:\d+: PrecompressedFiles: \"deflate\" is "
                                       r"not supported \(gzip and br are, or Off alone\)")
        finally:
            shutil.rmtree(s.dir, ignore_errors=True)


if __name__ == "__main__":
    evtest.main()
