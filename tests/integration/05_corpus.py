"""The HTTP/1.1 request corpus (tests/corpus/http1): send each case's exact bytes to one
evhttpd and check the status sequence and whether the connection stays open.

Usage: 05_corpus.py [NNN-or-name-prefix...]   (no argument: every case in MANIFEST)
Environment: EVHTTPD, SBDUMP as for the other integration tests; EV_SRCDIR to find the
corpus (default: relative to this file); CORPUS_JOBS connections at once (default 8).

Each case gets a fresh connection and at most CASE_TIMEOUT seconds to produce its
responses; then a probe "GET / HTTP/1.1" tells "open" (answered 200 with index.html)
from "close" (EOF or reset within PROBE_TIMEOUT, nothing more answered) and from "wait"
(neither within PROBE_TIMEOUT: the server is still reading a body). Cases run
concurrently on one server, each on its own connection; results print in manifest order.
Besides the manifest's expectations, every case checks: a 405 carries Allow (RFC 9110
15.5.6); a response saying "Connection: close" is the last and the connection does close;
a connection that closes said so in its last response, unless the case is "late-close".
"""
import concurrent.futures
import importlib.util
import os
import re
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Server  # noqa: E402

CASE_TIMEOUT = 5.0
PROBE_TIMEOUT = 3.0
PROBE = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
INDEX = b"<html><body>probe index</body></html>\n"
FILES = {"index.html": INDEX, "a.txt": b"a\n", "dir/index.html": b"dir index\n"}
STATUS_LINE = re.compile(rb"HTTP/1\.1 ([1-5]\d\d) [\t -~\x80-\xff]*\Z")


def corpus_dir():
    src = os.environ.get("EV_SRCDIR")
    if src:
        return os.path.join(src, "tests", "corpus", "http1")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "http1")


class Case:
    def __init__(self, file, statuses, conn, flags, note, lineno):
        self.file = file
        self.expects = [(statuses, conn)]
        self.split = False
        self.late_close = False
        self.head = set()
        self.note = note
        self.lineno = lineno
        for fl in flags:
            if fl == "split":
                self.split = True
            elif fl == "late-close":
                self.late_close = True
            elif fl.startswith("head="):
                self.head = {int(n) for n in fl[5:].split(",")}
            elif fl.startswith("alt="):
                seq, _, c = fl[4:].partition(":")
                self.expects.append((parse_statuses(seq), parse_conn(c or conn)))
            else:
                raise ValueError("unknown flag %r" % fl)


def parse_statuses(s):
    if s == "-":
        return ()
    out = tuple(int(x) for x in s.split(","))
    if not all(100 <= x <= 599 for x in out):
        raise ValueError("bad status sequence %r" % s)
    return out


def parse_conn(s):
    if s not in ("open", "close", "wait"):
        raise ValueError("connection state must be open, close or wait, not %r" % s)
    return s


