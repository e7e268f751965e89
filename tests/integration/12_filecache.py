"""The per-worker cache of small files (FileCacheSize, FileCacheMaxFileSize) against
the real daemon: GET, HEAD, ranges and conditionals answered the same whether a file
comes from the cache or from sendfile; changes on disk (rewrite, rename, delete,
chmod, a new DirectoryIndex file, a skipped index file that becomes usable) seen
within 3 s (the cache revalidates at most once a second); files at and above the
size limit; a budget small enough to evict.

Each class runs the same checks against its own daemon: the cache with explicit
limits, a budget that keeps only a few files, and the cache off (FileCacheSize 0).
A daemon has one child with four workers, each with its own cache, so a check
repeats a request on new connections (spread over the workers) and on one
keep-alive connection (one worker, answered from its cache after the first time).
"""
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, fd_targets, wait_until  # noqa: E402

LIMIT = 16384  # FileCacheMaxFileSize in the classes below
REPEAT = 8  # requests per check: more than the workers, so every cache gets the file
CHANGE_WITHIN = 3.0  # seconds a change on disk may take to show (1 s by design)


def pattern(n, seed=0):
    """n bytes that differ at every offset, so a wrong range shows."""
    return bytes((i * 7 + seed * 13 + (i >> 8)) % 256 for i in range(n))


SMALL = pattern(3000)
TORN = ("torn", None)  # the connection closed mid-answer (a file shrank under sendfile)


def aged(path):
    """Date the file a minute back: Last-Modified is clamped to Date for a file from
    the current second (or later, by a finer file system clock), so a file seen
    both before and after that second would answer two Last-Modified values."""
    t = time.time() - 60
    os.utime(path, (t, t))


def child_euid(server):
    """The effective uid of the daemon's (first) child, which serves the files."""
    pid = server.children()[0]
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[2])
    raise AssertionError("no Uid in /proc/%d/status" % pid)


