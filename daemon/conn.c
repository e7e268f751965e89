/*
 * conn.c — serving one connection in a worker: read a request head, check its
 * framing, hand it to the handler, write the response, then loop (pipelining),
 * park (keep-alive, partial head, write completion) or close.
 *
 * Who: worker threads, each on the connection it popped; the record and context
 * recycling functions are also called by the listener. Ownership rules: conn.h.
 * Shared state touched: child counters and scoreboard counters (atomics), the
 * recycle stacks (lock-free), the worker's own scoreboard record.
 *
 * Closing: after a response that ends the connection, a plain close is enough when
 * nothing of the client's is left unread; otherwise (an unread body, pipelined
 * requests we refuse) the socket is shut down for writing and parked for lingering
 * close in the listener, so a late client byte cannot turn into an RST that destroys
 * the response before the client reads it (nginx's lingering_close "on" policy).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <apr_allocator.h>

#include "accesslog.h"
#include "child.h"
#include "conn.h"
#include "handler.h"
#include "health.h"
#include "listener.h"
#include "log.h"
#include "reqlog.h"
#include "worker.h"

#define CTX_BUF_SIZE      8192
#define CTX_POOL_MAX_FREE (64 * 1024) /* what a recycled context's allocator may keep */

conn_t *
conn_get(child_t *ch)
{
    conn_t *c = (conn_t *)lfstack_pop(&ch->free_conns);

    if (c == NULL && (c = malloc(sizeof(*c))) == NULL)
        return NULL;
    memset(c, 0, sizeof(*c));
    c->queue = -1;
    c->fd = -1;
    c->child = ch;
    return c;
}

void
conn_close(conn_t *c)
{
    child_t *ch = c->child;

    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
        atomic_fetch_sub(&ch->connections, 1);
        atomic_fetch_sub_explicit(&ch->proc->connections, 1, memory_order_relaxed);
    }
    if (c->ctx) {
        conn_ctx_put(ch, c->ctx);
        c->ctx = NULL;
    }
    lfstack_push(&ch->free_conns, &c->node);
}

static conn_ctx_t *
conn_ctx_create(child_t *ch)
{
    conn_ctx_t *x = calloc(1, sizeof(*x));
    apr_allocator_t *alloc = NULL;
    size_t nfields = (size_t)ch->conf->limit_request_fields + 1;

    if (x == NULL)
        return NULL;
    x->base_buf = malloc(CTX_BUF_SIZE);
    x->fields = malloc(nfields * sizeof(*x->fields));
    if (x->base_buf == NULL || x->fields == NULL || apr_allocator_create(&alloc) != APR_SUCCESS)
        goto fail;
    apr_allocator_max_free_set(alloc, CTX_POOL_MAX_FREE);
    if (apr_pool_create_unmanaged_ex(&x->pool, NULL, alloc) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        goto fail;
    }
    apr_allocator_owner_set(alloc, x->pool);
    if (apr_pool_create(&x->preq, x->pool) != APR_SUCCESS) {
        apr_pool_destroy(x->pool);
        goto fail;
    }
    x->buf = x->base_buf;
    x->size = CTX_BUF_SIZE;
    response_init(&x->resp);
    http_parse_state_init(&x->pst);
    return x;
fail:
    free(x->base_buf);
    free(x->fields);
    free(x);
    return NULL;
}

conn_ctx_t *
conn_ctx_get(child_t *ch)
{
    conn_ctx_t *x = (conn_ctx_t *)lfstack_pop(&ch->free_ctx);

    return x ? x : conn_ctx_create(ch);
}

void
conn_ctx_put(child_t *ch, conn_ctx_t *x)
{
    response_reset(&x->resp);
    apr_pool_clear(x->pool); /* also destroys preq */
    if (apr_pool_create(&x->preq, x->pool) != APR_SUCCESS) {
        apr_pool_destroy(x->pool);
        free(x->base_buf);
        free(x->fields);
        free(x);
        return;
    }
    x->buf = x->base_buf;
    x->size = CTX_BUF_SIZE;
    x->pos = x->len = x->head_len = 0;
    http_parse_state_init(&x->pst);
    x->body_mode = CONN_BODY_NONE;
    x->linger = 0;
    x->client_ip[0] = '\0';
    x->site = NULL;
    x->loc = NULL;
    x->in_error_document = 0;
    lfstack_push(&ch->free_ctx, &x->node);
}

