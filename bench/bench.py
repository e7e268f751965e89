#!/usr/bin/env python3
"""Compare evhttpd with nginx, apache2 (event MPM), lighttpd and h2o on static files.

Design: every server runs at once, each from its own configuration (bench/conf/*.conf with
@NAME@ placeholders) in one temporary directory on 127.0.0.1, pinned to CPU 1; wrk and the
other clients run on CPU 0. Throughput on this kind of machine drifts by a quarter between
runs minutes apart, so the runs are interleaved (A B C A B C ...) within each scenario and
every figure is a median with its min-max. wrk saturates its own core at roughly 130-160k
req/s, so the server's CPU seconds (utime + stime over its whole process tree, read from
/proc before and after each run) are measured too: requests per server-CPU-second stays
fair when wrk, not the server, is the bottleneck. bench/responder, a minimal epoll server
with a canned response, runs in the small-file scenarios as the ceiling the machine and wrk
allow; every server's throughput there is also given as a fraction of it.

Scenarios: a, b, c are wrk runs (1 KiB keep-alive, 1 KiB with a new connection per
request, 100 KiB keep-alive). d holds 10,000 idle keep-alive connections (bench/idleconns)
and reads each server's memory and threads, its CPU while idle, and the latency of a fresh
request meanwhile. e runs scenario a alone and then alongside 200 slow readers
(bench/slowread, 1 MB/s each of a 100 MiB file) to see whether slow clients hold workers.

Every server's access log is off (@ACCESSLOG@ in its configuration left empty or "off")
except in l, scenario a against a second instance of each server started beside the first on
its port + LOGGED_PORT_OFFSET, whose @ACCESSLOG@ is the server's own access log in the Common
Log Format, written to its directory with the buffering an operator would configure
(ACCESS_LOGS). Each server's a and l runs follow each other within every interleaved run, so
1 - l/a, per run, is what logging costs it. The logging instances are stopped (every server
flushes its buffer on exit) as soon as l is done and their log lines counted against the
requests wrk completed: a pass that logged nothing would otherwise pass for a cheap one.
"""

import argparse
import os
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SERVER_CPU = "1"
CLIENT_CPU = "0"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NOFILE_WANTED = 65536  # 10,000 idle connections plus files, logs and the other scenarios
LIMIT = "responder"  # the server whose throughput is the ceiling in a and b

# name, port, command line (@CONF@ = the generated configuration file, @TMP@ = its
# directory, @PORT@, @EVHTTPD@ and @BUILD@ from the options), the scenarios it takes part
# in, and the Debian package that provides it (None: built here)
SERVERS = [
    ("evhttpd", 18081, ["@EVHTTPD@", "-F", "-f", "@CONF@"], "abcdel", None),
    ("nginx", 18082, ["/usr/sbin/nginx", "-c", "@CONF@", "-e", "@TMP@/error.log"], "abcdel",
     "nginx-light"),
    ("apache2", 18083, ["/usr/sbin/apache2", "-f", "@CONF@", "-k", "start", "-DFOREGROUND"],
     "abcdel", "apache2"),
    ("lighttpd", 18084, ["/usr/sbin/lighttpd", "-D", "-f", "@CONF@"], "abcdel", "lighttpd"),
    ("h2o", 18085, ["/usr/bin/h2o", "-c", "@CONF@"], "abcdel", "h2o"),
    (LIMIT, 18086, ["@BUILD@/bench/responder", "@PORT@"], "ab", None),
]

# key, title, file, extra wrk arguments, the figure reported
SCENARIOS = [
    ("a", "1 KiB keep-alive", "1k.bin", [], "rps"),
    ("l", "(a) with access log", "1k.bin", [], "rps"),
    ("b", "1 KiB Connection: close", "1k.bin", ["-H", "Connection: close"], "rps"),
    ("c", "100 KiB keep-alive", "100k.bin", [], "mibs"),
]
SCENARIO_A = SCENARIOS[0]
ALL_SCENARIOS = "abcdel"
# The wrk scenarios in the order they run; the keys of one group take turns per server
# within each run, so l is measured right after a on the same server.
WRK_GROUPS = ("al", "b", "c")

