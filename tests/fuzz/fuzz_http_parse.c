/*
 * fuzz_http_parse.c — libFuzzer harness for the request-head parser (http_parse.h).
 *
 * Input: byte 0 chooses where the head is split in two (len * byte / 255, so every
 * position of a head up to 255 bytes is reachable); bytes 1.. are the head itself.
 *
 * For two sets of limits (the shipped defaults, and tight ones with fewer field slots
 * than LimitRequestFields so that every limit and the max_fields bound are reached by
 * short inputs) it checks the differential property the daemon relies on:
 * http_parse_request_resume fed the head in two calls returns, after each call, what
 * http_parse_request returns for the same bytes, with the same request line, fields
 * and status. While the first piece is parsed, the bytes after it are poisoned, so
 * reading past len is an ASan report even inside the buffer. On a parsed head it checks
 * the contract's promises (slices inside the buffer, trimmed values, version 10 or 11)
 * and exercises the field helpers with small reference oracles. Any mismatch abort()s,
 * which libFuzzer records as a crash.
 */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"

#define FUZZ_HTTP_PARSE_SLOTS 100 /* field storage; the default LimitRequestFields */
#define FUZZ_HTTP_PARSE_NAME  64  /* longest name or token copied for the helpers */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: name it, then abort() so that libFuzzer keeps the input. */
static void
fuzz_http_parse_fail(const char *what, int line)
{
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, line, what);
    abort();
}

#define FUZZ_EXPECT(cond) ((cond) ? (void)0 : fuzz_http_parse_fail(#cond, __LINE__))

static int
fuzz_http_parse_slice_eq(ev_slice_t a, ev_slice_t b)
{
    /* An empty slice has no meaningful position. */
    return a.len == b.len && (a.len == 0 || a.p == b.p);
}

static void
fuzz_http_parse_same(int rc, int rc2, const http_request_t *a, const http_request_t *b, int st,
                     int st2)
{
    size_t i;

    FUZZ_EXPECT(rc == rc2);
    if (rc == EV_PARSE_INVALID) {
        FUZZ_EXPECT(st == 400 || st == 414 || st == 431 || st == 505);
        FUZZ_EXPECT(st == st2);
        FUZZ_EXPECT(fuzz_http_parse_slice_eq(a->line, b->line));
    } else {
        FUZZ_EXPECT(st == -1 && st2 == -1); /* written only on failure */
    }
    if (rc <= 0)
        return;
    FUZZ_EXPECT(fuzz_http_parse_slice_eq(a->line, b->line));
    FUZZ_EXPECT(fuzz_http_parse_slice_eq(a->method, b->method));
    FUZZ_EXPECT(a->method_id == b->method_id);
    FUZZ_EXPECT(fuzz_http_parse_slice_eq(a->target, b->target));
    FUZZ_EXPECT(a->version == b->version);
    FUZZ_EXPECT(a->nfields == b->nfields);
    for (i = 0; i < a->nfields; i++) {
        FUZZ_EXPECT(fuzz_http_parse_slice_eq(a->fields[i].name, b->fields[i].name));
        FUZZ_EXPECT(fuzz_http_parse_slice_eq(a->fields[i].value, b->fields[i].value));
    }
}

static int
fuzz_http_parse_inside(ev_slice_t s, const char *buf, size_t len)
{
    return s.p >= buf && s.len <= len && (size_t)(s.p - buf) <= len - s.len;
}

static int
fuzz_http_parse_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int
fuzz_http_parse_is_tchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The reference for http_content_length: 1*DIGIT, at most INT64_MAX. */
static int
fuzz_http_parse_ref_length(ev_slice_t v, int64_t *out)
{
    int64_t n = 0;
    size_t i;

    if (v.len == 0)
        return -1;
    for (i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        if (n > (INT64_MAX - (v.p[i] - '0')) / 10)
            return -1;
        n = n * 10 + (v.p[i] - '0');
    }
    *out = n;
    return 0;
}

/* A list's first element, when it is a token, must be found in the list. */
static void
fuzz_http_parse_token_list(ev_slice_t v)
{
    char tok[FUZZ_HTTP_PARSE_NAME];
    size_t i = 0, n = 0;

    FUZZ_EXPECT(http_token_list_has(v, "close") <= 1);
    while (i < v.len && (fuzz_http_parse_is_ows(v.p[i]) || v.p[i] == ','))
        i++;
    while (i < v.len && n + 1 < sizeof(tok) && fuzz_http_parse_is_tchar(v.p[i]))
        tok[n++] = v.p[i++];
    while (i < v.len && fuzz_http_parse_is_ows(v.p[i]))
        i++;
    if (n == 0 || (i < v.len && v.p[i] != ','))
        return;
    tok[n] = '\0';
    FUZZ_EXPECT(http_token_list_has(v, tok) == 1);
    if ((tok[0] | 0x20) >= 'a' && (tok[0] | 0x20) <= 'z') {
        tok[0] ^= 0x20; /* the other case */
        FUZZ_EXPECT(http_token_list_has(v, tok) == 1);
    }
}