void
conn_free_all(child_t *ch)
{
    lfstack_node_t *n;

    while ((n = lfstack_pop(&ch->free_ctx)) != NULL) {
        conn_ctx_t *x = (conn_ctx_t *)n;
        response_reset(&x->resp);
        apr_pool_destroy(x->pool);
        free(x->base_buf);
        free(x->fields);
        free(x);
    }
    while ((n = lfstack_pop(&ch->free_conns)) != NULL)
        free(n);
}

enum { RD_REQUEST, RD_PARK, RD_CLOSE, RD_BAD };

/* Make room for more input: compact, then grow up to the largest legal head. */
static int
conn_make_room(conn_t *c)
{
    conn_ctx_t *x = c->ctx;
    const ev_config_t *conf = c->child->conf;
    /* A head longer than LimitRequestHeaderSize is refused, so no buffer grows past it. */
    size_t max = (size_t)conf->limit_request_header_size + 1;
    char *nb;

    if (x->pos > 0) {
        memmove(x->buf, x->buf + x->pos, x->len - x->pos);
        x->len -= x->pos;
        x->pos = 0;
        http_parse_state_init(&x->pst); /* the bytes moved: parse them again */
    }
    if (x->len < x->size)
        return 0;
    if (x->size >= max)
        return -1;
    nb = apr_palloc(x->pool, x->size * 2);
    memcpy(nb, x->buf, x->len);
    x->buf = nb;
    x->size *= 2;
    http_parse_state_init(&x->pst);
    return 0;
}

/* Whether a stage that began at `start` and has received `bytes` is still within its
 * RequestReadTimeout: timeout, plus a second per MinRate bytes, up to max. */
static int
conn_within(const ev_read_timeout_t *t, apr_time_t start, apr_off_t bytes)
{
    apr_interval_time_t allowed = t->timeout;

    if (t->timeout <= 0 || start == 0)
        return 1;
    if (t->min_rate > 0)
        allowed += apr_time_from_sec(bytes / t->min_rate);
    if (t->max > 0 && allowed > t->max)
        allowed = t->max;
    return apr_time_now() - start <= allowed;
}

/* Read until a whole request head is buffered. */
static int
conn_read_head(conn_t *c, int *status)
{
    conn_ctx_t *x = c->ctx;
    const ev_config_t *conf = c->child->conf;
    http_limits_t lim = { conf->limit_request_line, conf->limit_request_field_size,
                          conf->limit_request_fields };

    for (;;) {
        ssize_t n;

        if (x->len > x->pos) {
            /* Resumable: a head arriving in many small pieces costs linear, not
             * quadratic, time. */
            int r = http_parse_request_resume(&x->pst, x->buf + x->pos, x->len - x->pos, &lim,
                                              &x->req, x->fields,
                                              (size_t)conf->limit_request_fields + 1, status);
            if (r > 0 && (size_t)r > (size_t)conf->limit_request_header_size) {
                *status = 431;
                return RD_BAD;
            }
            if (r > 0) {
                x->head_len = (size_t)r;
                return RD_REQUEST;
            }
            if (r == EV_PARSE_INVALID)
                return RD_BAD;
            if (x->len - x->pos > (size_t)conf->limit_request_header_size) {
                *status = 431;
                return RD_BAD;
            }
        } else {
            x->pos = x->len = 0;
            http_parse_state_init(&x->pst);
        }
        if (x->len == x->size && conn_make_room(c) < 0) {
            *status = 431;
            return RD_BAD;
        }
        if (x->len == x->pos)
            x->head_start = 0;
        n = recv(c->fd, x->buf + x->len, x->size - x->len, 0);
        if (n > 0) {
            if (x->head_start == 0)
                x->head_start = apr_time_now();
            x->len += (size_t)n;
            continue;
        }
        if (n == 0)
            return RD_CLOSE;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (x->len > x->pos &&
                !conn_within(&conf->header_timeout, x->head_start, x->len - x->pos)) {
                *status = 408;
                return RD_BAD;
            }
            return RD_PARK;
        }
        return RD_CLOSE;
    }
}

