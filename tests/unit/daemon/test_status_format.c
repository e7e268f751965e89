/*
 * test_status_format.c — the status page without a server: the query, location
 * matching, /proc/PID/stat parsing, worker counting, the
 * duration estimate, and the HTML, ?auto and Prometheus renderings of a fixed
 * snapshot (exact ?auto text in Apache 2.4's key order, a Prometheus grammar check,
 * escaping of hostile names).
 *
 * Times are rendered in local time: main sets TZ=UTC so the expected text is fixed.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <check.h>

#include "config.h"
#include "status_format.h"

static apr_pool_t *pool;

static void
pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void
pool_teardown(void)
{
    apr_pool_destroy(pool);
}

/* ---- the query ---- */

static const struct {
    const char *q;
    status_kind_t kind;
    int refresh;
} query_cases[] = {
    { "", STATUS_HTML, 0 },
    { "auto", STATUS_AUTO, 0 },
    { "auto&refresh=5", STATUS_AUTO, 5 },
    { "refresh=5&auto", STATUS_AUTO, 5 },
    { "refresh", STATUS_HTML, STATUS_REFRESH_DEFAULT },
    { "refresh=", STATUS_HTML, STATUS_REFRESH_DEFAULT },
    { "refresh=0", STATUS_HTML, STATUS_REFRESH_DEFAULT },
    { "refresh=-3", STATUS_HTML, STATUS_REFRESH_DEFAULT },
    { "refresh=5x", STATUS_HTML, STATUS_REFRESH_DEFAULT },
    { "refresh=1", STATUS_HTML, 1 },
    { "refresh=3600", STATUS_HTML, 3600 },
    { "refresh=3601", STATUS_HTML, STATUS_REFRESH_MAX },
    { "refresh=999999999", STATUS_HTML, STATUS_REFRESH_MAX },
    { "refresh=99999999999999999999", STATUS_HTML, STATUS_REFRESH_DEFAULT },
    { "format=prometheus", STATUS_PROMETHEUS, 0 },
    { "format=auto", STATUS_AUTO, 0 },
    { "auto&format=html", STATUS_HTML, 0 },
    { "format=prometheus&auto", STATUS_AUTO, 0 },
    { "auto&format=prometheus", STATUS_PROMETHEUS, 0 },
    { "format=Prometheus", STATUS_HTML, 0 },
    { "format=prometheusx", STATUS_HTML, 0 },
    { "format", STATUS_HTML, 0 },
    { "autox", STATUS_HTML, 0 },
    { "xauto", STATUS_HTML, 0 },
    { "notable&auto=1", STATUS_AUTO, 0 },
    { "&&auto&&", STATUS_AUTO, 0 },
    { "refreshx=5", STATUS_HTML, 0 },
};

START_TEST(test_query)
{
    status_query_t q = { STATUS_PROMETHEUS, -1 };

    status_format_query(query_cases[_i].q, strlen(query_cases[_i].q), &q);
    ck_assert_msg(q.kind == query_cases[_i].kind, "\"%s\": kind %d", query_cases[_i].q, q.kind);
    ck_assert_int_eq(q.refresh, query_cases[_i].refresh);
}
END_TEST

/* The length bounds the query: nothing past it is read. */
START_TEST(test_query_length_bounds)
{
    status_query_t q;

    status_format_query("refresh=12&auto", 10, &q);
    ck_assert_int_eq(q.kind, STATUS_HTML);
    ck_assert_int_eq(q.refresh, 12);
    status_format_query("auto", 3, &q);
    ck_assert_int_eq(q.kind, STATUS_HTML);
}
END_TEST

/* ---- the location ---- */

static const struct {
    const char *target;
    int match;
} match_cases[] = {
    { "/server-status", 1 },
    { "/server-status/", 1 },
    { "/server-status?auto", 1 },
    { "/server-status/?auto&refresh=5", 1 },
    { "/server-status?", 1 },
    { "//server-status//", 1 },
    { "/%73erver-status", 1 },
    { "/a/../server-status", 1 },
    { "/./server-status/.", 1 },
    { "/server-status/x", 0 },
    { "/server-status/x/..", 1 },
    { "/server-statusx", 0 },
    { "/server-statu", 0 },
    { "/server", 0 },
    { "/SERVER-STATUS", 0 },
    { "/server-status%2F", 0 },
    { "/server-status%", 0 },
    { "/", 0 },
    { "", 0 },
    { "?/server-status", 0 },
    { "/x?/server-status", 0 },
};