# What @ACCESSLOG@ in bench/conf/NAME.conf becomes: (access log off, the lines that turn
# it on). On means the Common Log Format into @TMP@/access.log, buffered the way each
# server offers: evhttpd's and apache2's BufferedLogs, nginx's buffer= and flush=; lighttpd
# buffers its access log by itself (flushed about once a second); h2o 2.2 cannot buffer it
# and writes each line.
CLF = r'%h %l %u %t \"%r\" %>s %b'  # as it reads inside a double-quoted configuration string
ACCESS_LOGS = {
    "evhttpd": ("", ["CustomLog @TMP@/access.log common", "BufferedLogs On"]),
    "nginx": ("access_log off;", [
        "log_format common '$remote_addr - $remote_user [$time_local] \"$request\" $status"
        " $body_bytes_sent';",
        "    access_log @TMP@/access.log common buffer=64k flush=1s;"]),
    # Apache defines no "common" nickname itself; Debian's apache2.conf is where it comes from.
    "apache2": ("", ['LogFormat "%s" common' % CLF, "CustomLog @TMP@/access.log common",
                     "BufferedLogs On"]),
    # lighttpd's default format is not CLF (%V in place of %l, then referer and user agent).
    "lighttpd": ("", ['server.modules += ( "mod_accesslog" )',
                      'accesslog.filename = "@TMP@/access.log"', 'accesslog.format = "%s"' % CLF]),
    "h2o": ("", ["access-log:", "  path: @TMP@/access.log",
                 '  format: "%s"' % CLF.replace("%>s", "%s")]),
}
LOGGED_PORT_OFFSET = 10  # the access-logging instance of a server listens on its port + 10
LOGGED_SUFFIX = "-logged"  # ... and runs in the directory NAME-logged
LOG_TOLERANCE = 0.05  # access log lines may differ this much from the requests wrk counted

FILES = {"1k.bin": 1024, "100k.bin": 100 * 1024, "index.html": 16}
BIG_FILE = ("100m.bin", 100 * 1024 * 1024)  # scenario e only: 100 MiB

IDLE_PROBES = 20  # fresh requests timed while the idle connections are held
# Connections idleconns has under way at once while it opens the idle ones: fewer than
# the 25 workers of evhttpd and apache2, which both close idle keep-alive connections
# whenever every worker is busy and a client waits (meant to send them to a less busy
# child); at 256 they closed most of the 10,000 before the last was open.
IDLE_PARALLEL = 16
PROBE_TIMEOUT = 3.0  # seconds; covers one SYN retransmission (1 s) but not a stuck server
SLOW_RATE = 1000000  # bytes/s per slow reader


def make_docroot(tmp, big):
    """Write the files every server serves; readable by the servers' user (nobody)."""
    docroot = os.path.join(tmp, "htdocs")
    os.mkdir(docroot)
    files = dict(FILES)
    if big:
        files[BIG_FILE[0]] = BIG_FILE[1]
    for name, size in files.items():
        block = b"0123456789abcdef" * 65536  # 1 MiB; the pattern continues across blocks
        with open(os.path.join(docroot, name), "wb") as f:
            while size > 0:
                f.write(block[:min(size, len(block))])
                size -= len(block)
    return docroot


def fill(text, values):
    """Replace each @KEY@ in text; ACCESSLOG first, since its value holds @TMP@."""
    if "ACCESSLOG" in values:
        text = text.replace("@ACCESSLOG@", values["ACCESSLOG"])
    for key, val in values.items():
        text = text.replace("@" + key + "@", val)
    return text


def server_dir(tmp, name, logged):
    return os.path.join(tmp, name + (LOGGED_SUFFIX if logged else ""))


def write_conf(name, port, tmp, values, logged):
    """Instantiate bench/conf/NAME.conf (if there is one) in its own directory under tmp,
    with the server's access log on if logged."""
    sdir = server_dir(tmp, name, logged)
    os.makedirs(os.path.join(sdir, "run"))
    os.chmod(sdir, 0o755)
    if name in ("lighttpd", "h2o"):
        # These two write their error log or pid file after dropping to nobody.
        shutil.chown(sdir, user="nobody")
    src = os.path.join(HERE, "conf", name + ".conf")
    if not os.path.exists(src):
        return None, sdir
    off, on = ACCESS_LOGS.get(name, ("", []))
    with open(src) as f:
        text = fill(f.read(), dict(values, PORT=str(port), TMP=sdir,
                                   ACCESSLOG="\n".join(on) if logged else off))
    conf = os.path.join(sdir, name + ".conf")
    with open(conf, "w") as f:
        f.write(text)
    return conf, sdir


