/*
 * status.h — the server-status handler (StatusLocation, StatusAllow): mod_status's
 * page, its "?auto" keys and Prometheus text, from the scoreboard.
 * Who: worker threads; memory from the connection context's per-request pool.
 */
#ifndef EV_STATUS_H
#define EV_STATUS_H

#include "conn.h"

/* status_wants: whether origin-form `target` names the status page: a StatusLocation
 * is configured and the target's normalized path equals it, with or without a
 * trailing slash. May allocate from c->ctx->preq. Returns 1 or 0. */
int status_wants(conn_t *c, ev_slice_t target);

/*
 * status_serve: answer a request for the status page into c->ctx->resp: 403 for a
 * client outside StatusAllow, 405 (with Allow) for a method other than GET and HEAD,
 * else 200 with the page the query asks for (see status_format_query), 500 if memory
 * ran out. Every answer carries Cache-Control: no-store. Reads the scoreboard without
 * locks; never blocks on anything but /proc reads. `by_handler`: the request came through
 * a <Location>'s SetHandler server-status, whose Require in effect (already checked)
 * then replaces StatusAllow; the StatusLocation page always obeys StatusAllow, so a
 * broad `<Location /> Require all granted` does not open it.
 */
void status_serve(conn_t *c, ev_slice_t target, int by_handler);

#endif
