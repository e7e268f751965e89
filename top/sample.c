/*
 * sample.c — copy the scoreboard into a sample, and the rates between two samples.
 *
 * Who: evtop's only thread. Reads the segment through sb_snapshot_process and
 * sb_snapshot_worker (sequence-checked, bounded retries) and sb_totals (relaxed
 * atomics); the header's own fields are read with atomic loads. Nothing read is
 * trusted beyond display: strings are made printable here, once, so that no renderer
 * can pass a child's escape sequence to the terminal.
 *
 * Rates come from differences of monotonically growing counters. A counter may still
 * step back (the parent moves an exiting child's counts to the header's retired totals
 * in two steps that a reader can straddle), so a negative difference is clamped to 0
 * rather than shown as a huge unsigned rate.
 */
#include <string.h>
#include <time.h>

#include <apr_tables.h>

#include "sample.h"

int64_t
sample_mono_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
sample_wall_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Replace what a terminal could interpret (controls, DEL, anything non-ASCII). */
static void
sample_printable(char *text)
{
    for (; *text != '\0'; text++)
        if ((unsigned char)*text < 0x20 || (unsigned char)*text >= 0x7f)
            *text = '?';
}

static void
sample_header(sample_t *s, sb_t *sb)
{
    sb_header_t *h = sb_header(sb);

    memcpy(s->version, h->server_version, sizeof s->version);
    s->version[sizeof s->version - 1] = '\0';
    sample_printable(s->version);
    s->parent_pid = atomic_load_explicit(&h->parent_pid, memory_order_relaxed);
    s->generation = atomic_load_explicit(&h->generation, memory_order_relaxed);
    s->start_time = atomic_load_explicit(&h->start_time, memory_order_relaxed);
    sb_totals(sb, &s->requests, &s->bytes, s->hist);
}

/* The workers of one live slot: state letters always, whole records on request. */
static void
sample_workers(sample_proc_t *sp, sb_t *sb, int with_workers, apr_pool_t *p)
{
    unsigned n = (unsigned)sp->proc.threads;
    unsigned t;

    if (n > sb_thread_limit(sb))
        n = sb_thread_limit(sb);
    sp->nworkers = n;
    sp->states = apr_palloc(p, n + 1);
    sp->workers = with_workers ? apr_pcalloc(p, (n ? n : 1) * sizeof *sp->workers) : NULL;
    for (t = 0; t < n; t++) {
        sb_worker_snap_t local;
        sb_worker_snap_t *w = with_workers ? &sp->workers[t] : &local;

        if (sb_snapshot_worker(sb, sp->slot, t, w) != APR_SUCCESS) {
            memset(w, 0, sizeof *w);
            w->state = '?';
        }
        if (with_workers) {
            sample_printable(w->client);
            sample_printable(w->request);
        }
        sp->states[t] = (char)w->state;
    }
    sp->states[n] = '\0';
}

static void
sample_sum(sample_t *s)
{
    unsigned i;

    for (i = 0; i < s->nprocs; i++) {
        const sample_proc_t *sp = &s->procs[i];
        sample_state_t st = sample_proc_state(s, sp);

        s->stopping += st == SAMPLE_STOPPING || st == SAMPLE_DRAINING;
        s->busy += sp->proc.busy_workers;
        s->idle += sp->proc.idle_workers;
        s->conns += sp->proc.connections;
        s->keepalive += sp->proc.keepalive;
        s->writing += sp->proc.writing;
        s->closing += sp->proc.closing;
    }
}

