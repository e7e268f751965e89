/*
 * http_date.c — HTTP-date formatting (with a per-thread cache of the current second)
 * and parsing.
 *
 * Who: any thread; workers call http_date_now for every response's Date field.
 * Owns: one thread-local cache entry per thread (the last second formatted and its
 * string). Nothing is shared between threads, so there are no locks or atomics; a
 * thread that formats a new second pays one apr_rfc822_date call, every other call in
 * that second is a 29-byte copy. Shutdown: nothing to release.
 * Formatting and parsing are delegated to APR / apr-util, which already implement the
 * fixed-width IMF-fixdate and the three accepted input forms.
 */
#include <string.h>
#include <time.h>

#include <apr_date.h>
#include <apr_time.h>

#include "http_date.h"

/* The largest instant with a four-digit year: 9999-12-31T23:59:59Z. */
#define HTTP_DATE_MAX_SEC INT64_C(253402300799)

/* Longest input worth handing to the parser; real dates are under 35 bytes. */
#define HTTP_DATE_MAX_INPUT 64

static _Thread_local struct {
    time_t sec;                  /* the second `text` holds, or -1 before first use */
    char text[EV_HTTP_DATE_LEN]; /* IMF-fixdate of `sec` */
} http_date_cache = { -1, "" };

void
http_date_format(apr_time_t t, char out[EV_HTTP_DATE_LEN])
{
    apr_time_t sec = apr_time_sec(t);

    if (sec < 0)
        sec = 0;
    else if (sec > HTTP_DATE_MAX_SEC)
        sec = HTTP_DATE_MAX_SEC;
    /* Only fails when gmtime cannot represent the time, which the clamp rules out. */
    if (apr_rfc822_date(out, apr_time_from_sec(sec)) != APR_SUCCESS)
        apr_rfc822_date(out, 0);
}

apr_time_t
http_date_now(char out[EV_HTTP_DATE_LEN])
{
    time_t now = time(NULL);

    if (now != http_date_cache.sec) {
        http_date_format(apr_time_from_sec(now), http_date_cache.text);
        http_date_cache.sec = now;
    }
    memcpy(out, http_date_cache.text, EV_HTTP_DATE_LEN);
    return apr_time_from_sec(now);
}

static int
http_date_is_ws(char c)
{
    return c == ' ' || c == '\t';
}

apr_time_t
http_date_parse(ev_slice_t v)
{
    char buf[HTTP_DATE_MAX_INPUT];
    const char *p = v.p;
    size_t len = v.len;

    while (len > 0 && http_date_is_ws(*p)) {
        p++;
        len--;
    }
    while (len > 0 && http_date_is_ws(p[len - 1]))
        len--;
    if (len == 0 || len >= sizeof(buf) || memchr(p, '\0', len) != NULL)
        return APR_DATE_BAD;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return apr_date_parse_http(buf);
}