static void
fuzz_http_parse_helpers(const http_request_t *req)
{
    char name[FUZZ_HTTP_PARSE_NAME];
    const http_field_t *f;
    int64_t got, want;
    size_t i;
    int rc, host;

    for (i = 0; i < req->nfields; i++) {
        ev_slice_t v = req->fields[i].value;
        ev_slice_t nm = req->fields[i].name;

        got = want = -1;
        rc = http_content_length(v, &got);
        FUZZ_EXPECT(rc == fuzz_http_parse_ref_length(v, &want));
        FUZZ_EXPECT(rc != 0 || got == want);
        host = http_host_valid(v);
        FUZZ_EXPECT(host == 0 || host == 1);
        fuzz_http_parse_token_list(v);
        if (nm.len >= sizeof(name))
            continue;
        memcpy(name, nm.p, nm.len);
        name[nm.len] = '\0';
        f = http_field_find(req, name);
        FUZZ_EXPECT(f != NULL && f >= req->fields && f <= &req->fields[i]);
        FUZZ_EXPECT(f->name.len == nm.len && strncasecmp(f->name.p, name, nm.len) == 0);
        FUZZ_EXPECT(http_field_count(req, name) >= 1);
    }
    f = http_field_find(req, "Host");
    FUZZ_EXPECT((f == NULL) == (http_field_count(req, "host") == 0));
    if (f != NULL)
        (void)http_host_valid(f->value);
}

/* What the contract promises about a complete head of `rc` bytes. */
static void
fuzz_http_parse_promises(int rc, const http_request_t *req, const char *buf, size_t len,
                         const http_limits_t *lim, size_t max_fields)
{
    size_t i;

    FUZZ_EXPECT((size_t)rc <= len && buf[rc - 1] == '\n');
    FUZZ_EXPECT(req->method.len > 0 && req->target.len > 0);
    FUZZ_EXPECT(req->version == 10 || req->version == 11);
    FUZZ_EXPECT(req->nfields <= max_fields && req->nfields <= (size_t)lim->fields);
    FUZZ_EXPECT(req->line.len <= (size_t)lim->line);
    FUZZ_EXPECT(fuzz_http_parse_inside(req->line, buf, (size_t)rc));
    FUZZ_EXPECT(fuzz_http_parse_inside(req->method, buf, (size_t)rc));
    FUZZ_EXPECT(fuzz_http_parse_inside(req->target, buf, (size_t)rc));
    for (i = 0; i < req->nfields; i++) {
        ev_slice_t v = req->fields[i].value;

        FUZZ_EXPECT(req->fields[i].name.len > 0);
        FUZZ_EXPECT(fuzz_http_parse_inside(req->fields[i].name, buf, (size_t)rc));
        FUZZ_EXPECT(fuzz_http_parse_inside(v, buf, (size_t)rc));
        FUZZ_EXPECT(v.len == 0 ||
                    (!fuzz_http_parse_is_ows(v.p[0]) && !fuzz_http_parse_is_ows(v.p[v.len - 1])));
    }
}

/* Whole-buffer parses against one resumable parse fed buf[0..split) then buf[0..len). */
static void
fuzz_http_parse_check(char *buf, size_t len, size_t split, const http_limits_t *lim,
                      size_t max_fields)
{
    http_field_t whole_fields[FUZZ_HTTP_PARSE_SLOTS], resumed_fields[FUZZ_HTTP_PARSE_SLOTS];
    http_request_t whole, resumed;
    http_parse_state_t st;
    int st_whole = -1, st_resumed = -1;
    int rc, rc2;

    http_parse_state_init(&st);
    ASAN_POISON_MEMORY_REGION(buf + split, len - split);
    rc = http_parse_request(buf, split, lim, &whole, whole_fields, max_fields, &st_whole);
    rc2 = http_parse_request_resume(&st, buf, split, lim, &resumed, resumed_fields, max_fields,
                                    &st_resumed);
    ASAN_UNPOISON_MEMORY_REGION(buf + split, len - split);
    fuzz_http_parse_same(rc, rc2, &whole, &resumed, st_whole, st_resumed);
    if (rc2 == EV_PARSE_INVALID)
        return;

    st_whole = st_resumed = -1;
    rc = http_parse_request(buf, len, lim, &whole, whole_fields, max_fields, &st_whole);
    rc2 = http_parse_request_resume(&st, buf, len, lim, &resumed, resumed_fields, max_fields,
                                    &st_resumed);
    fuzz_http_parse_same(rc, rc2, &whole, &resumed, st_whole, st_resumed);
    if (rc <= 0)
        return;
    fuzz_http_parse_promises(rc, &whole, buf, len, lim, max_fields);
    fuzz_http_parse_helpers(&whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const http_limits_t defaults = { 8190, 8190, 100 };
    static const http_limits_t tight = { 40, 24, 6 };
    size_t len, split;
    char *buf;

    if (size == 0)
        return 0;
    len = size - 1;
    split = len * data[0] / 255;
    /* A copy we may poison; its spare byte stays poisoned so that even an empty head
     * has a byte right after it that must not be read. */
    buf = malloc(len + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data + 1, len);
    ASAN_POISON_MEMORY_REGION(buf + len, 1);
    fuzz_http_parse_check(buf, len, split, &defaults, FUZZ_HTTP_PARSE_SLOTS);
    fuzz_http_parse_check(buf, len, split, &tight, 4);
    ASAN_UNPOISON_MEMORY_REGION(buf + len, 1);
    free(buf);
    return 0;
}
