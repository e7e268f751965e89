#!/usr/bin/env bash
# build-deb.sh TARBALL OUTDIR — build evhttpd's Debian binary packages from a release
# tarball (`make dist`) and packaging/debian/, then run lintian on them.
#
# The build runs as an unprivileged user (nobody when started as root): the package
# declares Rules-Requires-Root: no, and building it without root or fakeroot is how
# that promise is kept. The test suite has already run on the tree, so the build
# uses the nocheck profile. Exits non-zero when the build fails or lintian reports
# an error or a warning.
set -euo pipefail

tarball=$(realpath "$1")
outdir=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/evhttpd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"

tar -C "$work" -xzf "$tarball"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'evhttpd-*' | head -1)
[ -n "$src" ] || { echo "build-deb: no evhttpd-* directory in $tarball" >&2; exit 1; }
cp -r "$here/debian" "$src/debian"

as_builder=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R nobody:nogroup "$work"
    as_builder=(setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env --)
fi
(cd "$src" && "${as_builder[@]}" env HOME="$work" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck \
    dpkg-buildpackage --build=binary --no-sign -Pnocheck >"$work/build.log" 2>&1) || {
    tail -n 60 "$work/build.log" >&2
    echo "build-deb: dpkg-buildpackage failed (log above)" >&2
    exit 1
}

changes=$(find "$work" -maxdepth 1 -name '*.changes' | head -1)
echo "build-deb: lintian $(lintian --version | cut -d' ' -f2) on $(basename "$changes"):"
rc=0
# From inside $work: the builder may not enter the caller's directory (a 0700 clone).
(cd "$work" && "${as_builder[@]}" env HOME="$work" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    lintian --fail-on error,warning --display-info "$changes") || rc=$?
[ "$rc" -eq 0 ] && echo "build-deb: lintian reports no error and no warning"

mkdir -p "$outdir"
cp "$work"/*.deb "$work"/*.buildinfo "$changes" "$outdir"/
if [ "$(id -u)" -eq 0 ]; then
    chown "$(stat -c %u:%g "$outdir")" "$outdir"/*
fi
echo "build-deb: packages in $outdir:"
(cd "$outdir" && ls -1 ./*.deb)
exit "$rc"
