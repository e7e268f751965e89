/*
 * handler.c — what a request gets: method and target checks, its <Location> (Require,
 * SetHandler), OPTIONS, error pages; the status page is status.c's and files are
 * static.c's.
 *
 * Who: worker threads, on the connection they own; allocation from the per-request
 * pool only.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "handler.h"
#include "health.h"
#include "http_path.h"
#include "http_response.h"
#include "location.h"
#include "location_match.h"
#include "log.h"
#include "static.h"
#include "status.h"

#define ALLOW_STATIC "Allow: GET, HEAD, OPTIONS\r\n"

/* Whether the client may have the local ErrorDocument at `path` (normalized): a
 * <Location> that refuses it the page refuses it the document too, as Apache's
 * internal redirect checks access again. */
static int
handler_document_granted(const conn_t *c, const char *path)
{
    const ev_site_t *s = c->ctx->site;
    const ev_location_t *l;

    if (s->location_table == NULL ||
        (l = location_table_lookup(s->location_table, path, strlen(path))) == NULL)
        return 1;
    return l->require == NULL || location_require_granted(l->require, &c->peer.sa);
}

/* ErrorDocument: the site's own answer for `status`, if it has one and the request was
 * read well enough to be trusted with it; 1 when it answered. */
static int
handler_error_document(conn_t *c, int status, const char *extra_header)
{
    conn_ctx_t *x = c->ctx;
    const ev_errordoc_t *d = NULL;
    const apr_array_header_t *docs;
    int i, keepalive = x->resp.keepalive;
    apr_off_t len;

    if (x->site == NULL || x->in_error_document || x->req.line.len == 0)
        return 0;
    docs = x->loc ? x->loc->error_documents : x->site->error_documents;
    for (i = 0; i < docs->nelts && d == NULL; i++)
        if (APR_ARRAY_IDX(docs, i, ev_errordoc_t).status == status)
            d = &APR_ARRAY_IDX(docs, i, ev_errordoc_t);
    if (d == NULL || (d->kind == EV_ERRDOC_LOCAL && !handler_document_granted(c, d->arg)))
        return 0;
    x->in_error_document = 1; /* a missing document answers with the built-in page */
    response_reset(&x->resp);
    x->resp.keepalive = keepalive;
    switch (d->kind) {
    case EV_ERRDOC_URL: /* Apache answers a remote ErrorDocument with a redirect */
        handler_error(c, 302, apr_pstrcat(x->preq, "Location: ", d->arg, "\r\n", NULL));
        return 1;
    case EV_ERRDOC_TEXT:
        len = (apr_off_t)strlen(d->arg);
        if (x->req.method_id != EV_M_HEAD)
            response_add_mem(&x->resp, d->arg, len, x->preq);
        http_response_head(c, status,
                           apr_pstrcat(x->preq, "Content-Type: text/html; charset=utf-8\r\n",
                                       extra_header ? extra_header : "", NULL),
                           len);
        return 1;
    default:
        return static_serve_document(c, status, d->arg, extra_header);
    }
}

void
handler_error(conn_t *c, int status, const char *extra_header)
{
    conn_ctx_t *x = c->ctx;

    if (status >= 400 && handler_error_document(c, status, extra_header))
        return;
    const char *reason = http_reason(status);
    const char *detail;
    char *body;
    size_t len;

    switch (status) {
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
        detail = "The document has moved to the URL in the Location field.";
        break;
    case 410:
        detail = "The requested resource is no longer available on this server and there is "
                 "no forwarding address.";
        break;
    case 400:
        detail = "Your browser sent a request that this server could not understand.";
        break;
    case 403:
        detail = "You don't have permission to access this resource.";
        break;
    case 404:
        detail = "The requested URL was not found on this server.";
        break;
    case 405:
        detail = "The requested method is not allowed for this URL.";
        break;
    case 408:
        detail = "The server timed out waiting for the request.";
        break;
    case 412:
        detail = "A precondition of the request failed.";
        break;
    case 413:
        detail = "The request body is larger than this server accepts.";
        break;
    case 414:
        detail = "The requested URL is longer than this server accepts.";
        break;
    case 431:
        detail = "The request's header fields are larger than this server accepts.";
        break;
    case 501:
        detail = "The request method or transfer coding is not implemented.";
        break;
    case 505:
        detail = "This server speaks HTTP/1.0 and HTTP/1.1 only.";
        break;
    default:
        detail = "The server could not complete the request.";
        break;
    }
    int keepalive = x->resp.keepalive;

    response_reset(&x->resp);
    x->resp.keepalive = keepalive;
    body = apr_psprintf(x->preq,
                        "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
                        "<body><h1>%s</h1>\n<p>%s</p>\n</body></html>\n",
                        status, reason, reason, detail);
    len = strlen(body);
    if (x->req.method_id != EV_M_HEAD)
        response_add_mem(&x->resp, body, (apr_off_t)len, x->preq);
    http_response_head(c, status,
                       apr_pstrcat(x->preq, "Content-Type: text/html; charset=utf-8\r\n",
                                   extra_header ? extra_header : "", NULL),
                       (apr_off_t)len);
}