class FileCacheChecks:
    """The checks; a subclass names the daemon's configuration in EXTRA."""

    EXTRA = ""

    @classmethod
    def setUpClass(cls):
        files = {"small.txt": SMALL,
                 "at_limit.bin": pattern(LIMIT, 1),
                 "over_limit.bin": pattern(LIMIT + 1, 2),
                 "large.bin": pattern(200000, 3),
                 "empty.txt": b""}
        for i in range(24):
            files["many/f%02d.txt" % i] = pattern(1000 + 97 * i, 10 + i)
        cls.s = Server(files=files, extra="DirectoryIndex index.html index.htm\n" + cls.EXTRA)
        cls.s.start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    # -- helpers ------------------------------------------------------------------

    def fresh(self):
        """A new connection (closed by the test's cleanup)."""
        c = self.s.conn()
        self.addCleanup(c.close)
        return c

    def connections(self):
        """One keep-alive connection used REPEAT times, then REPEAT new ones."""
        ka = self.fresh()
        for _ in range(REPEAT):
            yield ka
        for _ in range(REPEAT):
            c = self.s.conn()
            try:
                yield c
            finally:
                c.close()

    def assert_file(self, path, data, ctype=None):
        """Every way of asking for `path` answers `data`, on every connection."""
        etag = lastmod = None
        n = len(data)
        for i, c in enumerate(self.connections()):
            what = "%s, request %d" % (path, i)
            r = c.request("GET", path)
            self.assertEqual(r.status, 200, what)
            self.assertEqual(r.header("Content-Length"), str(n), what)
            self.assertEqual(r.body, data, what)
            self.assertEqual(r.header("Accept-Ranges"), "bytes", what)
            if ctype:
                self.assertTrue(r.header("Content-Type", "").startswith(ctype), what)
            # the validators do not change with the cache's state
            if etag is None:
                etag, lastmod = r.header("ETag"), r.header("Last-Modified")
                self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+"$')
            self.assertEqual((r.header("ETag"), r.header("Last-Modified")), (etag, lastmod),
                             what)

            r = c.request("HEAD", path)  # a body sent anyway would break the next answer
            self.assertEqual(r.status, 200, what)
            self.assertEqual(r.header("Content-Length"), str(n), what)
            self.assertEqual(r.header("ETag"), etag, what)

            r = c.request("GET", path, {"If-None-Match": etag})
            self.assertEqual(r.status, 304, what)
            self.assertEqual(r.header("ETag"), etag, what)
            self.assertIsNone(r.header("Content-Length"), what)
            r = c.request("GET", path, {"If-Modified-Since": lastmod})
            self.assertEqual(r.status, 304, what)
            r = c.request("GET", path, {"If-None-Match": '"other"'})
            self.assertEqual((r.status, r.body), (200, data), what)

            if n == 0:
                continue
            first, last = n // 3, n // 3 + min(99, n - n // 3 - 1)
            r = c.request("GET", path, {"Range": "bytes=%d-%d" % (first, last)})
            self.assertEqual(r.status, 206, what)
            self.assertEqual(r.header("Content-Range"), "bytes %d-%d/%d" % (first, last, n), what)
            self.assertEqual(r.body, data[first:last + 1], what)
            r = c.request("GET", path, {"Range": "bytes=-7"})
            self.assertEqual((r.status, r.body), (206, data[-7:]), what)
            if n >= 30:
                spans = [(0, 9), (20, 29), (n - 5, n - 1)]
                r = c.request("GET", path, {"Range": "bytes=0-9,20-29,-5"})
                self.assert_multipart(r, data, spans, what)
                r = c.request("HEAD", path, {"Range": "bytes=0-9,20-29,-5"})
                self.assertEqual(r.status, 200, what)  # HEAD ignores Range
            r = c.request("GET", path, {"Range": "bytes=%d-" % (n + 10)})
            self.assertEqual(r.status, 416, what)
            self.assertEqual(r.header("Content-Range"), "bytes */%d" % n, what)
        return etag

    def assert_multipart(self, r, data, spans, what):
        self.assertEqual(r.status, 206, what)
        m = re.match(r"multipart/byteranges; boundary=(\S+)$", r.header("Content-Type", ""))
        self.assertTrue(m, what)
        self.assertEqual(int(r.header("Content-Length")), len(r.body), what)
        sep = b"\r\n--" + m.group(1).encode()
        # the first delimiter may or may not follow a CRLF (RFC 2046 section 5.1.1)
        body = r.body if r.body.startswith(b"\r\n") else b"\r\n" + r.body
        parts = body.split(sep)
        self.assertEqual(parts[0], b"", what)
        self.assertEqual(parts[-1], b"--\r\n", what)
        self.assertEqual(len(parts), len(spans) + 2, what)
        for part, (a, b) in zip(parts[1:-1], spans):
            head, body = part.split(b"\r\n\r\n", 1)
            self.assertIn(b"Content-Range: bytes %d-%d/%d" % (a, b, len(data)), head, what)
            self.assertEqual(body, data[a:b + 1], what)

    def answer(self, path, torn_ok=False):
        """(status, body) on a new connection; TORN if the server closed mid-answer
        and torn_ok (a file changing under sendfile), else that fails the test."""
        try:
            r = self.s.get(path)
        except (EOFError, ConnectionError, socket.timeout):
            if not torn_ok:
                raise
            return TORN
        return r.status, r.body

    def wait_for(self, path, want, transitional):
        """Poll until REPEAT answers in a row on new connections are `want` (status,
        body), within CHANGE_WITHIN seconds of the call; until then every answer must
        satisfy transitional(answer) (the old file, say: never stray bytes)."""
        deadline = time.monotonic() + CHANGE_WITHIN
        streak = 0
        while streak < REPEAT:
            got = self.answer(path, torn_ok=True)
            if got == want:
                streak += 1
                continue
            streak = 0
            self.assertTrue(transitional(got), "%s: unexpected answer %r" % (
                path, (got[0], got[1][:60] if got[1] else got[1])))
            if time.monotonic() > deadline:
                self.fail("%s: still %r after %.1fs" % (path, got[0], CHANGE_WITHIN))
            time.sleep(0.02)  # pacing only: the condition is polled above

    def warm(self, path, data):
        """Ask every worker for the file (so their caches hold it), checking it."""
        for _ in range(2 * REPEAT):
            self.assertEqual(self.answer(path), (200, data))

    # -- the checks ---------------------------------------------------------------

    def test_small_file(self):
        self.assert_file("/small.txt", SMALL, "text/plain")

    def test_empty_file(self):
        self.assert_file("/empty.txt", b"", "text/plain")

    def test_at_and_over_the_limit(self):
        self.assert_file("/at_limit.bin", pattern(LIMIT, 1))
        self.assert_file("/over_limit.bin", pattern(LIMIT + 1, 2))
        self.assert_file("/large.bin", pattern(200000, 3))

    def test_many_files(self):
        """More files than a small budget holds, asked for round-robin."""
        c = self.fresh()
        for rnd in range(4):
            for i in range(24):
                path = "/many/f%02d.txt" % i
                r = c.request("GET", path) if rnd % 2 else self.s.get(path)
                self.assertEqual((r.status, r.body), (200, pattern(1000 + 97 * i, 10 + i)), path)

    def test_rewritten_in_place(self):
        old, new = pattern(1500, 4), pattern(2500, 5)
        self.s.write("rewrite.txt", old)
        self.warm("/rewrite.txt", old)
        with open(self.s.path("rewrite.txt"), "r+b") as f:  # same inode, new size
            f.write(new)

        def mixed(got):
            # sendfile may meet the write half done: each byte old or new, no other
            return got == TORN or (got[0] == 200 and len(got[1]) in (len(old), len(new)) and
                                   all(b in (o, n) for b, o, n in zip(got[1], old, new)))
        self.wait_for("/rewrite.txt", (200, new), mixed)

    def test_truncated_and_rewritten(self):
        old, new = pattern(2000, 6), pattern(700, 7)
        self.s.write("trunc.txt", old)
        self.warm("/trunc.txt", old)
        self.s.write("trunc.txt", new)  # O_TRUNC: empty for a moment
        self.wait_for("/trunc.txt", (200, new),
                      lambda got: got in (TORN, (200, old)) or
                      (got[0] == 200 and new.startswith(got[1])))

    def test_replaced_by_rename(self):
        old, new = pattern(1200, 8), pattern(1200, 9)  # same size: the inode tells
        self.s.write("renamed.txt", old)
        self.warm("/renamed.txt", old)
        etag = self.s.get("/renamed.txt").header("ETag")
        self.s.write("renamed.txt.tmp", new)
        os.replace(self.s.path("renamed.txt.tmp"), self.s.path("renamed.txt"))
        changed = time.monotonic()
        self.wait_for("/renamed.txt", (200, new), lambda got: got == (200, old))
        # Every worker has its own cache, each revalidated at most once a second: only
        # after that documented bound must no worker answer for the old file any more.
        while time.monotonic() < changed + 1.2:
            time.sleep(0.05)  # the bound itself is what is tested
        r = self.s.get("/renamed.txt", {"If-None-Match": etag})
        self.assertEqual((r.status, r.body), (200, new))
        self.assertNotEqual(r.header("ETag"), etag)

    def test_deleted(self):
        data = pattern(900, 11)
        self.s.write("deleted.txt", data)
        self.warm("/deleted.txt", data)
        os.unlink(self.s.path("deleted.txt"))
        self.wait_for("/deleted.txt", (404, self.answer("/no-such-file")[1]),
                      lambda got: got == (200, data))

    def test_chmod_000(self):
        data = pattern(800, 12)
        self.s.write("secret.txt", data)
        if child_euid(self.s) == 0:
            # evtest runs the children as User nobody when the tests run as root, so
            # this only happens if that changes: root reads a file of mode 000
            self.skipTest("the daemon's children run as root")
        self.warm("/secret.txt", data)
        os.chmod(self.s.path("secret.txt"), 0)
        forbidden = (403, self.forbidden_page())
        self.wait_for("/secret.txt", forbidden, lambda got: got == (200, data))
        os.chmod(self.s.path("secret.txt"), 0o644)
        self.wait_for("/secret.txt", (200, data), lambda got: got == forbidden)

    def forbidden_page(self):
        os.makedirs(self.s.path("noindex"), exist_ok=True)
        r = self.s.get("/noindex/")  # a directory without an index: 403
        self.assertEqual(r.status, 403)
        return r.body

    def test_directory_index_priority(self):
        low, high = b"the index.htm\n", b"the index.html, first in DirectoryIndex\n"
        aged(self.s.write("d/index.htm", low))
        self.warm("/d/", low)
        self.assert_file("/d/", low, "text/html")
        self.assertEqual(self.s.get("/d").status, 301)
        # added whole (written aside, renamed in), so that no answer is half of it
        aged(self.s.write("d/.index.html.tmp", high))
        os.replace(self.s.path("d/.index.html.tmp"), self.s.path("d/index.html"))
        self.wait_for("/d/", (200, high), lambda got: got == (200, low))
        self.assert_file("/d/", high, "text/html")
        self.assertEqual(self.answer("/d/index.htm"), (200, low))

    def test_directory_index_unreadable_then_readable(self):
        """A first-ranked index.html that cannot be opened (mode 000) is skipped for
        index.htm; made readable again (chmod changes neither the directory nor
        index.htm, which is all a cached answer could be checked against), it is
        served within the revalidation time."""
        low = b"the index.htm, second in DirectoryIndex\n"
        high = b"the index.html, made readable again\n"
        aged(self.s.write("idx-chmod/index.htm", low))
        aged(self.s.write("idx-chmod/index.html", high))
        if child_euid(self.s) == 0:
            self.skipTest("the daemon's children run as root")  # as in test_chmod_000
        os.chmod(self.s.path("idx-chmod/index.html"), 0)
        self.warm("/idx-chmod/", low)
        self.assert_file("/idx-chmod/", low, "text/html")
        os.chmod(self.s.path("idx-chmod/index.html"), 0o644)
        self.wait_for("/idx-chmod/", (200, high), lambda got: got == (200, low))
        self.assert_file("/idx-chmod/", high, "text/html")

    def test_directory_index_dangling_link_gets_its_target(self):
        """A first-ranked index.html that is a symbolic link to a file not there yet
        is skipped for index.htm; once the target appears (in another directory, so
        nothing in this one changes) it is served within the revalidation time."""
        low = b"the index.htm, second in DirectoryIndex\n"
        high = b"the target of index.html, arrived late\n"
        self.s.write("idx-link-targets/other.txt", b"keeps the directory\n")
        aged(self.s.write("idx-link/index.htm", low))
        os.symlink("../idx-link-targets/late.html", self.s.path("idx-link/index.html"))
        self.warm("/idx-link/", low)
        self.assert_file("/idx-link/", low, "text/html")
        # added whole (written aside, renamed in), so that no answer is half of it
        aged(self.s.write("idx-link-targets/.late.tmp", high))
        os.replace(self.s.path("idx-link-targets/.late.tmp"),
                   self.s.path("idx-link-targets/late.html"))
        self.wait_for("/idx-link/", (200, high), lambda got: got == (200, low))
        self.assert_file("/idx-link/", high, "text/html")


