/*
 * accesslog.h — CustomLog: Apache LogFormat compiled once, one line per request.
 *
 * Who: the parent compiles formats and opens the files while loading a configuration;
 * every worker thread of a child formats and writes lines. A compiled format is
 * immutable and shared by all threads; a line is formatted on the worker's stack and
 * written with one write(2) to an O_APPEND descriptor, without a lock.
 *
 * Directives (Apache semantics): %h %a (client address), %l %u ("-"), %t ("[26/Nov/2026:19:57:36
 * +0000]", local time), %{fmt}t (strftime, or sec msec usec msec_frac usec_frac, optionally
 * prefixed begin: or end:), %r %m %U %q %H, %s %>s %<s, %b ("-" for 0) %B, %D (µs) %T (s),
 * %{Name}i %{Name}o, %p (local port) %P (pid) %v (ServerName) %%. Backslash escapes in the
 * format: \n \t \" \\. Everything taken from the request or the response headers is escaped
 * as Apache does (", \ and control bytes as \" \\ \n \xhh, bytes >= 0x7f as \xhh) so a
 * client cannot forge a line. A missing value prints "-", an empty one nothing.
 */
#ifndef EV_ACCESSLOG_H
#define EV_ACCESSLOG_H

#include <apr_errno.h>
#include <apr_network_io.h>
#include <apr_pools.h>
#include <apr_time.h>
#include "http_parse.h"
#include "slice.h"

/* ACCESSLOG_LINE_MAX: the longest line accesslog_write writes, newline included. */
#define ACCESSLOG_LINE_MAX 16384

/* A compiled LogFormat (opaque, immutable, shareable across threads). */
typedef struct accesslog_fmt_t accesslog_fmt_t;

/* One open CustomLog (opaque). */
typedef struct accesslog_t accesslog_t;

/* accesslog_header_fn: a response header's value for %{Name}o; name is matched
 * case-insensitively by the callee. Return a slice with p == NULL when absent. */
typedef ev_slice_t (*accesslog_header_fn)(void *baton, const char *name);

/* What the caller knows about one finished request. Nothing is copied or kept. */
typedef struct {
    const char *client_ip;          /* %h %a: peer address text, NULL prints "-" */
    apr_port_t local_port;          /* %p: the port the request came in on */
    const char *server_name;        /* %v: ServerName, NULL prints "-" */
    const http_request_t *req;      /* the parsed head; NULL unless parsing succeeded */
    ev_slice_t request_line;        /* %r when req is NULL: the raw line (req.line), or empty */
    ev_slice_t path;                /* %U if p != NULL (e.g. the decoded path), else from target */
    int status;                     /* %s %>s; 0 (none sent) prints "-" */
    apr_off_t body_bytes;           /* %b %B: response body bytes sent, head excluded */
    apr_time_t start;               /* %t: when the request started */
    apr_interval_time_t duration;   /* %D %T: time taken to serve it */
    accesslog_header_fn out_header; /* %{Name}o; NULL prints "-" */
    void *out_baton;                /* passed to out_header */
} accesslog_rec_t;

/*
 * accesslog_compile: parse `format` into *out, allocated from `p` (pconf); the result
 * does not refer to `format`. On an unknown or malformed directive returns APR_EINVAL
 * and sets *error (allocated from p) to a message naming it, e.g.
 * "unknown LogFormat directive %Z", for the config layer to prefix with file:line.
 * Not thread-safe on `p`.
 */
apr_status_t accesslog_compile(accesslog_fmt_t **out, const char *format, apr_pool_t *p,
                               const char **error);

/*
 * accesslog_format: write the line for `r` into buf[0..size), ending in '\n' and not
 * NUL-terminated. Never writes past `size`: a line that does not fit is cut (never
 * inside an escape sequence) and still ends in '\n'. Returns the bytes written, '\n'
 * included (0 only when size is 0). Thread-safe; no allocation; %t is formatted at most
 * once per second per thread (a thread-local cache keyed by r->start's second).
 */