def wait_ready(port, proc, name, timeout=15.0):
    """Poll until the server answers GET /1k.bin with 200; fail if it exits first."""
    deadline = time.monotonic() + timeout
    url = "http://127.0.0.1:%d/1k.bin" % port
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with status %d" % (name, proc.returncode))
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200 and len(r.read()) == 1024:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("%s did not answer on port %d" % (name, port))


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def start_server(name, port, argv, tmp, values, logged=False):
    conf, sdir = write_conf(name, port, tmp, values, logged)
    if not port_free(port):
        raise RuntimeError("port %d is already in use" % port)
    subst = dict(values, CONF=conf or "", TMP=sdir, PORT=str(port))
    cmd = ["taskset", "-c", SERVER_CPU] + [fill(a, subst) for a in argv]
    log = open(os.path.join(sdir, "stdout.log"), "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    try:
        wait_ready(port, proc, name)
    except RuntimeError:
        stop_server(proc)
        sys.stderr.write(open(os.path.join(sdir, "stdout.log"), errors="replace").read())
        errlog = os.path.join(sdir, "error.log")
        if os.path.exists(errlog):
            sys.stderr.write(open(errlog, errors="replace").read())
        raise
    return proc


def stop_server(proc):
    """SIGTERM the server (graceless stop for all of them), SIGKILL its group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def raise_nofile():
    """Raise this process's RLIMIT_NOFILE, which the servers and clients inherit.

    Every server here opens a descriptor per connection and scenario d holds 10,000; the
    servers that raise their own limit can only go as far as the hard limit, and the ones
    that drop to nobody cannot raise it at all later. Raising the hard limit needs
    CAP_SYS_RESOURCE; without it the soft limit goes up to the hard one. Returns the
    soft limit the children get."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < NOFILE_WANTED:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE_WANTED, NOFILE_WANTED))
            return NOFILE_WANTED
        except (ValueError, OSError):
            pass
    want = NOFILE_WANTED if hard == resource.RLIM_INFINITY else min(hard, NOFILE_WANTED)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return want if soft == resource.RLIM_INFINITY else soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def read_stat(pid):
    """Return (ppid, cpu seconds) of pid, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_stats(root):
    """{pid: (ppid, cpu seconds)} for root and every live descendant."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = read_stat(int(entry))
            if st:
                stats[int(entry)] = st
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            tree[pid] = stats[pid]
            todo.extend(p for p, (pp, _) in stats.items() if pp == pid)
    return tree


def tree_cpu(root):
    """CPU seconds used by root and every live descendant (threads are counted in each)."""
    return sum(cpu for _, cpu in tree_stats(root).values())


def tree_mem(root):
    """(VmRSS KiB, threads) summed over root and every live descendant."""
    rss = threads = 0
    for pid in tree_stats(root):
        try:
            with open("/proc/%d/status" % pid) as f:
                status = f.read()
        except OSError:
            continue
        m = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        rss += int(m.group(1)) if m else 0  # kernel threads and zombies have none
        threads += int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
    return rss, threads


def cpu_steal():
    """(steal, total) jiffies of all CPUs so far, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
BYTES = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def parse_wrk(out):
    """Pull requests/s, transfer MiB/s, p99 ms and error counts out of wrk --latency output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    mibs = float(m.group(1)) * BYTES[m.group(2)] / 1024 ** 2
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    p99 = float(m.group(1)) * UNITS[m.group(2)]
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(m.group(1)) if m else 0
    return {"rps": rps, "mibs": mibs, "p99": p99, "reqs": reqs, "errors": errors}


def run_wrk(port, path, extra, seconds, conns):
    cmd = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds,
           "--latency"] + extra + ["http://127.0.0.1:%d/%s" % (port, path)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if res.returncode != 0:
        raise RuntimeError("wrk failed: %s%s" % (res.stdout, res.stderr))
    return parse_wrk(res.stdout)


def measure(proc, port, scenario, seconds, conns):
    """One wrk run against one server; adds the server's CPU seconds and req/CPU-s."""
    _, _, path, extra, _ = scenario
    before = tree_cpu(proc.pid)
    r = run_wrk(port, path, extra, seconds, conns)
    r["cpu"] = tree_cpu(proc.pid) - before
    r["rpc"] = r["reqs"] / r["cpu"] if r["cpu"] > 0 else float("nan")
    return r


def read_line(proc, want, timeout):
    """Read proc's stdout lines until one starts with want; None on timeout or exit."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return None
        line = proc.stdout.readline()
        if not line:
            return None
        if line.startswith(want):
            return line


def end_client(proc):
    """SIGTERM a client and return its last line of output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    lines = out.strip().splitlines()
    return lines[-1] if lines else ""


def fresh_get(port):
    """Milliseconds for a new connection + GET /1k.bin, to the last body byte; None if it
    fails or takes more than PROBE_TIMEOUT."""
    t0 = time.perf_counter()
    buf = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PROBE_TIMEOUT) as s:
            s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            while True:
                if time.perf_counter() - t0 > PROBE_TIMEOUT:
                    return None
                chunk = s.recv(65536)
                if not chunk:
                    return None
                buf += chunk
                end = buf.find(b"\r\n\r\n")
                m = re.search(rb"(?im)^content-length:\s*(\d+)", buf[:end]) if end >= 0 else None
                if m and len(buf) - end - 4 >= int(m.group(1)):
                    break
    except OSError:
        return None
    ms = (time.perf_counter() - t0) * 1000
    return ms if buf.startswith(b"HTTP/1.1 200") else None


