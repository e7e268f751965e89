/*
 * http_response.c — building response heads.
 *
 * Who: worker threads. The Date value is cached per thread and second
 * (http_date_now); the head is assembled in one pass into one allocation from the
 * per-request pool, so it goes out in a single writev with the body.
 *
 * A site (or <Location>) with Header directives or active ExpiresByType rules takes a
 * second path: its fields become a list that mod_expires' and mod_headers' rules
 * edit, then are written out. Sites without them never pay for it: one test per
 * response.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "child.h"
#include "expires.h"
#include "header_action.h"
#include "http_date.h"
#include "http_response.h"

const char *
http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 300:
        return "Multiple Choices";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 305:
        return "Use Proxy";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* Append `len` bytes; the caller sized the buffer. */
static char *
http_put(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}

/* Append a non-negative decimal number. */
static char *
http_put_num(char *p, unsigned long long v)
{
    char tmp[24];
    size_t n = 0;

    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = tmp[--n];
    return p;
}

#define HTTP_PUT_LIT(p, lit) http_put((p), (lit), sizeof(lit) - 1)

/* The value of field `name` in list h, or NULL. */
static const char *
http_field_value(const apr_array_header_t *h, const char *name)
{
    int i;

    for (i = 0; i < h->nelts; i++)
        if (strcasecmp(APR_ARRAY_IDX(h, i, header_field_t).name, name) == 0)
            return APR_ARRAY_IDX(h, i, header_field_t).value;
    return NULL;
}

/* mod_expires: for a successful response whose type has a rule, max-age joins
 * Cache-Control and Expires is set, both counted from now. */
static void
http_apply_expires(conn_t *c, int status, apr_array_header_t *h)
{
    conn_ctx_t *x = c->ctx;
    const char *type = http_field_value(h, "Content-Type"), *cc;
    const expires_rule_t *r;
    header_action_t set[2];
    apr_array_header_t acts = { .pool = x->preq,
                                .elt_size = sizeof(header_action_t),
                                .nelts = 2,
                                .nalloc = 2,
                                .elts = (char *)set };
    char date[EV_HTTP_DATE_LEN];

    if ((status >= 300 && status != 304) || type == NULL ||
        (r = expires_rule_find(x->site->expires, type)) == NULL)
        return;
    http_date_format(apr_time_now() + apr_time_from_sec(r->seconds), date);
    cc = http_field_value(h, "Cache-Control");
    set[0] =
        (header_action_t){ 0, HEADER_ACTION_SET, "Cache-Control",
                           cc ? apr_psprintf(x->preq, "%s, max-age=%" APR_INT64_T_FMT, cc,
                                             r->seconds)
                              : apr_psprintf(x->preq, "max-age=%" APR_INT64_T_FMT, r->seconds) };
    set[1] = (header_action_t){ 0, HEADER_ACTION_SET, "Expires", apr_pstrdup(x->preq, date) };
    header_actions_apply(&acts, h, 0, x->preq);
}

/* The head of a site with Header or ExpiresByType: Server and the handler's fields
 * (`extra`, "Name: value\r\n" lines) as a list, edited, then written out with the
 * fields the server keeps for itself (Date, Content-Length, Connection, Keep-Alive). */
