"""Static HTTP/1.1: GET, HEAD, ranges, conditionals, errors, traversal — with curl and raw sockets."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server  # noqa: E402

DATA = bytes((i * 7 + 3) % 256 for i in range(10000))


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "10"] + list(args),
                       capture_output=True, timeout=20)
    return r


class HttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(files={"data.bin": DATA, "dir/index.html": b"dir index\n",
                              "noindex/file.txt": b"x\n", "style.css": b"body{}\n",
                              "a b.txt": b"space\n"})
        os.symlink("/etc/passwd", cls.s.path("evil"))
        os.symlink("data.bin", cls.s.path("good-link"))
        cls.s.start()
        cls.url = "http://127.0.0.1:%d" % cls.s.port

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_get_with_curl(self):
        r = curl("-D", "-", self.url + "/data.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        head, body = r.stdout.split(b"\r\n\r\n", 1)
        self.assertEqual(body, DATA)
        self.assertIn(b"HTTP/1.1 200 OK", head)
        self.assertIn(b"Content-Length: 10000", head)
        self.assertRegex(head, rb"ETag: \"[0-9a-f]+-[0-9a-f]+\"")
        self.assertRegex(head, rb"Last-Modified: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT")
        self.assertRegex(head, rb"Date: \w{3}, \d\d \w{3} \d{4}")
        self.assertIn(b"Accept-Ranges: bytes", head)

    def test_head_has_no_body(self):
        r = curl("-I", self.url + "/data.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Content-Length: 10000", r.stdout)
        self.assertTrue(r.stdout.endswith(b"\r\n\r\n"))

    def test_mime_types(self):
        self.assertEqual(self.s.get("/style.css").header("Content-Type"), "text/css")
        self.assertTrue(self.s.get("/").header("Content-Type").startswith("text/html"))

    def test_range_single(self):
        r = curl("-D", "-", "-r", "100-199", self.url + "/data.bin")
        head, body = r.stdout.split(b"\r\n\r\n", 1)
        self.assertIn(b"206 Partial Content", head)
        self.assertIn(b"Content-Range: bytes 100-199/10000", head)
        self.assertEqual(body, DATA[100:200])
        r = self.s.get("/data.bin", {"Range": "bytes=-5"})
        self.assertEqual((r.status, r.body), (206, DATA[-5:]))

    def test_range_multipart(self):
        r = self.s.get("/data.bin", {"Range": "bytes=0-9,20-29"})
        self.assertEqual(r.status, 206)
        ctype = r.header("Content-Type")
        m = re.match(r"multipart/byteranges; boundary=(\S+)$", ctype)
        self.assertTrue(m, ctype)
        parts = r.body.split(b"--" + m.group(1).encode())
        self.assertEqual(len(parts), 4)  # preamble, two parts, closing "--\r\n"
        self.assertTrue(parts[1].endswith(DATA[0:10] + b"\r\n"))
        self.assertIn(b"Content-Range: bytes 20-29/10000", parts[2])
        self.assertTrue(parts[2].endswith(DATA[20:30] + b"\r\n"))
        self.assertEqual(parts[3], b"--\r\n")

    def test_range_unsatisfiable(self):
        r = self.s.get("/data.bin", {"Range": "bytes=20000-"})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.header("Content-Range"), "bytes */10000")

    def test_range_invalid_is_ignored(self):
        r = self.s.get("/data.bin", {"Range": "bytes=abc"})
        self.assertEqual((r.status, len(r.body)), (200, 10000))

    def test_if_range(self):
        etag = self.s.get("/data.bin").header("ETag")
        r = self.s.get("/data.bin", {"Range": "bytes=0-0", "If-Range": etag})
        self.assertEqual(r.status, 206)
        r = self.s.get("/data.bin", {"Range": "bytes=0-0", "If-Range": '"other"'})
        self.assertEqual(r.status, 200)

    def test_conditionals_with_curl(self):
        first = self.s.get("/data.bin")
        etag, lm = first.header("ETag"), first.header("Last-Modified")
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: " + etag,
                 self.url + "/data.bin")
        self.assertEqual(r.stdout, b"304")
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "If-Modified-Since: " + lm,
                 self.url + "/data.bin")
        self.assertEqual(r.stdout, b"304")
        self.assertEqual(self.s.get("/data.bin", {"If-Match": '"nope"'}).status, 412)
        self.assertEqual(self.s.get("/data.bin", {"If-Match": etag}).status, 200)
        self.assertEqual(self.s.get("/data.bin", {
            "If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status, 412)
        r304 = self.s.get("/data.bin", {"If-None-Match": etag})
        self.assertEqual(r304.header("ETag"), etag)
        self.assertIsNone(r304.header("Content-Length"))

    def test_directory_redirect_and_index(self):
        r = self.s.get("/dir?x=1")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("Location"), "/dir/?x=1")
        r = self.s.get("/dir/")
        self.assertEqual((r.status, r.body), (200, b"dir index\n"))
        self.assertEqual(self.s.get("/noindex/").status, 403)

    def test_not_found_and_error_page(self):
        r = self.s.get("/missing")
        self.assertEqual(r.status, 404)
        self.assertIn(b"<h1>Not Found</h1>", r.body)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))

    def test_traversal(self):
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/dir/../../etc/passwd",
                     "/%2E%2e/etc/passwd"):
            r = self.s.get(path)
            self.assertIn(r.status, (400, 404), path)
            self.assertNotIn(b"root:", r.body)
        self.assertEqual(self.s.get("/evil").status, 403)
        self.assertEqual(self.s.get("/good-link").body, DATA)
        self.assertEqual(self.s.get("/a%20b.txt").body, b"space\n")
        self.assertEqual(self.s.get("/dir%2Findex.html").status, 404)

    def test_methods(self):
        r = self.s.get("/data.bin", method="POST")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")
        self.assertEqual(self.s.get("/", method="TRACE").status, 405)
        self.assertEqual(self.s.get("/", method="BREW").status, 501)
        r = self.s.get("*", method="OPTIONS")
        self.assertEqual((r.status, r.header("Allow")), (200, "GET, HEAD, OPTIONS"))

    def test_bad_requests(self):
        c = self.s.conn()
        c.send(b"GET / HTTP/1.1\r\n\r\n")  # no Host
        self.assertEqual(c.read_response().status, 400)
        self.assertTrue(c.closed_by_peer())
        c = self.s.conn()
        c.send(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response().status, 505)
        c = self.s.conn()
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
        self.assertEqual(c.read_response().status, 400)
        self.assertTrue(c.closed_by_peer())
        c = self.s.conn()
        c.send(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response().status, 414)

    def test_absolute_form(self):
        r = self.s.get("http://example.org/data.bin")
        self.assertEqual((r.status, len(r.body)), (200, 10000))

    def test_http10(self):
        c = self.s.conn()
        r = c.request("GET", "/data.bin", version="HTTP/1.0", host=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Connection"), "close")
        self.assertTrue(c.closed_by_peer())
        c = self.s.conn()
        r = c.request("GET", "/data.bin", {"Connection": "keep-alive"}, version="HTTP/1.0",
                      host=None)
        self.assertEqual(r.header("Connection"), "keep-alive")
        self.assertEqual(c.request("GET", "/", {"Connection": "keep-alive"},
                                   version="HTTP/1.0").status, 200)
        c.close()

    def test_keepalive_reuse_with_curl(self):
        r = curl("-v", "-o", "/dev/null", "-o", "/dev/null", self.url + "/data.bin",
                 self.url + "/dir/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Re-using existing connection", r.stderr)
        self.assertEqual(r.stderr.count(b"Connected to"), 1)

    def test_pipelining_in_order(self):
        c = self.s.conn()
        c.send(b"GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\n"
               b"HEAD /dir/ HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        r1 = c.read_response()
        r2 = c.read_response(head_only=True)
        r3 = c.read_response()
        r4 = c.read_response()
        self.assertEqual([r1.status, r2.status, r3.status, r4.status], [200, 200, 404, 200])
        self.assertEqual(r1.body, DATA)
        self.assertEqual(r4.body, b"body{}\n")
        self.assertTrue(c.closed_by_peer())

    def test_bodies_are_discarded_not_parsed(self):
        c = self.s.conn()
        body = b"GET /evil HTTP/1.1\r\nHost: x\r\n\r\n" * 3000  # looks like requests
        c.send(b"GET /style.css HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        self.assertEqual(c.read_response().status, 200)
        for i in range(0, len(body), 7000):  # the body arrives after the response
            c.send(body[i:i + 7000])
        c.send(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"body{}\n"))
        chunked = (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5;ext=\"a;b\"\r\nhello\r\n1f\r\nGET /evil HTTP/1.1\r\nHost: x\r\n\r\n\r\n"
                   b"0\r\nX-Trailer: 1\r\n\r\n"
                   b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        c.send(chunked)
        self.assertEqual(c.read_response().status, 200)
        self.assertEqual(c.read_response().body, b"body{}\n")
        c.close()
        self.assertNotIn("/evil", open(self.s.access_log).read())

    def test_bad_chunked_body_closes(self):
        c = self.s.conn()
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\nhello\r\n0\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)
        self.assertTrue(c.closed_by_peer(), "a bare LF in a chunk line must end the connection")

    def test_expect(self):
        c = self.s.conn()
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Connection"), "close")
        self.assertTrue(c.closed_by_peer())
        self.assertEqual(self.s.get("/", {"Expect": "something"}).status, 417)
        self.assertEqual(self.s.get("/", {"Expect": "100-continue"}).status, 200)

    def test_header_size_limit(self):
        c = self.s.conn()
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n" +
               b"".join(b"X-%d: %s\r\n" % (i, b"v" * 4000) for i in range(9)) + b"\r\n")
        self.assertEqual(c.read_response().status, 431)

    def test_access_log(self):
        self.s.get("/style.css", {"User-Agent": "evtest"})
        lines = evtest.wait_until(
            lambda: [l for l in open(self.s.access_log).read().splitlines()
                     if '"GET /style.css HTTP/1.1" 200 7' in l], 5, what="the access log line")
        self.assertRegex(lines[-1], r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] ')


if __name__ == "__main__":
    evtest.main()