def run_idle(proc, port, args, tool):
    """Scenario d for one server: hold args.idle_conns idle keep-alive connections."""
    time.sleep(1)  # let the previous scenario's connections go
    rss0, threads0 = tree_mem(proc.pid)
    cmd = ["taskset", "-c", CLIENT_CPU, tool, "-n", str(args.idle_conns), "-p", str(IDLE_PARALLEL),
           str(port), "/1k.bin"]
    client = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    r = {"rss0": rss0, "threads0": threads0, "rss": rss0, "threads": threads0, "held": 0,
         "failed": args.idle_conns, "idle_cpu": float("nan"), "lat": [], "probe_fail": 0}
    try:
        line = read_line(client, "holding", 120)
        if line is None:
            print("bench: (d) idleconns did not finish opening connections", file=sys.stderr)
            return dict(r, closed=-1, kib_per_conn=float("nan"))
        r["held"], r["failed"] = (int(x) for x in line.split()[1:3])
        time.sleep(1)  # whatever the server does after the last response settles
        r["rss"], r["threads"] = tree_mem(proc.pid)
        cpu0, t0 = tree_cpu(proc.pid), time.monotonic()
        time.sleep(2)
        r["idle_cpu"] = (tree_cpu(proc.pid) - cpu0) / (time.monotonic() - t0) * 1000
        misses = 0
        for _ in range(IDLE_PROBES):
            ms = fresh_get(port)
            if ms is None:
                misses += 1
                if misses == 3 and not r["lat"]:
                    break  # it accepts no new client at all: no use waiting 20 times
            else:
                r["lat"].append(ms)
            time.sleep(0.05)
        r["probe_fail"] = IDLE_PROBES - len(r["lat"])
    finally:
        last = end_client(client)
    m = re.search(r"closed_by_server=(\d+)", last)
    r["closed"] = int(m.group(1)) if m else -1
    r["kib_per_conn"] = (r["rss"] - rss0) / r["held"] if r["held"] else float("nan")
    return r


def run_slow(proc, port, args, tool):
    """Scenario e for one server: scenario a while args.slow_readers slow readers download."""
    client = subprocess.Popen(["nice", "-n", "10", "taskset", "-c", CLIENT_CPU, tool,
                               "-c", str(args.slow_readers), "-r", str(SLOW_RATE), str(port),
                               "/" + BIG_FILE[0]], stdout=subprocess.PIPE, text=True)
    try:
        ready = read_line(client, "ready", 30) is not None
        time.sleep(1)  # the server's send buffers fill, its workers settle
        r = measure(proc, port, SCENARIO_A, args.seconds, args.connections)
    finally:
        last = end_client(client)
    fig = dict(kv.split("=", 1) for kv in last.split() if "=" in kv)
    r["ready"] = ready
    r["slow_mean"] = float(fig.get("mean_Bps", "nan")) / 1e6
    r["slow_min"] = float(fig.get("min_Bps", "nan")) / 1e6
    r["slow_errors"] = int(fig.get("errors", "0"))
    r["slow_started"] = int(fig.get("started", fig.get("conns", "0")))
    time.sleep(1)  # the server tears the slow readers' connections down before the next run
    return r


def spread(values):
    return statistics.median(values), min(values), max(values)


def fmt_spread(values, digits):
    med, lo, hi = spread(values)
    return "%.*f (%.*f-%.*f)" % (digits, med, digits, lo, digits, hi)


