#!/usr/bin/env bash
# memcheck.sh BUILDDIR — evhttpd's parent and children under valgrind's memcheck
# through start, requests of every kind, a graceful restart and a stop: every
# process must end with no memcheck error and nothing definitely or indirectly
# lost. Slow by nature (valgrind runs the daemon ~20x slower), so it is a short,
# fixed script rather than part of the integration suite.
#
# The server listens on a free 127.0.0.1 port in a temporary directory and is
# stopped by its pid. Needs valgrind and curl; run as root so that the children
# switch to nobody as in production (as another user they simply stay that user).
set -euo pipefail

build=$(realpath "$1")
evhttpd=$build/evhttpd evctl=$build/evctl
work=$(mktemp -d "${TMPDIR:-/tmp}/evhttpd-memcheck.XXXXXX")
vpid=
cleanup() {
    [ -n "$vpid" ] && kill -KILL "$vpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"
mkdir -p "$work/htdocs/dir" "$work/run"
echo "hello" >"$work/htdocs/index.html"
echo "in a directory" >"$work/htdocs/dir/index.html"
head -c 300000 /dev/zero | tr '\0' 'x' >"$work/htdocs/big.txt"
chmod -R a+rX "$work/htdocs"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=$(id -un)
[ "$(id -u)" -eq 0 ] && user=nobody
group=$(id -gn "$user")
cat >"$work/evhttpd.conf" <<CONF
Listen 127.0.0.1:$port
ServerRoot $work
DocumentRoot $work/htdocs
DefaultRuntimeDir $work/run
ErrorLog $work/error.log
CustomLog $work/access.log combined
BufferedLogs On
User $user
Group $group
StartServers 1
ServerLimit 2
ThreadsPerChild 4
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
GracefulRestartTimeout 60
StatusLocation /server-status
CONF

valgrind --trace-children=yes --child-silent-after-fork=no --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --log-file="$work/vg.%p" "$evhttpd" -F -f "$work/evhttpd.conf" &
vpid=$!

url=http://127.0.0.1:$port
# get URL [curl options]: the status code, body discarded.
get() { curl -sS --max-time 60 -o /dev/null -w '%{http_code} ' "$@"; }
ready=
for _ in $(seq 300); do
    if curl -s -o /dev/null --max-time 2 "$url/"; then ready=1; break; fi
    kill -0 "$vpid" 2>/dev/null || break
    sleep 0.2
done
[ -n "$ready" ] || { echo "memcheck: evhttpd did not start"; cat "$work"/vg.* "$work/error.log" 2>/dev/null | tail -40; exit 1; }

codes=
for path in / /dir/ /dir /big.txt /nope "/server-status?auto"; do
    codes+=$(get "$url$path")
done
codes+=$(get -r 0-99 "$url/big.txt")
codes+=$(get -r 0-9,100-199 "$url/big.txt")
codes+=$(get -H 'If-None-Match: *' "$url/index.html")
codes+=$(get -X POST --data-binary x "$url/")
codes+=$(printf 'GARBAGE\r\n\r\n' | curl -s -o /dev/null --max-time 10 telnet://127.0.0.1:"$port" 2>/dev/null; echo "raw ")
echo "memcheck: before restart: $codes"
[ "$codes" = "200 200 301 200 404 200 206 206 304 405 raw " ] || { echo "memcheck: unexpected answers"; exit 1; }
"$evctl" -s "$work/run/ctl.sock" graceful --wait >/dev/null
codes=$(get "$url/")$(get "$url/big.txt")$(get "$url/nope")
echo "memcheck: after graceful restart: $codes"
[ "$codes" = "200 200 404 " ] || { echo "memcheck: unexpected answers"; exit 1; }
kill -TERM "$vpid"
rc=0
wait "$vpid" || rc=$?
vpid=
[ "$rc" -eq 0 ] || { echo "memcheck: evhttpd exited with status $rc"; exit 1; }

fail=0 n=0
for log in "$work"/vg.*; do
    n=$((n + 1))
    pid=${log##*.}
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
    lost=$(sed -n 's/.*\(definitely\|indirectly\) lost: \([0-9,]*\) bytes.*/\2/p' "$log" | tr -d , | awk '{s+=$1} END {print s+0}')
    if [ -z "$errors" ]; then
        echo "memcheck: process $pid: no summary (did it exit?)"
        fail=1
    elif [ "$errors" != 0 ] || [ "$lost" != 0 ]; then
        echo "memcheck: process $pid: $errors errors, $lost bytes lost"
        sed 's/^/    /' "$log" | tail -60
        fail=1
    else
        echo "memcheck: process $pid: 0 errors, 0 bytes lost"
    fi
done
[ "$n" -ge 3 ] || { echo "memcheck: expected the parent and two generations of children, got $n logs"; fail=1; }
[ "$fail" -eq 0 ] && echo "memcheck: passed ($n processes)"
exit "$fail"
