/*
 * http_response.c — building response heads.
 *
 * Who: worker threads. The Date value is cached per thread and second
 * (http_date_now); the head is assembled in one pass into one allocation from the
 * per-request pool, so it goes out in a single writev with the body.
 */
#include <stdio.h>
#include <string.h>

#include "child.h"
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

int
http_response_head(conn_t *c, int status, const char *extra, apr_off_t content_length)
{
    conn_ctx_t *x = c->ctx;
    const ev_config_t *conf = c->child->conf;
    const char *reason = http_reason(status), *server = c->child->server_header;
    size_t extra_len = extra ? strlen(extra) : 0, server_len = strlen(server);
    /* Fixed text and numbers below fit in 200 bytes. */
    size_t cap = 200 + strlen(reason) + server_len + EV_HTTP_DATE_LEN + extra_len;
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
    p = HTTP_PUT_LIT(p, "\r\nServer: ");
    p = http_put(p, server, server_len);
    p = HTTP_PUT_LIT(p, "\r\n");
    if (extra_len)
        p = http_put(p, extra, extra_len);
    if (content_length >= 0) {
        p = HTTP_PUT_LIT(p, "Content-Length: ");
        p = http_put_num(p, (unsigned long long)content_length);
        p = HTTP_PUT_LIT(p, "\r\n");
    }
    if (!x->resp.keepalive) {
        p = HTTP_PUT_LIT(p, "Connection: close\r\n");
    } else if (x->req.version == 10) {
        p = HTTP_PUT_LIT(p, "Connection: keep-alive\r\nKeep-Alive: timeout=");
        p = http_put_num(p, (unsigned long long)apr_time_sec(conf->keepalive_timeout));
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
