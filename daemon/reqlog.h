/*
 * reqlog.h — what is recorded about each request: the worker's scoreboard record,
 * the child's counters and the access logs.
 */
#ifndef EV_REQLOG_H
#define EV_REQLOG_H

#include "conn.h"

/* reqlog_request_begin: a request head was read (or failed to parse when `bad`):
 * publish its request line in the worker's scoreboard record. Worker thread. */
void reqlog_request_begin(conn_t *c, int widx, int bad);

/* reqlog_request_done: the response was sent or abandoned: count it and write the
 * access log lines (into the worker's buffers with BufferedLogs On). A worker passes
 * its index; the listener, closing a connection it timed out, passes -1 and writes
 * unbuffered. */
void reqlog_request_done(conn_t *c, int widx);

/* reqlog_flush: write the calling worker's buffered access log lines now; run before
 * the worker sleeps (fdqueue's before-sleep hook; `child` is its child_t). Worker
 * thread; nothing to do with BufferedLogs Off. */
void reqlog_flush(void *child);

/* reqlog_thread_done: flush and free the calling worker's buffers; before it exits. */
void reqlog_thread_done(struct child_t *ch);

#endif