/* Expect (RFC 9110 section 10.1.1): only 100-continue is known (417 for anything
 * else). No resource here reads a body, so it never earns a 100 Continue: the final
 * status goes out and the connection closes instead of waiting for the body. */
static int
conn_check_expect(conn_t *c)
{
    conn_ctx_t *x = c->ctx;
    const http_field_t *f = http_field_find(&x->req, "Expect");

    if (f == NULL)
        return 0;
    if (http_field_count(&x->req, "Expect") > 1 || f->value.len != 12 ||
        strncasecmp(f->value.p, "100-continue", 12) != 0)
        return 417;
    if (x->body_mode != CONN_BODY_NONE) {
        x->body_mode = CONN_BODY_NONE;
        x->resp.keepalive = 0;
        x->linger = 1;
    }
    return 0;
}

/* Check message framing (RFC 9112 section 6). Returns 0 or an error status; a body
 * the request carries is noted for discarding once the response is out. */
static int
conn_check_framing(conn_t *c)
{
    conn_ctx_t *x = c->ctx;
    const http_request_t *req = &x->req;
    const http_field_t *te = http_field_find(req, "Transfer-Encoding");
    size_t ncl = http_field_count(req, "Content-Length"), nhost;
    size_t i;
    int64_t cl = -1;

    /* Host: required in HTTP/1.1; in any version, two of them or an invalid one is 400
     * (RFC 9112 section 3.2). */
    nhost = http_field_count(req, "Host");
    if ((req->version == 11 && nhost == 0) || nhost > 1 ||
        (nhost == 1 && !http_host_valid(http_field_find(req, "Host")->value)))
        return 400;
    if (te) {
        if (req->version == 10 || ncl > 0 || http_field_count(req, "Transfer-Encoding") > 1)
            return 400;
        if (te->value.len != 7 || strncasecmp(te->value.p, "chunked", 7) != 0)
            return 501;
        x->body_mode = CONN_BODY_CHUNKED;
        chunked_init(&x->chunk);
        return conn_check_expect(c);
    }
    for (i = 0; i < req->nfields; i++) {
        int64_t v;
        if (req->fields[i].name.len != 14 ||
            strncasecmp(req->fields[i].name.p, "Content-Length", 14) != 0)
            continue;
        if (http_content_length(req->fields[i].value, &v) < 0 || (cl >= 0 && v != cl)) {
            x->resp.keepalive = 0;
            x->linger = 1;
            return 400;
        }
        cl = v;
    }
    if (cl > 0) {
        if (c->child->conf->limit_request_body > 0 && cl > c->child->conf->limit_request_body)
            return 413;
        x->body_mode = CONN_BODY_LENGTH;
        x->body_left = cl;
    }
    return conn_check_expect(c);
}

/* Whether any Connection field line lists `token`. */
static int
conn_connection_has(const http_request_t *req, const char *token)
{
    size_t i;

    for (i = 0; i < req->nfields; i++)
        if (req->fields[i].name.len == 10 &&
            strncasecmp(req->fields[i].name.p, "Connection", 10) == 0 &&
            http_token_list_has(req->fields[i].value, token))
            return 1;
    return 0;
}

static int
conn_wants_keepalive(const conn_t *c)
{
    const ev_config_t *conf = c->child->conf;
    const http_request_t *req = &c->ctx->req;

    if (!conf->keepalive || health_draining(c))
        return 0;
    if (conf->max_keepalive_requests > 0 &&
        c->requests + 1 >= (unsigned)conf->max_keepalive_requests)
        return 0;
    if (req->version == 10)
        return conn_connection_has(req, "keep-alive") && !conn_connection_has(req, "close");
    return !conn_connection_has(req, "close");
}

