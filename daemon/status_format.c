/*
 * status_format.c — the server-status page without the server: request matching,
 * the query, /proc parsing, and the HTML, ?auto and Prometheus
 * renderings of a snapshot (see status_format.h; status.c collects the snapshot).
 *
 * Who: worker threads, one request at a time each; no shared state, no locks.
 * Output goes into one buffer from the request's pool, written through
 * apr_vformatter, whose number formatting does not depend on the locale and is the
 * one mod_status prints with (APR's "%g" writes ".5", which Apache's consumers read
 * already). The Prometheus text avoids "%g": its numbers are integers, or
 * microseconds printed as exact decimals of seconds.
 *
 * Key names, order and meaning of ?auto follow Apache 2.4's mod_status for the
 * event MPM; where evhttpd keeps different data the choice is written next to the
 * code (durations are estimated from the histogram, rates use the counters' own
 * origin, worker counts follow the letters).
 */
#include <stdarg.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "config.h"
#include "http_path.h"
#include "status_format.h"

/* ---- an output buffer that grows in the pool ---- */

typedef struct {
    apr_vformatter_buff_t vb; /* first: apr_vformatter hands it back to the flush */
    char *base;               /* start of the text */
    apr_size_t cap;           /* bytes usable at base (one more is kept for the NUL) */
    apr_pool_t *p;            /* where a bigger buffer comes from */
    int failed;               /* the pool could not grow it */
} status_buf_t;

static int
status_buf_init(status_buf_t *b, apr_size_t cap, apr_pool_t *p)
{
    b->p = p;
    b->cap = cap;
    b->failed = 0;
    b->base = apr_palloc(p, cap + 1);
    if (b->base == NULL)
        return -1;
    b->vb.curpos = b->base;
    b->vb.endpos = b->base + cap;
    return 0;
}

/* Makes room for at least `need` more bytes by doubling; the old block stays in the
 * pool until the request ends, which is cheaper than copying in pieces. */
static int
status_buf_grow(status_buf_t *b, apr_size_t need)
{
    apr_size_t used = (apr_size_t)(b->vb.curpos - b->base), cap = b->cap * 2;
    char *n;

    while (cap - used < need)
        cap *= 2;
    n = apr_palloc(b->p, cap + 1);
    if (n == NULL) {
        b->failed = 1;
        return -1;
    }
    memcpy(n, b->base, used);
    b->base = n;
    b->cap = cap;
    b->vb.curpos = n + used;
    b->vb.endpos = n + cap;
    return 0;
}

static int
status_buf_flush(apr_vformatter_buff_t *vb)
{
    return status_buf_grow((status_buf_t *)vb, 1);
}

static void status_buf_printf(status_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
status_buf_printf(status_buf_t *b, const char *fmt, ...)
{
    va_list ap;

    if (b->failed)
        return;
    va_start(ap, fmt);
    apr_vformatter(status_buf_flush, &b->vb, fmt, ap);
    va_end(ap);
}

static void
status_buf_put(status_buf_t *b, const char *s, apr_size_t n)
{
    if (b->failed)
        return;
    if ((apr_size_t)(b->vb.endpos - b->vb.curpos) < n && status_buf_grow(b, n) != 0)
        return;
    memcpy(b->vb.curpos, s, n);
    b->vb.curpos += n;
}

static void
status_buf_puts(status_buf_t *b, const char *s)
{
    status_buf_put(b, s, strlen(s));
}

static void
status_buf_putc(status_buf_t *b, char ch)
{
    status_buf_put(b, &ch, 1);
}

/* ---- escaping: every text from the snapshot goes through one of these ---- */

static void
status_put_html(status_buf_t *b, const char *s)
{
    const char *run = s;

    for (; *s; s++) {
        const char *rep;

        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if ((unsigned char)*s >= 0x20 && *s != 0x7f)
                continue;
            rep = "?"; /* a control byte has no business in a name or version */
            break;
        }
        status_buf_put(b, run, (apr_size_t)(s - run));
        status_buf_puts(b, rep);
        run = s + 1;
    }
    status_buf_put(b, run, (apr_size_t)(s - run));
}

/* One line of plain text: printable ASCII kept, anything else (a line break that
 * would forge a key, a byte no consumer expects) written as '?'. */