START_TEST(test_match)
{
    const char *t = match_cases[_i].target;

    ck_assert_msg(status_format_match("/server-status", t, strlen(t), pool) ==
                      match_cases[_i].match,
                  "\"%s\"", t);
}
END_TEST

START_TEST(test_match_nested_location)
{
    ck_assert_int_eq(status_format_match("/a/b", "/a/b/", 5, pool), 1);
    ck_assert_int_eq(status_format_match("/a/b", "/a", 2, pool), 0);
    ck_assert_int_eq(status_format_match("/a/b", "/a/b/c", 6, pool), 0);
    /* the length bounds the target */
    ck_assert_int_eq(status_format_match("/a/b", "/a/bc", 4, pool), 1);
}
END_TEST

/* ---- /proc/PID/stat ---- */

START_TEST(test_proc_stat)
{
    static const char line[] =
        "4242 (evhttpd) S 4200 4242 4242 0 -1 4194624 900 0 0 0 150 25 7 3 20 0 9 0 1 2 3\n";
    static const char odd[] = "77 (a) b (c d)) R 1 77 77 34816 -1 0 0 0 0 0 5 6 0 0";
    status_cpu_t c = { 0 };

    ck_assert_int_eq(status_format_proc_stat(line, strlen(line), &c), 0);
    ck_assert_int_eq(c.ppid, 4200);
    ck_assert_uint_eq(c.utime, 150);
    ck_assert_uint_eq(c.stime, 25);
    ck_assert_uint_eq(c.cutime, 7);
    ck_assert_uint_eq(c.cstime, 3);
    ck_assert_int_eq(status_format_proc_stat(odd, strlen(odd), &c), 0);
    ck_assert_int_eq(c.ppid, 1);
    ck_assert_uint_eq(c.utime, 5);
    ck_assert_uint_eq(c.stime, 6);
    ck_assert_uint_eq(c.cutime, 0);
}
END_TEST

static const char *const bad_stats[] = {
    "",
    "4242 evhttpd S 4200",
    "4242 (evhttpd)",
    "4242 (evhttpd) S",
    "4242 (evhttpd) S 4200 4242 4242 0 -1 4194624 900 0 0 0 150 25 7",
    "4242 (evhttpd) S 4200 4242 4242 0 -1 4194624 900 0 0 0 150 25 7 x",
    "4242 (evhttpd) S 4200 4242 4242 0 -1 4194624 900 0 0 0 -150 25 7 3",
    "4242 (evhttpd) S -4200 4242 4242 0 -1 4194624 900 0 0 0 150 25 7 3",
    "4242 (evhttpd) S 99999999999 4242 4242 0 -1 4194624 900 0 0 0 150 25 7 3",
    "4242 (evhttpd) S 4200 4242 4242 0 -1 4194624 900 0 0 0 15x0 25 7 3",
    "4242 (evhttpd) S 4200 4242 4242 0 -1 4194624 900 0 0 0 99999999999999999999 25 7 3",
    "4242 (evhttpd)S 4200 4242 4242 0 -1 4194624 900 0 0 0 150 25 7 3",
    "4242 (evhttpd) SS 4200 4242 4242 0 -1 4194624 900 0 0 0 150 25 7 3",
};

START_TEST(test_proc_stat_bad)
{
    status_cpu_t c = { .ppid = 99 };

    ck_assert_int_eq(status_format_proc_stat(bad_stats[_i], strlen(bad_stats[_i]), &c), -1);
    ck_assert_int_eq(c.ppid, 99);
}
END_TEST

/* The length bounds the text: a buffer cut in the middle of the fields fails. */
START_TEST(test_proc_stat_length_bounds)
{
    static const char line[] = "1 (x) S 0 1 1 0 -1 0 0 0 0 0 150 25 7 3 20";
    status_cpu_t c;

    ck_assert_int_eq(status_format_proc_stat(line, strlen(line), &c), 0);
    ck_assert_int_eq(status_format_proc_stat(line, (size_t)(strstr(line, " 7 3") - line), &c), -1);
}
END_TEST

/* ---- a fixed snapshot ---- */

#define T0 APR_INT64_C(1735689600) /* 2025-01-01 00:00:00 UTC, a Wednesday */

static status_proc_t fixture_procs[3];
static char fixture_grid[3 * 4 + 1];

