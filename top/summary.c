/*
 * summary.c — the header lines (see summary.h).
 *
 * The labels are stable words ("Requests: N total") because scripts read evtop -b the
 * way they read top -b; the total request count is always printed in full.
 */
#include <stdio.h>
#include <time.h>

#include "format.h"
#include "summary.h"

static void
summary_clock(char *buf, size_t size, int64_t wall_usec)
{
    time_t t = (time_t)(wall_usec / 1000000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%H:%M:%S", &tm) == 0)
        snprintf(buf, size, "--:--:--");
}

static void
summary_title(const sample_t *s, char *buf, size_t size)
{
    char now[16], up[32];

    summary_clock(now, sizeof now, s->wall_usec);
    format_uptime(up, sizeof up, s->wall_usec - s->start_time);
    snprintf(buf, size, "evtop - %s  %s  up %s  generation %lu  parent %ld", now,
             s->version[0] ? s->version : "evhttpd", up, (unsigned long)s->generation,
             (long)s->parent_pid);
}

static void
summary_traffic(const sample_t *s, const sample_delta_t *d, char *buf, size_t size)
{
    char rrate[16] = "-", bytes[16], brate[16] = "-";

    if (d->rates_known) {
        format_rate(rrate, sizeof rrate, d->req_rate);
        format_bytes(brate, sizeof brate, d->byte_rate);
    }
    format_bytes(bytes, sizeof bytes, (double)s->bytes);
    snprintf(buf, size, "Requests: %llu total, %s/s   Bytes: %s total, %s/s",
             (unsigned long long)s->requests, rrate, bytes, brate);
}

static void
summary_latency(const sample_delta_t *d, char *buf, size_t size)
{
    char p50[16] = "-", p99[16] = "-";

    if (d->latency_known) {
        format_usec(p50, sizeof p50, d->p50_usec);
        format_usec(p99, sizeof p99, d->p99_usec);
    }
    if (d->latency_cumulative)
        snprintf(buf, size, "Latency: p50 %s, p99 %s (since start)", p50, p99);
    else
        snprintf(buf, size, "Latency: p50 %s, p99 %s (last %.*fs)", p50, p99,
                 d->seconds < 0.95 ? 2 : 1, d->seconds);
}

void
summary_format(const sample_t *s, const sample_delta_t *d, summary_t out)
{
    summary_title(s, out[0], SUMMARY_WIDTH);
    summary_traffic(s, d, out[1], SUMMARY_WIDTH);
    summary_latency(d, out[2], SUMMARY_WIDTH);
    snprintf(out[3], SUMMARY_WIDTH, "Processes: %u, %u stopping   Workers: %lld busy, %lld idle",
             s->nprocs, s->stopping, (long long)s->busy, (long long)s->idle);
    snprintf(out[4], SUMMARY_WIDTH,
             "Connections: %lld total, %lld keep-alive, %lld writing, %lld closing",
             (long long)s->conns, (long long)s->keepalive, (long long)s->writing,
             (long long)s->closing);
}

void
summary_waiting(char *buf, size_t size, int64_t wall_usec, const char *path, const char *reason)
{
    char now[16];

    summary_clock(now, sizeof now, wall_usec);
    snprintf(buf, size, "evtop - %s  waiting for evhttpd: %s: %s", now, path, reason);
}