static void
status_put_text(status_buf_t *b, const char *s)
{
    for (; *s; s++)
        status_buf_putc(b, (*s >= 0x20 && *s < 0x7f) ? *s : '?');
}

/* A Prometheus label value: the text format escapes \, " and line feeds. */
static void
status_put_label(status_buf_t *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            status_buf_putc(b, '\\');
        if (*s == '\n')
            status_buf_puts(b, "\\n");
        else
            status_buf_putc(b, (*s >= 0x20 && *s < 0x7f) ? *s : '?');
    }
}

/* ---- query, location, access ---- */

/* A decimal of at most 9 digits, nothing else; -1 otherwise. */
static long
status_small_number(const char *s, size_t n)
{
    long v = 0;
    size_t i;

    if (n == 0 || n > 9)
        return -1;
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int
status_param_is(const char *name, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(name, want, n) == 0;
}

void
status_format_query(const char *q, size_t len, status_query_t *out)
{
    const char *end = q + len;

    out->kind = STATUS_HTML;
    out->refresh = 0;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q)), *stop = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        size_t nlen = (size_t)((eq ? eq : stop) - q);
        const char *val = eq ? eq + 1 : stop;
        size_t vlen = (size_t)(stop - val);

        if (status_param_is(q, nlen, "auto")) {
            out->kind = STATUS_AUTO;
        } else if (status_param_is(q, nlen, "format") && eq) {
            if (status_param_is(val, vlen, "prometheus"))
                out->kind = STATUS_PROMETHEUS;
            else if (status_param_is(val, vlen, "auto"))
                out->kind = STATUS_AUTO;
            else if (status_param_is(val, vlen, "html"))
                out->kind = STATUS_HTML;
        } else if (status_param_is(q, nlen, "refresh")) {
            long t = eq ? status_small_number(val, vlen) : -1;

            out->refresh = t < 1 ? STATUS_REFRESH_DEFAULT
                                 : (int)(t > STATUS_REFRESH_MAX ? STATUS_REFRESH_MAX : t);
        }
        q = stop + (amp ? 1 : 0);
    }
}

int
status_format_match(const char *location, const char *target, size_t len, apr_pool_t *p)
{
    size_t plen = http_path_query_start(target, len), llen = strlen(location), n;
    char *path;

    /* Normalizing only shortens a path; one shorter than the location cannot match. */
    if (plen < llen)
        return 0;
    path = apr_palloc(p, plen + 2);
    if (path == NULL || http_path_normalize(target, plen, path, plen + 2, &n) != 0)
        return 0;
    if (n == llen + 1 && path[llen] == '/')
        n--;
    return n == llen && memcmp(path, location, llen) == 0;
}

/* ---- /proc/PID/stat ---- */

/* The next space-separated decimal at *s (< end), a '-' allowed (tpgid is -1 for a
 * process without a terminal); -1 if there is none. */
static int
status_stat_field(const char **s, const char *end, int64_t *out)
{
    const char *p = *s;
    int neg = 0;
    int64_t v = 0;

    while (p < end && *p == ' ')
        p++;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p == end || !apr_isdigit(*p))
        return -1;
    for (; p < end && apr_isdigit(*p); p++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (p < end && *p != ' ' && *p != '\n')
        return -1;
    *s = p;
    *out = neg ? -v : v;
    return 0;
}

int
status_format_proc_stat(const char *text, size_t len, status_cpu_t *out)
{
    const char *end = text + len, *s = NULL, *p;
    int64_t v[14];
    int i;

    for (p = text; p < end; p++)
        if (*p == ')')
            s = p;
    /* after ')': " S ppid ...", the state a single letter */
    if (s == NULL || end - s < 4 || s[1] != ' ' || s[3] != ' ')
        return -1;
    s += 3;
    /* fields 4..17: ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime */
    for (i = 0; i < 14; i++)
        if (status_stat_field(&s, end, &v[i]) != 0)
            return -1;
    if (v[0] < 0 || v[0] > INT32_MAX || v[10] < 0 || v[11] < 0 || v[12] < 0 || v[13] < 0)
        return -1;
    out->ppid = (int32_t)v[0];
    out->utime = (uint64_t)v[10];
    out->stime = (uint64_t)v[11];
    out->cutime = (uint64_t)v[12];
    out->cstime = (uint64_t)v[13];
    return 0;
}

