/*
 * handler.h — turning a parsed request into a response (static files, OPTIONS,
 * errors). Who: worker threads; everything it allocates comes from the
 * connection context's per-request pool.
 */
#ifndef EV_HANDLER_H
#define EV_HANDLER_H

#include "conn.h"

/* handler_serve: answer c->ctx->req into c->ctx->resp (head and body segments).
 * c->ctx->resp.keepalive holds the connection's keep-alive decision on entry; the
 * handler may clear it. */
void handler_serve(conn_t *c);

/* handler_error: a complete error response with a small HTML page (bodyless for
 * HEAD requests and for 304-like statuses). Used for parse errors too, when
 * c->ctx->req may be only partly filled: it looks at nothing but `status`, the
 * method (if known) and resp.keepalive. */
void handler_error(conn_t *c, int status, const char *extra_header);

#endif
