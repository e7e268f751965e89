"""The status page (StatusLocation, StatusAllow): HTML, Apache's ?auto, Prometheus text.

Checked against the real daemon, and with the consumers monitoring runs today:
Debian's prometheus-apache-exporter reading ?auto, and promtool reading the Prometheus
text (each test skips when its program is missing). Every wait is bounded; every
process started is stopped by its pid.
"""
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtest  # noqa: E402
from evtest import Server, free_port, wait_until  # noqa: E402

LOCATION = "StatusLocation /server-status\n"

# Apache 2.4 mod_status's ?auto keys for the event MPM, in its order. The first line
# (the server name) has no key. Some keys appear only when their data exists.
AUTO_KEYS = [
    "ServerVersion", "ServerMPM", "Server Built", "CurrentTime", "RestartTime",
    "ParentServerConfigGeneration", "ParentServerMPMGeneration", "ServerUptimeSeconds",
    "ServerUptime", "Load1", "Load5", "Load15", "Total Accesses", "Total kBytes",
    "Total Duration", "CPUUser", "CPUSystem", "CPUChildrenUser", "CPUChildrenSystem",
    "CPULoad", "Uptime", "ReqPerSec", "BytesPerSec", "BytesPerReq", "DurationPerReq",
    "BusyWorkers", "GracefulWorkers", "IdleWorkers", "Processes", "Stopping", "ConnsTotal",
    "ConnsAsyncWriting", "ConnsAsyncKeepAlive", "ConnsAsyncClosing", "Scoreboard",
]
AUTO_OPTIONAL = {"Load1", "Load5", "Load15", "CPUUser", "CPUSystem", "CPUChildrenUser",
                 "CPUChildrenSystem", "CPULoad", "ReqPerSec", "BytesPerSec", "BytesPerReq",
                 "DurationPerReq"}


def parse_auto(body):
    """(server name, [keys in order], {key: value}) of a ?auto body."""
    text = body.decode("ascii")
    if not text.endswith("\n"):
        raise AssertionError("?auto does not end with a line feed")
    lines = text[:-1].split("\n")
    keys, values = [], {}
    for line in lines[1:]:
        key, sep, value = line.partition(": ")
        if not sep and line.endswith(":"):  # "ServerUptime:" right after a restart
            key, value = line[:-1], ""
        elif not sep:
            raise AssertionError("not a key line: %r" % line)
        if key in values:
            raise AssertionError("key twice: %r" % key)
        keys.append(key)
        values[key] = value
    return lines[0], keys, values


# ---- a strict reader of the Prometheus text format 0.0.4 ----

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
NUMBER = r"[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*)?,?\})? (%s)(?: -?\d+)?$"
                    % (NAME, LABEL, LABEL, NUMBER))