/* The path part of an absolute-form target ("http://host/p?q" -> "/p?q"), and its
 * authority in *host, which wins over Host (RFC 9112 section 3.2.2); *host is left
 * alone for origin-form. Returns 0 or a status. */
static int
handler_origin_form(const ev_slice_t *t, ev_slice_t *out, ev_slice_t *host, apr_pool_t *p)
{
    size_t i, start;

    if (t->len > 0 && t->p[0] == '/') {
        *out = *t;
        return 0;
    }
    if (t->len >= 7 && strncasecmp(t->p, "http://", 7) == 0)
        start = 7;
    else if (t->len >= 8 && strncasecmp(t->p, "https://", 8) == 0)
        start = 8;
    else
        return 400;
    for (i = start; i < t->len && t->p[i] != '/' && t->p[i] != '?'; i++)
        ;
    if (i == start || !http_host_valid((ev_slice_t){ t->p + start, i - start }))
        return 400;
    *host = (ev_slice_t){ t->p + start, i - start };
    if (i == t->len || t->p[i] == '?') {
        /* "http://host" or "http://host?q": the path is "/" */
        char *o = apr_palloc(p, t->len - i + 2);
        o[0] = '/';
        memcpy(o + 1, t->p + i, t->len - i);
        *out = (ev_slice_t){ o, t->len - i + 1 };
        return 0;
    }
    *out = (ev_slice_t){ t->p + i, t->len - i };
    return 0;
}

/* <Location>: the settings for the request's path (x->loc). Answers, returning 1, when
 * Require refuses the client or the section's handler is not files'. */
static int
handler_location(conn_t *c, ev_slice_t target)
{
    conn_ctx_t *x = c->ctx;
    size_t n, cap = target.len + 2;
    char *path = apr_palloc(x->preq, cap);

    if (http_path_normalize(target.p, target.len, path, cap, &n) != 0)
        return 0;   /* static_serve answers it with the status the path deserves */
    x->path = path; /* static_serve's too: normalized once */
    x->path_len = n;
    if ((x->loc = location_table_lookup(x->site->location_table, path, n)) == NULL)
        return 0;
    if (x->loc->require != NULL && !location_require_granted(x->loc->require, &c->peer.sa)) {
        /* the target as sent: the parser admits visible ASCII only, the decoded path
         * could put a line break into the log */
        log_request(c, EV_LOG_ERR, 0, "EVH00801",
                    "client denied by server configuration: %.*s (<Location %s> of %s)",
                    (int)x->req.target.len, x->req.target.p, x->loc->prefix, x->loc->where);
        handler_error(c, 403, NULL);
        return 1;
    }
    switch (x->loc->handler) {
    case EV_HANDLER_STATUS:
        status_serve(c, target, 1);
        return 1;
    case EV_HANDLER_HEALTH:
        health_serve(c);
        return 1;
    default:
        return 0;
    }
}

static void
handler_options(conn_t *c)
{
    http_response_head(c, 200, ALLOW_STATIC, 0);
}

void
handler_serve(conn_t *c)
{
    conn_ctx_t *x = c->ctx;
    const http_request_t *req = &x->req;
    ev_slice_t target, host = { NULL, 0 };
    const http_field_t *hf;
    int st;

    if (req->target.len == 1 && req->target.p[0] == '*') {
        if (req->method_id == EV_M_OPTIONS)
            handler_options(c);
        else
            handler_error(c, 400, NULL);
        return;
    }
    if ((hf = http_field_find(req, "Host")) != NULL)
        host = hf->value;
    st = handler_origin_form(&req->target, &target, &host, x->preq);
    if (st) {
        handler_error(c, st, NULL);
        return;
    }
    x->site = site_select(c->group, host.p, host.len);
    x->loc = NULL;
    x->path = NULL;
    if (x->site->location_table != NULL && handler_location(c, target))
        return;
    /* Before files, so no file can shadow them; they answer every method themselves. */
    if (status_wants(c, target)) {
        status_serve(c, target, 0);
        return;
    }
    if (health_wants(c, target)) {
        health_serve(c);
        return;
    }
    switch (req->method_id) {
    case EV_M_GET:
    case EV_M_HEAD:
        static_serve(c, target);
        return;
    case EV_M_OPTIONS:
        handler_options(c);
        return;
    case EV_M_POST:
    case EV_M_PUT:
    case EV_M_DELETE:
    case EV_M_PATCH:
    case EV_M_TRACE:
        handler_error(c, 405, ALLOW_STATIC);
        return;
    default:
        handler_error(c, 501, NULL);
        return;
    }
}