/*
 * Slot 0: generation 3 (running), "_WK_"; slot 1: generation 2, stopping, "G_C.";
 * slot 2 free, with stale letters that must not count (but show: they are not dead). 1000 requests
 * of 2000 kB, all in the (512, 1024] us bucket.
 */
static status_data_t
fixture(void)
{
    status_data_t d;

    memset(&d, 0, sizeof(d));
    memset(fixture_procs, 0, sizeof(fixture_procs));
    fixture_procs[0] = (status_proc_t){ .pid = 100,
                                        .generation = 3,
                                        .connections = 5,
                                        .keepalive = 2,
                                        .writing = 1,
                                        .closing = 1,
                                        .requests = 700,
                                        .bytes = 1500000 };
    fixture_procs[1] = (status_proc_t){ .pid = 101,
                                        .generation = 2,
                                        .quiescing = 1,
                                        .not_accepting = 1,
                                        .connections = 1,
                                        .requests = 300,
                                        .bytes = 548000 };
    strcpy(fixture_grid, "_WK_G_C.RW..");
    d.server_name = "www.example.com";
    d.server_version = "evhttpd/1.2.3";
    d.server_built = "Jan  1 2025 00:00:00";
    d.start_time = apr_time_from_sec(T0);
    d.restart_time = apr_time_from_sec(T0 + 3600);
    d.now = apr_time_from_sec(T0 + 90061);
    d.generation = 3;
    d.parent_pid = 99;
    d.have_load = 1;
    d.load[0] = 1.5;
    d.load[1] = 0.75;
    d.load[2] = 0.12;
    d.have_cpu = 1;
    d.cpu_user = 1.5;
    d.cpu_system = 0.25;
    d.cpu_children_user = 0;
    d.cpu_children_system = 0.5;
    d.requests = 1000;
    d.bytes = 2048000;
    d.hist[5] = 1000;
    d.slots = 3;
    d.threads = 4;
    d.max_servers = 2;
    d.threads_per_child = 4;
    d.procs = fixture_procs;
    d.grid = fixture_grid;
    return d;
}

START_TEST(test_summarize)
{
    status_data_t d = fixture();
    status_sum_t s;

    status_format_summarize(&d, &s);
    ck_assert_int_eq(s.busy, 3);     /* W K of slot 0, C of slot 1 */
    ck_assert_int_eq(s.graceful, 1); /* G of slot 1 */
    ck_assert_int_eq(s.idle, 2);     /* slot 1 stops: its _ takes no new work */
    ck_assert_int_eq(s.processes, 2);
    ck_assert_int_eq(s.stopping, 1);
    ck_assert_int_eq(s.connections, 6);
    ck_assert_int_eq(s.keepalive, 2);
    ck_assert_int_eq(s.writing, 1);
    ck_assert_int_eq(s.closing, 1);
    /* an old generation that is not stopping yet does not take new work either */
    fixture_procs[1].quiescing = 0;
    status_format_summarize(&d, &s);
    ck_assert_int_eq(s.idle, 2);
    ck_assert_int_eq(s.stopping, 0);
    fixture_procs[1].generation = 3;
    status_format_summarize(&d, &s);
    ck_assert_int_eq(s.idle, 3);
}
END_TEST

START_TEST(test_duration_sum)
{
    uint64_t h[SB_HIST_BUCKETS] = { 0 };

    ck_assert_double_eq(status_format_duration_sum(h), 0);
    h[0] = 2; /* 0..32 us: 16 each */
    ck_assert_double_eq(status_format_duration_sum(h), 32);
    h[1] = 1; /* 32..64 us: 48 */
    ck_assert_double_eq(status_format_duration_sum(h), 80);
    h[SB_HIST_BUCKETS - 1] = 1; /* over 2^24 us: its lower bound */
    ck_assert_double_eq(status_format_duration_sum(h), 80 + 16777216.0);
    ck_assert_int_eq(sb_hist_bound(SB_HIST_BUCKETS - 2), 16777216);
}
END_TEST

