#!/usr/bin/env bash
# build-rpm.sh SRCDIR OUTDIR — build the evhttpd RPM and source RPM from a checkout.
#
# A smoke test of packaging/rpm/evhttpd.spec on a machine that is not Fedora (Debian
# 12 with its rpm and rpmlint packages): it makes the dist tarball from SRCDIR (or
# takes the one named by EVHTTPD_TARBALL), runs rpmbuild in a throw-away %_topdir,
# copies the .rpm and .src.rpm to OUTDIR, lists the binary package's files and runs
# rpmlint on the spec and both packages when rpmlint is installed.
#
# rpmbuild runs with --nodeps: Debian's rpm database is empty, so no BuildRequires
# can be satisfied from it; the Debian packages that the build needs (the ones
# .ci/run installs) must be installed instead. Nothing is written outside OUTDIR
# and a temporary directory, which is removed on exit; root is not needed.
set -euo pipefail

usage() { echo "usage: $0 SRCDIR OUTDIR  (EVHTTPD_TARBALL=path: use this dist tarball)" >&2; exit 2; }
[ $# -eq 2 ] || usage
srcdir=$(cd "$1" && pwd)
mkdir -p "$2"
outdir=$(cd "$2" && pwd)
spec=$srcdir/packaging/rpm/evhttpd.spec
[ -f "$spec" ] || { echo "$0: no $spec" >&2; exit 1; }
command -v rpmbuild >/dev/null || { echo "$0: rpmbuild not found (Debian: rpm)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/evhttpd-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Debian's rpm creates its database in ~/.rpmdb at the first query and rpmlint writes
# to ~/.config; a home of our own keeps them in the temporary directory, and keeps
# the user's ~/.rpmmacros out of the build.
export HOME=$tmp/home
mkdir "$HOME"

# rpmspec knows Version after macro expansion; grep would not.
version=$(rpmspec -q --srpm --qf '%{version}\n' "$spec" 2>/dev/null) ||
    version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
tarname=evhttpd-$version.tar.gz

if [ -n "${EVHTTPD_TARBALL:-}" ]; then
    tarball=$(cd "$(dirname "$EVHTTPD_TARBALL")" && pwd)/$(basename "$EVHTTPD_TARBALL")
else
    # A build directory of its own: one already configured in SRCDIR may use other
    # options, and `make dist` must not touch it.
    echo "== make dist in $tmp/dist"
    mkdir "$tmp/dist"
    if ! (cd "$tmp/dist" && "$srcdir/configure" -q && make -s dist) >"$tmp/dist.log" 2>&1; then
        cat "$tmp/dist.log" >&2
        echo "$0: configure or make dist failed" >&2
        exit 1
    fi
    tarball=$tmp/dist/$tarname
fi
[ -f "$tarball" ] || { echo "$0: no $tarball" >&2; exit 1; }
[ "$(basename "$tarball")" = "$tarname" ] ||
    { echo "$0: $tarball is not $tarname, the spec's Version" >&2; exit 1; }

top=$tmp/rpmbuild
mkdir -p "$top/SOURCES" "$top/SPECS" "$tmp/tmp"
cp "$tarball" "$top/SOURCES/"
cp "$spec" "$top/SPECS/"

# _tmppath too: rpmbuild writes its scriptlets there (/var/tmp by default).
# Two of Fedora's settings that Debian's rpm lacks, so that the package has Fedora's
# paths: brp-compress under bash (Debian runs it with /bin/sh, which is dash, where it
# fails on `read -d` and leaves the man pages uncompressed), and
# /usr/share/licenses/evhttpd rather than .../evhttpd-VERSION.
echo "== rpmbuild -ba"
if ! rpmbuild -ba --nodeps \
        --define "_topdir $top" --define "_tmppath $tmp/tmp" \
        --define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}' \
        --define '_docdir_fmt %%{NAME}' \
        "$top/SPECS/evhttpd.spec" >"$tmp/rpmbuild.log" 2>&1; then
    tail -n 40 "$tmp/rpmbuild.log" >&2
    echo "$0: rpmbuild failed" >&2
    exit 1
fi
grep -E '^(Wrote|warning):' "$tmp/rpmbuild.log" || true

shopt -s nullglob
rpms=("$top"/RPMS/*/*.rpm)
srpms=("$top"/SRPMS/*.src.rpm)
if [ ${#rpms[@]} -eq 0 ] || [ ${#srpms[@]} -ne 1 ]; then
    echo "$0: rpmbuild wrote no packages" >&2
    exit 1
fi
cp "${rpms[@]}" "${srpms[@]}" "$outdir/"
out_rpms=()
for f in "${rpms[@]}" "${srpms[@]}"; do out_rpms+=("$outdir/$(basename "$f")"); done
# evhttpd itself, not a -debuginfo or -debugsource package where rpm makes them.
binary=$(printf '%s\n' "${out_rpms[@]}" | grep "/evhttpd-$version-[^/]*\.$(uname -m)\.rpm$")

echo "== files of $(basename "$binary")"
rpm -qlp "$binary"

if command -v rpmlint >/dev/null; then
    # Debian's rpmlint comes with openSUSE's defaults, not Fedora's configuration
    # (configs/Fedora/fedora.toml in rpmlint, installed by Fedora's rpmlint package).
    # These are the parts of it that apply here.
    cat >"$tmp/fedora.toml" <<'EOF'
# Fedora's brp-compress uses gzip.
CompressExtension = "gz"
Checks = ["BashismsCheck", "TmpFilesCheck", "SysVInitOnSystemdCheck"]
# Fedora takes the list from fedora-license-data, which has Apache-2.0.
ValidLicenses = ["Apache-2.0"]
Filters = [
    # Obsolete tags that Fedora does not want (BuildRoot, Group) or forbids (Packager).
    ' no-buildroot-tag',
    ' no-group-tag',
    ' no-packager-tag',
    # Koji signs packages after the build.
    ' no-signature',
    # Fedora's unit, sysusers.d and tmpfiles.d directories are in /usr/lib.
    'hardcoded-library-path',
]
EOF
    # Printed, not obeyed, for these messages remain and are expected:
    #   unstripped-binary-or-object: Fedora's find-debuginfo strips the programs into
    #     a -debuginfo package; Debian's rpm makes none and strips only with -g.
    #   no-manual-page-for-binary: rpmlint 2.4.0 compares the programs with the man
    #     sections (1, 8), not the page names; every program has its page.
    #   no-url-tag, invalid-url Source0: the project has no public URL yet.
    #   non-standard-dir-perm /var/log/evhttpd 2751, non-standard-dir-in-var www,
    #   dangerous-command-in-%post install: on purpose; evhttpd.spec says why.
    echo "== rpmlint (with Fedora's settings)"
    rpmlint -c "$tmp/fedora.toml" "$spec" "${out_rpms[@]}" || true
else
    echo "== rpmlint not installed: skipped"
fi

echo "== done: ${out_rpms[*]}"
