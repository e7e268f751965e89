/*
 * range.c — Range field parsing (RFC 9110 section 14.1) and multipart/byteranges framing.
 *
 * Who: worker threads, for a GET of a static file that carries Range. Owns nothing:
 * spans go to the caller's array and strings to the caller's buffers, so there is no
 * allocation, lock or shared state.
 * The parser validates the whole field before answering, because one invalid spec makes
 * the whole field ignorable (section 14.2) even after satisfiable ones. Satisfiable spans
 * are then sorted and coalesced: a client gets the same bytes, and a request listing the
 * same large span many times costs one span (the CVE-2011-3192 lesson).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "range.h"

static int
range_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int
range_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parse 1*DIGIT at s[*i], saturating at INT64_MAX. Returns -1 when there is no digit. */
static int
range_number(const char *s, size_t len, size_t *i, int64_t *out)
{
    int64_t v = 0;
    size_t start = *i;

    for (; *i < len && range_is_digit(s[*i]); (*i)++) {
        int d = s[*i] - '0';

        v = v > (INT64_MAX - d) / 10 ? INT64_MAX : v * 10 + d;
    }
    *out = v;
    return *i > start ? 0 : -1;
}

/*
 * Parse one range-spec at s[*i]. Sets *first and *last, or *first = -1 and *last = the
 * suffix-length for a suffix-range; *last = INT64_MAX when last-pos is omitted.
 * Returns -1 when the spec is invalid.
 */
static int
range_spec(const char *s, size_t len, size_t *i, int64_t *first, int64_t *last)
{
    if (*i < len && s[*i] == '-') {
        (*i)++;
        *first = -1;
        return range_number(s, len, i, last);
    }
    if (range_number(s, len, i, first) != 0 || *i >= len || s[*i] != '-')
        return -1;
    (*i)++;
    if (*i < len && range_is_digit(s[*i]))
        return range_number(s, len, i, last) == 0 && *last >= *first ? 0 : -1;
    *last = INT64_MAX;
    return 0;
}

/* Clip a parsed spec to the representation; returns 0 when it is unsatisfiable. */
static int
range_clip(int64_t first, int64_t last, int64_t size, range_t *r)
{
    if (size <= 0)
        return 0;
    if (first < 0) {
        if (last == 0)
            return 0;
        r->first = last >= size ? 0 : size - last;
        r->last = size - 1;
        return 1;
    }
    if (first >= size)
        return 0;
    r->first = first;
    r->last = last >= size ? size - 1 : last;
    return 1;
}

static int
range_cmp(const void *a, const void *b)
{
    const range_t *x = a, *y = b;

    return (x->first > y->first) - (x->first < y->first);
}

/* Sort r[0..n) and merge overlapping or adjacent spans; returns the new count. */
static size_t
range_coalesce(range_t *r, size_t n)
{
    size_t k = 0;

    qsort(r, n, sizeof(*r), range_cmp);
    for (size_t i = 1; i < n; i++) {
        if (r[i].first <= r[k].last + 1) {
            if (r[i].last > r[k].last)
                r[k].last = r[i].last;
        } else {
            r[++k] = r[i];
        }
    }
    return k + 1;
}

/* Parse the range-set s[i..len) into out; the return follows range_parse. */
static range_result_t
range_set(const char *s, size_t len, size_t i, int64_t size, range_t *out, size_t max, size_t *n)
{
    size_t nspecs = 0, nsat = 0;
    int64_t first, last;

    for (;;) {
        while (i < len && (range_is_ows(s[i]) || s[i] == ','))
            i++;
        if (i == len)
            break;
        if (++nspecs > max || range_spec(s, len, &i, &first, &last) != 0)
            return EV_RANGE_IGNORE;
        while (i < len && range_is_ows(s[i]))
            i++;
        if (i < len && s[i] != ',')
            return EV_RANGE_IGNORE;
        if (range_clip(first, last, size, &out[nsat]))
            nsat++;
    }
    if (nspecs == 0)
        return EV_RANGE_IGNORE;
    if (nsat == 0)
        return EV_RANGE_UNSATISFIABLE;
    *n = range_coalesce(out, nsat);
    return EV_RANGE_OK;
}

range_result_t
range_parse(ev_slice_t v, int64_t size, range_t *out, size_t max, size_t *n)
{
    static const char unit[] = "bytes=";
    const size_t unit_len = sizeof(unit) - 1;
    const char *s = v.p;
    size_t len = v.len;

    *n = 0;
    while (len > 0 && range_is_ows(*s)) {
        s++;
        len--;
    }
    while (len > 0 && range_is_ows(s[len - 1]))
        len--;
    if (len < unit_len || strncasecmp(s, unit, unit_len) != 0)
        return EV_RANGE_IGNORE;
    return range_set(s, len, unit_len, size, out, max, n);
}

static size_t
range_snprintf_len(int r)
{
    return r < 0 ? 0 : (size_t)r;
}

size_t
range_content_range(char *out, size_t outsize, const range_t *r, int64_t size)
{
    if (r == NULL)
        return range_snprintf_len(snprintf(out, outsize, "bytes */%" PRId64, size));
    return range_snprintf_len(
        snprintf(out, outsize, "bytes %" PRId64 "-%" PRId64 "/%" PRId64, r->first, r->last, size));
}

/* splitmix64's finaliser: a bijection on 64 bits that scatters neighbouring seeds. */
static uint64_t
range_mix(uint64_t z)
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void
range_boundary(char out[EV_RANGE_BOUNDARY_LEN], uint64_t seed)
{
    uint64_t hi = range_mix(seed);

    snprintf(out, EV_RANGE_BOUNDARY_LEN, "%016" PRIx64 "%016" PRIx64, hi, range_mix(hi));
}

size_t
range_part_header(char *out, size_t outsize, const char *boundary, const char *type,
                  const range_t *r, int64_t size)
{
    return range_snprintf_len(snprintf(out, outsize,
                                       "\r\n--%s\r\n%s%s%sContent-Range: bytes %" PRId64 "-%" PRId64
                                       "/%" PRId64 "\r\n\r\n",
                                       boundary, type ? "Content-Type: " : "", type ? type : "",
                                       type ? "\r\n" : "", r->first, r->last, size));
}

size_t
range_closing(char *out, size_t outsize, const char *boundary)
{
    return range_snprintf_len(snprintf(out, outsize, "\r\n--%s--\r\n", boundary));
}

int64_t
range_multipart_length(const range_t *r, size_t n, const char *boundary, const char *type,
                       int64_t size)
{
    int64_t total = (int64_t)range_closing(NULL, 0, boundary);

    for (size_t i = 0; i < n; i++)
        total += (int64_t)range_part_header(NULL, 0, boundary, type, &r[i], size) +
                 (r[i].last - r[i].first + 1);
    return total;
}