static void
conn_client_ip(conn_t *c)
{
    conn_ctx_t *x = c->ctx;

    if (!x->client_ip[0])
        conn_peer_text(c, x->client_ip, sizeof(x->client_ip));
}

void
conn_peer_text(const conn_t *c, char *buf, size_t size)
{
    if (c->peer.sa.sa_family == AF_INET6) {
        const struct in6_addr *a = &c->peer.sin6.sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)size);
        else
            inet_ntop(AF_INET6, a, buf, (socklen_t)size);
    } else {
        inet_ntop(AF_INET, &c->peer.sin.sin_addr, buf, (socklen_t)size);
    }
}

/* Close now, or hand the socket to the listener for a lingering close. */
static void
conn_end(conn_t *c, int unread_input)
{
    if (!unread_input || shutdown(c->fd, SHUT_WR) < 0) {
        conn_close(c);
        return;
    }
    conn_ctx_put(c->child, c->ctx);
    c->ctx = NULL;
    c->state = CONN_LINGER;
    listener_park(c);
}

/* Park for more input: keep the context only if part of a request is buffered. */
static void
conn_park_read(conn_t *c)
{
    conn_ctx_t *x = c->ctx;

    /* Nothing buffered and no body under way: the context goes back, idle connections
     * keep none. */
    int idle = x->len == x->pos && x->body_mode == CONN_BODY_NONE;

    c->state = idle && c->requests > 0 ? CONN_KEEPALIVE : CONN_READ;
    if (idle) {
        conn_ctx_put(c->child, x);
        c->ctx = NULL;
    }
    listener_park(c);
}

/* After a response is sent (or abandoned): log, count, and step past the request. */
static void
conn_finish_request(conn_t *c, int widx)
{
    conn_ctx_t *x = c->ctx;

    reqlog_request_done(c, widx);
    c->requests++;
    /* The site that answered sets the keep-alive wait (Apache: the request's server),
     * and the next request is nobody's until its head is read: a 408 for it goes to
     * the Listen's default site. */
    c->keepalive_queue = x->site ? x->site->keepalive_queue : c->group->dflt->keepalive_queue;
    x->site = NULL;
    x->pos += x->head_len;
    x->head_len = 0;
    http_parse_state_init(&x->pst);
    /* A pipelined head already (partly) here starts its read deadline now. */
    x->head_start = x->len > x->pos ? apr_time_now() : 0;
    x->linger = 0;
    if (x->body_mode != CONN_BODY_NONE) {
        x->body_start = apr_time_now();
        x->body_bytes = (apr_off_t)(x->len - x->pos);
        x->head_start = 0;
    }
    response_reset(&x->resp);
    x->in_error_document = 0;
    apr_pool_clear(x->preq);
}

enum { DISCARD_DONE, DISCARD_PARK, DISCARD_CLOSE };

/* Read and drop the body of the request just answered, so that its bytes can never be
 * taken for the next request; bounded by LimitRequestBody and RequestReadTimeout body=.
 * The response is already out: any failure simply closes. */
