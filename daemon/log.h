/*
 * log.h — the error log.
 *
 * Who: every process and thread. A line is formatted on the caller's stack and
 * written with one write(2) to an O_APPEND descriptor, so threads and processes
 * never interleave within a line and no lock is taken.
 * Owns: the error log descriptor (process-wide; inherited by children).
 * Line format (Apache's, so log tooling works):
 *   [Thu Nov 26 19:57:36.123456 2026] [error] [pid 1234:tid 5678] [gen 3] EVH00012: message: (24)Too many open files
 */
#ifndef EV_LOG_H
#define EV_LOG_H

#include <apr_errno.h>
#include <apr_pools.h>
#include "config.h"

/* log_open: send the error log to `path` (opened O_APPEND|O_CREAT, mode 0640), or to
 * stderr when path is NULL. Messages above `level` are dropped. Returns the open
 * error, leaving the previous destination in place. Not thread-safe: call before
 * threads start, or from the parent only. */
apr_status_t log_open(const char *path, int level);

/* log_set_level / log_set_generation / log_set_role: process-wide tags on each line. */
void log_set_level(int level);
void log_set_generation(unsigned generation);

/* log_error: write one line if `level` is enabled. `id` is the message's unique
 * number ("EVH00012"); `status` (0 for none) appends ": (errno)text". Thread-safe,
 * async-signal-unsafe. */
void log_error(int level, apr_status_t status, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* log_enabled: whether a message at `level` would be written (to skip formatting). */
int log_enabled(int level);

/* log_fd: the current error log descriptor (2 for stderr), e.g. to dup2 onto stderr. */
int log_fd(void);

#endif