class CacheOnTest(FileCacheChecks, unittest.TestCase):
    """The cache on, with its limits named (the defaults)."""

    EXTRA = "FileCacheSize 262144\nFileCacheMaxFileSize %d\n" % LIMIT


class CacheEvictingTest(FileCacheChecks, unittest.TestCase):
    """A budget that holds only a few small files: entries come and go all the time."""

    EXTRA = "FileCacheSize 12000\nFileCacheMaxFileSize %d\n" % LIMIT


class DescriptorCacheTest(FileCacheChecks, unittest.TestCase):
    """FileCacheMaxFileSize 256: nearly every file is kept as an open descriptor
    (FileCacheDescriptors), only four a worker, so they are evicted all the time; the
    same answers, and a deleted file's descriptor is closed once the workers are idle."""

    EXTRA = "FileCacheSize 262144\nFileCacheMaxFileSize 256\nFileCacheDescriptors 4\n"

    def test_deleted_file_closed_when_idle(self):
        data = pattern(5000, 13)
        self.s.write("gone.bin", data)
        self.warm("/gone.bin", data)
        os.unlink(self.s.path("gone.bin"))

        def held():
            return [t for pid in self.s.children() for t in fd_targets(pid)
                    if "gone.bin" in t]
        # a worker with nothing to do drops its descriptors before it sleeps
        wait_until(lambda: not held(), 5, what="the deleted file's descriptors closed",
                   detail=held)


class CacheOffTest(FileCacheChecks, unittest.TestCase):
    """FileCacheSize 0: every file from sendfile, the same answers."""

    EXTRA = "FileCacheSize 0\nFileCacheMaxFileSize %d\n" % LIMIT


if __name__ == "__main__":
    evtest.main()