/* Apache 2.4's keys, in its order, for the event MPM. */
START_TEST(test_auto_exact)
{
    status_data_t d = fixture();
    size_t len;
    const char *out = status_format_render(&d, STATUS_AUTO, pool, &len);
    const char *want = apr_psprintf(pool,
                                    "www.example.com\n"
                                    "ServerVersion: evhttpd/1.2.3\n"
                                    "ServerMPM: event\n"
                                    "Server Built: Jan  1 2025 00:00:00\n"
                                    "CurrentTime: Thursday, 02-Jan-2025 01:01:01 UTC\n"
                                    "RestartTime: Wednesday, 01-Jan-2025 01:00:00 UTC\n"
                                    "ParentServerConfigGeneration: 3\n"
                                    "ParentServerMPMGeneration: 2\n"
                                    "ServerUptimeSeconds: 86461\n"
                                    "ServerUptime: 1 day 1 minute 1 second\n"
                                    "Load1: 1.50\n"
                                    "Load5: 0.75\n"
                                    "Load15: 0.12\n"
                                    "Total Accesses: 1000\n"
                                    "Total kBytes: 2000\n"
                                    "Total Duration: 768\n"
                                    "CPUUser: 1.5\n"
                                    "CPUSystem: .25\n"
                                    "CPUChildrenUser: 0\n"
                                    "CPUChildrenSystem: .5\n"
                                    "CPULoad: %g\n"
                                    "Uptime: 86461\n"
                                    "ReqPerSec: %g\n"
                                    "BytesPerSec: %g\n"
                                    "BytesPerReq: 2048\n"
                                    "DurationPerReq: .768\n"
                                    "BusyWorkers: 3\n"
                                    "GracefulWorkers: 1\n"
                                    "IdleWorkers: 2\n"
                                    "Processes: 2\n"
                                    "Stopping: 1\n"
                                    "ConnsTotal: 6\n"
                                    "ConnsAsyncWriting: 1\n"
                                    "ConnsAsyncKeepAlive: 2\n"
                                    "ConnsAsyncClosing: 1\n"
                                    "Scoreboard: _WK_G_C.RW\n",
                                    2.25 / 86461 * 100, 1000.0 / 90061, 2048000.0 / 90061);

    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, want);
    ck_assert_uint_eq(len, strlen(want));
}
END_TEST

/* No load, no CPU, no requests, no uptime: those keys are left out, as Apache does. */
START_TEST(test_auto_omits_what_is_unknown)
{
    status_data_t d = fixture();
    size_t len;
    const char *out;

    d.have_load = d.have_cpu = 0;
    d.requests = d.bytes = 0;
    memset(d.hist, 0, sizeof(d.hist));
    d.start_time = d.restart_time = d.now;
    out = status_format_render(&d, STATUS_AUTO, pool, &len);
    ck_assert_ptr_nonnull(strstr(out, "\nServerUptime:\nTotal Accesses: 0\nTotal kBytes: 0\n"
                                      "Total Duration: 0\nUptime: 0\nBusyWorkers: 3\n"));
    ck_assert_ptr_null(strstr(out, "Load1"));
    ck_assert_ptr_null(strstr(out, "CPU"));
    ck_assert_ptr_null(strstr(out, "PerSec"));
    ck_assert_ptr_null(strstr(out, "PerReq"));
}
END_TEST

/* Dead workers past MaxRequestWorkers/ThreadsPerChild and ThreadsPerChild are hidden;
 * anything alive there is shown; unknown letters print as '?'. */
START_TEST(test_grid_hides_disabled_slots)
{
    status_data_t d = fixture();
    size_t len;
    const char *out;

    d.max_servers = 1;
    d.threads_per_child = 2;
    out = status_format_render(&d, STATUS_AUTO, pool, &len);
    ck_assert_ptr_nonnull(strstr(out, "\nScoreboard: _WK_G_CRW\n"));
    fixture_grid[3] = 'Z';
    fixture_grid[9] = '<';
    out = status_format_render(&d, STATUS_AUTO, pool, &len);
    ck_assert_ptr_nonnull(strstr(out, "\nScoreboard: _WK?G_CR?\n"));
}
END_TEST

/* A name cannot forge a line of ?auto. */
START_TEST(test_auto_sanitizes_text)
{
    status_data_t d = fixture();
    size_t len;
    const char *out;

    d.server_name = "evil\r\nTotal Accesses: 999";
    d.server_version = "x/1.2.3\nBusyWorkers: 99\xff";
    out = status_format_render(&d, STATUS_AUTO, pool, &len);
    ck_assert_ptr_nonnull(strstr(out, "evil??Total Accesses: 999\nServerVersion: "
                                      "x/1.2.3?BusyWorkers: 99?\n"));
    ck_assert_ptr_null(strstr(out, "\nTotal Accesses: 999"));
    ck_assert_ptr_null(strstr(out, "\nBusyWorkers: 99"));
}
END_TEST

