/*
 * http_parse.c — the HTTP/1.1 request-head parser and its field helpers.
 *
 * Runs in worker threads, on the connection's input buffer; owns nothing, keeps no
 * state outside its arguments, takes no locks. The policy is in http_parse.h.
 *
 * Shape: picohttpparser's. Each line is read by tight loops over one 256-entry class
 * table, bounded by both the buffer's end and the line's limit, and the byte that stops
 * a loop decides: the buffer ended (incomplete), the limit was passed (414/431), the
 * line ended (CR or LF), or the byte is the expected delimiter or else malformed (400).
 * Deciding per stopping byte is what answers garbage and over-long lines at once
 * instead of waiting for a LF that may never come.
 *
 * Resumption happens only at line starts: a line is accepted whole or not at all, so
 * the state is an offset and two counters, and a call re-reads at most one line.
 */
#include <limits.h>
#include <string.h>

#include "http_parse.h"

typedef unsigned char uchar;

/* Byte classes, one bit each in http_parse_class. */
#define EV_C_TCHAR  0x01 /* tchar, RFC 9110 5.6.2 */
#define EV_C_VALUE  0x02 /* field-vchar, obs-text, SP, HTAB: RFC 9110 5.5 */
#define EV_C_TARGET 0x04 /* request-target byte: VCHAR except '#' */
#define EV_C_HOST   0x08 /* reg-name byte besides pct-encoded: unreserved, sub-delims */

