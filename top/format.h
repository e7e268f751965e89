/*
 * format.h — numbers for humans: counts, bytes, rates, durations.
 *
 * Every function writes a NUL-terminated string into the caller's buffer (truncated
 * to `size`), returns `buf`, allocates nothing and is thread-safe. Units are SI for
 * counts (k M G T P, powers of 1000) and binary for bytes (K M G T P, powers of
 * 1024), as top and htop print them.
 */
#ifndef EVTOP_FORMAT_H
#define EVTOP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* format_count: n in full when it has at most `width` characters, else scaled
 * ("12345678" in 8 columns, "12M" in 7). */
char *format_count(char *buf, size_t size, uint64_t n, int width);

/* format_bytes: "512B", "1.5K", "23M", "4.0G" (at most 5 characters below 1000 PiB). */
char *format_bytes(char *buf, size_t size, double bytes);

/* format_rate: a per-second rate: "0", "0.25", "12.5", "345", "1.2k", "45k", "3.1M". */
char *format_rate(char *buf, size_t size, double per_sec);

/* format_usec: a duration given in microseconds: "850us", "1.2ms", "35ms", "2.50s", "95s". */
char *format_usec(char *buf, size_t size, double usec);

/* format_uptime: microseconds as "H:MM:SS", or "Dd HH:MM:SS" past a day; "0:00:00" for
 * negative values (a clock that stepped back). */
char *format_uptime(char *buf, size_t size, int64_t usec);

/* format_age: how long ago, compactly: "0.4s", "12s", "7m", "3h", "12d". */
char *format_age(char *buf, size_t size, int64_t usec);

#endif