/* ---- Prometheus ---- */

/* Checks the text format 0.0.4 grammar this renderer uses: HELP and TYPE once per
 * family, before its samples; samples of a family together; metric and label names
 * valid; label values escaped; every value a number. Returns NULL or the problem. */
static const char *
prom_check(const char *text)
{
    char *save = NULL, *line;
    char *copy = apr_pstrdup(pool, text);
    apr_hash_t *typed = apr_hash_make(pool), *done = apr_hash_make(pool);
    const char *family = NULL;

    if (text[0] == '\0' || text[strlen(text) - 1] != '\n')
        return "does not end with a line feed";
    for (line = apr_strtok(copy, "\n", &save); line; line = apr_strtok(NULL, "\n", &save)) {
        char name[128], *p = line, *end;
        const char *fam, *type;
        size_t n = 0;

        if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
            int is_type = line[2] == 'T';

            if (sscanf(line + 7, "%127s", name) != 1)
                return apr_psprintf(pool, "bad comment: %s", line);
            if (is_type) {
                type = line + 8 + strlen(name);
                if (apr_hash_get(typed, name, APR_HASH_KEY_STRING))
                    return apr_psprintf(pool, "TYPE twice: %s", line);
                if (apr_hash_get(done, name, APR_HASH_KEY_STRING))
                    return apr_psprintf(pool, "TYPE after samples: %s", line);
                if (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram"))
                    return apr_psprintf(pool, "bad type: %s", line);
                apr_hash_set(typed, apr_pstrdup(pool, name), APR_HASH_KEY_STRING,
                             apr_pstrdup(pool, type));
            }
            continue;
        }
        if (line[0] == '#')
            return apr_psprintf(pool, "stray comment: %s", line);
        while (*p && (apr_isalnum(*p) || *p == '_' || *p == ':') && n < sizeof(name) - 1)
            name[n++] = *p++;
        name[n] = '\0';
        if (n == 0 || apr_isdigit(name[0]))
            return apr_psprintf(pool, "bad metric name: %s", line);
        if (*p == '{') {
            for (p++; *p != '}';) {
                while (apr_isalnum(*p) || *p == '_')
                    p++;
                if (p[0] != '=' || p[1] != '"')
                    return apr_psprintf(pool, "bad label: %s", line);
                for (p += 2; *p != '"'; p++) {
                    if (*p == '\0')
                        return apr_psprintf(pool, "unterminated label: %s", line);
                    if (*p == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n'))
                        p++;
                    else if (*p == '\\')
                        return apr_psprintf(pool, "bad escape: %s", line);
                }
                p++;
                if (*p == ',')
                    p++;
                else if (*p != '}')
                    return apr_psprintf(pool, "bad label list: %s", line);
            }
            p++;
        }
        if (*p++ != ' ')
            return apr_psprintf(pool, "no value: %s", line);
        strtod(p, &end);
        if (end == p || *end != '\0')
            return apr_psprintf(pool, "bad value: %s", line);
        fam = name;
        type = apr_hash_get(typed, name, APR_HASH_KEY_STRING);
        if (!type)
            for (n = strlen(name); n > 0 && !type; n--)
                if (name[n - 1] == '_') {
                    fam = apr_pstrndup(pool, name, n - 1);
                    type = apr_hash_get(typed, fam, APR_HASH_KEY_STRING);
                }
        if (!type)
            return apr_psprintf(pool, "no TYPE before: %s", line);
        if (strcmp(fam, name) != 0 && strcmp(type, "histogram") != 0)
            return apr_psprintf(pool, "suffix on a %s: %s", type, line);
        if (type && !strcmp(type, "counter") && !strstr(name, "_total"))
            return apr_psprintf(pool, "counter without _total: %s", line);
        if (family == NULL || strcmp(family, fam) != 0) {
            if (apr_hash_get(done, fam, APR_HASH_KEY_STRING))
                return apr_psprintf(pool, "family split: %s", line);
            apr_hash_set(done, fam, APR_HASH_KEY_STRING, "");
            family = fam;
        }
    }
    return NULL;
}

/* The value of the sample line that starts with `prefix` (name and labels). */
static double
prom_value(const char *text, const char *prefix)
{
    const char *p = text, *needle = apr_pstrcat(pool, prefix, " ", NULL);

    for (; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, needle, strlen(needle)) == 0)
            return strtod(p + strlen(needle), NULL);
    ck_abort_msg("no sample %s in:\n%s", prefix, text);
    return NAN;
}

