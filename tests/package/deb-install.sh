#!/usr/bin/env bash
# deb-install.sh DEB [ROOT] — install evhttpd's .deb into a throwaway Debian 12 root
# (debootstrap, then chroot) and check what an operator would: the package installs
# without systemd running, the shipped configuration passes `evhttpd -t`, the units
# pass `systemd-analyze verify`, the server starts and serves the default page,
# `evctl status` answers, and purge and reinstall both work.
#
# The host stays clean: the root is a temporary folder, and the server runs in
# fresh mount, network and PID namespaces (its own loopback, so port 80 is free;
# every process in it dies with the namespace). man-db comes along so that verify
# can check Documentation=. Needs root, debootstrap and network
# access to a Debian mirror (the host's, from its apt sources). ROOT, when given,
# is a bootstrapped root to reuse instead of a temporary one.
set -euo pipefail

deb=$(realpath "$1")
keep_root=${2:-}
step() { printf 'deb-install: %s\n' "$*"; }
fail() { printf 'deb-install: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "deb-install: needs root (debootstrap, chroot, namespaces)" >&2; exit 77; }
command -v debootstrap >/dev/null || { echo "deb-install: debootstrap not installed" >&2; exit 77; }

mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*debian\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

if [ -n "$keep_root" ]; then
    root=$(realpath -m "$keep_root")
else
    root=$(mktemp -d "${TMPDIR:-/tmp}/evhttpd-root.XXXXXX")
    chmod 0755 "$root" # apt downloads as _apt
    trap 'rm -rf --one-file-system "$root"' EXIT
fi
if [ ! -x "$root/usr/bin/apt-get" ]; then
    step "debootstrap bookworm (minbase) from $mirror into $root"
    debootstrap --variant=minbase --include=curl,iproute2,man-db bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
        { tail -n 30 "$root.debootstrap.log" >&2; fail "debootstrap"; }
    rm -f "$root.debootstrap.log"
fi

# in_root CMD…: run a shell command in the root with its own /proc (apt and
# systemd's tools read it), the network of the host (for apt).
in_root() {
    unshare --mount --propagation private --pid --fork --mount-proc="$root/proc" \
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive /bin/sh -ec "$1"
}
# serve_in_root SCRIPT: the same, isolated from the host's network as well.
serve_in_root() {
    unshare --mount --propagation private --net --pid --fork --mount-proc="$root/proc" \
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 /bin/sh -ec "$1"
}

cp "$deb" "$root/tmp/evhttpd.deb"

install_pkg() {
    step "apt-get install ./evhttpd.deb"
    in_root 'apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/evhttpd.deb >/tmp/apt.log 2>&1 ||
        { tail -n 40 /tmp/apt.log; exit 1; }' || fail "apt-get install"
}

# What the package must leave behind on a fresh installation.
check_installed() {
    in_root '
        id evhttpd >/dev/null || { echo "no user evhttpd"; exit 1; }
        [ "$(id -u evhttpd)" != "$(id -u nobody)" ]
        [ "$(stat -c "%a %U %G" /var/log/evhttpd)" = "2751 root adm" ] ||
            { echo "/var/log/evhttpd is $(stat -c "%a %U %G" /var/log/evhttpd)"; exit 1; }
        cmp /usr/share/evhttpd/default-site/index.html /var/www/evhttpd/index.html
        [ -f /etc/evhttpd/evhttpd.conf ] && [ -d /etc/evhttpd/conf.d ]
        out=$(evhttpd -t 2>&1) || { echo "evhttpd -t: $out"; exit 1; }
        echo "evhttpd -t: $out"
        err=$(systemd-analyze verify /lib/systemd/system/evhttpd.service /lib/systemd/system/evhttpd.socket 2>&1 >/dev/null)
        [ -z "$err" ] || { echo "systemd-analyze verify: $err"; exit 1; }
        echo "systemd-analyze verify: no output"' || fail "installed state"
}

# Start the daemon from the shipped configuration (port 80 of the namespace's own
# loopback), fetch the default page, ask evctl, stop it and wait for it to go.
check_serving() {
    step "serve from the shipped configuration"
    serve_in_root '
        ip link set lo up
        evhttpd
        page=$(curl -fsS --retry 20 --retry-connrefused --retry-delay 0 --max-time 10 http://127.0.0.1/) ||
            { echo "curl failed"; cat /var/log/evhttpd/error.log; exit 1; }
        [ "$page" = "$(cat /usr/share/evhttpd/default-site/index.html)" ] || { echo "wrong page"; exit 1; }
        echo "GET / -> the default page ($(printf %s "$page" | wc -c) bytes)"
        evctl status >/tmp/status.txt || { echo "evctl status: exit $?"; cat /tmp/status.txt; exit 1; }
        head -n 4 /tmp/status.txt | sed "s/^/evctl status: /"
        grep -q "\"GET / HTTP/1.1\" 200" /var/log/evhttpd/access.log || { echo "no access log line"; exit 1; }
        [ "$(stat -c "%a %U %G" /var/log/evhttpd/access.log)" = "640 evhttpd adm" ] ||
            { echo "access.log is $(stat -c "%a %U %G" /var/log/evhttpd/access.log)"; exit 1; }
        # minbase has no procps: read /proc.
        running() { grep -lx evhttpd /proc/[0-9]*/comm 2>/dev/null | sed "s|/comm||"; }
        for d in $(running); do
            getent passwd "$(awk "/^Uid:/ {print \$2}" "$d/status")" | cut -d: -f1
        done | sort | uniq -c | sed "s/^ */processes: /"
        evctl stop >/dev/null
        i=0
        while [ -n "$(running)" ]; do
            i=$((i + 1)); [ $i -le 100 ] || { echo "evhttpd did not stop"; exit 1; }
            sleep 0.1
        done
        echo "evctl stop: every process gone"' || fail "serving"
}

install_pkg
check_installed
check_serving

step "apt-get purge evhttpd"
in_root 'apt-get purge -y -qq evhttpd >/tmp/apt.log 2>&1 || { tail -n 40 /tmp/apt.log; exit 1; }
    for p in /etc/evhttpd /var/log/evhttpd /var/www/evhttpd /usr/sbin/evhttpd /lib/systemd/system/evhttpd.service; do
        [ ! -e "$p" ] || { echo "$p survived the purge"; exit 1; }
    done
    ! dpkg-query -W -f="\${Status}" evhttpd 2>/dev/null | grep -q installed
    echo "purged: configuration, logs, document root and programs gone; user evhttpd kept"' || fail "purge"

install_pkg
check_installed
check_serving
step "PASS: install, serve, purge and reinstall"