def load_manifest(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.lstrip().startswith("#"):
                continue
            m = re.search(r"\s#", line)
            body, note = (line[:m.start()], line[m.end():]) if m else (line, "")
            tokens = body.split()
            if not tokens:
                continue
            if len(tokens) < 3:
                raise ValueError("MANIFEST:%d: need file, statuses, open|close|wait" % lineno)
            try:
                cases.append(Case(tokens[0], parse_statuses(tokens[1]), parse_conn(tokens[2]),
                                  tokens[3:], note.strip(), lineno))
            except ValueError as e:
                raise ValueError("MANIFEST:%d: %s" % (lineno, e))
    return cases


def fmt(statuses, conn):
    return "%s:%s" % (",".join(str(s) for s in statuses) or "-", conn)


class Response:
    def __init__(self, status, headers):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = b""

    def has_token(self, name, token):
        return any(token in [t.strip().lower() for t in v.split(",")]
                   for v in self.headers.get(name, []))


class Client:
    """A raw connection with a deadline-bounded response reader."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CASE_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False
        self.reset = False

    def send(self, data, split):
        """Send data whole or one byte per segment; a peer that closed stops it."""
        try:
            if not split:
                self.sock.sendall(data)
                return
            pace = min(0.001, 0.3 / max(len(data), 1))
            for i in range(len(data)):
                self.sock.sendall(data[i:i + 1])
                time.sleep(pace)  # lets each byte arrive alone, not synchronization
        except OSError:
            pass  # the server answered and closed early: its answer is still readable

    def fill(self, deadline):
        """Read more; False on EOF, reset or deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.eof = self.reset = True
            return False
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def response(self, head_only, deadline):
        """The next response, or None (EOF or deadline first). Raises on a malformed one."""
        while b"\r\n\r\n" not in self.buf:
            if not self.fill(deadline):
                if self.buf and self.eof:
                    raise AssertionError("truncated response head %r" % self.buf[:80])
                return None
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        m = STATUS_LINE.match(lines[0])
        if not m:
            raise AssertionError("bad status line %r" % lines[0][:80])
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                raise AssertionError("bad response field line %r" % line[:80])
            headers.setdefault(name.decode("latin-1").lower(), []).append(
                value.strip().decode("latin-1"))
        r = Response(int(m.group(1)), headers)
        self.buf = rest
        if head_only or r.status < 200 or r.status in (204, 304):
            return r
        length = headers.get("content-length")
        if length is None:
            while self.fill(deadline):
                pass
            if not self.eof:
                return None
            r.body, self.buf = self.buf, b""
            return r
        n = int(length[0])
        while len(self.buf) < n:
            if not self.fill(deadline):
                raise AssertionError("truncated body: %d of %d bytes" % (len(self.buf), n))
        r.body, self.buf = self.buf[:n], self.buf[n:]
        return r

    def close(self):
        self.sock.close()


def run_case(port, case, data):
    """Returns (ok, outcome text, reason)."""
    c = Client(port)
    try:
        return check_case(c, case, data)
    finally:
        c.close()


def check_case(c, case, data):
    deadline = time.monotonic() + CASE_TIMEOUT
    want = max(len(s) for s, _ in case.expects)
    resps = []
    c.send(data, case.split)
    while len(resps) < want:
        r = c.response(len(resps) + 1 in case.head, deadline)
        if r is None:
            break
        resps.append(r)
    if len(resps) < want and not c.eof and all(len(s) != len(resps) for s, _ in case.expects):
        got = [r.status for r in resps]
        return False, fmt(got, "hang"), "neither answered nor closed within %.0fs" % CASE_TIMEOUT
    state = probe(c, resps)
    got = tuple(r.status for r in resps)
    outcome = fmt(got, state)
    if (got, state) not in case.expects:
        return False, outcome, "expected " + " or ".join(fmt(*e) for e in case.expects)
    for i, r in enumerate(resps):
        if r.status == 405 and "allow" not in r.headers:
            return False, outcome, "405 without Allow (RFC 9110 15.5.6)"
        if r.has_token("connection", "close") and (i < len(resps) - 1 or state != "close"):
            return False, outcome, "response %d says Connection: close, yet more followed" % (
                i + 1)
    if (state == "close" and resps and not case.late_close
            and not resps[-1].has_token("connection", "close")):
        return False, outcome, "closed without Connection: close in the last response"
    return True, outcome, "" if (got, state) == case.expects[0] else "(alternative)"


def probe(c, resps):
    """After the expected responses: 'open' if a probe request is answered 200 with the
    index; 'close' on EOF with nothing more; 'wait' if neither happens in time. Extra
    responses (answers to bytes that were not a request) are appended to resps."""
    deadline = time.monotonic() + PROBE_TIMEOUT
    if not c.eof:
        try:
            c.sock.sendall(PROBE)
        except OSError:
            pass
    while True:
        r = c.response(False, deadline)
        if r is None:
            return "close" if c.eof else "wait"
        if r.status == 200 and r.body == INDEX:
            return "open"
        resps.append(r)


def generated_problems(cdir):
    """Files that differ from what make_corpus.py would write (edit the generator, not
    its output)."""
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    spec = importlib.util.spec_from_file_location("make_corpus",
                                                  os.path.join(cdir, "make_corpus.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    out = []
    for fname, want in sorted(gen.wanted_files().items()):
        try:
            with open(os.path.join(cdir, fname), "rb") as f:
                same = f.read() == want
        except OSError:
            same = False
        if not same:
            out.append("%s: differs from make_corpus.py's output" % fname)
    return out


def main():
    cdir = corpus_dir()
    cases = load_manifest(os.path.join(cdir, "MANIFEST"))
    listed = {cs.file for cs in cases}
    problems = ["%s: not in MANIFEST" % f for f in sorted(os.listdir(cdir))
                if f.endswith(".http") and f not in listed]
    problems += generated_problems(cdir)
    if len(listed) != len(cases):
        problems.append("MANIFEST lists a file twice")
    if sys.argv[1:]:
        cases = [cs for cs in cases if any(cs.file.startswith(a) for a in sys.argv[1:])]
    data = {}
    for cs in cases:
        try:
            with open(os.path.join(cdir, cs.file), "rb") as f:
                data[cs.file] = f.read()
        except OSError as e:
            problems.append("%s: %s" % (cs.file, e))
    if problems:
        print("\n".join("corpus: " + p for p in problems))
        return 1
    jobs = int(os.environ.get("CORPUS_JOBS", "8"))
    passed = failed = 0
    started = time.monotonic()
    server = Server(extra="LimitRequestBody 1000", threads=max(8, jobs), files=FILES,
                    keepalive_timeout="15")
    server.start()
    try:
        def one(cs):
            try:
                return run_case(server.port, cs, data[cs.file])
            except (AssertionError, OSError) as e:
                return False, "error", str(e)

        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for cs, (ok, outcome, reason) in zip(cases, pool.map(one, cases)):
                if ok:
                    passed += 1
                    print(("ok   %-44s %s %s" % (cs.file, outcome, reason)).rstrip())
                else:
                    failed += 1
                    print("FAIL %-44s got %s: %s" % (cs.file, outcome, reason))
                sys.stdout.flush()
        if server.proc.poll() is not None:
            print("FAIL evhttpd exited with %s" % server.proc.returncode)
            failed += 1
        elif "killed by signal" in server.error_log_text():
            print("FAIL a child was killed by a signal: see %s" % server.error_log)
            failed += 1
    finally:
        try:
            server.stop()  # raises on a sanitizer report in the daemon's stderr
        except AssertionError as e:
            print("FAIL %s" % e)
            failed += 1
    if failed:
        print("corpus: server files kept in " + server.dir)
    else:
        shutil.rmtree(server.dir, ignore_errors=True)
    print("corpus: %d passed, %d failed (%.1fs)" % (passed, failed, time.monotonic() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