/* ---- counting ---- */

/* A grid letter as the page prints it: one of the states, else '?'. */
static char
status_letter(char ch)
{
    return (ch != '\0' && strchr("._SRWKLCG", ch)) ? ch : '?';
}

typedef struct {
    int busy, idle, graceful;
} status_threads_t;

static status_threads_t
status_slot_threads(const status_data_t *d, unsigned slot)
{
    status_threads_t t = { 0, 0, 0 };
    const char *row = d->grid + (size_t)slot * d->threads;
    unsigned j;

    for (j = 0; j < d->threads; j++) {
        switch (row[j]) {
        case SB_READY:
            t.idle++;
            break;
        case SB_READ:
        case SB_WRITE:
        case SB_KEEPALIVE:
        case SB_LOGGING:
        case SB_CLOSING:
            t.busy++;
            break;
        case SB_GRACEFUL:
            t.graceful++;
            break;
        default: /* starting, dead, unreadable: neither */
            break;
        }
    }
    return t;
}

void
status_format_summarize(const status_data_t *d, status_sum_t *out)
{
    unsigned i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < d->slots; i++) {
        const status_proc_t *pr = &d->procs[i];
        status_threads_t t;

        if (pr->pid == 0)
            continue;
        t = status_slot_threads(d, i);
        /* A busy worker is busy whoever owns it; an idle one only counts where a new
         * connection can reach it (Apache counts the same way). */
        out->busy += t.busy;
        out->graceful += t.graceful;
        if (!pr->quiescing && pr->generation == d->generation)
            out->idle += t.idle;
        out->processes++;
        out->stopping += pr->quiescing != 0;
        out->connections += pr->connections;
        out->writing += pr->writing;
        out->keepalive += pr->keepalive;
        out->closing += pr->closing;
    }
}

double
status_format_duration_sum(const uint64_t hist[SB_HIST_BUCKETS])
{
    double sum = 0;
    unsigned b;

    for (b = 0; b < SB_HIST_BUCKETS; b++) {
        int64_t hi = sb_hist_bound(b), lo = b ? sb_hist_bound(b - 1) : 0;

        sum += (double)hist[b] * (hi < 0 ? (double)lo : (double)(lo + hi) / 2);
    }
    return sum;
}

/* Whether the grid shows worker j of slot i: dead workers past the configured
 * processes and threads are left out, as Apache 2.4 leaves them out. */
static int
status_shown(const status_data_t *d, unsigned i, unsigned j, char letter)
{
    return letter != SB_DEAD || (i < d->max_servers && j < d->threads_per_child);
}

/* ---- shared pieces of text ---- */

static apr_uint32_t
status_seconds(apr_time_t from, apr_time_t to)
{
    return to > from ? (apr_uint32_t)apr_time_sec(to - from) : 0;
}

/* mod_status's show_time: " 1 day 2 hours 3 minutes 4 seconds", zero parts left out. */
static void
status_put_uptime(status_buf_t *b, apr_uint32_t t)
{
    static const char *const unit[] = { "day", "hour", "minute", "second" };
    unsigned v[4], i;

    v[3] = t % 60;
    v[2] = t / 60 % 60;
    v[1] = t / 3600 % 24;
    v[0] = t / 86400;
    for (i = 0; i < 4; i++)
        if (v[i])
            status_buf_printf(b, " %u %s%s", v[i], unit[i], v[i] == 1 ? "" : "s");
}

/* mod_status's DEFAULT_TIME_FORMAT, in local time. */
static void
status_put_time(status_buf_t *b, apr_time_t t)
{
    apr_time_exp_t tm;
    char buf[96];
    apr_size_t n = 0;

    if (apr_time_exp_lt(&tm, t) != APR_SUCCESS ||
        apr_strftime(buf, &n, sizeof(buf), "%A, %d-%b-%Y %H:%M:%S %Z", &tm) != APR_SUCCESS)
        n = 0;
    buf[n] = '\0';
    status_put_text(b, buf);
}

