/*
 * status_format.h — the pure half of the server-status page (StatusLocation): which
 * requests it answers, whom it answers, what the query asks for, and the three
 * renderings of a snapshot the caller collected: HTML for people, Apache mod_status's
 * "?auto" keys for the tools that read Apache today, and Prometheus text format 0.0.4.
 *
 * No I/O, no clock, no global state: every function is thread-safe and allocates
 * only from the pool it is given. The snapshot is display data read from a shared
 * segment that any child could have scribbled on, so nothing here trusts it: texts
 * are escaped or sanitized for the format they go into, letters outside the known
 * states print as '?', and numbers are only printed.
 */
#ifndef EV_STATUS_FORMAT_H
#define EV_STATUS_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "scoreboard.h"

/* ?refresh without a usable number asks for this many seconds (Apache 2.4's), and no
 * page asks a browser to wait longer than the maximum. */
#define STATUS_REFRESH_DEFAULT 10
#define STATUS_REFRESH_MAX     3600

/* The letters of the worker grid wrap after this many (mod_status's STATUS_MAXLINE). */
#define STATUS_GRID_LINE 64

typedef enum {
    STATUS_HTML = 0,  /* the page for people (the default) */
    STATUS_AUTO,      /* "?auto": mod_status's machine-readable "Key: value" lines */
    STATUS_PROMETHEUS /* "?format=prometheus": Prometheus text exposition 0.0.4 */
} status_kind_t;

typedef struct {
    status_kind_t kind; /* which rendering */
    int refresh;        /* seconds for a Refresh header, 0 for none */
} status_query_t;

/*
 * status_format_query: read the query string q[0..len) (without the '?'): parameters
 * separated by '&', each "name" or "name=value", unknown ones ignored. "auto" selects
 * STATUS_AUTO, "format=html|auto|prometheus" the named one; when several select, the
 * last wins. "refresh=N" sets refresh to N clamped to 1..STATUS_REFRESH_MAX;
 * "refresh" alone or with a value that is not all digits (or is 0) asks for
 * STATUS_REFRESH_DEFAULT. Never fails.
 */
void status_format_query(const char *q, size_t len, status_query_t *out);

/*
 * status_format_match: whether origin-form `target` (path and query, len bytes, not
 * NUL-terminated) names the status page at `location` (a StatusLocation as config.c
 * stores it: normalized, no trailing slash). The target's path is normalized as
 * static files are (http_path_normalize: percent-decoding, dot segments, merged
 * slashes) and must then equal `location`, with or without one trailing slash.
 * Allocates at most len + 2 bytes from p. Returns 1 or 0 (0 also for a path that
 * cannot be normalized: whoever serves it reports the error).
 */
int status_format_match(const char *location, const char *target, size_t len, apr_pool_t *p);

/* What /proc/PID/stat says about a process's CPU time, in clock ticks. */
typedef struct {
    int32_t ppid;    /* the parent's pid (field 4) */
    uint64_t utime;  /* user time of the process's threads (field 14) */
    uint64_t stime;  /* system time (field 15) */
    uint64_t cutime; /* user time of its children that it waited for (field 16) */
    uint64_t cstime; /* system time of those children (field 17) */
} status_cpu_t;

/*
 * status_format_proc_stat: parse the text of /proc/PID/stat (len bytes, need not be
 * NUL-terminated). The command name may hold spaces and parentheses: fields are
 * counted after the last ')'. Returns 0, or -1 (and *out untouched) when the text is
 * cut short or a field is not a decimal number.
 */
int status_format_proc_stat(const char *text, size_t len, status_cpu_t *out);

/* One scoreboard slot as the status page shows it. */
typedef struct {
    int32_t pid;                                      /* 0: a free slot (nothing else shown) */
    uint32_t generation;                              /* the child's generation */
    int quiescing;                                    /* 1 once the child is stopping */
    int not_accepting;                                /* 1 while its listener does not accept */
    int64_t connections, keepalive, writing, closing; /* open, parked in keep-alive, in
                                                       * write completion, lingering close */
    uint64_t requests, bytes;                         /* served since the child started */
} status_proc_t;

/* A snapshot of the server, collected by the caller. Strings may hold any bytes. */
typedef struct {
    const char *server_name;     /* first line of ?auto, title of the HTML page */
    const char *server_version;  /* "evhttpd/X.Y.Z" */
    const char *server_built;    /* build date, as mod_status's "Server Built" */
    apr_time_t now;              /* when the snapshot was taken */
    apr_time_t start_time;       /* when the parent started: the counters' origin */
    apr_time_t restart_time;     /* when the running generation started */
    uint32_t generation;         /* the running generation (1 at start, +1 per restart) */
    int32_t parent_pid;          /* the parent's pid, for display */
    int have_load;               /* load[] is valid */
    double load[3];              /* 1, 5 and 15 minute load averages */
    int have_cpu;                /* the cpu_* fields are valid */
    double cpu_user, cpu_system; /* seconds: the parent's and the live children's */
    double cpu_children_user, cpu_children_system; /* seconds: children the parent reaped */
    uint64_t requests, bytes;                      /* totals since start (sb_totals) */
    uint64_t hist[SB_HIST_BUCKETS];                /* request durations since start (sb_totals) */
    unsigned slots;                                /* ServerLimit: entries in procs, rows of grid */
    unsigned threads;                              /* ThreadLimit: columns of grid */
    unsigned max_servers;       /* slots shown even when dead (MaxRequestWorkers /
                                 * ThreadsPerChild) */
    unsigned threads_per_child; /* threads shown even when dead, per slot */
    const status_proc_t *procs; /* `slots` records */
    const char *grid;           /* slots x threads worker letters (SB_*), by slot */
} status_data_t;

/* The totals every rendering shows; workers are counted from the grid. */
typedef struct {
    int busy;                /* R W K L C workers of live processes */
    int graceful;            /* G workers of live processes */
    int idle;                /* _ workers of live processes that are of the running generation and
                              * not stopping: the ones that may take a new connection */
    int processes, stopping; /* live slots; those quiescing */
    int64_t connections, writing, keepalive, closing; /* summed over live slots */
} status_sum_t;

/* status_format_summarize: fill *out from d (live slots are those with a pid). */
void status_format_summarize(const status_data_t *d, status_sum_t *out);

/*
 * status_format_duration_sum: an estimate of the time all requests in hist took, in
 * microseconds. The scoreboard keeps only a log-scale histogram, so each request is
 * taken at its bucket's midpoint: for one request in (L, 2L] that is 1.5 L, between
 * 0.75 and 1.5 times its true duration. Bucket 0 (0..32 us) counts 16 us; the open
 * last bucket counts its lower bound, an underestimate.
 */
double status_format_duration_sum(const uint64_t hist[SB_HIST_BUCKETS]);

/*
 * status_format_render: the body of the page `kind` for d, allocated from p in one
 * pass (a buffer sized from d, doubled if it ever falls short), NUL-terminated; *len
 * gets its length without the NUL. Times are shown in local time. Returns NULL only
 * when the pool cannot allocate.
 */
const char *status_format_render(const status_data_t *d, status_kind_t kind, apr_pool_t *p,
                                 size_t *len);

/* status_format_content_type: the Content-Type value of a rendering (static string). */
const char *status_format_content_type(status_kind_t kind);

#endif
