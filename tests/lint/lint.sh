#!/usr/bin/env bash
# lint.sh SRCDIR BUILDDIR — static analysis of evhttpd's own C code, two tools:
#   1. cppcheck over the sources of every folder (generated protobuf-c code left out);
#      what remains reported on purpose is in tests/lint/cppcheck.supp, each entry
#      with its reason;
#   2. clang's scan-build over a fresh build of the programs, their libraries and
#      the test programs in BUILDDIR (the generated protobuf-c code is not ours to
#      fix, so its reports are dropped). Its false positives are fixed in the source,
#      not suppressed: scan-build has no suppression file.
# Exit status: 0 when both are clean, 1 on any finding, 2 on a usage or setup error.
#
# BUILDDIR is emptied and configured afresh on every run (an incremental build would
# analyse only what changed and so miss everything else): it must not exist, be
# empty, or be a directory an earlier run made. SRCDIR must have been through
# autoreconf. Needs cppcheck, clang and clang-tools (scan-build-N for clang's major
# version N), pkg-config and the build dependencies.
set -euo pipefail

say() { printf 'lint: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 2
}

[ $# -eq 2 ] || die "usage: tests/lint/lint.sh SRCDIR BUILDDIR"
src=$(cd "$1" && pwd) || die "no source directory $1"
[ -x "$src/configure" ] || die "$src/configure missing: run autoreconf -fi in $src first"
[ -f "$src/tests/lint/cppcheck.supp" ] || die "$src is not an evhttpd checkout"

mkdir -p "$2"
build=$(cd "$2" && pwd)
marker=$build/.lint-builddir
[ "$build" != "$src" ] || die "BUILDDIR must differ from SRCDIR"
if [ -n "$(ls -A "$build")" ] && [ ! -f "$marker" ]; then
    die "$build is not empty and not a lint build directory: give a new one"
fi
find "$build" -mindepth 1 -delete
touch "$marker"

command -v cppcheck >/dev/null || die "cppcheck not found (Debian: cppcheck)"
command -v clang >/dev/null || die "clang not found (Debian: clang)"
llvm=$(clang -dumpversion | cut -d. -f1)
scan_build=scan-build-$llvm
command -v "$scan_build" >/dev/null || die "$scan_build not found (Debian: clang-tools-$llvm)"

# ---- configure through scan-build, which sets CC to its analysing wrapper --------
if ! (cd "$build" && "$scan_build" --status-bugs -o "$build/report" "$src/configure" -q) \
    >"$build/configure.log" 2>&1; then
    tail -n 30 "$build/configure.log" >&2
    die "configure failed (log: $build/configure.log)"
fi
# cppcheck reads autoconfig.h and the generated protocol header from here.
make -s -C "$build" proto/evctl.pb-c.h >>"$build/configure.log" 2>&1 ||
    die "cannot generate proto/evctl.pb-c.h (log: $build/configure.log)"

# ---- cppcheck ---------------------------------------------------------------------
# No system or APR include directories: cppcheck needs no libc or APR declarations to
# check our code, and given them it stops at APR's own "#error Neither AF_UNIX nor
# AF_LOCAL is defined" (it has no libc headers behind them). The one exception is
# protobuf-c's header, forced in because the generated header's version check would
# otherwise stop at its #error and skip every file that includes it. SYS_openat2 is
# defined so that the openat2 path of http_path.c, the one Linux takes, is the one
# checked (its value does not matter). The posix library teaches cppcheck the
# descriptor-returning calls; the gnu one is left out, it wrongly marks accept4's
# address length as never NULL. The cppcheck build directory (a cache) is what keeps
# the whole-program checks (ctu*) on under -j2.
pb_header=$(pkg-config --variable=includedir libprotobuf-c)/protobuf-c/protobuf-c.h
[ -f "$pb_header" ] || die "$pb_header missing (Debian: libprotobuf-c-dev)"
cd "$src"
mapfile -t files < <(find daemon shm ctl top proto bench tests/unit tests/fuzz tests/tools \
    -name '*.c' ! -name '*.pb-c.c' | LC_ALL=C sort)
mkdir "$build/cppcheck"
cppcheck_rc=0
cppcheck -q -j2 --cppcheck-build-dir="$build/cppcheck" --std=c11 --library=posix \
    --enable=warning,performance,portability --inline-suppr \
    --suppressions-list=tests/lint/cppcheck.supp --suppress=missingIncludeSystem \
    --error-exitcode=1 --template='{file}:{line}: {severity}: {message} [{id}]' \
    -D__linux__ -DSYS_openat2=437 -DSYSCONFDIR='"/usr/local/etc"' --include="$pb_header" \
    -I "$build" -I daemon -I shm -I proto -I "$build/proto" \
    "${files[@]}" 2>"$build/cppcheck.txt" || cppcheck_rc=$?
cppcheck_found=$(grep -c '^[^ ]*:[0-9]*: ' "$build/cppcheck.txt" || true)
if [ "$cppcheck_rc" -ne 0 ] && [ "$cppcheck_found" -eq 0 ]; then
    cat "$build/cppcheck.txt" >&2
    die "cppcheck failed"
fi
sed 's/^/cppcheck: /' "$build/cppcheck.txt"

# ---- scan-build -------------------------------------------------------------------
# The installed programs and, being cheap, the unit tests and test tools, which take
# their lists from the generated Makefile. Not the benchmark clients (built on
# demand, never shipped) nor the fuzz harnesses (they need an instrumented clang build).
cat >"$build/lint-vars.mk" <<'MK'
lint-targets:
	@echo $(bin_PROGRAMS) $(sbin_PROGRAMS) $(check_PROGRAMS)
MK
read -r -a targets < <(make -s -C "$build" -f Makefile -f lint-vars.mk lint-targets | tail -n 1)
[ ${#targets[@]} -gt 0 ] || die "no programs to build in $build"
scan_rc=0
(cd "$build" && "$scan_build" --status-bugs -o "$build/report" --exclude "$build/proto" \
    make -s -j2 "${targets[@]}") >"$build/scan-build.log" 2>&1 || scan_rc=$?
mapfile -t reports < <(find "$build/report" -name 'report-*.html' 2>/dev/null | LC_ALL=C sort)
if [ "$scan_rc" -ne 0 ] && [ ${#reports[@]} -eq 0 ]; then
    tail -n 40 "$build/scan-build.log" >&2
    die "the build failed (log: $build/scan-build.log)"
fi

# bug_field FIELD REPORT: the value of scan-build's <!-- FIELD value --> comment.
bug_field() { sed -n "s/^<!-- $1 \(.*\) -->\$/\1/p" "$2" | head -n 1; }

for r in "${reports[@]}"; do
    file=$(realpath -m "$(bug_field BUGFILE "$r")")
    printf 'scan-build: %s:%s: %s: %s (%s)\n' "${file#"$src"/}" "$(bug_field BUGLINE "$r")" \
        "$(bug_field BUGTYPE "$r")" "$(bug_field BUGDESC "$r")" "$r"
done | LC_ALL=C sort

if [ "$cppcheck_found" -eq 0 ] && [ ${#reports[@]} -eq 0 ]; then
    echo "lint: cppcheck clean (${#files[@]} files), scan-build clean"
    exit 0
fi
echo "lint: cppcheck $cppcheck_found finding(s) (${#files[@]} files), scan-build ${#reports[@]} bug(s)"
exit 1