HELP = re.compile(r"^# HELP (%s) (?:[^\\\n]|\\[\\n])*$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)


def number(text):
    return {"+Inf": math.inf, "-Inf": -math.inf, "Inf": math.inf}.get(text) or float(text)


def check_prometheus(text):
    """Validate text as exposition format 0.0.4 (line grammar; HELP/TYPE once per
    family, before its samples; a family's samples together; no duplicate series;
    counters end in _total; histograms with increasing le, cumulative buckets, +Inf
    equal to _count, and _sum). Returns {series: value}; raises AssertionError."""
    if not text.endswith("\n"):
        raise AssertionError("does not end with a line feed")
    types, helps, seen, series = {}, set(), set(), {}
    current = None
    hist = {}
    for line in text[:-1].split("\n"):
        if line.startswith("#"):
            m = TYPE.match(line)
            if m:
                name = m.group(1)
                if name in types or name in seen:
                    raise AssertionError("TYPE repeated or after samples: %r" % line)
                types[name] = m.group(2)
                continue
            m = HELP.match(line)
            if m:
                if m.group(1) in helps:
                    raise AssertionError("HELP repeated: %r" % line)
                helps.add(m.group(1))
                continue
            raise AssertionError("bad comment line: %r" % line)
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("bad sample line: %r" % line)
        name, labels, value = m.group(1), m.group(2) or "", number(m.group(3))
        family, suffix = name, ""
        for s in ("_bucket", "_sum", "_count"):
            if name not in types and name.endswith(s) and types.get(name[:-len(s)]) == "histogram":
                family, suffix = name[:-len(s)], s
        if family not in types:
            raise AssertionError("sample without a TYPE before it: %r" % line)
        if family not in helps:
            raise AssertionError("sample without HELP: %r" % line)
        if types[family] == "counter" and not name.endswith("_total"):
            raise AssertionError("counter not ending in _total: %r" % line)
        if family != current:
            if family in seen:
                raise AssertionError("samples of %s are split: %r" % (family, line))
            seen.add(family)
            current = family
        key = name + "{" + labels + "}"
        if key in series:
            raise AssertionError("duplicate series: %r" % line)
        series[key] = value
        if types[family] == "histogram":
            h = hist.setdefault(family, {"le": [], "sum": None, "count": None})
            if suffix == "_bucket":
                le = re.search(r'le="([^"]*)"', labels)
                if not le:
                    raise AssertionError("bucket without le: %r" % line)
                h["le"].append((number(le.group(1)), value))
            elif suffix == "_sum":
                h["sum"] = value
            elif suffix == "_count":
                h["count"] = value
            else:
                raise AssertionError("histogram sample without a suffix: %r" % line)
    for family, h in hist.items():
        les = [le for le, _ in h["le"]]
        counts = [c for _, c in h["le"]]
        if not les or les[-1] != math.inf:
            raise AssertionError("%s: no +Inf bucket" % family)
        if any(b <= a for a, b in zip(les, les[1:])):
            raise AssertionError("%s: le not increasing: %r" % (family, les))
        if any(b < a for a, b in zip(counts, counts[1:])):
            raise AssertionError("%s: buckets not cumulative: %r" % (family, counts))
        if h["count"] is None or h["sum"] is None:
            raise AssertionError("%s: _sum or _count missing" % family)
        if counts[-1] != h["count"]:
            raise AssertionError("%s: +Inf %r != _count %r" % (family, counts[-1], h["count"]))
    return series


class CheckerSelfTest(unittest.TestCase):
    """The checker must be able to fail."""

    GOOD = ("# HELP x_total X.\n# TYPE x_total counter\nx_total 3\n"
            "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
            "h_sum 0.7\nh_count 2\n")

    def test_good_passes(self):
        self.assertEqual(check_prometheus(self.GOOD)["x_total{}"], 3)

    def test_bad_fails(self):
        bad = [
            self.GOOD.replace("x_total 3", "x_total three"),
            self.GOOD.replace("# TYPE x_total counter\n", ""),
            self.GOOD.replace("x_total", "x"),
            self.GOOD.replace("h_count 2", "h_count 3"),
            self.GOOD.replace('h_bucket{le="0.5"} 1', 'h_bucket{le="0.5"} 3'),
            self.GOOD.replace('h_bucket{le="+Inf"} 2\n', ""),
            self.GOOD.replace("h_sum 0.7\n", ""),
            self.GOOD + "x_total 4\n",
            self.GOOD.replace('le="0.5"', 'le="0.5\n"'),
            self.GOOD.replace("# TYPE x_total counter\nx_total 3\n",
                              "x_total 3\n# TYPE x_total counter\n"),
            self.GOOD[:-1],
        ]
        for text in bad:
            with self.assertRaises(AssertionError, msg=text):
                check_prometheus(text)


def status_get(s, query="", method="GET", path="/server-status", conn=None):
    c = conn or s.conn()
    try:
        return c.request(method, path + ("?" + query if query else ""))
    finally:
        c.close()


class Conn6(evtest.Conn):
    """A client connection to [::1]."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("::1", port), timeout=timeout)
        self.buf = b""


def ipv6_loopback():
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.bind(("::1", 0))
        sock.close()
        return True
    except OSError:
        return False


class Disabled(unittest.TestCase):
    def test_no_status_location_no_page(self):
        with Server() as s:
            for q in ("", "auto", "format=prometheus"):
                r = status_get(s, q)
                self.assertEqual(r.status, 404, q)
                self.assertIsNone(r.header("Cache-Control"))


class Page(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=LOCATION, start_servers=2, threads=4).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        shutil.rmtree(cls.s.dir, ignore_errors=True)

    def test_html_page(self):
        for path in ("/server-status", "/server-status/", "/%73erver-status", "//server-status"):
            r = status_get(self.s, path=path)
            self.assertEqual(r.status, 200, path)
            self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
            self.assertEqual(r.header("Cache-Control"), "no-store")
            self.assertIsNone(r.header("Refresh"))
            body = r.body.decode()
            self.assertIn("Server Status for localhost</h1>", body)
            self.assertRegex(body, r"Server Version: evhttpd/\d+\.\d+\.\d+</dt>")
            self.assertIn("<dt>Server MPM: event</dt>", body)
            self.assertEqual(body.count("<tr><td>"), 3, "two process rows and the sum")
            self.assertIn("Scoreboard Key:", body)
        # a worker may still be logging the previous request: wait for the counts
        last = []

        def quiet():
            body = status_get(self.s).body.decode()
            last[:] = [body]
            grid = re.search(r"<pre>([^<]*)</pre>", body).group(1).replace("\n", "")
            return ("<dt>1 requests currently being processed, 0 workers gracefully "
                    "finishing, 7 idle workers</dt>" in body and len(grid) == 16 * 4
                    and grid.count("W") == 1 and grid.count("_") == 7)
        wait_until(quiet, 10, what="one busy and seven idle workers", detail=lambda: last)

    def test_other_paths_are_files(self):
        for path in ("/server-status/x", "/server-statusx", "/server-status%2F"):
            self.assertEqual(status_get(self.s, path=path).status, 404, path)

    def test_head_has_headers_and_no_body(self):
        c = self.s.conn()
        try:
            r = c.request("HEAD", "/server-status?auto")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")
            self.assertEqual(r.header("Cache-Control"), "no-store")
            self.assertGreater(int(r.header("Content-Length")), 100)
            # the next response on the connection is read cleanly: HEAD sent no body
            r = c.request("GET", "/index.html")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"<html><body>hello</body></html>\n")
        finally:
            c.close()

    def test_other_methods_405(self):
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "BREW"):
            c = self.s.conn()
            try:
                c.send(("%s /server-status?auto HTTP/1.1\r\nHost: localhost\r\n"
                        "Content-Length: 0\r\n\r\n" % method).encode())
                r = c.read_response()
            finally:
                c.close()
            self.assertEqual(r.status, 405, method)
            self.assertEqual(r.header("Allow"), "GET, HEAD", method)
            self.assertEqual(r.header("Cache-Control"), "no-store", method)

    def test_refresh(self):
        for query, want in (("refresh=5", "5"), ("refresh", "10"), ("refresh=0", "10"),
                            ("refresh=99999", "3600"), ("auto&refresh=7", "7"),
                            ("refresh=3&format=prometheus", "3")):
            r = status_get(self.s, query)
            self.assertEqual(r.status, 200, query)
            self.assertEqual(r.header("Refresh"), want, query)
        self.assertEqual(status_get(self.s, "auto&refresh=7").header("Content-Type"),
                         "text/plain; charset=utf-8")

    def test_auto_keys_in_apache_order(self):
        name, keys, v = parse_auto(status_get(self.s, "auto").body)
        self.assertEqual(name, "localhost")
        self.assertEqual(keys, [k for k in AUTO_KEYS if k in keys], "order differs from Apache's")
        self.assertEqual(set(AUTO_KEYS) - set(keys) - AUTO_OPTIONAL, set(), "keys missing")
        self.assertRegex(v["ServerVersion"], r"^evhttpd/\d+\.\d+\.\d+$")
        self.assertEqual(v["ServerMPM"], "event")
        self.assertEqual(v["ParentServerConfigGeneration"], "1")
        self.assertEqual(v["ParentServerMPMGeneration"], "0")
        self.assertEqual(v["Uptime"], v["ServerUptimeSeconds"])
        for k in ("Load1", "Load5", "Load15", "CPUUser", "CPUSystem"):
            self.assertIn(k, v)  # Linux has both
            float(v[k])
        self.assertEqual((v["Processes"], v["Stopping"]), ("2", "0"))
        self.assertEqual(len(v["Scoreboard"]), 64)
        self.assertEqual(v["Scoreboard"].count("."), 56)
        want = {"BusyWorkers": "1", "GracefulWorkers": "0", "IdleWorkers": "7",
                "ConnsTotal": "1", "ConnsAsyncKeepAlive": "0"}
        last = []

        def quiet():
            v = parse_auto(status_get(self.s, "auto").body)[2]
            last[:] = [v]
            return ({k: v[k] for k in want} == want and v["Scoreboard"].count("W") == 1
                    and v["Scoreboard"].count("_") == 7)
        wait_until(quiet, 10, what="one busy and seven idle workers", detail=lambda: last)

    def test_prometheus_is_valid(self):
        last = []

        def quiet():
            r = status_get(self.s, "format=prometheus")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Type"),
                             "text/plain; version=0.0.4; charset=utf-8")
            self.assertEqual(r.header("Cache-Control"), "no-store")
            m = check_prometheus(r.body.decode("utf-8"))
            last[:] = [r.body.decode("utf-8")]
            return (m['evhttpd_workers{state="busy"}'] == 1
                    and m['evhttpd_workers{state="idle"}'] == 7
                    and m["evhttpd_connections{}"] == 1 and m)
        m = wait_until(quiet, 10, what="one busy and seven idle workers", detail=lambda: last)
        self.assertEqual(m['evhttpd_processes{state="running"}'], 2)
        self.assertEqual(m['evhttpd_processes{state="stopping"}'], 0)
        self.assertEqual(m["evhttpd_generation{}"], 1)
        self.assertEqual(m['evhttpd_scoreboard{state="open"}'], 56)
        self.assertEqual(m['evhttpd_scoreboard{state="sending"}'], 1)
        self.assertGreater(m["evhttpd_start_time_seconds{}"], time.time() - 3600)
        self.assertLessEqual(m["evhttpd_start_time_seconds{}"], time.time())
        self.assertEqual(m['evhttpd_request_duration_seconds_bucket{le="+Inf"}'],
                         m["evhttpd_request_duration_seconds_count{}"])

    def test_promtool_accepts_it(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool not installed (Debian: prometheus)")
        text = status_get(self.s, "format=prometheus").body
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, b"", "promtool lint findings")


class Counts(unittest.TestCase):
    """Counters after a known number of requests, on a server of their own."""

    def test_accesses_bytes_durations(self):
        n = 9
        with Server(extra=LOCATION, start_servers=2, threads=4) as s:
            size = 0
            for _ in range(n):
                r = s.get("/index.html")
                self.assertEqual(r.status, 200)
                size += len(r.raw_head) + 4 + len(r.body)
            polls = []  # (bytes on the wire, values) of each ?auto request

            def settled():
                # every earlier poll is a request too, counted once it has finished
                r = status_get(s, "auto")
                v = parse_auto(r.body)[2]
                polls.append((len(r.raw_head) + 4 + len(r.body), v))
                return int(v["Total Accesses"]) == n + len(polls) - 1 and v

            v = wait_until(settled, 10, what="Total Accesses to settle",
                           detail=lambda: polls[-1:])
            sent = size + sum(b for b, _ in polls[:-1])
            self.assertEqual(int(v["Total kBytes"]), sent // 1024)
            self.assertAlmostEqual(float(v["BytesPerReq"]) / (sent / (n + len(polls) - 1)), 1,
                                   places=5)
            self.assertGreaterEqual(int(v["Total Duration"]), 0)
            self.assertGreater(float(v["DurationPerReq"]), 0)

            def prom():
                m = check_prometheus(status_get(s, "format=prometheus").body.decode())
                polls.append((0, m))
                return m["evhttpd_requests_total{}"] == n + len(polls) - 1 and m

            m = wait_until(prom, 10, what="evhttpd_requests_total to settle",
                           detail=lambda: polls[-1:])
            self.assertGreater(m["evhttpd_response_bytes_total{}"], sent)
            self.assertEqual(m["evhttpd_request_duration_seconds_count{}"], n + len(polls) - 1)
            self.assertGreater(m["evhttpd_request_duration_seconds_sum{}"], 0)


class Restart(unittest.TestCase):
    def test_graceful_restart_keeps_totals(self):
        n = 5
        with Server(extra=LOCATION, start_servers=2, threads=4) as s:
            for _ in range(n):
                self.assertEqual(s.get("/index.html").status, 200)
            seen = []

            def accesses():
                v = parse_auto(status_get(s, "auto").body)[2]
                seen.append(v)
                return v

            wait_until(lambda: int(accesses()["Total Accesses"]) == n + len(seen) - 1, 10,
                       what="the first count", detail=lambda: seen[-1:])
            os.kill(s.pid, signal.SIGUSR1)

            def restarted():
                v = accesses()
                return (v["ParentServerConfigGeneration"] == "2"
                        and v["ParentServerMPMGeneration"] == "1" and v["Processes"] == "2"
                        and v["Stopping"] == "0" and int(v["IdleWorkers"]) == 7
                        and int(v["Total Accesses"]) == n + len(seen) - 1)
            # the children of generation 1 are replaced; what they counted stays counted
            wait_until(restarted, 20, what="generation 2 serving with every request counted",
                       detail=lambda: seen[-1:])


class AgreesWithEvtop(unittest.TestCase):
    """The page and evtop read the same scoreboard: under load they must agree."""

    def test_page_and_evtop_agree_under_load(self):
        evtop = os.environ.get("EVTOP", "evtop")
        if not os.access(evtop, os.X_OK):
            self.skipTest("no evtop binary")
        # exactly two children for the whole test: no spare maintenance in between reads
        s = Server(start_servers=2, threads=4, spare=(1, 16),
                   extra=LOCATION + "MaxRequestWorkers 8\n")
        with s:
            load = subprocess.Popen([evtest.HAMMER, str(s.port), "8", "2", "3"],
                                    stdout=subprocess.PIPE, text=True)
            try:
                for _ in range(3):
                    before = parse_auto(status_get(s, "auto").body)[2]
                    top = subprocess.run([evtop, "-b", "-n", "1", "-s", s.scoreboard],
                                         capture_output=True, text=True, timeout=20).stdout
                    after = parse_auto(status_get(s, "auto").body)[2]
                    m = re.search(r"Requests: (\d+) total", top)
                    self.assertTrue(m, top)
                    # evtop's total lies between two page reads around it
                    self.assertLessEqual(int(before["Total Accesses"]), int(m.group(1)))
                    self.assertLessEqual(int(m.group(1)), int(after["Total Accesses"]))
                    m = re.search(r"Processes: (\d+), (\d+) stopping\s+Workers: (\d+) busy, "
                                  r"(\d+) idle", top)
                    self.assertTrue(m, top)
                    self.assertEqual(int(m.group(1)), int(after["Processes"]))
                    self.assertEqual(int(m.group(3)) + int(m.group(4)),
                                     int(after["BusyWorkers"]) + int(after["IdleWorkers"]))
            finally:
                load.wait(30)
            self.assertIn("bad=0", load.stdout.read())


class Allow(unittest.TestCase):
    def test_outside_statusallow_is_403(self):
        with Server(extra=LOCATION + "StatusAllow 192.0.2.0/24 2001:db8::/32\n") as s:
            for method, query in (("GET", ""), ("GET", "auto"), ("HEAD", "format=prometheus"),
                                  ("POST", "")):
                r = status_get(s, query, method=method)
                self.assertEqual(r.status, 403, (method, query))
                self.assertEqual(r.header("Cache-Control"), "no-store")
            self.assertEqual(s.get("/index.html").status, 200)

    def test_inside_a_cidr_is_200(self):
        with Server(extra=LOCATION + "StatusAllow 10.0.0.0/8\nStatusAllow 127.0.0.0/8\n") as s:
            self.assertEqual(status_get(s, "auto").status, 200)

    def test_ipv6_default_and_explicit(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback")
        port6 = free_port()
        for allow, v4, v6 in (("", 200, 200), ("StatusAllow 127.0.0.1\n", 200, 403),
                              ("StatusAllow ::1/128\n", 403, 200)):
            with Server(extra=LOCATION + allow + "Listen [::1]:%d\n" % port6) as s:
                self.assertEqual(status_get(s).status, v4, allow)
                self.assertEqual(status_get(s, "auto", conn=Conn6(port6)).status, v6, allow)


class ApacheExporter(unittest.TestCase):
    """Debian's prometheus-apache-exporter reads ?auto as it reads Apache's."""

    N = 9  # requests before the first scrape, on connections since closed
    K = 3  # keep-alive connections held open while scraping

    def exporter(self):
        for name in ("prometheus-apache-exporter", "apache_exporter"):
            path = shutil.which(name)
            if path:
                return path
        self.skipTest("prometheus-apache-exporter not installed")

    def test_exporter_counts(self):
        exe = self.exporter()
        usage = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
        flag = ("--web.listen-address" if "--web.listen-address" in usage.stdout + usage.stderr
                else "--telemetry.address")
        with Server(extra=LOCATION, start_servers=2, threads=4, keepalive_timeout="60") as s:
            for _ in range(self.N):
                self.assertEqual(s.get("/index.html").status, 200)
            held = [s.conn() for _ in range(self.K)]
            try:
                for c in held:
                    self.assertEqual(c.request("GET", "/index.html").status, 200)
                wait_until(lambda: sum(p["keepalive"] for p in s.sb_procs()) == self.K
                           and sum(p["connections"] for p in s.sb_procs()) == self.K, 10,
                           what="only the held connections, parked", detail=s.sbdump)
                self.scrape_and_check(exe, flag, s)
            finally:
                for c in held:
                    c.close()

    def scrape_and_check(self, exe, flag, s):
        port = free_port()
        log = open(os.path.join(s.dir, "exporter.log"), "wb")
        proc = subprocess.Popen(
            [exe, "--scrape_uri=http://127.0.0.1:%d/server-status?auto" % s.port,
             "%s=127.0.0.1:%d" % (flag, port)], stdout=log, stderr=subprocess.STDOUT)
        try:
            def listening():
                if proc.poll() is not None:
                    raise AssertionError("exporter exited: %s" % open(log.name).read())
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return True
                except OSError:
                    return False
            wait_until(listening, 15, what="the exporter to listen")
            scrapes = []

            def scrape():
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                            timeout=10) as resp:
                    text = resp.read().decode()
                scrapes.append(text)
                m = {}
                for line in text.splitlines():
                    if line.startswith("apache_"):
                        key, _, value = line.rpartition(" ")
                        m[key] = float(value)
                return m

            want = {
                "apache_up": 1,
                'apache_workers{state="busy"}': 1,  # the scrape itself
                'apache_workers{state="idle"}': 7,
                'apache_processes{state="all"}': 2,
                'apache_processes{state="stopping"}': 0,
                'apache_connections{state="total"}': self.K + 1,
                'apache_connections{state="keepalive"}': self.K,
                'apache_connections{state="writing"}': 0,
                'apache_connections{state="closing"}': 0,
                'apache_scoreboard{state="idle"}': 7,
                'apache_scoreboard{state="reply"}': 1,
                'apache_scoreboard{state="open_slot"}': 56,
                'apache_generation{type="config"}': 1,
                'apache_generation{type="mpm"}': 0,
            }
            got = {}

            def matches():
                m = scrape()
                # every earlier scrape is a request to the status page, counted once done
                want["apache_accesses_total"] = self.N + self.K + len(scrapes) - 1
                got.clear()
                got.update({k: m.get(k) for k in want})
                return got == want and m

            m = wait_until(matches, 15, interval=0.2, what="the exporter's counts",
                           detail=lambda: "want %r\ngot  %r\n%s" % (want, got, scrapes[-1]))
            info = [k for k in m if k.startswith("apache_info{")]
            self.assertEqual(len(info), 1)
            self.assertIn('mpm="event"', info[0])
            self.assertRegex(info[0], r'version="evhttpd/\d+\.\d+\.\d+"')
            self.assertIn("apache_uptime_seconds_total", m)
            self.assertNotIn("apache_exporter_scrape_failures_total", m)
            sys.stderr.write("exporter saw:\n" + "".join(
                "  %s %g\n" % (k, m[k]) for k in sorted(m)
                if k.split("{")[0] in ("apache_up", "apache_workers", "apache_processes",
                                       "apache_connections", "apache_accesses_total")))
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            log.close()


if __name__ == "__main__":
    evtest.main()
