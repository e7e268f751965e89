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
 * access log lines. Worker thread. */
void reqlog_request_done(conn_t *c, int widx);

#endif