void
sample_take(sample_t *s, sb_t *sb, uint64_t epoch, int with_workers, apr_pool_t *p)
{
    apr_array_header_t *procs = apr_array_make(p, 16, sizeof(sample_proc_t));
    unsigned slot;

    memset(s, 0, sizeof *s);
    s->mono_usec = sample_mono_usec();
    s->wall_usec = sample_wall_usec();
    s->epoch = epoch;
    sample_header(s, sb);
    for (slot = 0; slot < sb_server_limit(sb); slot++) {
        sample_proc_t *sp;
        sb_process_snap_t ps;

        if (sb_snapshot_process(sb, slot, &ps) != APR_SUCCESS || ps.pid == 0)
            continue;
        sp = apr_array_push(procs);
        memset(sp, 0, sizeof *sp);
        sp->slot = slot;
        sp->proc = ps;
        sample_workers(sp, sb, with_workers, p);
    }
    s->procs = (sample_proc_t *)procs->elts;
    s->nprocs = (unsigned)procs->nelts;
    sample_sum(s);
}

static double
sample_rate(uint64_t now, uint64_t before, double seconds)
{
    return now > before ? (double)(now - before) / seconds : 0.0;
}

/* Per-slot rates: both arrays are in slot order, so one merge walk pairs them. */
static void
sample_proc_rates(const sample_t *prev, sample_t *cur, double seconds)
{
    unsigned i, j = 0;

    for (i = 0; i < cur->nprocs; i++) {
        sample_proc_t *c = &cur->procs[i];
        uint64_t req0 = 0, bytes0 = 0;

        while (j < prev->nprocs && prev->procs[j].slot < c->slot)
            j++;
        if (j < prev->nprocs && prev->procs[j].slot == c->slot &&
            prev->procs[j].proc.pid == c->proc.pid) {
            req0 = prev->procs[j].proc.requests;
            bytes0 = prev->procs[j].proc.bytes;
        }
        c->rates_known = 1;
        c->req_rate = sample_rate(c->proc.requests, req0, seconds);
        c->byte_rate = sample_rate(c->proc.bytes, bytes0, seconds);
    }
}

static void
sample_latency(const uint64_t hist[SB_HIST_BUCKETS], sample_delta_t *d)
{
    uint64_t total = 0;
    unsigned b;

    for (b = 0; b < SB_HIST_BUCKETS; b++)
        total += hist[b];
    d->latency_known = total > 0;
    d->p50_usec = d->latency_known ? sb_hist_quantile(hist, 0.50) : 0;
    d->p99_usec = d->latency_known ? sb_hist_quantile(hist, 0.99) : 0;
}

void
sample_delta(const sample_t *prev, sample_t *cur, sample_delta_t *d)
{
    uint64_t hist[SB_HIST_BUCKETS];
    unsigned i, b;

    memset(d, 0, sizeof *d);
    for (i = 0; i < cur->nprocs; i++) {
        cur->procs[i].rates_known = 0;
        cur->procs[i].req_rate = cur->procs[i].byte_rate = 0;
    }
    if (prev == NULL || prev->epoch != cur->epoch || cur->mono_usec <= prev->mono_usec) {
        d->latency_cumulative = 1;
        sample_latency(cur->hist, d);
        return;
    }
    d->rates_known = 1;
    d->seconds = (double)(cur->mono_usec - prev->mono_usec) / 1e6;
    d->req_rate = sample_rate(cur->requests, prev->requests, d->seconds);
    d->byte_rate = sample_rate(cur->bytes, prev->bytes, d->seconds);
    for (b = 0; b < SB_HIST_BUCKETS; b++)
        hist[b] = cur->hist[b] > prev->hist[b] ? cur->hist[b] - prev->hist[b] : 0;
    sample_latency(hist, d);
    sample_proc_rates(prev, cur, d->seconds);
}

sample_state_t
sample_proc_state(const sample_t *s, const sample_proc_t *p)
{
    if (p->proc.generation < s->generation)
        return SAMPLE_DRAINING;
    if (p->proc.quiescing)
        return SAMPLE_STOPPING;
    if (p->proc.busy_workers + p->proc.idle_workers == 0)
        return SAMPLE_STARTING;
    if (p->proc.not_accepting)
        return SAMPLE_FULL;
    return SAMPLE_ACCEPTING;
}

const char *
sample_state_name(sample_state_t st)
{
    static const char *const names[] = { "accepting", "full", "starting", "stopping", "draining" };

    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}