def median_of(rs, figure):
    return statistics.median([r[figure] for r in rs])


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def wrk_rows(args):
    """The scenarios printed in the main table: a, l, b, c and e's runs alongside slow
    readers."""
    rows = [s for s in SCENARIOS if s[0] in args.scenarios]
    if "e" in args.scenarios:
        rows.append(("e", "(a) + %d slow readers" % args.slow_readers, "1k.bin", [], "rps"))
    return rows


def print_table(results, names, args, notes):
    """results[scenario key][server name] = list of per-run dicts."""
    print("\nmedian (min-max) of %d interleaved runs (d: 1, e: %d); CPU = server CPU seconds per"
          " run" % (args.runs, e_runs(args)))
    for note in notes:
        print(note)
    rows = wrk_rows(args)
    if rows:
        head = "%-28s %-9s %-28s %-22s %-18s %-22s %-7s %s" % (
            "scenario", "server", "throughput", "p99 ms", "server CPU s", "req / server CPU-s",
            "errors", "of limit")
        print(head)
        print("-" * len(head))
    for key, title, _, _, figure in rows:
        unit = "req/s" if figure == "rps" else "MiB/s"
        key_e = "e_with" if key == "e" else key
        limit = results["a" if key == "l" else key_e].get(LIMIT)  # l's request is a's
        for name in names:
            rs = results[key_e].get(name)
            if not rs:
                continue
            frac = "%.2f" % (median_of(rs, figure) / median_of(limit, figure)) if limit else "-"
            print("%-28s %-9s %-28s %-22s %-18s %-22s %-7d %s" % (
                "(%s) %s" % (key, title), name,
                fmt_spread([r[figure] for r in rs], 0 if figure == "rps" else 1) + " " + unit,
                fmt_spread([r["p99"] for r in rs], 2),
                fmt_spread([r["cpu"] for r in rs], 2),
                fmt_spread([r["rpc"] for r in rs], 0),
                sum(r["errors"] for r in rs), frac))
    if "d" in args.scenarios:
        print_idle(results["d"], names, args)
    if "e" in args.scenarios:
        print_slow(results, names, args)
    if "l" in args.scenarios:
        print_logging(results, names, args)
    print_ratios(results, names, args)


def print_idle(res, names, args):
    print("\n(d) %d idle keep-alive connections (each served one GET /1k.bin first), one run per"
          " server; fresh GET = new connection + GET /1k.bin while they are held, %d times"
          % (args.idle_conns, IDLE_PROBES))
    head = "%-9s %-12s %-11s %-11s %-9s %-12s %-13s %-20s %-8s %s" % (
        "server", "held/failed", "RSS before", "RSS held", "KiB/conn", "threads", "idle CPU ms/s",
        "fresh GET ms med/max", "GET fail", "closed by server")
    print(head)
    print("-" * len(head))
    for name in names:
        r = res.get(name)
        if r is None:
            continue
        lat = ("%.2f / %.2f" % (statistics.median(r["lat"]), max(r["lat"]))) if r["lat"] else "-"
        print("%-9s %-12s %-11s %-11s %-9.2f %-12s %-13.1f %-20s %-8d %d" % (
            name, "%d/%d" % (r["held"], r["failed"]), "%.1f MiB" % (r["rss0"] / 1024),
            "%.1f MiB" % (r["rss"] / 1024),
            r["kib_per_conn"], "%d -> %d" % (r["threads0"], r["threads"]), r["idle_cpu"], lat,
            r["probe_fail"], r["closed"]))


