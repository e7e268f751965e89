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
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
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

int
http_response_head(conn_t *c, int status, const char *extra, apr_off_t content_length)
{
    conn_ctx_t *x = c->ctx;
    const ev_config_t *conf = c->child->conf;
    char date[EV_HTTP_DATE_LEN];
    size_t extra_len = extra ? strlen(extra) : 0;
    size_t cap = 256 + extra_len;
    char *h = apr_palloc(x->preq, cap);
    int n;

    if (h == NULL)
        return -1;
    http_date_now(date);
    n = snprintf(h, cap, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n", status,
                 http_reason(status), date, c->child->server_header);
    if (extra_len) {
        memcpy(h + n, extra, extra_len);
        n += (int)extra_len;
    }
    if (content_length >= 0)
        n +=
            snprintf(h + n, cap - (size_t)n, "Content-Length: %lld\r\n", (long long)content_length);
    if (!x->resp.keepalive)
        n += snprintf(h + n, cap - (size_t)n, "Connection: close\r\n");
    else if (x->req.version == 10)
        n += snprintf(h + n, cap - (size_t)n,
                      "Connection: keep-alive\r\nKeep-Alive: timeout=%lld\r\n",
                      (long long)apr_time_sec(conf->keepalive_timeout));
    n += snprintf(h + n, cap - (size_t)n, "\r\n");
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
