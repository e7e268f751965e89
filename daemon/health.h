/*
 * health.h — the health check a load balancer polls (HealthLocation).
 *
 * 200 "ok" while the child serves normally; 503 "draining" once the server is in the
 * lame-duck phase of a graceful stop (GracefulStopDelay) or the child itself is
 * stopping, so that a load balancer stops sending new clients before the listening
 * sockets close. Any client may ask: the answer tells nothing but that.
 * Who: worker threads; memory from the connection context's per-request pool.
 */
#ifndef EV_HEALTH_H
#define EV_HEALTH_H

#include "conn.h"

/* health_wants: whether origin-form `target` names the HealthLocation (normalized,
 * with or without a trailing slash). May allocate from c->ctx->preq. Returns 1 or 0. */
int health_wants(conn_t *c, ev_slice_t target);

/* health_serve: answer a request health_wants accepted into c->ctx->resp: 200 or 503
 * for GET and HEAD (Cache-Control: no-store), 405 with Allow for any other method. */
void health_serve(conn_t *c);

/* health_draining: whether this child should turn clients away (lame duck or
 * stopping); also makes every response close its connection. One relaxed atomic load
 * of the scoreboard header and one of the child's state. */
int health_draining(const conn_t *c);

#endif
