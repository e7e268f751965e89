#!/bin/sh
# Every error log message carries its own number (EVHnnnnn): no number may be used twice.
srcdir=${EV_SRCDIR:-$(dirname "$0")/..}
dups=$(grep -rhoE '"EVH[0-9]{5}"' "$srcdir/daemon" "$srcdir/shm" | sort | uniq -d)
total=$(grep -rhoE '"EVH[0-9]{5}"' "$srcdir/daemon" "$srcdir/shm" | wc -l)
if [ -n "$dups" ]; then
    echo "log message numbers used more than once:"
    for id in $dups; do grep -rnF "$id" "$srcdir/daemon" "$srcdir/shm"; done
    exit 1
fi
if [ "$total" -lt 10 ]; then
    echo "found only $total message numbers: is the source tree at $srcdir?"
    exit 1
fi
echo "$total log message numbers, all distinct"