START_TEST(test_prometheus)
{
    status_data_t d = fixture();
    size_t len;
    const char *out, *err, *p;
    double prev_le = -1, prev = -1;
    int buckets = 0;

    d.hist[0] = 3;
    d.hist[SB_HIST_BUCKETS - 1] = 2;
    out = status_format_render(&d, STATUS_PROMETHEUS, pool, &len);
    err = prom_check(out);
    ck_assert_msg(err == NULL, "%s in:\n%s", err, out);
    ck_assert_double_eq(prom_value(out, "evhttpd_requests_total"), 1000);
    ck_assert_double_eq(prom_value(out, "evhttpd_response_bytes_total"), 2048000);
    ck_assert_double_eq(prom_value(out, "evhttpd_generation"), 3);
    ck_assert_double_eq(prom_value(out, "evhttpd_start_time_seconds"), (double)T0);
    ck_assert_double_eq(prom_value(out, "evhttpd_uptime_seconds"), 90061);
    ck_assert_double_eq(prom_value(out, "evhttpd_workers{state=\"busy\"}"), 3);
    ck_assert_double_eq(prom_value(out, "evhttpd_workers{state=\"graceful\"}"), 1);
    ck_assert_double_eq(prom_value(out, "evhttpd_workers{state=\"idle\"}"), 2);
    ck_assert_double_eq(prom_value(out, "evhttpd_scoreboard{state=\"waiting\"}"), 3);
    ck_assert_double_eq(prom_value(out, "evhttpd_scoreboard{state=\"open\"}"), 1);
    ck_assert_double_eq(prom_value(out, "evhttpd_scoreboard{state=\"reading\"}"), 1);
    ck_assert_double_eq(prom_value(out, "evhttpd_processes{state=\"running\"}"), 1);
    ck_assert_double_eq(prom_value(out, "evhttpd_processes{state=\"stopping\"}"), 1);
    ck_assert_double_eq(prom_value(out, "evhttpd_connections"), 6);
    ck_assert_double_eq(prom_value(out, "evhttpd_async_connections{state=\"keepalive\"}"), 2);
    ck_assert_double_eq(prom_value(out, "evhttpd_async_connections{state=\"writing\"}"), 1);
    ck_assert_double_eq(prom_value(out, "evhttpd_async_connections{state=\"closing\"}"), 1);
    ck_assert_double_eq(prom_value(out, "evhttpd_request_duration_seconds_bucket{le=\"0.000032\"}"),
                        3);
    ck_assert_double_eq(prom_value(out, "evhttpd_request_duration_seconds_bucket{le=\"0.001024\"}"),
                        1003);
    ck_assert_double_eq(
        prom_value(out, "evhttpd_request_duration_seconds_bucket{le=\"16.777216\"}"), 1003);
    ck_assert_double_eq(prom_value(out, "evhttpd_request_duration_seconds_bucket{le=\"+Inf\"}"),
                        1005);
    ck_assert_double_eq(prom_value(out, "evhttpd_request_duration_seconds_count"), 1005);
    ck_assert_double_eq_tol(prom_value(out, "evhttpd_request_duration_seconds_sum"),
                            (3 * 16 + 1000 * 768 + 2 * 16777216.0) / 1e6, 1e-6);
    /* buckets: le increasing, counts cumulative */
    for (p = strstr(out, "_bucket{le=\""); p; p = strstr(p + 1, "_bucket{le=\"")) {
        double le = strncmp(p + 12, "+Inf", 4) == 0 ? INFINITY : strtod(p + 12, NULL);
        double v = strtod(strchr(p, '}') + 2, NULL);

        ck_assert(le > prev_le);
        ck_assert(v >= prev);
        prev_le = le;
        prev = v;
        buckets++;
    }
    ck_assert_int_eq(buckets, SB_HIST_BUCKETS);
    ck_assert(isinf(prev_le));
}
END_TEST

