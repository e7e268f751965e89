"""evtest — run a real evhttpd in a temporary directory and talk HTTP to it.

Used by the integration tests (tests/integration/NN_*.py). Python standard library
only. Every wait is bounded; every server started is stopped by its pid.
"""
import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

EVHTTPD = os.environ.get("EVHTTPD", "evhttpd")
SBDUMP = os.environ.get("SBDUMP", "sbdump")
HAMMER = os.environ.get("HAMMER", "hammer")
IS_ROOT = os.geteuid() == 0


def wait_until(pred, timeout=10.0, interval=0.02, what="condition", detail=None):
    """Poll pred() until it returns a true value; fail after timeout seconds, adding
    detail() (if given) to the message."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            msg = "timed out after %.1fs waiting for %s" % (timeout, what)
            if detail:
                msg += "\n" + str(detail())
            raise AssertionError(msg)
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.headers)


class Conn:
    """One client connection with a buffered reader that understands responses."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by server")
        self.buf += chunk

    def read_response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3}) (.*)$", lines[0])
        if not m:
            raise AssertionError("bad status line %r" % lines[0])
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k, v.strip()))
        status = int(m.group(1))
        r = Response(status, m.group(2), headers, b"", head)
        length = r.header("Content-Length")
        if head_only or status in (204, 304) or length is None:
            return r
        n = int(length)
        while len(self.buf) < n:
            self._fill()
        r.body, self.buf = self.buf[:n], self.buf[n:]
        return r

    def request(self, method, path, headers=None, version="HTTP/1.1", host="localhost"):
        h = "%s %s %s\r\n" % (method, path, version)
        if host is not None:
            h += "Host: %s\r\n" % host
        for k, v in (headers or {}).items():
            h += "%s: %s\r\n" % (k, v)
        self.send((h + "\r\n").encode("latin-1"))
        return self.read_response(head_only=(method == "HEAD"))

    def closed_by_peer(self, timeout=5.0):
        """True once the server closed the connection (EOF or reset) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


class Server:
    """An evhttpd with its own config, docroot, runtime dir and logs in a temp dir."""

    def __init__(self, extra="", start_servers=1, threads=4, spare=None, files=None,
                 keepalive_timeout="5"):
        self.dir = tempfile.mkdtemp(prefix="evtest-")
        os.chmod(self.dir, 0o755)
        self.docroot = os.path.join(self.dir, "htdocs")
        self.run = os.path.join(self.dir, "run")
        os.mkdir(self.docroot)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "evhttpd.conf")
        self.error_log = os.path.join(self.dir, "error_log")
        self.access_log = os.path.join(self.dir, "access_log")
        self.scoreboard = os.path.join(self.run, "scoreboard")
        self.pidfile = os.path.join(self.run, "evhttpd.pid")
        self.proc = None
        self.start_servers = start_servers
        self.threads = threads
        minspare, maxspare = spare or (start_servers * threads, start_servers * threads + threads)
        user = "User nobody\nGroup nogroup\n" if IS_ROOT else ""
        with open(self.conf, "w") as f:
            f.write(
                "Listen 127.0.0.1:%d\n"
                "DocumentRoot %s\n"
                "DefaultRuntimeDir %s\n"
                "ErrorLog %s\nLogLevel debug\n"
                "CustomLog %s common\n"
                "%s"
                "StartServers %d\nThreadsPerChild %d\nThreadLimit %d\n"
                "MinSpareThreads %d\nMaxSpareThreads %d\nMaxRequestWorkers %d\n"
                "KeepAliveTimeout %s\n"
                "%s\n"
                % (self.port, self.docroot, self.run, self.error_log, self.access_log, user,
                   start_servers, threads, max(threads, 64), minspare, maxspare,
                   16 * threads, keepalive_timeout, extra))
        self.write("index.html", b"<html><body>hello</body></html>\n")
        for name, data in (files or {}).items():
            self.write(name, data)

    def write(self, name, data):
        path = os.path.join(self.docroot, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        return path

    def path(self, name):
        return os.path.join(self.docroot, name)

    def start(self, *args, wait_children=True):
        # stderr goes to a file: it carries start-up errors and sanitizer reports, and a
        # pipe nobody reads could block the daemon
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([EVHTTPD, "-F", "-f", self.conf] + list(args),
                                     stdout=subprocess.DEVNULL, stderr=self.stderr_file)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("evhttpd exited with %s: %s" % (
                    self.proc.returncode, self.stderr_text()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(up, 15, what="evhttpd to listen on %d" % self.port)
        if wait_children:
            wait_until(lambda: len(self.children()) >= self.start_servers
                       and all(p["states"] and "S" not in p["states"] and "." not in p["states"]
                               for p in self.sb_procs()),
                       15, what="children to start")
        return self

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            # a daemon that started but did not come up fully must not outlive the test
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            raise

    def __exit__(self, *exc):
        self.stop()
        if not exc[0]:
            shutil.rmtree(self.dir, ignore_errors=True)

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError("evhttpd did not stop within %ds" % timeout)
        self.stderr_file.close()
        # in the sanitizer build every process of the daemon reports here
        err = self.stderr_text()
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer"):
            if mark in err:
                raise AssertionError("sanitizer report from evhttpd:\n" + err[-6000:])
        return self.proc.returncode

    @property
    def pid(self):
        return self.proc.pid

    def children(self):
        """Pids of the parent's child processes (from /proc, not the scoreboard)."""
        return children_of(self.pid)

    def sbdump(self):
        r = subprocess.run([SBDUMP, self.scoreboard], capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise AssertionError("sbdump failed: " + r.stderr)
        return r.stdout

    def sb_procs(self):
        procs = []
        for line in self.sbdump().splitlines():
            if line.startswith("proc "):
                d = dict(kv.split("=", 1) for kv in line.split()[1:])
                for k in list(d):
                    if k not in ("states", "clients"):
                        d[k] = int(d[k])
                procs.append(d)
        return procs

    def conn(self, timeout=10.0):
        return Conn(self.port, timeout)

    def get(self, path, headers=None, method="GET", version="HTTP/1.1"):
        c = self.conn()
        try:
            return c.request(method, path, headers, version)
        finally:
            c.close()

    def error_log_text(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def hammer(port, keepalive, churn, seconds, path="/"):
    """Run tests/tools/hammer; returns its counts as a dict."""
    r = subprocess.run([HAMMER, str(port), str(keepalive), str(churn), str(seconds), path],
                       capture_output=True, text=True, timeout=seconds + 60)
    if r.returncode != 0:
        raise AssertionError("hammer failed: " + r.stderr)
    return {k: int(v) for k, v in (kv.split("=") for kv in r.stdout.split())}


def children_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # the command may contain spaces and parentheses: split after the last ')'
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == ppid:
            out.append(int(d))
    return out


def threads_of(pid):
    return len(os.listdir("/proc/%d/task" % pid))



# ---- processes and files seen through /proc, shared by the tests ----

def proc_stat(pid):
    """The fields of /proc/<pid>/stat after the command (field 3, the state, first);
    None once the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()


def alive(pid):
    """True while pid exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def kill_quietly(pid, sig=signal.SIGKILL):
    """Signal pid unless it is already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def fd_targets(pid):
    """What pid's descriptors point at, sorted (a descriptor closed meanwhile is left out)."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            pass
    return sorted(out)


def read_text(path):
    """A file's text, or "" while it does not exist."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def raise_nofile(n=None):
    """Raise this process's descriptor limit to n (the hard limit when None or above it);
    returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if n is None else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def log_detail(s):
    """For wait_until(detail=...): the ends of the server's error log and stderr."""
    return lambda: s.error_log_text()[-4000:] + s.stderr_text()[-2000:]


@contextlib.contextmanager
def running(s):
    """Start s; stop it at the end, and kill its children should the parent hang or
    leave one behind (a stopped child would outlive a parent that evtest SIGKILLs).
    The temporary directory is removed only when the body succeeded; a server that
    started but did not come up is killed with its children before the error goes on."""
    try:
        s.start()
    except BaseException:
        if s.proc is not None and s.proc.poll() is None:
            kids = set(s.children())
            s.proc.kill()
            s.proc.wait(10)
            for p in kids:
                if alive(p):
                    kill_quietly(p)
        raise
    ok = False
    kids = set(s.children())
    try:
        yield s
        ok = True
    finally:
        if s.proc.poll() is None:
            kids |= set(s.children())
        try:
            s.stop()
        finally:
            for p in kids:
                if alive(p):
                    kill_quietly(p)
        if ok:
            shutil.rmtree(s.dir, ignore_errors=True)


def main():
    unittest.main(verbosity=2)