static const char *
http_edited_fields(conn_t *c, int status, const char *extra, size_t *len)
{
    conn_ctx_t *x = c->ctx;
    apr_array_header_t *h = apr_array_make(x->preq, 8, sizeof(header_field_t));
    const char *line = extra, *colon, *end;
    char *out, *p;
    size_t cap = 0;
    int i;

    APR_ARRAY_PUSH(h, header_field_t) = (header_field_t){ "Server", c->child->server_header };
    while (line && *line && (end = strstr(line, "\r\n")) != NULL) {
        colon = memchr(line, ':', (size_t)(end - line));
        if (colon != NULL) {
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            APR_ARRAY_PUSH(h, header_field_t) =
                (header_field_t){ apr_pstrmemdup(x->preq, line, (apr_size_t)(colon - line)),
                                  apr_pstrmemdup(x->preq, v, (apr_size_t)(end - v)) };
        }
        line = end + 2;
    }
    if (x->site->expires_active)
        http_apply_expires(c, status, h);
    header_actions_apply(x->loc ? x->loc->headers : x->site->headers, h,
                         status >= 300 && status != 304, x->preq);
    for (i = 0; i < h->nelts; i++)
        cap += strlen(APR_ARRAY_IDX(h, i, header_field_t).name) +
               strlen(APR_ARRAY_IDX(h, i, header_field_t).value) + 4;
    p = out = apr_palloc(x->preq, cap + 1);
    for (i = 0; i < h->nelts; i++) {
        const header_field_t *f = &APR_ARRAY_IDX(h, i, header_field_t);
        p = http_put(p, f->name, strlen(f->name));
        p = HTTP_PUT_LIT(p, ": ");
        p = http_put(p, f->value, strlen(f->value));
        p = HTTP_PUT_LIT(p, "\r\n");
    }
    *p = '\0';
    *len = (size_t)(p - out);
    return out;
}

int
http_response_head(conn_t *c, int status, const char *extra, apr_off_t content_length)
{
    conn_ctx_t *x = c->ctx;
    /* a head is built only once a site is chosen; the default keeps this total */
    const ev_site_t *site = x->site ? x->site : c->group->dflt;
    const char *reason = http_reason(status), *server = c->child->server_header;
    size_t extra_len = extra ? strlen(extra) : 0, server_len = strlen(server), edited_len = 0;
    const char *edited = NULL;
    size_t cap;

    if (x->site != NULL && ((x->loc ? x->loc->headers : x->site->headers)->nelts > 0 ||
                            (x->site->expires_active && x->site->expires->nelts > 0)))
        edited = http_edited_fields(c, status, extra, &edited_len);
    /* Fixed text and numbers below fit in 200 bytes. */
    cap = 200 + strlen(reason) + server_len + EV_HTTP_DATE_LEN + extra_len + edited_len;
    char *h = apr_palloc(x->preq, cap), *p;
    size_t n;

    if (h == NULL)
        return -1;
    /* Built with copies rather than snprintf: this runs for every response. */
    p = HTTP_PUT_LIT(h, "HTTP/1.1 ");
    p = http_put_num(p, (unsigned)status);
    *p++ = ' ';
    p = http_put(p, reason, strlen(reason));
    p = HTTP_PUT_LIT(p, "\r\nDate: ");
    http_date_now(p);
    p += EV_HTTP_DATE_LEN - 1;
    if (edited != NULL) {
        p = HTTP_PUT_LIT(p, "\r\n");
        p = http_put(p, edited, edited_len);
    } else {
        p = HTTP_PUT_LIT(p, "\r\nServer: ");
        p = http_put(p, server, server_len);
        p = HTTP_PUT_LIT(p, "\r\n");
        if (extra_len)
            p = http_put(p, extra, extra_len);
    }
    if (content_length >= 0) {
        p = HTTP_PUT_LIT(p, "Content-Length: ");
        p = http_put_num(p, (unsigned long long)content_length);
        p = HTTP_PUT_LIT(p, "\r\n");
    }
    if (!x->resp.keepalive) {
        p = HTTP_PUT_LIT(p, "Connection: close\r\n");
    } else if (x->req.version == 10) {
        p = HTTP_PUT_LIT(p, "Connection: keep-alive\r\nKeep-Alive: timeout=");
        p = http_put_num(p, (unsigned long long)apr_time_sec(site->keepalive_timeout));
        p = HTTP_PUT_LIT(p, "\r\n");
    }
    p = HTTP_PUT_LIT(p, "\r\n");
    n = (size_t)(p - h);
    x->resp.status = status;
    x->resp.head_len = n;
    /* The head must be the first segment: move any body segments up. */
    if (response_add_mem(&x->resp, h, n, x->preq) < 0)
        return -1;
    if (x->resp.nsegs > 1) {
        resp_seg_t head = x->resp.segs[x->resp.nsegs - 1];
        memmove(&x->resp.segs[1], &x->resp.segs[0],
                sizeof(resp_seg_t) * (size_t)(x->resp.nsegs - 1));
        x->resp.segs[0] = head;
    }
    return 0;
}
