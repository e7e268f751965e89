#!/usr/bin/env python3
"""Compare evhttpd with nginx and apache2 (event MPM) on static files.

Design: every server runs at once, each from its own configuration (bench/conf/*.conf with
@NAME@ placeholders) in one temporary directory on 127.0.0.1, pinned to CPU 1; wrk runs on
CPU 0. Throughput on this kind of machine drifts by a quarter between runs minutes apart,
so the runs are interleaved (A B C A B C ...) within each scenario and every figure is a
median with its min-max. wrk saturates its own core at roughly 130-160k req/s, so the
server's CPU seconds (utime + stime over its whole process tree, read from /proc before
and after each run) are measured too: requests per server-CPU-second stays fair when wrk,
not the server, is the bottleneck.
"""

import argparse
import os
import re
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

# name, port, command line (@CONF@ = the generated configuration file)
SERVERS = [
    ("evhttpd", 18081, [os.path.join(TOP, "build", "evhttpd"), "-F", "-f", "@CONF@"]),
    ("nginx", 18082, ["/usr/sbin/nginx", "-c", "@CONF@", "-e", "@TMP@/error.log"]),
    ("apache2", 18083, ["/usr/sbin/apache2", "-f", "@CONF@", "-k", "start", "-DFOREGROUND"]),
]

# key, title, file, extra wrk arguments, the figure reported
SCENARIOS = [
    ("a", "1 KiB keep-alive", "1k.bin", [], "rps"),
    ("b", "1 KiB Connection: close", "1k.bin", ["-H", "Connection: close"], "rps"),
    ("c", "100 KiB keep-alive", "100k.bin", [], "mibs"),
]

FILES = {"1k.bin": 1024, "100k.bin": 100 * 1024, "index.html": 16}