/* Rows of 16; the short names are the class sets that occur. */
#define XX 0
#define WS EV_C_VALUE                                          /* HTAB, SP, obs-text */
#define DL (EV_C_VALUE | EV_C_TARGET)                          /* delimiter */
#define DH (EV_C_VALUE | EV_C_TARGET | EV_C_HOST)              /* sub-delim, not tchar */
#define TK (EV_C_TCHAR | EV_C_VALUE | EV_C_TARGET | EV_C_HOST) /* token, host byte */
#define TN (EV_C_TCHAR | EV_C_VALUE | EV_C_TARGET)             /* token, not host */
#define TH (EV_C_TCHAR | EV_C_VALUE)                           /* '#' */
static const uchar http_parse_class[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, WS, XX, XX, XX, XX, XX, XX, /* 0x00 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x10 */
    WS, TK, DL, TH, TK, TN, TK, TK, DH, DH, TK, TK, DH, TK, TK, DL, /* 0x20  !"#$%&'()*+,-./ */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, DL, DH, DL, DH, DL, DL, /* 0x30 0-9 :;<=>? */
    DL, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x40 @A-O */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, DL, DL, DL, TN, TK, /* 0x50 P-Z [\]^_ */
    TN, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x60 `a-o */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, DL, TN, DL, TK, XX, /* 0x70 p-z {|}~ DEL */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0x80 obs-text */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0x90 */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0xA0 */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0xB0 */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0xC0 */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0xD0 */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0xE0 */
    WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, WS, /* 0xF0 */
};
#undef XX
#undef WS
#undef DL
#undef DH
#undef TK
#undef TN
#undef TH

/* What stopped a scan of a line that began at `start` and may hold `max` bytes. */
enum { EV_AT_BYTE, EV_AT_EOL, EV_AT_END, EV_AT_OVER };

static int
http_parse_at(const uchar *p, const uchar *start, const uchar *end, size_t max)
{
    if (p == end)
        return EV_AT_END;
    if (*p == '\r' || *p == '\n')
        return EV_AT_EOL;
    if ((size_t)(p - start) >= max)
        return EV_AT_OVER;
    return EV_AT_BYTE;
}

/* Where scans of a line stop: its limit or the buffer's end, whichever comes first. */
static const uchar *
http_parse_stop(const uchar *start, const uchar *end, size_t max)
{
    return (size_t)(end - start) > max ? start + max : end;
}

static int
http_parse_fail(int *status, int code)
{
    *status = code;
    return EV_PARSE_INVALID;
}

/* The answer when a scan stopped somewhere other than where the grammar continues. */
static int
http_parse_stopped(int at, int over_status, int *status)
{
    if (at == EV_AT_END)
        return EV_PARSE_INCOMPLETE;
    return http_parse_fail(status, at == EV_AT_OVER ? over_status : 400);
}

/* p is at a CR or LF: the start of the next line in *next, or a failure. */
static int
http_parse_eol(const uchar *p, const uchar *end, const uchar **next, int *status)
{
    if (*p == '\n') {
        *next = p + 1;
        return 0;
    }
    if (p + 1 == end)
        return EV_PARSE_INCOMPLETE;
    if (p[1] != '\n')
        return http_parse_fail(status, 400);
    *next = p + 2;
    return 0;
}

static size_t
http_parse_limit(int v)
{
    return v > 0 ? (size_t)v : 0;
}

static http_method_t
http_parse_method_id(const uchar *m, size_t n)
{
    static const struct {
        const char *name;
        size_t len;
        http_method_t id;
    } known[] = {
        { "GET", 3, EV_M_GET },     { "HEAD", 4, EV_M_HEAD },     { "POST", 4, EV_M_POST },
        { "PUT", 3, EV_M_PUT },     { "DELETE", 6, EV_M_DELETE }, { "OPTIONS", 7, EV_M_OPTIONS },
        { "TRACE", 5, EV_M_TRACE }, { "PATCH", 5, EV_M_PATCH },   { "CONNECT", 7, EV_M_CONNECT },
    };
    size_t i;

    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i].len == n && memcmp(known[i].name, m, n) == 0)
            return known[i].id;
    return EV_M_OTHER;
}

/* The 8 bytes after the target's SP must be "HTTP/" DIGIT "." DIGIT, then the line end. */
static int
http_parse_version(const uchar **pp, const uchar *start, const uchar *end, size_t max, int *status)
{
    static const char shape[] = "HTTP/9.9";
    const uchar *p = *pp;
    int at;
    size_t i;

    for (i = 0; i < sizeof(shape) - 1; i++, p++) {
        at = http_parse_at(p, start, end, max);
        if (at != EV_AT_BYTE)
            return http_parse_stopped(at, 414, status);
        if (shape[i] == '9' ? (*p < '0' || *p > '9') : *p != (uchar)shape[i])
            return http_parse_fail(status, 400);
    }
    at = http_parse_at(p, start, end, max);
    if (at != EV_AT_EOL)
        return http_parse_stopped(at, 414, status);
    *pp = p;
    return 0;
}

/*
 * method SP request-target SP HTTP-version, from `start` (not a CR or LF), into *req.
 * On success *next is the start of the first field line.
 */
static int
http_parse_request_line(const uchar *start, const uchar *end, size_t max, http_request_t *req,
                        const uchar **next, int *status)
{
    const uchar *stop = http_parse_stop(start, end, max);
    const uchar *p = start;
    const uchar *target, *version;
    int at, rc;

    while (p < stop && (http_parse_class[*p] & EV_C_TCHAR))
        p++;
    at = http_parse_at(p, start, end, max);
    if (at != EV_AT_BYTE || *p != ' ' || p == start)
        return http_parse_stopped(at, 414, status);

    target = ++p;
    while (p < stop && (http_parse_class[*p] & EV_C_TARGET))
        p++;
    at = http_parse_at(p, start, end, max);
    if (at != EV_AT_BYTE || *p != ' ' || p == target)
        return http_parse_stopped(at, 414, status);

    version = ++p;
    rc = http_parse_version(&p, start, end, max, status);
    if (rc != 0)
        return rc;
    rc = http_parse_eol(p, end, next, status);
    if (rc != 0)
        return rc;

    req->line = (ev_slice_t){ (const char *)start, (size_t)(p - start) };
    req->method = (ev_slice_t){ (const char *)start, (size_t)(target - 1 - start) };
    req->method_id = http_parse_method_id(start, req->method.len);
    req->target = (ev_slice_t){ (const char *)target, (size_t)(version - 1 - target) };
    if (version[5] != '1')
        return http_parse_fail(status, 505);
    req->version = version[7] == '0' ? 10 : 11;
    return 0;
}

/* field-name ":" OWS field-value OWS, from `start` (not a CR, LF, SP or HTAB), into *f. */
static int
http_parse_field_line(const uchar *start, const uchar *end, size_t max, http_field_t *f,
                      const uchar **next, int *status)
{
    const uchar *stop = http_parse_stop(start, end, max);
    const uchar *p = start;
    const uchar *name_end, *value, *value_end;
    int at, rc;

    while (p < stop && (http_parse_class[*p] & EV_C_TCHAR))
        p++;
    at = http_parse_at(p, start, end, max);
    if (at != EV_AT_BYTE || *p != ':' || p == start)
        return http_parse_stopped(at, 431, status);
    name_end = p++;

    while (p < stop && (*p == ' ' || *p == '\t'))
        p++;
    value = p;
    while (p < stop && (http_parse_class[*p] & EV_C_VALUE))
        p++;
    at = http_parse_at(p, start, end, max);
    if (at != EV_AT_EOL)
        return http_parse_stopped(at, 431, status);
    rc = http_parse_eol(p, end, next, status);
    if (rc != 0)
        return rc;

    value_end = p;
    while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
        value_end--;
    f->name = (ev_slice_t){ (const char *)start, (size_t)(name_end - start) };
    f->value = (ev_slice_t){ (const char *)value, (size_t)(value_end - value) };
    return 0;
}

/* Skip the empty lines before the request line; returns 0 at its first byte. */
static int
http_parse_blank_lines(http_parse_state_t *st, const uchar *base, const uchar *end, int *status)
{
    const uchar *p = base + st->next;
    int rc;

    while (p < end && (*p == '\r' || *p == '\n')) {
        if (st->blank >= EV_HTTP_BLANK_LINES)
            return http_parse_fail(status, 400);
        rc = http_parse_eol(p, end, &p, status);
        if (rc != 0)
            return rc;
        st->blank++;
        st->next = (size_t)(p - base);
    }
    return p == end ? EV_PARSE_INCOMPLETE : 0;
}

/* The field lines and the empty line that ends the head. */
static int
http_parse_fields(http_parse_state_t *st, const uchar *base, const uchar *end,
                  const http_limits_t *limits, http_request_t *req, size_t max_fields, int *status)
{
    size_t max = http_parse_limit(limits->field);
    size_t nmax = http_parse_limit(limits->fields);
    const uchar *p = base + st->next;
    int rc;

    if (max_fields < nmax)
        nmax = max_fields;
    for (;;) {
        if (p == end)
            return EV_PARSE_INCOMPLETE;
        if (*p == '\r' || *p == '\n')
            break;
        /* obs-fold, or whitespace between the start-line and the first field */
        if (*p == ' ' || *p == '\t')
            return http_parse_fail(status, 400);
        if (req->nfields >= nmax)
            return http_parse_fail(status, 431);
        rc = http_parse_field_line(p, end, max, &req->fields[req->nfields], &p, status);
        if (rc != 0)
            return rc;
        req->nfields++;
        st->next = (size_t)(p - base);
    }
    rc = http_parse_eol(p, end, &p, status);
    if (rc != 0)
        return rc;
    if ((size_t)(p - base) > INT_MAX)
        return http_parse_fail(status, 431);
    st->next = (size_t)(p - base);
    st->phase = 2;
    return 0;
}

void
http_parse_state_init(http_parse_state_t *st)
{
    st->next = 0;
    st->blank = 0;
    st->phase = 0;
}

int
http_parse_request_resume(http_parse_state_t *st, const char *buf, size_t len,
                          const http_limits_t *limits, http_request_t *req, http_field_t *fields,
                          size_t max_fields, int *status)
{
    const uchar *base = (const uchar *)buf;
    const uchar *end = base + len;
    const uchar *next;
    int rc;

    if (st->phase == 0) {
        req->line = (ev_slice_t){ buf, 0 };
        req->fields = fields;
        req->nfields = 0;
        rc = http_parse_blank_lines(st, base, end, status);
        if (rc != 0)
            return rc;
        rc = http_parse_request_line(base + st->next, end, http_parse_limit(limits->line), req,
                                     &next, status);
        if (rc != 0)
            return rc;
        st->next = (size_t)(next - base);
        st->phase = 1;
    }
    if (st->phase == 1) {
        rc = http_parse_fields(st, base, end, limits, req, max_fields, status);
        if (rc != 0)
            return rc;
    }
    return (int)st->next;
}

int
http_parse_request(const char *buf, size_t len, const http_limits_t *limits, http_request_t *req,
                   http_field_t *fields, size_t max_fields, int *status)
{
    http_parse_state_t st;

    http_parse_state_init(&st);
    return http_parse_request_resume(&st, buf, len, limits, req, fields, max_fields, status);
}

/* ASCII only: tolower() would follow the locale. */
static int
http_parse_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
http_parse_equal_nocase(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (http_parse_lower((uchar)a[i]) != http_parse_lower((uchar)b[i]))
            return 0;
    return 1;
}

const http_field_t *
http_field_find(const http_request_t *req, const char *name)
{
    size_t n = strlen(name);
    size_t i;

    for (i = 0; i < req->nfields; i++)
        if (req->fields[i].name.len == n && http_parse_equal_nocase(req->fields[i].name.p, name, n))
            return &req->fields[i];
    return NULL;
}

size_t
http_field_count(const http_request_t *req, const char *name)
{
    size_t n = strlen(name);
    size_t i, count = 0;

    for (i = 0; i < req->nfields; i++)
        if (req->fields[i].name.len == n && http_parse_equal_nocase(req->fields[i].name.p, name, n))
            count++;
    return count;
}

int
http_token_list_has(ev_slice_t value, const char *token)
{
    size_t n = strlen(token);
    size_t i = 0, first, last;

    if (n == 0)
        return 0;
    while (i < value.len) {
        while (i < value.len && (value.p[i] == ' ' || value.p[i] == '\t'))
            i++;
        first = i;
        while (i < value.len && value.p[i] != ',')
            i++;
        last = i;
        while (last > first && (value.p[last - 1] == ' ' || value.p[last - 1] == '\t'))
            last--;
        if (last - first == n && http_parse_equal_nocase(value.p + first, token, n))
            return 1;
        i++;
    }
    return 0;
}

int
http_content_length(ev_slice_t value, int64_t *out)
{
    int64_t v = 0;
    size_t i;
    int d;

    if (value.len == 0)
        return -1;
    for (i = 0; i < value.len; i++) {
        if (value.p[i] < '0' || value.p[i] > '9')
            return -1;
        d = value.p[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int
http_host_hex(uchar c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
http_host_digit(uchar c)
{
    return c >= '0' && c <= '9';
}

/* dec-octet "." dec-octet "." dec-octet "." dec-octet; no leading zeros (RFC 3986 3.2.2). */
static int
http_host_ipv4(const uchar *s, size_t n)
{
    size_t i = 0, digits;
    int octet, part;

    for (part = 0; part < 4; part++) {
        if (part > 0) {
            if (i == n || s[i] != '.')
                return 0;
            i++;
        }
        octet = 0;
        for (digits = 0; i < n && http_host_digit(s[i]) && digits < 4; digits++, i++)
            octet = octet * 10 + (s[i] - '0');
        if (digits == 0 || digits > 3 || octet > 255 || (digits > 1 && s[i - digits] == '0'))
            return 0;
    }
    return i == n;
}

/*
 * IPv6address (RFC 3986 3.2.2): up to eight h16 groups separated by ':', one "::"
 * standing for at least one zero group, the last two groups possibly an IPv4 address.
 */
static int
http_host_ipv6(const uchar *s, size_t n)
{
    size_t i = 0, group, digits;
    int groups = 0, elided = 0;

    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        elided = 1;
        i = 2;
    }
    while (i < n) {
        group = i;
        for (digits = 0; i < n && http_host_hex(s[i]) && digits < 5; digits++)
            i++;
        if (i < n && s[i] == '.') {
            if (!http_host_ipv4(s + group, n - group))
                return 0;
            groups += 2;
            break;
        }
        if (digits == 0 || digits > 4)
            return 0;
        groups++;
        if (i == n)
            break;
        if (s[i] != ':' || ++i == n)
            return 0;
        if (s[i] == ':') {
            if (elided)
                return 0;
            elided = 1;
            i++;
        }
    }
    return elided ? groups <= 7 : groups == 8;
}

/* "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static int
http_host_ipvfuture(const uchar *s, size_t n)
{
    size_t i = 1;

    while (i < n && http_host_hex(s[i]))
        i++;
    if (i == 1 || i == n || s[i] != '.' || ++i == n)
        return 0;
    for (; i < n; i++)
        if (!(http_parse_class[s[i]] & EV_C_HOST) && s[i] != ':')
            return 0;
    return 1;
}

/* *( unreserved / pct-encoded / sub-delims ) */
static int
http_host_reg_name(const uchar *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (http_parse_class[s[i]] & EV_C_HOST)
            continue;
        if (s[i] != '%' || n - i < 3 || !http_host_hex(s[i + 1]) || !http_host_hex(s[i + 2]))
            return 0;
        i += 2;
    }
    return 1;
}

int
http_host_valid(ev_slice_t host)
{
    const uchar *s = (const uchar *)host.p;
    size_t n = host.len;
    size_t i, host_end;

    if (n == 0)
        return 1;
    if (s[0] == '[') {
        i = 1;
        while (i < n && s[i] != ']')
            i++;
        if (i == n || i == 1)
            return 0;
        if (s[1] == 'v' || s[1] == 'V' ? !http_host_ipvfuture(s + 1, i - 1)
                                       : !http_host_ipv6(s + 1, i - 1))
            return 0;
        host_end = i + 1;
    } else {
        i = 0;
        while (i < n && s[i] != ':')
            i++;
        if (i == 0 || !http_host_reg_name(s, i))
            return 0;
        host_end = i;
    }
    if (host_end == n)
        return 1;
    if (s[host_end] != ':')
        return 0;
    for (i = host_end + 1; i < n; i++)
        if (!http_host_digit(s[i]))
            return 0;
    return 1;
}
