/*
 * log.h — the error logs: the main ErrorLog, and those of virtual hosts.
 *
 * Who: every process and thread. A line is formatted on the caller's stack and
 * written with one write(2) to an O_APPEND descriptor, so threads and processes
 * never interleave within a line and no lock is taken.
 * Owns: the error log descriptor (process-wide; inherited by children).
 * Line format (Apache's, so log tooling works):
 *   [Thu Nov 26 19:57:36.123456 2026] [error] [pid 1234:tid 5678] [gen 3] EVH00012: message:
 * (24)Too many open files The time is local time; tid is the kernel thread id (gettid). Control
 * bytes in the message (CR, LF, ESC, ...) are written as spaces so one message is always one line.
 * A message about a request (log_request) names its client after the generation, as
 * Apache's request-level messages do: [gen 3] [client 192.0.2.7:50312] EVH00012: ...
 * and goes to the ErrorLog of the site that answered it.
 */
#ifndef EV_LOG_H
#define EV_LOG_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>
#include "config.h"

struct conn_t;

/* LOG_LINE_MAX: the longest line written, newline included; longer ones end in "...". */
#define LOG_LINE_MAX 8192

/* log_open: send the error log to `path` (opened O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC,
 * mode 0640), or to stderr when path is NULL (when stderr is systemd's journal, as
 * JOURNAL_STREAM says, each line then starts with its "<N>" syslog priority), and set
 * the level: messages above `level`
 * are dropped. Returns the open error (APR_ENAMETOOLONG past PATH_MAX), leaving the
 * previous destination and level in place. Thread-safe: concurrent log_error calls
 * write to the old or the new file, never elsewhere (the new file is dup3'ed onto the
 * descriptor number writers use, so the number is never closed under them). Calls to
 * log_open/log_reopen are serialized by an internal mutex; do not fork while another
 * thread is inside one of them. */
apr_status_t log_open(const char *path, int level);

/* log_reopen: open the current path again (logrotate renamed the file); a no-op for
 * stderr. Same failure and thread-safety rules as log_open. */
apr_status_t log_reopen(void);

/* log_set_level / log_set_generation: process-wide, relaxed atomics; any thread. */
void log_set_level(int level);
void log_set_generation(unsigned generation);

/* log_error: write one line if `level` is enabled. `id` is the message's unique
 * number ("EVH00012"), or NULL for none; `status` (0 for none) appends
 * ": (errno)text" from apr_strerror. errno is preserved. Thread-safe,
 * async-signal-unsafe. A write failure is silently dropped (there is nowhere to
 * report it). */
void log_error(int level, apr_status_t status, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* log_enabled: whether a message at `level` would be written (to skip formatting). */
int log_enabled(int level);

/* log_fd: the current error log descriptor (2 for stderr), e.g. to dup2 onto stderr.
 * After log_reopen the number is unchanged but refers to the new file; a copy made with
 * dup2 still refers to the old one, so dup2 again after reopening. */
int log_fd(void);

/*
 * log_ratelimit_t: lets a noisy error (accept failing with EMFILE in a loop) through
 * at most once per LOG_RATELIMIT_INTERVAL and counts what it held back. One per call
 * site, usually static; a zeroed struct (or LOG_RATELIMIT_INIT) is ready to use.
 */
#define LOG_RATELIMIT_INTERVAL apr_time_from_sec(1)
typedef struct {
    _Atomic apr_time_t next;         /* earliest time the next message may pass */
    _Atomic apr_uint64_t suppressed; /* calls refused since the last one that passed */
} log_ratelimit_t;
#define LOG_RATELIMIT_INIT                                                                         \
    {                                                                                              \
        0, 0                                                                                       \
    }

/*
 * log_ratelimit: whether the caller may log now. Returns 1 for at most one caller per
 * interval and stores in *suppressed (may be NULL) how many calls were refused since
 * the previous pass; returns 0 otherwise (and counts the call). Every refused call is
 * reported by exactly one later pass. A wall clock stepped back by more than the
 * interval lets the next call through rather than muting the site. Thread-safe
 * (lock-free atomics), async-signal-safe.
 */
int log_ratelimit(log_ratelimit_t *rl, apr_time_t now, apr_uint64_t *suppressed);

/* One ErrorLog of a virtual host (opaque): an O_APPEND descriptor kept for the life of
 * its pool, whose number never changes (a reopen dup3()s the new file onto it). */
typedef struct log_file_t log_file_t;

/* log_file_open: open `path` as log_open does; *out and the descriptor belong to `p`
 * (closed by its cleanup, after the last write). Returns the open error. Not
 * thread-safe on `p`. */
apr_status_t log_file_open(log_file_t **out, const char *path, apr_pool_t *p);

/* log_file_reopen: open the path again (logrotate renamed the file); concurrent
 * log_request calls write to the old or the new file, never elsewhere. Returns the open
 * error and keeps the old file. Do not run two reopens of one log at once. */
apr_status_t log_file_reopen(log_file_t *lf);

/* log_file_path: the path given to log_file_open (owned by its pool). */
const char *log_file_path(const log_file_t *lf);

/* log_file_detach: as accesslog_detach, for a process that will never write to `lf`. */
void log_file_detach(log_file_t *lf);

/* log_request: log_error for a message about the request `c` is serving, in Apache's
 * request form ("[client ADDR:PORT]" before the id), written to the ErrorLog of the
 * site answering it (the Listen's default site before one is chosen), or to the main
 * ErrorLog when that site has none of its own. LogLevel is the server's. The caller
 * owns `c` (a worker). Thread-safe, no allocation, no lock; a write failure is dropped
 * as log_error drops it. */
void log_request(const struct conn_t *c, int level, apr_status_t status, const char *id,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