def e_runs(args):
    """Scenario e is paired (alone, then with slow readers) and slow; half the runs do."""
    return max(1, (args.runs + 1) // 2)


def print_slow(results, names, args):
    print("\n(e) scenario a (wrk -c%d) alone, then alongside %d slow readers of a 100 MiB file"
          " at %.0f MB/s each (nice 10, CPU %s); ratio = with / alone per run, median (min-max);"
          " the slow readers share the load generator's CPU, so when wrk is the bottleneck the"
          " fair figure is the ratio of requests per server CPU-second"
          % (args.connections, args.slow_readers, SLOW_RATE / 1e6, CLIENT_CPU))
    head = "%-9s %-26s %-26s %-20s %-20s %-24s %s" % (
        "server", "alone req/s", "with slow readers req/s", "ratio", "ratio per CPU-s",
        "slow reader MB/s mean/min", "reader errors")
    print(head)
    print("-" * len(head))
    for name in names:
        alone, withs = results["e_alone"].get(name), results["e_with"].get(name)
        if not alone:
            continue
        ratios = [w["rps"] / a["rps"] for a, w in zip(alone, withs)]
        per_cpu = [w["rpc"] / a["rpc"] for a, w in zip(alone, withs)]
        started = min(w["slow_started"] for w in withs)
        note = "" if all(w["ready"] for w in withs) else \
            "  only %d of %d readers started" % (started, args.slow_readers)
        print("%-9s %-26s %-26s %-20s %-20s %-24s %d%s" % (
            name, fmt_spread([r["rps"] for r in alone], 0),
            fmt_spread([r["rps"] for r in withs], 0), fmt_spread(ratios, 2),
            fmt_spread(per_cpu, 2),
            "%.2f / %.2f" % (median_of(withs, "slow_mean"), min(w["slow_min"] for w in withs)),
            sum(w["slow_errors"] for w in withs), note))


def print_logging(results, names, args):
    """Scenario l against a, per server: l/a of the runs made back to back."""
    print("\n(l) scenario a with the access log on (CLF, buffered; a second instance of each"
          " server) against a; l/a per run, median (min-max); cost = 1 - median l/a")
    head = "%-9s %-26s %-26s %-20s %-8s %s" % (
        "server", "a req/s", "l req/s", "l / a", "cost", "l / a req per server CPU-s")
    print(head)
    print("-" * len(head))
    for name in names:
        alone, logs = results["a"].get(name), results["l"].get(name)
        if not alone or not logs:
            continue
        ratios = [lg["rps"] / a["rps"] for a, lg in zip(alone, logs)]
        per_cpu = [lg["rpc"] / a["rpc"] for a, lg in zip(alone, logs)]
        print("%-9s %-26s %-26s %-20s %-8s %s" % (
            name, fmt_spread([r["rps"] for r in alone], 0), fmt_spread([r["rps"] for r in logs], 0),
            fmt_spread(ratios, 2), "%.1f %%" % (100 * (1 - statistics.median(ratios))),
            fmt_spread(per_cpu, 2)))


def print_ratios(results, names, args):
    """evhttpd's median divided by each peer's median (p99: lower is better)."""
    peers = [n for n in names if n != "evhttpd"]
    rows = wrk_rows(args)
    if rows:
        print("\nevhttpd / peer (medians; throughput and req/server CPU-s: >1 is evhttpd better;"
              " p99: >1 is evhttpd slower; %s = the limit)" % LIMIT)
        head = "%-28s %-9s %12s %10s %20s" % ("scenario", "peer", "throughput", "p99",
                                             "req/server CPU-s")
        print(head)
        print("-" * len(head))
    for key, title, _, _, figure in rows:
        key_e = "e_with" if key == "e" else key
        ev = results[key_e].get("evhttpd")
        for peer in peers:
            pr = results[key_e].get(peer)
            if not ev or not pr:
                continue
            ratios = [median_of(ev, f) / median_of(pr, f) for f in (figure, "p99", "rpc")]
            print("%-28s %-9s %12.2f %10.2f %20.2f" % ("(%s) %s" % (key, title), peer, *ratios))
    if "d" in args.scenarios and "evhttpd" in results["d"]:
        ev = results["d"]["evhttpd"]
        print("\n(d) evhttpd / peer (KiB per idle connection, fresh GET median ms: >1 is evhttpd"
              " worse)")
        head = "%-9s %10s %16s" % ("peer", "KiB/conn", "fresh GET ms")
        print(head)
        print("-" * len(head))
        for peer in peers:
            pr = results["d"].get(peer)
            if not pr:
                continue
            kib = ev["kib_per_conn"] / pr["kib_per_conn"] if pr["kib_per_conn"] > 0 else \
                float("nan")
            lat = statistics.median(ev["lat"]) / statistics.median(pr["lat"]) \
                if ev["lat"] and pr["lat"] else float("nan")
            print("%-9s %10.2f %16.2f" % (peer, kib, lat))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3,
                   help="runs per server in a, l, b, c (3); e does half as many, d one")
    p.add_argument("--seconds", type=int, default=5, help="wrk duration of one run (5)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (50)")
    p.add_argument("--servers", default=",".join(s[0] for s in SERVERS),
                   help="comma-separated subset of " + ",".join(s[0] for s in SERVERS))
    p.add_argument("--scenarios", default=",".join(ALL_SCENARIOS),
                   help="comma-separated subset of " + ",".join(ALL_SCENARIOS))
    p.add_argument("--evhttpd", default=os.path.join(TOP, "build", "evhttpd"),
                   help="the evhttpd binary (build/evhttpd)")
    p.add_argument("--build", default=os.path.join(TOP, "build"),
                   help="the configured build directory where bench/responder, bench/slowread"
                        " and bench/idleconns are made (build)")
    p.add_argument("--idle-conns", type=int, default=10000,
                   help="idle connections in d (10000)")
    p.add_argument("--slow-readers", type=int, default=200, help="slow readers in e (200)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (configurations, logs) for inspection")
    args = p.parse_args(argv)
    if min(args.runs, args.seconds, args.connections, args.idle_conns, args.slow_readers) < 1:
        p.error("--runs, --seconds, --connections, --idle-conns and --slow-readers must be"
                " positive")
    args.scenarios = args.scenarios.split(",")
    if not args.scenarios or any(s not in ALL_SCENARIOS or not s for s in args.scenarios):
        p.error("--scenarios must name some of " + ",".join(ALL_SCENARIOS))
    return args