def make_docroot(tmp):
    """Write the files every server serves; readable by the servers' user (nobody)."""
    docroot = os.path.join(tmp, "htdocs")
    os.mkdir(docroot)
    for name, size in FILES.items():
        with open(os.path.join(docroot, name), "wb") as f:
            f.write((b"0123456789abcdef" * (size // 16 + 1))[:size])
    return docroot


def fill(text, values):
    for key, val in values.items():
        text = text.replace("@" + key + "@", val)
    return text


def write_conf(name, port, tmp, docroot):
    """Instantiate bench/conf/NAME.conf in its own directory under tmp; return its path."""
    sdir = os.path.join(tmp, name)
    os.makedirs(os.path.join(sdir, "run"))
    os.chmod(sdir, 0o755)
    with open(os.path.join(HERE, "conf", name + ".conf")) as f:
        text = fill(f.read(), {"PORT": str(port), "TMP": sdir, "DOCROOT": docroot})
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


def start_server(name, port, argv, tmp, docroot):
    conf, sdir = write_conf(name, port, tmp, docroot)
    if not port_free(port):
        raise RuntimeError("port %d is already in use" % port)
    cmd = ["taskset", "-c", SERVER_CPU] + [fill(a, {"CONF": conf, "TMP": sdir}) for a in argv]
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
    """SIGTERM the server (graceless stop for all three), SIGKILL its group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def read_stat(pid):
    """Return (ppid, cpu seconds) of pid, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu(root):
    """CPU seconds used by root and every live descendant (threads are counted in each)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = read_stat(int(entry))
            if st:
                stats[int(entry)] = st
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo.extend(p for p, (pp, _) in stats.items() if pp == pid)
    return total


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


def spread(values):
    return statistics.median(values), min(values), max(values)


def fmt_spread(values, digits):
    med, lo, hi = spread(values)
    return "%.*f (%.*f-%.*f)" % (digits, med, digits, lo, digits, hi)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def print_table(results, names, runs, load_before):
    """results[scenario key][server name] = list of per-run dicts."""
    print("\nmedian (min-max) of %d interleaved runs; CPU = server CPU seconds per run" % runs)
    print("load average before: %s, after: %s" % (load_before, loadavg()))
    head = "%-28s %-8s %-28s %-22s %-18s %-22s %s" % (
        "scenario", "server", "throughput", "p99 ms", "server CPU s", "req / server CPU-s",
        "errors")
    print(head)
    print("-" * len(head))
    for key, title, _, _, figure in SCENARIOS:
        unit = "req/s" if figure == "rps" else "MiB/s"
        for name in names:
            rs = results[key][name]
            print("%-28s %-8s %-28s %-22s %-18s %-22s %d" % (
                "(%s) %s" % (key, title), name,
                fmt_spread([r[figure] for r in rs], 0 if figure == "rps" else 1) + " " + unit,
                fmt_spread([r["p99"] for r in rs], 2),
                fmt_spread([r["cpu"] for r in rs], 2),
                fmt_spread([r["rpc"] for r in rs], 0),
                sum(r["errors"] for r in rs)))
    print_ratios(results, names)


def print_ratios(results, names):
    """evhttpd's median divided by each peer's median (p99: lower is better)."""
    peers = [n for n in names if n != "evhttpd"]
    print("\nevhttpd / peer (medians; throughput and req/server CPU-s: >1 is evhttpd better;"
          " p99: >1 is evhttpd slower)")
    head = "%-28s %-8s %12s %10s %20s" % ("scenario", "peer", "throughput", "p99", "req/server CPU-s")
    print(head)
    print("-" * len(head))
    for key, title, _, _, figure in SCENARIOS:
        ev = results[key]["evhttpd"]
        for peer in peers:
            pr = results[key][peer]
            ratios = [statistics.median([r[f] for r in ev]) / statistics.median([r[f] for r in pr])
                      for f in (figure, "p99", "rpc")]
            print("%-28s %-8s %12.2f %10.2f %20.2f" % ("(%s) %s" % (key, title), peer, *ratios))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3, help="runs per server and scenario (3)")
    p.add_argument("--seconds", type=int, default=5, help="wrk duration of one run (5)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (50)")
    p.add_argument("--servers", default=",".join(s[0] for s in SERVERS),
                   help="comma-separated subset of " + ",".join(s[0] for s in SERVERS))
    args = p.parse_args(argv)
    if args.runs < 1 or args.seconds < 1 or args.connections < 1:
        p.error("--runs, --seconds and --connections must be positive")
    return args


def main(argv):
    args = parse_args(argv)
    wanted = args.servers.split(",")
    servers = [s for s in SERVERS if s[0] in wanted]
    if "evhttpd" not in wanted or len(servers) != len(wanted):
        sys.exit("bench: --servers must name evhttpd and known peers only")
    tmp = tempfile.mkdtemp(prefix="evhttpd-bench.")
    os.chmod(tmp, 0o755)
    procs = {}
    try:
        docroot = make_docroot(tmp)
        for name, port, cmd in servers:
            procs[name] = (start_server(name, port, cmd, tmp, docroot), port)
        names = [s[0] for s in servers]
        load_before = loadavg()
        for name in names:
            run_wrk(procs[name][1], "1k.bin", [], 1, args.connections)  # warm-up
        results = {s[0]: {n: [] for n in names} for s in SCENARIOS}
        for scenario in SCENARIOS:
            for i in range(args.runs):
                for name in names:
                    proc, port = procs[name]
                    r = measure(proc, port, scenario, args.seconds, args.connections)
                    results[scenario[0]][name].append(r)
                    print("bench: (%s) run %d %-8s %9.0f req/s %8.1f MiB/s p99 %7.2f ms cpu %5.2f s"
                          % (scenario[0], i + 1, name, r["rps"], r["mibs"], r["p99"], r["cpu"]),
                          file=sys.stderr, flush=True)
        print_table(results, names, args.runs, load_before)
    finally:
        for proc, _ in procs.values():
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