START_TEST(test_prometheus_label_escaping)
{
    status_data_t d = fixture();
    size_t len;
    const char *out, *err;

    d.server_version = "a\"b\\c\nd\x01";
    out = status_format_render(&d, STATUS_PROMETHEUS, pool, &len);
    ck_assert_ptr_nonnull(strstr(out, "evhttpd_build_info{version=\"a\\\"b\\\\c\\nd?\"} 1\n"));
    /* Prometheus adds these itself; a target's own would be renamed exported_*. */
    ck_assert_ptr_null(strstr(out, "instance="));
    ck_assert_ptr_null(strstr(out, "job="));
    err = prom_check(out);
    ck_assert_msg(err == NULL, "%s", err);
}
END_TEST

/* ---- HTML ---- */

START_TEST(test_html)
{
    status_data_t d = fixture();
    size_t len;
    const char *out = status_format_render(&d, STATUS_HTML, pool, &len);

    ck_assert_uint_eq(len, strlen(out));
    ck_assert_ptr_nonnull(strstr(out, "<!DOCTYPE html>"));
    ck_assert_ptr_nonnull(strstr(out, "Server Status for www.example.com</h1>"));
    ck_assert_ptr_nonnull(strstr(out, "<dt>Server Version: evhttpd/1.2.3</dt>"));
    ck_assert_ptr_nonnull(strstr(out, "<dt>Server uptime: 1 day 1 minute 1 second</dt>"));
    ck_assert_ptr_nonnull(strstr(out, "<dt>Generation: 3</dt>"));
    ck_assert_ptr_nonnull(strstr(out, "<dt>Parent Server PID: 99</dt>"));
    ck_assert_ptr_nonnull(strstr(out, "Total accesses: 1000 - Total Traffic: 2.0 MB"));
    ck_assert_ptr_nonnull(
        strstr(out, "3 requests currently being processed, 1 workers gracefully finishing, "
                    "2 idle workers"));
    /* slot, pid, generation, stopping, accepting, connections total/keep-alive/
     * writing/closing, threads busy/idle/graceful, accesses, traffic */
    ck_assert_ptr_nonnull(strstr(out, "<tr><td>0</td><td>100</td><td>3</td><td>no</td><td>yes</td>"
                                      "<td>5</td><td>2</td><td>1</td><td>1</td><td>2</td><td>2</td>"
                                      "<td>0</td><td>700</td><td>1.4 MB</td></tr>"));
    ck_assert_ptr_nonnull(strstr(out, "<tr><td>1</td><td>101</td><td>2 (old)</td><td>yes</td>"
                                      "<td>no</td><td>1</td>"));
    ck_assert_ptr_nonnull(strstr(out, "<tr><td>Sum</td><td>2</td><td>&nbsp;</td><td>1</td>"));
    ck_assert_ptr_null(strstr(out, "<tr><td>2</td>")); /* slot 2 is free */
    ck_assert_ptr_nonnull(strstr(out, "<pre>_WK_G_C.RW</pre>"));
    ck_assert_ptr_nonnull(strstr(out, "Scoreboard Key:"));
    ck_assert_ptr_nonnull(strstr(out, "Gracefully finishing"));
    ck_assert_str_eq(out + len - 15, "</body></html>\n");
}
END_TEST