def pick_servers(args, notes):
    """The servers asked for that are installed and take part in a scenario asked for."""
    wanted = args.servers.split(",")
    known = [s[0] for s in SERVERS]
    if "evhttpd" not in wanted or any(w not in known for w in wanted):
        sys.exit("bench: --servers must name evhttpd and known peers only (%s)" % ",".join(known))
    if not os.access(args.evhttpd, os.X_OK):
        sys.exit("bench: %s is not built (make -C build, or --evhttpd PATH)" % args.evhttpd)
    picked = []
    for name, port, cmd, scen, pkg in SERVERS:
        if name not in wanted or not any(s in scen for s in args.scenarios):
            continue
        if pkg and not os.access(cmd[0], os.X_OK):
            note = "note: %s skipped: %s is not installed (Debian package %s)" % (name, cmd[0], pkg)
            print("bench: " + note, file=sys.stderr)
            notes.append(note)
            continue
        picked.append((name, port, cmd, scen))
    return picked


def build_tools(args, servers):
    """make the bench programs the chosen scenarios need; return their paths."""
    need = {}
    if any(s[0] == LIMIT for s in servers):
        need["responder"] = True
    if "d" in args.scenarios:
        need["idleconns"] = True
    if "e" in args.scenarios:
        need["slowread"] = True
    targets = ["bench/" + t for t in need]
    if targets:
        res = subprocess.run(["make", "-s", "-C", args.build] + targets)
        if res.returncode != 0:
            sys.exit("bench: cannot build %s in %s" % (" ".join(targets), args.build))
    return {t: os.path.join(args.build, "bench", t) for t in need}


