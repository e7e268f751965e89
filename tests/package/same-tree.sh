#!/usr/bin/env bash
# same-tree.sh DEB DESTDIR — the .deb ships exactly what `make install DESTDIR=…`
# installed (configured as debian/rules configures it), apart from what Debian adds
# by itself: /usr/share/doc/evhttpd, the lintian overrides and compressed man pages.
set -euo pipefail
deb=$1 destdir=$2
from_deb=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' -e 's|\.gz$||' |
    grep -v -e '^/usr/share/doc' -e '^/usr/share/lintian' -e '^$' | sort)
from_make=$(cd "$destdir" && find . -mindepth 1 | sed 's|^\.||' | sort)
if [ "$from_deb" != "$from_make" ]; then
    echo "same-tree: the .deb and make install differ (< deb, > make install):" >&2
    diff <(echo "$from_deb") <(echo "$from_make") >&2 || true
    exit 1
fi
echo "same-tree: the .deb holds the $(echo "$from_make" | wc -l) paths make install creates"
