/*
 * summary.h — the header lines above the process table, as text, so the batch and the
 * interactive renderers print the same words. Pure; thread-safe.
 */
#ifndef EVTOP_SUMMARY_H
#define EVTOP_SUMMARY_H

#include <stddef.h>

#include "sample.h"

#define SUMMARY_LINES 5   /* lines summary_format fills */
#define SUMMARY_WIDTH 256 /* bytes per line, NUL included */

typedef char summary_t[SUMMARY_LINES][SUMMARY_WIDTH];

/*
 * summary_format: five lines (under 80 columns) describing sample `s` with the rates `d`:
 *   evtop - 14:03:12  evhttpd/0.1.0  up 0:05:12  generation 2  parent 12345
 *   Requests: 150 total, 12.5/s   Bytes: 45K total, 3.1K/s
 *   Latency: p50 123us, p99 1.2ms (last 1.0s)
 *   Processes: 3, 1 stopping   Workers: 1 busy, 7 idle
 *   Connections: 2 total, 1 keep-alive, 0 writing, 0 closing
 * A rate not known yet is "-"; the latency says "(since start)" when it is the
 * cumulative one, and is "-" when no request finished in the interval.
 */
void summary_format(const sample_t *s, const sample_delta_t *d, summary_t out);

/* summary_waiting: "evtop - 14:03:12  waiting for evhttpd: PATH: REASON" at wall-clock
 * time `wall_usec`. */
void summary_waiting(char *buf, size_t size, int64_t wall_usec, const char *path,
                     const char *reason);

#endif