static int
conn_discard_body(conn_t *c)
{
    conn_ctx_t *x = c->ctx;
    const ev_config_t *conf = c->child->conf;
    chunked_limits_t lim = { conf->limit_request_body, (unsigned)conf->limit_request_field_size,
                             (unsigned)conf->limit_request_fields };

    for (;;) {
        size_t avail = x->len - x->pos, used, data;
        int st;
        ssize_t n;

        if (x->body_mode == CONN_BODY_LENGTH) {
            used = (apr_off_t)avail < x->body_left ? avail : (size_t)x->body_left;
            x->pos += used;
            x->body_left -= (apr_off_t)used;
            if (x->body_left == 0)
                break;
        } else if (avail > 0) {
            int r = chunked_decode(&x->chunk, x->buf + x->pos, avail, &lim, &used, &data, &st);
            x->pos += used;
            if (r == EV_CHUNKED_ERROR)
                return DISCARD_CLOSE;
            if (r == EV_CHUNKED_DONE)
                break;
        }
        x->pos = x->len = 0; /* everything buffered was body */
        n = recv(c->fd, x->buf, x->size, 0);
        if (n > 0) {
            x->len = (size_t)n;
            x->body_bytes += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return conn_within(&conf->body_timeout, x->body_start, x->body_bytes) ? DISCARD_PARK
                                                                                  : DISCARD_CLOSE;
        return DISCARD_CLOSE;
    }
    x->body_mode = CONN_BODY_NONE;
    http_parse_state_init(&x->pst);
    x->head_start = x->len > x->pos ? apr_time_now() : 0;
    return DISCARD_DONE;
}

/* Write what is pending; returns 1 when the connection goes on in this worker. */
static int
conn_write(conn_t *c, int widx)
{
    conn_ctx_t *x = c->ctx;
    int keepalive, linger;

    switch (response_send(&x->resp, c->fd)) {
    case RESP_AGAIN:
        c->state = CONN_WRITE;
        listener_park(c);
        return 0;
    case RESP_ERROR:
        x->resp.keepalive = 0;
        conn_finish_request(c, widx);
        conn_close(c);
        return 0;
    case RESP_DONE:
        break;
    }
    keepalive = x->resp.keepalive;
    linger = x->linger || x->body_mode != CONN_BODY_NONE;
    conn_finish_request(c, widx);
    if (!keepalive) {
        conn_end(c, linger || x->len > x->pos);
        return 0;
    }
    return 1;
}

void
conn_process(conn_t *c, int widx)
{
    conn_ctx_t *x = c->ctx;

    conn_client_ip(c);
    if (c->state == CONN_WRITE) {
        worker_set_state(c->child, widx, SB_WRITE);
        if (!conn_write(c, widx))
            return;
    }
    for (;;) {
        int status = 0;

        worker_set_state(c->child, widx, SB_READ);
        if (x->body_mode != CONN_BODY_NONE) {
            switch (conn_discard_body(c)) {
            case DISCARD_PARK:
                conn_park_read(c);
                return;
            case DISCARD_CLOSE:
                conn_close(c);
                return;
            default:
                break;
            }
        }
        switch (conn_read_head(c, &status)) {
        case RD_PARK:
            conn_park_read(c);
            return;
        case RD_CLOSE:
            conn_close(c);
            return;
        case RD_BAD:
            /* Past a parse error nothing in req is reliable. */
            memset(&x->req, 0, sizeof(x->req));
            x->head_len = x->len - x->pos; /* nothing after a bad head can be trusted */
            x->resp.keepalive = 0;
            x->linger = 1;
            x->req_start = apr_time_now();
            x->site = c->group->dflt;
            x->loc = NULL;
            reqlog_request_begin(c, widx, 1);
            handler_error(c, status, NULL);
            break;
        case RD_REQUEST:
            x->req_start = apr_time_now();
            x->resp.keepalive = conn_wants_keepalive(c);
            x->site = c->group->dflt; /* until handler_serve reads the host */
            x->loc = NULL;
            reqlog_request_begin(c, widx, 0);
            status = conn_check_framing(c);
            if (status) {
                /* After a framing error the rest of the stream cannot be trusted. */
                x->body_mode = CONN_BODY_NONE;
                x->resp.keepalive = 0;
                x->linger = 1;
                handler_error(c, status, NULL);
            } else
                handler_serve(c);
            break;
        }
        worker_set_state(c->child, widx, SB_WRITE);
        if (!conn_write(c, widx))
            return;
        /* Only a pipelined request already read is served at once. Otherwise the
         * connection goes back to the listener, as in Apache's event MPM, rather than
         * trying a read: a client waiting for this response has sent nothing yet, and
         * a fast one that has gets served again and again by this worker while the
         * connections behind it wait (measured, one CPU, wrk -c50, 1 KiB: 177k req/s
         * and p99 0.46 ms this way, 169k and 0.79 ms with the read). */
        if (x->len == x->pos && x->body_mode == CONN_BODY_NONE) {
            conn_park_read(c);
            return;
        }
    }
}