/* Exact decimal seconds of a microsecond count, without trailing zeros. */
static void
status_put_seconds(status_buf_t *b, int64_t usec)
{
    char frac[8];
    int n;

    if (usec < 0) {
        status_buf_putc(b, '-');
        usec = usec == INT64_MIN ? INT64_MAX : -usec;
    }
    status_buf_printf(b, "%" APR_INT64_T_FMT, usec / 1000000);
    if (usec % 1000000 == 0)
        return;
    apr_snprintf(frac, sizeof(frac), "%06" APR_INT64_T_FMT, usec % 1000000);
    for (n = 6; frac[n - 1] == '0'; n--)
        ;
    status_buf_putc(b, '.');
    status_buf_put(b, frac, (apr_size_t)n);
}

/* ---- ?auto ---- */

static void
status_render_auto(status_buf_t *b, const status_data_t *d)
{
    apr_uint32_t up = status_seconds(d->restart_time, d->now);
    apr_uint32_t span = status_seconds(d->start_time, d->now);
    double dur_ms = status_format_duration_sum(d->hist) / 1000;
    status_sum_t s;
    unsigned i, j;

    status_format_summarize(d, &s);
    status_put_text(b, d->server_name);
    status_buf_puts(b, "\nServerVersion: ");
    status_put_text(b, d->server_version);
    status_buf_puts(b, "\nServerMPM: event\nServer Built: ");
    status_put_text(b, d->server_built);
    status_buf_puts(b, "\nCurrentTime: ");
    status_put_time(b, d->now);
    status_buf_puts(b, "\nRestartTime: ");
    status_put_time(b, d->restart_time);
    /* Apache's config generation starts at 1 and its MPM generation at 0, both counting
     * restarts: evhttpd's one generation number maps onto both. */
    status_buf_printf(b, "\nParentServerConfigGeneration: %u\nParentServerMPMGeneration: %u\n",
                      d->generation, d->generation ? d->generation - 1 : 0);
    status_buf_printf(b, "ServerUptimeSeconds: %u\nServerUptime:", up);
    status_put_uptime(b, up);
    status_buf_putc(b, '\n');
    if (d->have_load)
        status_buf_printf(b, "Load1: %.2f\nLoad5: %.2f\nLoad15: %.2f\n", d->load[0], d->load[1],
                          d->load[2]);
    status_buf_printf(b,
                      "Total Accesses: %" APR_UINT64_T_FMT "\nTotal kBytes: %" APR_UINT64_T_FMT
                      "\nTotal Duration: %" APR_UINT64_T_FMT "\n",
                      d->requests, d->bytes >> 10, (apr_uint64_t)(dur_ms + 0.5));
    if (d->have_cpu) {
        double cpu = d->cpu_user + d->cpu_system + d->cpu_children_user + d->cpu_children_system;

        status_buf_printf(b,
                          "CPUUser: %g\nCPUSystem: %g\nCPUChildrenUser: %g\n"
                          "CPUChildrenSystem: %g\n",
                          d->cpu_user, d->cpu_system, d->cpu_children_user, d->cpu_children_system);
        if (cpu > 0 && up > 0)
            status_buf_printf(b, "CPULoad: %g\n", cpu / up * 100);
    }
    status_buf_printf(b, "Uptime: %u\n", up);
    /* The counters run since the parent started, not since the last restart as
     * Apache's do: rates divide by their own span. */
    if (span > 0)
        status_buf_printf(b, "ReqPerSec: %g\nBytesPerSec: %g\n", (double)d->requests / span,
                          (double)d->bytes / span);
    if (d->requests > 0)
        status_buf_printf(b, "BytesPerReq: %g\nDurationPerReq: %g\n",
                          (double)d->bytes / (double)d->requests, dur_ms / (double)d->requests);
    status_buf_printf(b,
                      "BusyWorkers: %d\nGracefulWorkers: %d\nIdleWorkers: %d\nProcesses: %d\n"
                      "Stopping: %d\nConnsTotal: %" APR_INT64_T_FMT
                      "\nConnsAsyncWriting: %" APR_INT64_T_FMT
                      "\nConnsAsyncKeepAlive: %" APR_INT64_T_FMT
                      "\nConnsAsyncClosing: %" APR_INT64_T_FMT "\nScoreboard: ",
                      s.busy, s.graceful, s.idle, s.processes, s.stopping, s.connections, s.writing,
                      s.keepalive, s.closing);
    for (i = 0; i < d->slots; i++)
        for (j = 0; j < d->threads; j++) {
            char ch = status_letter(d->grid[(size_t)i * d->threads + j]);

            if (status_shown(d, i, j, ch))
                status_buf_putc(b, ch);
        }
    status_buf_putc(b, '\n');
}

