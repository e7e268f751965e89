/*
 * http_response.h — response heads and error pages.
 * Who: worker threads; memory from the connection context's per-request pool.
 */
#ifndef EV_HTTP_RESPONSE_H
#define EV_HTTP_RESPONSE_H

#include <apr_pools.h>
#include "conn.h"

/* http_reason: the reason phrase of `status` ("Not Found"), "Unknown" if none. */
const char *http_reason(int status);

/*
 * http_response_head: make the head of c's response the first segment: status line,
 * Date, Server, `extra` (complete "Name: value\r\n" lines, may be NULL), Content-Length
 * (omitted when content_length < 0), and the Connection/Keep-Alive fields that
 * c->ctx->resp.keepalive implies. Sets resp.status and resp.head_len. Returns 0, or -1
 * when memory ran out.
 */
int http_response_head(conn_t *c, int status, const char *extra, apr_off_t content_length);

#endif