def main(argv):
    args = parse_args(argv)
    notes = []
    servers = pick_servers(args, notes)
    tools = build_tools(args, servers)
    nofile = raise_nofile()
    if nofile < 2 * (args.idle_conns + 100) and "d" in args.scenarios:
        notes.append("note: RLIMIT_NOFILE is %d here (the hard limit; more needs CAP_SYS_RESOURCE):"
                     " lighttpd allows max-fds/2 = %d connections" % (nofile, nofile // 2))
    # This process only reads /proc and times fresh requests: keep it off the servers' CPU.
    os.sched_setaffinity(0, {int(CLIENT_CPU)})
    tmp = tempfile.mkdtemp(prefix="evhttpd-bench.")
    os.chmod(tmp, 0o755)
    procs, logged = {}, {}
    try:
        docroot = make_docroot(tmp, "e" in args.scenarios)
        values = {"DOCROOT": docroot, "EVHTTPD": args.evhttpd, "BUILD": args.build,
                  "MAXFDS": str(nofile), "MAXCONNS": str(nofile // 2)}
        for name, port, cmd, _ in servers:
            procs[name] = (start_server(name, port, cmd, tmp, values), port)
        names = [s[0] for s in servers]
        takes = {s[0]: s[3] for s in servers}
        # The access-logging instances of scenario l, and the requests each has answered
        # (its readiness probe, the warm-up, then wrk's) to hold its log against.
        answered = {}
        if "l" in args.scenarios:
            for name, port, cmd, scen in servers:
                if "l" in scen:
                    port += LOGGED_PORT_OFFSET
                    logged[name] = (start_server(name, port, cmd, tmp, values, True), port)
                    answered[name] = 1
        load_before, steal_before = loadavg(), cpu_steal()
        for name in names:
            run_wrk(procs[name][1], "1k.bin", [], 1, args.connections)  # warm-up
            if name in logged:
                answered[name] += run_wrk(logged[name][1], "1k.bin", [], 1,
                                          args.connections)["reqs"]
        results = {k: {} for k in ("a", "l", "log_lines", "b", "c", "d", "e_alone",
                                   "e_with")}
        scenarios = {s[0]: s for s in SCENARIOS}
        for group in WRK_GROUPS:
            keys = [k for k in group if k in args.scenarios]
            for i in range(args.runs if keys else 0):
                for name in names:
                    for key in (k for k in keys if k in takes[name]):
                        proc, port = (logged if key == "l" else procs)[name]
                        r = measure(proc, port, scenarios[key], args.seconds, args.connections)
                        results[key].setdefault(name, []).append(r)
                        if key == "l":
                            answered[name] += r["reqs"]
                        print("bench: (%s) run %d %-9s %9.0f req/s %8.1f MiB/s p99 %7.2f ms"
                              " cpu %5.2f s" % (key, i + 1, name, r["rps"], r["mibs"], r["p99"],
                                                r["cpu"]), file=sys.stderr, flush=True)
        for name in list(logged):
            stop_server(logged.pop(name)[0])  # every server writes out its buffered lines
            lines = count_lines(os.path.join(server_dir(tmp, name, True), "access.log"))
            results["log_lines"][name] = (lines, answered[name])
        if results["log_lines"]:
            notes.append(log_lines_note(results["log_lines"], names))
        if "d" in args.scenarios:
            for name in (n for n in names if "d" in takes[n]):
                proc, port = procs[name]
                r = run_idle(proc, port, args, tools["idleconns"])
                results["d"][name] = r
                print("bench: (d) %-9s held %d failed %d, %.2f KiB/conn, %d threads, fresh GET %s"
                      % (name, r["held"], r["failed"], r["kib_per_conn"], r["threads"],
                         "%.2f ms" % statistics.median(r["lat"]) if r["lat"] else "failed"),
                      file=sys.stderr, flush=True)
        if "e" in args.scenarios:
            for i in range(e_runs(args)):
                for name in (n for n in names if "e" in takes[n]):
                    proc, port = procs[name]
                    alone = measure(proc, port, SCENARIO_A, args.seconds, args.connections)
                    withs = run_slow(proc, port, args, tools["slowread"])
                    results["e_alone"].setdefault(name, []).append(alone)
                    results["e_with"].setdefault(name, []).append(withs)
                    print("bench: (e) run %d %-9s %9.0f req/s alone, %9.0f with slow readers"
                          " (%.2f MB/s each)" % (i + 1, name, alone["rps"], withs["rps"],
                                                 withs["slow_mean"]),
                          file=sys.stderr, flush=True)
        steal, total = (a - b for a, b in zip(cpu_steal(), steal_before))
        notes.insert(0, "load average before: %s, after: %s; CPU steal during the run: %.1f %%"
                     % (load_before, loadavg(), 100.0 * steal / total if total else 0.0))
        print_table(results, names, args, notes)
    finally:
        for proc, _ in list(procs.values()) + list(logged.values()):
            stop_server(proc)
        for logs in (False, True):
            report_log(server_dir(tmp, "evhttpd", logs))
        if args.keep:
            print("bench: kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def count_lines(path):
    """Lines in the file at path; 0 if there is none."""
    try:
        with open(path, "rb") as f:
            return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


def log_lines_note(counts, names):
    """The table note on each (l) instance's access log: counts[name] = (its lines, the
    requests it answered), flagged where they differ by more than LOG_TOLERANCE."""
    parts = []
    for name in (n for n in names if n in counts):
        lines, answered = counts[name]
        diff = lines / answered - 1 if answered else float("nan")
        flag = "" if abs(diff) <= LOG_TOLERANCE else " [!]"
        if flag:
            print("bench: (l) %s's access log holds %d lines for %d requests" %
                  (name, lines, answered), file=sys.stderr)
        parts.append("%s %d (%+.1f %%)%s" % (name, lines, 100 * diff, flag))
    return ("access log lines after (l), against the requests each logging instance answered"
            " (wrk's, warm-up, probe; [!] beyond %.0f %%): %s" % (100 * LOG_TOLERANCE,
                                                                   ", ".join(parts)))


def report_log(sdir):
    """evhttpd logs at LogLevel warn: anything there during a benchmark deserves a look."""
    path = os.path.join(sdir, "error.log")
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    if lines:
        print("\n%s/error.log: %d lines; the last ones:" % (os.path.basename(sdir), len(lines)))
        for line in lines[-5:]:
            print("  " + line)


if __name__ == "__main__":
    main(sys.argv[1:])