/* ---- Prometheus ---- */

static void
status_prom_head(status_buf_t *b, const char *name, const char *type, const char *help)
{
    status_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The scoreboard letters as Prometheus label values. */
static const struct {
    char letter;
    const char *state;
} status_prom_states[] = {
    { SB_READY, "waiting" },   { SB_STARTING, "starting" },   { SB_READ, "reading" },
    { SB_WRITE, "sending" },   { SB_KEEPALIVE, "keepalive" }, { SB_LOGGING, "logging" },
    { SB_CLOSING, "closing" }, { SB_GRACEFUL, "graceful" },   { SB_DEAD, "open" },
    { '?', "unknown" },
};

#define STATUS_NSTATES (sizeof(status_prom_states) / sizeof(status_prom_states[0]))

static void
status_prom_scoreboard(status_buf_t *b, const status_data_t *d)
{
    unsigned count[STATUS_NSTATES] = { 0 }, i, j, k;

    for (i = 0; i < d->slots; i++)
        for (j = 0; j < d->threads; j++) {
            char ch = status_letter(d->grid[(size_t)i * d->threads + j]);

            if (!status_shown(d, i, j, ch))
                continue;
            for (k = 0; k < STATUS_NSTATES; k++)
                if (status_prom_states[k].letter == ch)
                    count[k]++;
        }
    status_prom_head(b, "evhttpd_scoreboard", "gauge",
                     "Worker slots shown on the status page by state (mod_status letters).");
    for (k = 0; k < STATUS_NSTATES; k++)
        status_buf_printf(b, "evhttpd_scoreboard{state=\"%s\"} %u\n", status_prom_states[k].state,
                          count[k]);
}

static void
status_prom_histogram(status_buf_t *b, const status_data_t *d)
{
    const char *name = "evhttpd_request_duration_seconds";
    uint64_t cum = 0;
    unsigned k;

    status_prom_head(b, name, "histogram",
                     "Time to serve a request, from its complete head to its last byte; _sum is "
                     "estimated from bucket midpoints.");
    for (k = 0; k < SB_HIST_BUCKETS; k++) {
        cum += d->hist[k];
        status_buf_printf(b, "%s_bucket{le=\"", name);
        if (sb_hist_bound(k) < 0)
            status_buf_puts(b, "+Inf");
        else
            status_put_seconds(b, sb_hist_bound(k));
        status_buf_printf(b, "\"} %" APR_UINT64_T_FMT "\n", cum);
    }
    status_buf_printf(b, "%s_sum %.6f\n%s_count %" APR_UINT64_T_FMT "\n", name,
                      status_format_duration_sum(d->hist) / 1e6, name, cum);
}

static void
status_render_prometheus(status_buf_t *b, const status_data_t *d)
{
    status_sum_t s;

    status_format_summarize(d, &s);
    /* Prometheus's convention for what a build is: <name>_build_info, always 1. No
     * label is named instance or job: Prometheus attaches those itself. */
    status_prom_head(b, "evhttpd_build_info", "gauge", "Server version; the value is always 1.");
    status_buf_puts(b, "evhttpd_build_info{version=\"");
    status_put_label(b, d->server_version);
    status_buf_puts(b, "\"} 1\n");
    status_prom_head(b, "evhttpd_start_time_seconds", "gauge",
                     "When the server started, in seconds since the Unix epoch.");
    status_buf_puts(b, "evhttpd_start_time_seconds ");
    status_put_seconds(b, d->start_time);
    status_buf_putc(b, '\n');
    status_prom_head(b, "evhttpd_restart_time_seconds", "gauge",
                     "When the running generation started, in seconds since the Unix epoch.");
    status_buf_puts(b, "evhttpd_restart_time_seconds ");
    status_put_seconds(b, d->restart_time);
    status_buf_putc(b, '\n');
    status_prom_head(b, "evhttpd_uptime_seconds", "gauge", "Seconds since the server started.");
    status_buf_puts(b, "evhttpd_uptime_seconds ");
    status_put_seconds(b, d->now > d->start_time ? d->now - d->start_time : 0);
    status_buf_putc(b, '\n');
    status_prom_head(b, "evhttpd_generation", "gauge",
                     "The running configuration generation (1 at start, one more per restart).");
    status_buf_printf(b, "evhttpd_generation %u\n", d->generation);
    status_prom_head(b, "evhttpd_requests_total", "counter",
                     "Requests served since the server started.");
    status_buf_printf(b, "evhttpd_requests_total %" APR_UINT64_T_FMT "\n", d->requests);
    status_prom_head(b, "evhttpd_response_bytes_total", "counter",
                     "Response bytes sent (head and body) since the server started.");
    status_buf_printf(b, "evhttpd_response_bytes_total %" APR_UINT64_T_FMT "\n", d->bytes);
    status_prom_head(b, "evhttpd_workers", "gauge",
                     "Worker threads of the live processes: busy (R W K L C), graceful (G), "
                     "idle (_ in processes that accept).");
    status_buf_printf(b,
                      "evhttpd_workers{state=\"busy\"} %d\nevhttpd_workers{state=\"graceful\"} "
                      "%d\nevhttpd_workers{state=\"idle\"} %d\n",
                      s.busy, s.graceful, s.idle);
    status_prom_scoreboard(b, d);
    status_prom_head(b, "evhttpd_processes", "gauge", "Child processes by state.");
    status_buf_printf(b,
                      "evhttpd_processes{state=\"running\"} %d\n"
                      "evhttpd_processes{state=\"stopping\"} %d\n",
                      s.processes - s.stopping, s.stopping);
    status_prom_head(b, "evhttpd_connections", "gauge", "Open client connections.");
    status_buf_printf(b, "evhttpd_connections %" APR_INT64_T_FMT "\n", s.connections);
    status_prom_head(b, "evhttpd_async_connections", "gauge",
                     "Connections parked in the listener, by what they wait for.");
    status_buf_printf(b,
                      "evhttpd_async_connections{state=\"writing\"} %" APR_INT64_T_FMT "\n"
                      "evhttpd_async_connections{state=\"keepalive\"} %" APR_INT64_T_FMT "\n"
                      "evhttpd_async_connections{state=\"closing\"} %" APR_INT64_T_FMT "\n",
                      s.writing, s.keepalive, s.closing);
    status_prom_histogram(b, d);
}

/* ---- HTML ---- */

/* mod_status's byte formats: "%d B" below 5 kB, then kB, MB, GB with one decimal. */
static void
status_put_bytes(status_buf_t *b, double bytes)
{
    if (bytes < 5 * 1024.0)
        status_buf_printf(b, "%d B", (int)bytes);
    else if (bytes < 512 * 1024.0)
        status_buf_printf(b, "%.1f kB", bytes / 1024);
    else if (bytes < 512 * 1048576.0)
        status_buf_printf(b, "%.1f MB", bytes / 1048576);
    else
        status_buf_printf(b, "%.1f GB", bytes / 1073741824);
}

static void
status_html_summary(status_buf_t *b, const status_data_t *d, const status_sum_t *s)
{
    apr_uint32_t up = status_seconds(d->restart_time, d->now);
    apr_uint32_t span = status_seconds(d->start_time, d->now);
    double dur_ms = status_format_duration_sum(d->hist) / 1000;

    status_buf_puts(b, "<dl>\n<dt>Current Time: ");
    status_put_time(b, d->now);
    status_buf_puts(b, "</dt>\n<dt>Restart Time: ");
    status_put_time(b, d->restart_time);
    status_buf_puts(b, "</dt>\n<dt>Start Time: ");
    status_put_time(b, d->start_time);
    status_buf_printf(b, "</dt>\n<dt>Parent Server PID: %d</dt>\n<dt>Generation: %u</dt>\n",
                      d->parent_pid, d->generation);
    status_buf_puts(b, "<dt>Server uptime:");
    status_put_uptime(b, up);
    status_buf_puts(b, "</dt>\n");
    if (d->have_load)
        status_buf_printf(b, "<dt>Server load: %.2f %.2f %.2f</dt>\n", d->load[0], d->load[1],
                          d->load[2]);
    status_buf_printf(b,
                      "<dt>Total accesses: %" APR_UINT64_T_FMT " - Total Traffic: ", d->requests);
    status_put_bytes(b, (double)d->bytes);
    status_buf_printf(b, " - Total Duration: %.0f ms (estimated)</dt>\n", dur_ms);
    if (d->have_cpu) {
        double cpu = d->cpu_user + d->cpu_system + d->cpu_children_user + d->cpu_children_system;

        status_buf_printf(b, "<dt>CPU Usage: u%g s%g cu%g cs%g", d->cpu_user, d->cpu_system,
                          d->cpu_children_user, d->cpu_children_system);
        if (cpu > 0 && up > 0)
            status_buf_printf(b, " - %.3g%% CPU load", cpu / up * 100);
        status_buf_puts(b, "</dt>\n");
    }
    status_buf_puts(b, "<dt>");
    if (span > 0) {
        status_buf_printf(b, "%.3g requests/sec - ", (double)d->requests / span);
        status_put_bytes(b, (double)d->bytes / span);
        status_buf_puts(b, "/second");
    }
    if (d->requests > 0) {
        status_buf_puts(b, span > 0 ? " - " : "");
        status_put_bytes(b, (double)d->bytes / (double)d->requests);
        status_buf_printf(b, "/request - %g ms/request", dur_ms / (double)d->requests);
        status_buf_printf(b,
                          "</dt>\n<dt>Request duration: 50%% &le; %.3g ms, 90%% &le; %.3g ms, "
                          "99%% &le; %.3g ms",
                          sb_hist_quantile(d->hist, 0.5) / 1000,
                          sb_hist_quantile(d->hist, 0.9) / 1000,
                          sb_hist_quantile(d->hist, 0.99) / 1000);
    }
    status_buf_printf(b,
                      "</dt>\n<dt>%d requests currently being processed, %d workers gracefully "
                      "finishing, %d idle workers</dt>\n</dl>\n",
                      s->busy, s->graceful, s->idle);
}

static void
status_html_processes(status_buf_t *b, const status_data_t *d, const status_sum_t *s)
{
    status_threads_t tot = { 0, 0, 0 };
    uint64_t req = 0, bytes = 0;
    unsigned i;

    status_buf_puts(b, "<table>\n<tr><th rowspan=\"2\">Slot</th><th rowspan=\"2\">PID</th>"
                       "<th rowspan=\"2\">Generation</th><th rowspan=\"2\">Stopping</th>"
                       "<th rowspan=\"2\">Accepting</th><th colspan=\"4\">Connections</th>"
                       "<th colspan=\"3\">Threads</th><th rowspan=\"2\">Accesses</th>"
                       "<th rowspan=\"2\">Traffic</th></tr>\n"
                       "<tr><th>total</th><th>keep-alive</th><th>writing</th><th>closing</th>"
                       "<th>busy</th><th>idle</th><th>graceful</th></tr>\n");
    for (i = 0; i < d->slots; i++) {
        const status_proc_t *pr = &d->procs[i];
        status_threads_t t;

        if (pr->pid == 0)
            continue;
        t = status_slot_threads(d, i);
        tot.busy += t.busy;
        tot.idle += t.idle;
        tot.graceful += t.graceful;
        req += pr->requests;
        bytes += pr->bytes;
        status_buf_printf(
            b,
            "<tr><td>%u</td><td>%d</td><td>%u%s</td><td>%s</td><td>%s</td>"
            "<td>%" APR_INT64_T_FMT "</td><td>%" APR_INT64_T_FMT "</td><td>%" APR_INT64_T_FMT
            "</td><td>%" APR_INT64_T_FMT
            "</td><td>%d</td><td>%d</td><td>%d</td><td>%" APR_UINT64_T_FMT "</td><td>",
            i, pr->pid, pr->generation, pr->generation != d->generation ? " (old)" : "",
            pr->quiescing ? "yes" : "no", pr->not_accepting ? "no" : "yes", pr->connections,
            pr->keepalive, pr->writing, pr->closing, t.busy, t.idle, t.graceful, pr->requests);
        status_put_bytes(b, (double)pr->bytes);
        status_buf_puts(b, "</td></tr>\n");
    }
    status_buf_printf(b,
                      "<tr><td>Sum</td><td>%d</td><td>&nbsp;</td><td>%d</td><td>&nbsp;</td>"
                      "<td>%" APR_INT64_T_FMT "</td><td>%" APR_INT64_T_FMT
                      "</td><td>%" APR_INT64_T_FMT "</td><td>%" APR_INT64_T_FMT
                      "</td><td>%d</td><td>%d</td><td>%d</td><td>%" APR_UINT64_T_FMT "</td><td>",
                      s->processes, s->stopping, s->connections, s->keepalive, s->writing,
                      s->closing, tot.busy, tot.idle, tot.graceful, req);
    status_put_bytes(b, (double)bytes);
    status_buf_puts(b, "</td></tr>\n</table>\n");
}

static void
status_html_grid(status_buf_t *b, const status_data_t *d)
{
    unsigned i, j, written = 0;

    status_buf_puts(b, "<pre>");
    for (i = 0; i < d->slots; i++)
        for (j = 0; j < d->threads; j++) {
            char ch = status_letter(d->grid[(size_t)i * d->threads + j]);

            if (!status_shown(d, i, j, ch))
                continue;
            status_buf_putc(b, ch);
            if (++written % STATUS_GRID_LINE == 0)
                status_buf_putc(b, '\n');
        }
    status_buf_puts(b, "</pre>\n"
                       "<p>Scoreboard Key:<br>\n"
                       "\"<b><code>_</code></b>\" Waiting for Connection,\n"
                       "\"<b><code>S</code></b>\" Starting up,\n"
                       "\"<b><code>R</code></b>\" Reading Request,<br>\n"
                       "\"<b><code>W</code></b>\" Sending Reply,\n"
                       "\"<b><code>K</code></b>\" Keepalive (read),\n"
                       "\"<b><code>C</code></b>\" Closing connection,<br>\n"
                       "\"<b><code>L</code></b>\" Logging,\n"
                       "\"<b><code>G</code></b>\" Gracefully finishing,\n"
                       "\"<b><code>.</code></b>\" Open slot with no current process,<br>\n"
                       "\"<b><code>?</code></b>\" Record being rewritten or unreadable\n"
                       "</p>\n");
}

static void
status_render_html(status_buf_t *b, const status_data_t *d)
{
    status_sum_t s;

    status_format_summarize(d, &s);
    status_buf_puts(b, "<!DOCTYPE html>\n<html><head>\n<meta charset=\"utf-8\">\n"
                       "<title>evhttpd status</title>\n"
                       "<style>table{border-collapse:collapse}"
                       "th,td{border:1px solid #999;padding:2px 6px;text-align:right}</style>\n"
                       "</head><body>\n<h1>evhttpd Server Status for ");
    status_put_html(b, d->server_name);
    status_buf_puts(b, "</h1>\n\n<dl><dt>Server Version: ");
    status_put_html(b, d->server_version);
    status_buf_puts(b, "</dt>\n<dt>Server MPM: event</dt>\n<dt>Server Built: ");
    status_put_html(b, d->server_built);
    status_buf_puts(b, "</dt></dl><hr>\n");
    status_html_summary(b, d, &s);
    status_html_processes(b, d, &s);
    status_html_grid(b, d);
    status_buf_puts(b, "</body></html>\n");
}

/* ---- entry points ---- */

const char *
status_format_render(const status_data_t *d, status_kind_t kind, apr_pool_t *p, size_t *len)
{
    status_buf_t b;
    /* Enough for the fixed text, a table row per slot and the grid, so the buffer
     * does not grow in the common case. */
    apr_size_t cap =
        8192 + (apr_size_t)d->slots * 320 + (apr_size_t)d->slots * d->threads * 17 / 16;

    if (status_buf_init(&b, cap, p) != 0)
        return NULL;
    switch (kind) {
    case STATUS_AUTO:
        status_render_auto(&b, d);
        break;
    case STATUS_PROMETHEUS:
        status_render_prometheus(&b, d);
        break;
    default:
        status_render_html(&b, d);
        break;
    }
    if (b.failed)
        return NULL;
    *b.vb.curpos = '\0';
    *len = (size_t)(b.vb.curpos - b.base);
    return b.base;
}

const char *
status_format_content_type(status_kind_t kind)
{
    switch (kind) {
    case STATUS_AUTO:
        return "text/plain; charset=utf-8";
    case STATUS_PROMETHEUS:
        return "text/plain; version=0.0.4; charset=utf-8";
    default:
        return "text/html; charset=utf-8";
    }
}