size_t accesslog_format(const accesslog_fmt_t *f, const accesslog_rec_t *r, char *buf, size_t size);

/*
 * accesslog_open: open `path` (O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, mode 0640) for
 * lines in format `f`; *out and the descriptor belong to `p` (closed by its cleanup,
 * after the last accesslog_write). `f` must outlive `p`'s use of it. Returns the open
 * error. Not thread-safe on `p`.
 */
apr_status_t accesslog_open(accesslog_t **out, const char *path, const accesslog_fmt_t *f,
                            apr_pool_t *p);

/*
 * accesslog_write: format the line for `r` (up to ACCESSLOG_LINE_MAX) on the stack and
 * write it with one write(2). A failed or short write is not logged here: it is counted
 * (see accesslog_errors) and returned (APR_EINCOMPLETE for a short write). Thread-safe,
 * lock-free.
 */
apr_status_t accesslog_write(accesslog_t *al, const accesslog_rec_t *r);

/*
 * Buffered writing (BufferedLogs On): lines collect in a caller-owned buffer, one per
 * writing thread and log, and reach the file in one write(2) of whole lines when the
 * next line would not fit, when the oldest line is ACCESSLOG_BUF_MAXAGE old, or when
 * the caller flushes (a worker does before it sleeps, so an idle server holds nothing
 * back). Lines of different threads never interleave: each write holds whole lines.
 */
#define ACCESSLOG_BUF_SIZE   32768
#define ACCESSLOG_BUF_MAXAGE apr_time_from_sec(1)

/* The caller owns the storage and sets len to 0 before first use. */
typedef struct {
    size_t len;        /* bytes buffered */
    apr_time_t oldest; /* when the first of them was added */
    char data[ACCESSLOG_BUF_SIZE];
} accesslog_buf_t;

/* accesslog_write_buffered: format the line for `r` into `b` (flushing first if it
 * would not fit), then flush if the buffer's oldest line is older than
 * ACCESSLOG_BUF_MAXAGE at `now`. Returns the status of a flush that failed (the lines
 * are dropped and counted as accesslog_write counts them), else APR_SUCCESS. One
 * thread per buffer; lock-free. */
apr_status_t accesslog_write_buffered(accesslog_t *al, accesslog_buf_t *b, const accesslog_rec_t *r,
                                      apr_time_t now);

/* accesslog_flush: write what `b` holds, if anything, and empty it. Returns the
 * write's failure (counted) or APR_SUCCESS. One thread per buffer. */
apr_status_t accesslog_flush(accesslog_t *al, accesslog_buf_t *b);

/*
 * accesslog_reopen: open the path again (logrotate renamed the file). The new file is
 * dup3'ed onto the descriptor number writers use, so concurrent accesslog_write calls
 * land in the old or the new file, never elsewhere. Returns the open error and keeps
 * the old file. Thread-safe against writers; do not run two reopens of one log at once.
 */
apr_status_t accesslog_reopen(accesslog_t *al);

/*
 * accesslog_errors: how many writes have failed since the log was opened (monotonic,
 * for the daemon to log through log_ratelimit); *last_error (may be NULL) receives the
 * most recent failure's status. Thread-safe.
 */
apr_uint64_t accesslog_errors(const accesslog_t *al, apr_status_t *last_error);

/* accesslog_detach: in a forked process that will never write to `al` (a child of a
 * newer generation), point its descriptor at /dev/null so the file (renamed by
 * logrotate, say) is not held open for that process's life; the descriptor number and
 * the pool's cleanup stay as they were. Best effort: nothing changes if /dev/null
 * cannot be opened. */
void accesslog_detach(accesslog_t *al);

/* accesslog_path: the path given to accesslog_open (owned by the log's pool). */
const char *accesslog_path(const accesslog_t *al);

#endif
