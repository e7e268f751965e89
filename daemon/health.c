/*
 * health.c — the HealthLocation handler and the lame-duck test shared with keep-alive.
 *
 * The lame-duck flag lives in the scoreboard header, written by the parent only, so a
 * child started during the phase (a replacement) sees it as well as the others; a
 * scribbled value can do no worse than close connections after each response.
 */
#include <stdatomic.h>
#include <string.h>

#include "child.h"
#include "handler.h"
#include "health.h"
#include "http_response.h"
#include "status_format.h"

#define HEALTH_HEAD "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n"

int
health_wants(conn_t *c, ev_slice_t target)
{
    const char *loc = c->child->conf->health_location;

    return loc && status_format_match(loc, target.p, target.len, c->ctx->preq);
}

int
health_draining(const conn_t *c)
{
    return atomic_load_explicit(c->child->lame_duck, memory_order_relaxed) != 0 ||
           atomic_load_explicit(&c->child->stopping, memory_order_relaxed) != EV_RUNNING;
}

void
health_serve(conn_t *c)
{
    conn_ctx_t *x = c->ctx;
    int draining = health_draining(c);
    const char *body = draining ? "draining\n" : "ok\n";
    apr_off_t len = (apr_off_t)strlen(body);

    if (x->req.method_id != EV_M_GET && x->req.method_id != EV_M_HEAD) {
        handler_error(c, 405, "Allow: GET, HEAD\r\n");
        return;
    }
    if (x->req.method_id == EV_M_GET)
        response_add_mem(&x->resp, body, len, x->preq);
    http_response_head(c, draining ? 503 : 200, HEALTH_HEAD, len);
}
