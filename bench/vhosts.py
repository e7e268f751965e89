#!/usr/bin/env python3
"""Does the number of virtual hosts cost anything per request? Scenario a of bench.py
(1 KiB, keep-alive, wrk -t1 -c50) against two evhttpd started from bench/conf/evhttpd.conf:
one with a single <VirtualHost>, one with N (default 100) whose names all differ, the
request naming the last one added (so a linear search would show). Both run at once,
pinned to CPU 1 with wrk on CPU 0, runs interleaved; medians with min-max, and the
ratio many/one.

    python3 bench/vhosts.py [--vhosts N] [--runs R] [--seconds S]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def vhost_block(n, port, docroot):
    out = []
    for i in range(n):
        out.append("<VirtualHost *:%d>\n    ServerName site%03d.example\n"
                   "    ServerAlias www.site%03d.example *.w%03d.example\n"
                   "    DocumentRoot %s\n</VirtualHost>\n" % (port, i, i, i, docroot))
    return "".join(out)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vhosts", type=int, default=100)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--evhttpd", default=os.path.join(bench.TOP, "build", "evhttpd"))
    args = p.parse_args(argv)
    bench.raise_nofile()
    tmp = tempfile.mkdtemp(prefix="evhttpd-vhosts-")
    os.chmod(tmp, 0o755)  # the children run as nobody
    procs = {}
    try:
        bench.make_docroot(tmp, False)
        docroot = os.path.join(tmp, "htdocs")
        for name, n, port in (("one", 1, 18091), ("many", args.vhosts, 18092)):
            d = os.path.join(tmp, name)
            os.makedirs(os.path.join(d, "run"))
            with open(os.path.join(bench.HERE, "conf", "evhttpd.conf")) as f:
                text = bench.fill(f.read(), {"PORT": str(port), "TMP": d, "DOCROOT": docroot,
                                             "ACCESSLOG": ""})
            text += vhost_block(n, port, docroot)
            conf = os.path.join(d, "evhttpd.conf")
            with open(conf, "w") as f:
                f.write(text)
            procs[name] = (subprocess.Popen(["taskset", "-c", bench.SERVER_CPU, args.evhttpd,
                                             "-F", "-f", conf], stdout=subprocess.DEVNULL,
                                            stderr=open(os.path.join(d, "stderr"), "w")), port, n)
            bench.wait_ready(port, procs[name][0], "evhttpd (%s)" % name)
        rps = {"one": [], "many": []}
        for _ in range(args.runs):
            for name, (proc, port, n) in procs.items():
                host = "site%03d.example" % (n - 1)
                r = bench.run_wrk(port, "1k.bin", ["-H", "Host: " + host], args.seconds, 50)
                if r["errors"]:
                    raise RuntimeError("%s: %d errors" % (name, r["errors"]))
                rps[name].append(r["rps"])
        print("scenario a, wrk -t1 -c50 -d%ds, %d runs interleaved, server on CPU %s:"
              % (args.seconds, args.runs, bench.SERVER_CPU))
        for name in ("one", "many"):
            v = rps[name]
            print("  %-5s %4d vhost%s  %8.0f req/s  (%.0f-%.0f)"
                  % (name, procs[name][2], "s" if procs[name][2] > 1 else " ",
                     statistics.median(v), min(v), max(v)))
        ratios = [m / o for m, o in zip(rps["many"], rps["one"])]
        print("  many/one per run: median %.3f (%.3f-%.3f)"
              % (statistics.median(ratios), min(ratios), max(ratios)))
    finally:
        for proc, _, _ in procs.values():
            bench.stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