START_TEST(test_html_escapes)
{
    status_data_t d = fixture();
    size_t len;
    const char *out;

    d.server_name = "<script>alert(1)</script>&\"'";
    d.server_version = "x<u>\x01";
    d.server_built = "<i>";
    fixture_grid[1] = '<';
    out = status_format_render(&d, STATUS_HTML, pool, &len);
    ck_assert_ptr_null(strstr(out, "<script>"));
    ck_assert_ptr_null(strstr(out, "<u>"));
    ck_assert_ptr_null(strstr(out, "<i>"));
    ck_assert_ptr_nonnull(
        strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;</h1>"));
    ck_assert_ptr_nonnull(strstr(out, "Server Version: x&lt;u&gt;?</dt>"));
    ck_assert_ptr_nonnull(strstr(out, "<pre>_?K_"));
}
END_TEST

/* The grid wraps every STATUS_GRID_LINE letters, as mod_status's does. */
START_TEST(test_html_grid_wraps)
{
    status_data_t d = fixture();
    status_proc_t procs[2] = { { .pid = 1, .generation = 3 }, { .pid = 2, .generation = 3 } };
    char *grid = apr_palloc(pool, 2 * 40);
    size_t len;
    const char *out, *pre;

    memset(grid, '_', 80);
    d.slots = 2;
    d.threads = 40;
    d.max_servers = 2;
    d.threads_per_child = 40;
    d.procs = procs;
    d.grid = grid;
    out = status_format_render(&d, STATUS_HTML, pool, &len);
    pre = strstr(out, "<pre>");
    ck_assert_ptr_nonnull(pre);
    ck_assert_int_eq(strspn(pre + 5, "_"), STATUS_GRID_LINE);
    ck_assert_int_eq(pre[5 + STATUS_GRID_LINE], '\n');
    ck_assert_int_eq(strspn(pre + 6 + STATUS_GRID_LINE, "_"), 80 - STATUS_GRID_LINE);
    ck_assert_ptr_nonnull(strstr(out, "80 idle workers"));
}
END_TEST

/* A page larger than the first estimate grows its buffer and loses nothing. */
START_TEST(test_render_grows)
{
    status_data_t d = fixture();
    char *name = apr_palloc(pool, 200001);
    size_t len, base;
    const char *out;

    d.server_name = "x";
    status_format_render(&d, STATUS_AUTO, pool, &base);
    memset(name, 'n', 200000);
    name[200000] = '\0';
    d.server_name = name;
    out = status_format_render(&d, STATUS_AUTO, pool, &len);
    ck_assert_uint_eq(len, base + 199999);
    ck_assert_uint_eq(strlen(out), len);
    ck_assert_int_eq(strspn(out, "n"), 200000);
    ck_assert_ptr_nonnull(strstr(out, "\nScoreboard: _WK_G_C.RW\n"));
}
END_TEST

/* Whatever text falls on the end of the first buffer, a plain copy or a formatted
 * number, nothing is lost or doubled: the first line's length walks across it (the
 * fixture's first buffer is a little over 9 kB). */
START_TEST(test_render_every_boundary)
{
    status_data_t d = fixture();
    char *name = apr_palloc(pool, 10001);
    const char *base, *tail, *out;
    size_t len, base_len, n;

    d.server_name = "";
    base = status_format_render(&d, STATUS_AUTO, pool, &base_len);
    tail = apr_pstrdup(pool, base);
    memset(name, 'n', 10000);
    for (n = 8000; n <= 10000; n++) {
        name[n] = '\0';
        d.server_name = name;
        out = status_format_render(&d, STATUS_AUTO, pool, &len);
        ck_assert_uint_eq(len, base_len + n);
        ck_assert_int_eq(strspn(out, "n"), n);
        ck_assert_str_eq(out + n, tail);
        name[n] = 'n';
    }
}
END_TEST

START_TEST(test_content_types)
{
    ck_assert_str_eq(status_format_content_type(STATUS_HTML), "text/html; charset=utf-8");
    ck_assert_str_eq(status_format_content_type(STATUS_AUTO), "text/plain; charset=utf-8");
    ck_assert_str_eq(status_format_content_type(STATUS_PROMETHEUS),
                     "text/plain; version=0.0.4; charset=utf-8");
}
END_TEST

static Suite *
status_format_suite(void)
{
    Suite *s = suite_create("status_format");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_query, 0, sizeof(query_cases) / sizeof(query_cases[0]));
    tcase_add_test(tc, test_query_length_bounds);
    tcase_add_loop_test(tc, test_match, 0, sizeof(match_cases) / sizeof(match_cases[0]));
    tcase_add_test(tc, test_match_nested_location);
    tcase_add_test(tc, test_proc_stat);
    tcase_add_loop_test(tc, test_proc_stat_bad, 0, sizeof(bad_stats) / sizeof(bad_stats[0]));
    tcase_add_test(tc, test_proc_stat_length_bounds);
    tcase_add_test(tc, test_summarize);
    tcase_add_test(tc, test_duration_sum);
    tcase_add_test(tc, test_auto_exact);
    tcase_add_test(tc, test_auto_omits_what_is_unknown);
    tcase_add_test(tc, test_grid_hides_disabled_slots);
    tcase_add_test(tc, test_auto_sanitizes_text);
    tcase_add_test(tc, test_prometheus);
    tcase_add_test(tc, test_prometheus_label_escaping);
    tcase_add_test(tc, test_html);
    tcase_add_test(tc, test_html_escapes);
    tcase_add_test(tc, test_html_grid_wraps);
    tcase_add_test(tc, test_render_grows);
    tcase_add_test(tc, test_render_every_boundary);
    tcase_add_test(tc, test_content_types);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    setenv("TZ", "UTC", 1);
    tzset();
    apr_initialize();
    sr = srunner_create(status_format_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
