/*
 * test_http_parse.c — the request-head parser and its field helpers.
 *
 * Every parse runs on an exact-size heap copy of the input, so that a read past len is
 * an ASan error rather than a silent read of a string's NUL. Every table case is also
 * fed to http_parse_request_resume one byte at a time and compared, prefix by prefix,
 * with a fresh http_parse_request of that prefix: this checks each incompleteness
 * boundary and that resumption changes nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <check.h>

#include "http_parse.h"

#define MAXF 128
#define ALL  0 /* expected return: the whole input consumed */

static apr_pool_t *pool;
static const http_limits_t deflim = { 8190, 8190, 100 };

static void
setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void
teardown(void)
{
    apr_pool_destroy(pool);
}

static apr_status_t
free_copy(void *p)
{
    free(p);
    return APR_SUCCESS;
}

/* An exact-size heap copy of in, freed with the test's pool. */
static char *
exact_copy(const char *in, size_t len)
{
    char *c = malloc(len);

    ck_assert_ptr_nonnull(c);
    if (len > 0)
        memcpy(c, in, len);
    apr_pool_cleanup_register(pool, c, free_copy, apr_pool_cleanup_null);
    return c;
}

typedef struct {
    char *buf; /* the bytes parsed; slices point here */
    int rc;
    int status;
    http_request_t req;
    http_field_t fields[MAXF];
} outcome_t;

static void
run(outcome_t *o, const char *in, size_t len, const http_limits_t *lim, size_t maxf)
{
    o->buf = exact_copy(in, len);
    o->status = 0;
    o->rc = http_parse_request(o->buf, len, lim, &o->req, o->fields, maxf, &o->status);
}

static int
slice_same(ev_slice_t x, const char *xbase, ev_slice_t y, const char *ybase)
{
    return x.len == y.len && x.p - xbase == y.p - ybase;
}

/* Two parses of the same bytes (possibly at different addresses) agree. */
static void
assert_same(const outcome_t *a, const outcome_t *b, const char *what, size_t at)
{
    size_t i;

    ck_assert_msg(a->rc == b->rc, "%s @%zu: rc %d vs %d", what, at, a->rc, b->rc);
    if (a->rc == EV_PARSE_INVALID)
        ck_assert_msg(a->status == b->status, "%s @%zu: status %d vs %d", what, at, a->status,
                      b->status);
    if (a->rc <= 0)
        return;
    ck_assert_msg(a->req.method_id == b->req.method_id && a->req.version == b->req.version &&
                      a->req.nfields == b->req.nfields,
                  "%s @%zu: request differs", what, at);
    ck_assert_msg(slice_same(a->req.line, a->buf, b->req.line, b->buf) &&
                      slice_same(a->req.method, a->buf, b->req.method, b->buf) &&
                      slice_same(a->req.target, a->buf, b->req.target, b->buf),
                  "%s @%zu: request line slices differ", what, at);
    for (i = 0; i < a->req.nfields; i++)
        ck_assert_msg(slice_same(a->fields[i].name, a->buf, b->fields[i].name, b->buf) &&
                          slice_same(a->fields[i].value, a->buf, b->fields[i].value, b->buf),
                      "%s @%zu: field %zu differs", what, at, i);
}

/*
 * Feed in[0..len) to the resumable parser one byte more per call; each answer must be
 * what a fresh parse of that prefix says, and the final one what `whole` says.
 */
static void
check_incremental(const char *in, size_t len, const http_limits_t *lim, size_t maxf,
                  const outcome_t *whole, const char *what)
{
    static outcome_t r, s;
    http_parse_state_t st;
    size_t k;

    r.buf = exact_copy(in, len);
    http_parse_state_init(&st);
    for (k = 0; k <= len; k++) {
        r.status = 0;
        r.rc = http_parse_request_resume(&st, r.buf, k, lim, &r.req, r.fields, maxf, &r.status);
        run(&s, in, k, lim, maxf);
        assert_same(&r, &s, what, k);
        if (r.rc != EV_PARSE_INCOMPLETE)
            break;
    }
    assert_same(&r, whole, what, len);
}

static int
slice_is(ev_slice_t s, const char *want, size_t n)
{
    return s.len == n && memcmp(s.p, want, n) == 0;
}

/* ---- the table ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *in;
    size_t len;
    int rc;            /* ALL, a byte count, EV_PARSE_INCOMPLETE or EV_PARSE_INVALID */
    int status;        /* when EV_PARSE_INVALID */
    int method;        /* when complete */
    int version;       /* when complete */
    size_t nfields;    /* when complete */
    const char *field; /* when complete and not NULL: a field to look up */
    const char *value; /* its expected value */
} pcase_t;

#define OK(n, s, m, v, nf, f, val)                                                                 \
    {                                                                                              \
        n, s, sizeof(s) - 1, ALL, 0, m, v, nf, f, val                                              \
    }
#define PART(n, s, count, m)                                                                       \
    {                                                                                              \
        n, s, sizeof(s) - 1, count, 0, m, 11, 0, NULL, NULL                                        \
    }
#define BAD(n, s, st)                                                                              \
    {                                                                                              \
        n, s, sizeof(s) - 1, EV_PARSE_INVALID, st, 0, 0, 0, NULL, NULL                             \
    }
#define MORE(n, s)                                                                                 \
    {                                                                                              \
        n, s, sizeof(s) - 1, EV_PARSE_INCOMPLETE, 0, 0, 0, 0, NULL, NULL                           \
    }

#define RL "GET / HTTP/1.1\r\n"

static const pcase_t cases[] = {
    /* request line */
    OK("simple", RL "Host: a\r\n\r\n", EV_M_GET, 11, 1, "Host", "a"),
    OK("no fields", RL "\r\n", EV_M_GET, 11, 0, NULL, NULL),
    OK("http/1.0", "GET / HTTP/1.0\r\n\r\n", EV_M_GET, 10, 0, NULL, NULL),
    OK("http/1.9 is 1.1", "GET / HTTP/1.9\r\n\r\n", EV_M_GET, 11, 0, NULL, NULL),
    OK("bare LF", "GET / HTTP/1.1\nHost: a\n\n", EV_M_GET, 11, 1, "host", "a"),
    OK("mixed endings", "GET / HTTP/1.1\nHost: a\r\nX: b\n\r\n", EV_M_GET, 11, 2, "x", "b"),
    OK("leading CRLF", "\r\n\r\n" RL "\r\n", EV_M_GET, 11, 0, NULL, NULL),
    OK("leading LF", "\n\n\r\n" RL "\r\n", EV_M_GET, 11, 0, NULL, NULL),
    OK("lower-case method is other", "get / HTTP/1.1\r\n\r\n", EV_M_OTHER, 11, 0, NULL, NULL),
    OK("unknown method", "M-SEARCH * HTTP/1.1\r\n\r\n", EV_M_OTHER, 11, 0, NULL, NULL),
    OK("all tchars method", "!#$%&'*+-.^_`|~09azAZ / HTTP/1.1\r\n\r\n", EV_M_OTHER, 11, 0, NULL,
       NULL),
    OK("asterisk", "OPTIONS * HTTP/1.1\r\n\r\n", EV_M_OPTIONS, 11, 0, NULL, NULL),
    OK("absolute-form", "GET http://a.example/x?y=1 HTTP/1.1\r\n\r\n", EV_M_GET, 11, 0, NULL, NULL),
    OK("authority-form", "CONNECT a.example:443 HTTP/1.1\r\n\r\n", EV_M_CONNECT, 11, 0, NULL, NULL),
    OK("target visible ASCII", "GET /\"<>\\^`{|}~%00 HTTP/1.1\r\n\r\n", EV_M_GET, 11, 0, NULL,
       NULL),
    BAD("two SP before target", "GET  / HTTP/1.1\r\n\r\n", 400),
    BAD("two SP before version", "GET /  HTTP/1.1\r\n\r\n", 400),
    BAD("leading SP", " GET / HTTP/1.1\r\n\r\n", 400),
    BAD("HTAB separator", "GET\t/ HTTP/1.1\r\n\r\n", 400),
    BAD("HTTP/0.9 style", "GET /\r\n\r\n", 400),
    BAD("empty version", "GET / \r\n\r\n", 400),
    BAD("trailing SP", "GET / HTTP/1.1 \r\n\r\n", 400),
    BAD("extra word", "GET / HTTP/1.1 x\r\n\r\n", 400),
    BAD("lower-case version", "GET / http/1.1\r\n\r\n", 400),
    BAD("two-digit minor", "GET / HTTP/1.10\r\n\r\n", 400),
    BAD("two-digit major", "GET / HTTP/11.1\r\n\r\n", 400),
    BAD("no minor", "GET / HTTP/1\r\n\r\n", 400),
    BAD("letter minor", "GET / HTTP/1.x\r\n\r\n", 400),
    BAD("fragment", "GET /a#b HTTP/1.1\r\n\r\n", 400),
    BAD("DEL in target", "GET /\x7f HTTP/1.1\r\n\r\n", 400),
    BAD("obs-text in target", "GET /\x80 HTTP/1.1\r\n\r\n", 400),
    BAD("NUL in target", "GET /\0 HTTP/1.1\r\n\r\n", 400),
    BAD("NUL in method", "GE\0T / HTTP/1.1\r\n\r\n", 400),
    BAD("delimiter in method", "G(ET / HTTP/1.1\r\n\r\n", 400),
    BAD("bare CR after version", "GET / HTTP/1.1\rX\r\n\r\n", 400),
    BAD("bare CR in target", "GET /\r/ HTTP/1.1\r\n\r\n", 400),
    BAD("leading bare CR", "\rGET / HTTP/1.1\r\n\r\n", 400),
    BAD("TLS handshake, early", "\x16\x03\x01\x02\x00\x01", 400),
    BAD("garbage target, early", "GET /a#", 400),
    BAD("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505),
    BAD("HTTP/0.9 version", "GET / HTTP/0.9\r\n\r\n", 505),
    BAD("505 before the head ends", "GET / HTTP/3.1\r\n", 505),
    BAD("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    /* fields */
    OK("no space after colon", RL "Host:a\r\n\r\n", EV_M_GET, 11, 1, "HOST", "a"),
    OK("OWS trimmed", RL "X:  a b \t\r\n\r\n", EV_M_GET, 11, 1, "x", "a b"),
    OK("HTAB trimmed", RL "X:\ta\t\r\n\r\n", EV_M_GET, 11, 1, "x", "a"),
    OK("empty value", RL "X:\r\n\r\n", EV_M_GET, 11, 1, "x", ""),
    OK("blank value", RL "X: \t \r\n\r\n", EV_M_GET, 11, 1, "x", ""),
    OK("obs-text value", RL "X: \x80\xff\r\n\r\n", EV_M_GET, 11, 1, "x", "\x80\xff"),
    OK("colons in value", RL "X: a:b: c\r\n\r\n", EV_M_GET, 11, 1, "x", "a:b: c"),
    OK("tchar name", RL "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", EV_M_GET, 11, 1,
       "!#$%&'*+-.^_`|~09AZaz", "v"),
    OK("case-preserving lookup", RL "hOsT: a\r\n\r\n", EV_M_GET, 11, 1, "Host", "a"),
    OK("repeated fields", RL "A: 1\r\nB: 2\r\nA: 3\r\n\r\n", EV_M_GET, 11, 3, "a", "1"),
    BAD("SP before colon", RL "Host : a\r\n\r\n", 400),
    BAD("HTAB before colon", RL "Host\t: a\r\n\r\n", 400),
    BAD("empty name", RL ": a\r\n\r\n", 400),
    BAD("no colon", RL "NoColon\r\n\r\n", 400),
    BAD("no colon, LF", RL "NoColon\n\n", 400),
    BAD("obs-fold SP", RL "X: a\r\n b\r\n\r\n", 400),
    BAD("obs-fold HTAB", RL "X: a\r\n\tb\r\n\r\n", 400),
    BAD("whitespace after request line", RL " X: a\r\n\r\n", 400),
    BAD("NUL in value", RL "X: a\0b\r\n\r\n", 400),
    BAD("bare CR in value", RL "X: a\rb\r\n\r\n", 400),
    BAD("DEL in value", RL "X: a\177b\r\n\r\n", 400),
    BAD("control in value", RL "X: a\001b\r\n\r\n", 400),
    BAD("NUL in name", RL "X\0: a\r\n\r\n", 400),
    BAD("obs-text in name", RL "X\x80: a\r\n\r\n", 400),
    BAD("NUL field line", RL "\0\r\n\r\n", 400),
    BAD("CR CR LF", RL "X: a\r\r\n\r\n", 400),
    BAD("bare CR ending the head", RL "\rX", 400),
    /* completeness and pipelining */
    MORE("empty", ""),
    MORE("CR", "\r"),
    MORE("blank lines only", "\r\n\n"),
    MORE("request line only", RL),
    MORE("no line end", "GET / HTTP/1.1"),
    MORE("CR of the empty line", RL "\r"),
    MORE("field without end", RL "Host: a"),
    PART("pipelined", "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 19, EV_M_GET),
    PART("pipelined garbage", "GET /a HTTP/1.1\r\n\r\n\x01\x02", 19, EV_M_GET),
    PART("body follows", "POST / HTTP/1.1\r\n\r\nhello", 19, EV_M_POST),
};

START_TEST(test_table)
{
    const pcase_t *c = &cases[_i];
    static outcome_t o;
    const http_field_t *f;
    int want = c->rc == ALL ? (int)c->len : c->rc;

    run(&o, c->in, c->len, &deflim, MAXF);
    ck_assert_msg(o.rc == want, "%s: rc %d (status %d), want %d", c->name, o.rc, o.status, want);
    if (want == EV_PARSE_INVALID)
        ck_assert_msg(o.status == c->status, "%s: status %d, want %d", c->name, o.status,
                      c->status);
    if (want > 0) {
        ck_assert_msg((int)o.req.method_id == c->method, "%s: method %d", c->name, o.req.method_id);
        ck_assert_msg(o.req.version == c->version, "%s: version %d", c->name, o.req.version);
        if (c->rc == ALL)
            ck_assert_msg(o.req.nfields == c->nfields, "%s: %zu fields", c->name, o.req.nfields);
        ck_assert_ptr_eq(o.req.fields, o.fields);
    }
    if (want > 0 && c->field != NULL) {
        f = http_field_find(&o.req, c->field);
        ck_assert_msg(f != NULL, "%s: no field %s", c->name, c->field);
        ck_assert_msg(slice_is(f->value, c->value, strlen(c->value)), "%s: value '%.*s'", c->name,
                      (int)f->value.len, f->value.p);
    }
    check_incremental(c->in, c->len, &deflim, MAXF, &o, c->name);
}
END_TEST

START_TEST(test_request_slices)
{
    static const char in[] = "\r\nPOST /up?x=1 HTTP/1.0\r\nA: 1\r\nB:2 \r\n\r\n";
    static outcome_t o;

    run(&o, in, sizeof(in) - 1, &deflim, MAXF);
    ck_assert_int_eq(o.rc, (int)sizeof(in) - 1);
    ck_assert(slice_is(o.req.line, "POST /up?x=1 HTTP/1.0", 21));
    ck_assert(o.req.line.p == o.buf + 2);
    ck_assert(slice_is(o.req.method, "POST", 4));
    ck_assert(slice_is(o.req.target, "/up?x=1", 7));
    ck_assert_int_eq(o.req.method_id, EV_M_POST);
    ck_assert_int_eq(o.req.version, 10);
    ck_assert_uint_eq(o.req.nfields, 2);
    ck_assert(slice_is(o.fields[0].name, "A", 1) && slice_is(o.fields[0].value, "1", 1));
    ck_assert(slice_is(o.fields[1].name, "B", 1) && slice_is(o.fields[1].value, "2", 1));
}
END_TEST

START_TEST(test_line_kept_on_late_failure)
{
    static outcome_t o;
    static const char v2[] = "GET /x HTTP/2.0\r\n\r\n";
    static const char big[] = "GET /x HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
    static const char early[] = "GET /x#";
    const http_limits_t one = { 100, 100, 1 };

    run(&o, v2, sizeof(v2) - 1, &deflim, MAXF);
    ck_assert_int_eq(o.status, 505);
    ck_assert(slice_is(o.req.line, "GET /x HTTP/2.0", 15));
    run(&o, big, sizeof(big) - 1, &one, MAXF);
    ck_assert_int_eq(o.status, 431);
    ck_assert(slice_is(o.req.line, "GET /x HTTP/1.1", 15));
    run(&o, early, sizeof(early) - 1, &deflim, MAXF);
    ck_assert_int_eq(o.status, 400);
    ck_assert_uint_eq(o.req.line.len, 0);
}
END_TEST

START_TEST(test_method_ids)
{
    static const struct {
        const char *m;
        http_method_t id;
    } m[] = {
        { "GET", EV_M_GET },        { "HEAD", EV_M_HEAD },     { "POST", EV_M_POST },
        { "PUT", EV_M_PUT },        { "DELETE", EV_M_DELETE }, { "OPTIONS", EV_M_OPTIONS },
        { "TRACE", EV_M_TRACE },    { "PATCH", EV_M_PATCH },   { "CONNECT", EV_M_CONNECT },
        { "GETS", EV_M_OTHER },     { "GE", EV_M_OTHER },      { "Get", EV_M_OTHER },
        { "PROPFIND", EV_M_OTHER },
    };
    static outcome_t o;
    char in[64];
    size_t i;
    int n;

    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        n = snprintf(in, sizeof(in), "%s / HTTP/1.1\r\n\r\n", m[i].m);
        run(&o, in, (size_t)n, &deflim, MAXF);
        ck_assert_int_eq(o.rc, n);
        ck_assert_msg(o.req.method_id == m[i].id, "%s: %d", m[i].m, o.req.method_id);
        ck_assert(slice_is(o.req.method, m[i].m, strlen(m[i].m)));
    }
}
END_TEST

/* ---- every proper prefix is incomplete --------------------------------------------- */

START_TEST(test_prefixes)
{
    static const char *const reqs[] = {
        "GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
        "\r\n\nPOST /a?b HTTP/1.0\nContent-Length: 5\nX:\n\n",
        "OPTIONS * HTTP/1.1\r\nX:  \t\r\nY: \x80 v \r\n\r\n",
    };
    static outcome_t o;
    size_t i, k, len;

    for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        len = strlen(reqs[i]);
        for (k = 0; k < len; k++) {
            run(&o, reqs[i], k, &deflim, MAXF);
            ck_assert_msg(o.rc == EV_PARSE_INCOMPLETE, "req %zu prefix %zu: %d", i, k, o.rc);
        }
        run(&o, reqs[i], len, &deflim, MAXF);
        ck_assert_int_eq(o.rc, (int)len);
        check_incremental(reqs[i], len, &deflim, MAXF, &o, "prefixes");
    }
}
END_TEST

START_TEST(test_pipelined)
{
    static const char in[] = "GET /1 HTTP/1.1\r\nA: x\r\n\r\nHEAD /2 HTTP/1.0\nB: y\n\nPO";
    static outcome_t o;
    size_t first = strlen("GET /1 HTTP/1.1\r\nA: x\r\n\r\n");
    size_t second = strlen("HEAD /2 HTTP/1.0\nB: y\n\n");
    char *buf;

    run(&o, in, sizeof(in) - 1, &deflim, MAXF);
    ck_assert_int_eq(o.rc, (int)first);
    ck_assert(slice_is(o.req.target, "/1", 2));
    buf = o.buf;
    o.rc = http_parse_request(buf + first, sizeof(in) - 1 - first, &deflim, &o.req, o.fields, MAXF,
                              &o.status);
    ck_assert_int_eq(o.rc, (int)second);
    ck_assert_int_eq(o.req.method_id, EV_M_HEAD);
    ck_assert(slice_is(o.fields[0].value, "y", 1));
    o.rc = http_parse_request(buf + first + second, 2, &deflim, &o.req, o.fields, MAXF, &o.status);
    ck_assert_int_eq(o.rc, EV_PARSE_INCOMPLETE);
}
END_TEST

/* ---- empty lines before the request line ------------------------------------------- */

START_TEST(test_blank_lines)
{
    static outcome_t o;
    static char in[40000];
    size_t n, i, off;

    /* up to the cap, CRLF and LF mixed: skipped; one more: 400 */
    for (n = 0; n <= EV_HTTP_BLANK_LINES + 1; n++) {
        for (i = 0, off = 0; i < n; i++)
            off += (size_t)sprintf(in + off, "%s", i % 2 ? "\r\n" : "\n");
        off += (size_t)sprintf(in + off, RL "\r\n");
        run(&o, in, off, &deflim, MAXF);
        if (n <= EV_HTTP_BLANK_LINES) {
            ck_assert_msg(o.rc == (int)off, "%zu blank lines: %d", n, o.rc);
            ck_assert_uint_eq(o.req.line.len, 14);
        } else {
            ck_assert_msg(o.rc == EV_PARSE_INVALID && o.status == 400, "%zu blank lines", n);
        }
        check_incremental(in, off, &deflim, MAXF, &o, "blank lines");
    }
    /* at the cap nothing is decided yet; the next line start decides at once */
    for (i = 0; i < EV_HTTP_BLANK_LINES; i++)
        memcpy(in + 2 * i, "\r\n", 2);
    run(&o, in, 2 * i, &deflim, MAXF);
    ck_assert_int_eq(o.rc, EV_PARSE_INCOMPLETE);
    in[2 * i] = '\r';
    run(&o, in, 2 * i + 1, &deflim, MAXF);
    ck_assert_int_eq(o.rc, EV_PARSE_INVALID);
    ck_assert_int_eq(o.status, 400);
    /* an endless stream of CRLF is not accepted forever */
    for (i = 0; i + 2 <= sizeof(in); i += 2)
        memcpy(in + i, "\r\n", 2);
    run(&o, in, sizeof(in), &deflim, MAXF);
    ck_assert_int_eq(o.rc, EV_PARSE_INVALID);
    ck_assert_int_eq(o.status, 400);
}
END_TEST

/* ---- limits, exactly at and one over ------------------------------------------------ */

/* A request line "GET /aaa HTTP/1.1" of exactly n bytes (n >= 14) at out. */
static size_t
line_of(char *out, size_t n)
{
    memcpy(out, "GET /", 5);
    memset(out + 5, 'a', n - 14);
    memcpy(out + n - 9, " HTTP/1.1", 9);
    return n;
}

/* Parse in[0..len) with lim, check the answer, and check it byte by byte. */
static void
expect(const char *what, const char *in, size_t len, const http_limits_t *lim, size_t maxf, int rc,
       int status)
{
    static outcome_t o;

    run(&o, in, len, lim, maxf);
    ck_assert_msg(o.rc == rc, "%s: rc %d (status %d), want %d", what, o.rc, o.status, rc);
    if (rc == EV_PARSE_INVALID)
        ck_assert_msg(o.status == status, "%s: status %d, want %d", what, o.status, status);
    check_incremental(in, len, lim, maxf, &o, what);
}

START_TEST(test_line_limit)
{
    const http_limits_t lim = { 32, 64, 4 };
    http_limits_t tight = lim;
    char in[128];
    size_t n;

    n = line_of(in, 32);
    memcpy(in + n, "\r\n\r\n", 4);
    expect("line at limit", in, n + 4, &lim, MAXF, (int)n + 4, 0);
    memcpy(in + n, "\n\n", 2);
    expect("line at limit, LF", in, n + 2, &lim, MAXF, (int)n + 2, 0);
    expect("line at limit, no end", in, n, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);
    in[n] = '\r';
    expect("line at limit, CR", in, n + 1, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);

    n = line_of(in, 33);
    memcpy(in + n, "\r\n\r\n", 4);
    expect("line over limit", in, n + 4, &lim, MAXF, EV_PARSE_INVALID, 414);
    expect("line over limit, no end", in, n, &lim, MAXF, EV_PARSE_INVALID, 414);
    expect("line over limit, first 32", in, 32, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);

    memset(in, 'A', sizeof(in));
    expect("token garbage at limit", in, 32, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);
    expect("token garbage over limit", in, 33, &lim, MAXF, EV_PARSE_INVALID, 414);
    expect("token garbage, line+2", in, 35, &lim, MAXF, EV_PARSE_INVALID, 414);

    memcpy(in, "\r\n\n", 3);
    n = line_of(in + 3, 32);
    memcpy(in + 3 + n, "\r\n\r\n", 4);
    expect("blank lines not counted", in, n + 7, &lim, MAXF, (int)n + 7, 0);

    /* the limit falling inside the version */
    tight.line = 13;
    expect("limit inside version", "GET / HTTP/1.", 13, &tight, MAXF, EV_PARSE_INCOMPLETE, 0);
    expect("limit inside version, over", "GET / HTTP/1.1", 14, &tight, MAXF, EV_PARSE_INVALID, 414);
    expect("limit inside version, whole", "GET / HTTP/1.1\r\n\r\n", 18, &tight, MAXF,
           EV_PARSE_INVALID, 414);
    tight.line = 14;
    expect("limit at version end", "GET / HTTP/1.1\r\n\r\n", 18, &tight, MAXF, 18, 0);
}
END_TEST

START_TEST(test_field_limit)
{
    const http_limits_t lim = { 64, 24, 4 };
    char in[128];
    size_t n;

    /* RL + "X-A: vvv" of exactly 24 or 25 bytes */
    memcpy(in, RL, 16);
    memcpy(in + 16, "X-A: ", 5);
    memset(in + 21, 'v', 20);
    memcpy(in + 40, "\r\n\r\n", 4);
    expect("field at limit", in, 44, &lim, MAXF, 44, 0);
    expect("field at limit, no end", in, 40, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);
    expect("field at limit, CR", in, 41, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);
    memset(in + 21, 'v', 20);
    memcpy(in + 41, "\r\n\r\n", 4);
    expect("field over limit", in, 45, &lim, MAXF, EV_PARSE_INVALID, 431);
    expect("field over limit, no end", in, 41, &lim, MAXF, EV_PARSE_INVALID, 431);

    /* the name alone */
    memset(in + 16, 'N', 30);
    expect("name at limit, no colon yet", in, 40, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);
    expect("name over limit", in, 41, &lim, MAXF, EV_PARSE_INVALID, 431);
    in[40] = ':';
    expect("colon over limit", in, 41, &lim, MAXF, EV_PARSE_INVALID, 431);
    in[39] = ':';
    memcpy(in + 40, "\r\n\r\n", 4);
    expect("colon at limit", in, 40, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);
    expect("colon at limit, empty value", in, 44, &lim, MAXF, 44, 0);

    /* trailing OWS is part of the line */
    memcpy(in + 16, "X: v", 4);
    memset(in + 20, ' ', 30);
    memcpy(in + 40, "\r\n\r\n", 4);
    expect("OWS to the limit", in, 44, &lim, MAXF, 44, 0);
    in[40] = ' ';
    memcpy(in + 41, "\r\n\r\n", 4);
    expect("OWS over the limit", in, 45, &lim, MAXF, EV_PARSE_INVALID, 431);

    /* a later field over the limit */
    n = (size_t)sprintf(in, RL "A: 1\r\nB: %s\r\n\r\n", "0123456789abcdefghijkl");
    expect("second field over limit", in, n, &lim, MAXF, EV_PARSE_INVALID, 431);
}
END_TEST

START_TEST(test_field_count)
{
    http_limits_t lim = { 64, 64, 3 };
    static const char three[] = RL "A: 1\r\nB: 2\r\nC: 3\r\n";
    char in[128];
    size_t n = sizeof(three) - 1;

    memcpy(in, three, n);
    memcpy(in + n, "\r\n", 2);
    expect("fields at limit", in, n + 2, &lim, MAXF, (int)n + 2, 0);
    expect("fields at limit, CR", in, n + 1, &lim, MAXF, EV_PARSE_INCOMPLETE, 0);
    memcpy(in + n, "D: 4\r\n\r\n", 8);
    expect("fields over limit", in, n + 8, &lim, MAXF, EV_PARSE_INVALID, 431);
    expect("fields over limit, first byte", in, n + 1, &lim, MAXF, EV_PARSE_INVALID, 431);
    in[n] = ' ';
    expect("obs-fold at the limit", in, n + 1, &lim, MAXF, EV_PARSE_INVALID, 400);

    memcpy(in + n, "\r\n", 2);
    expect("max_fields below the limit", in, n + 2, &lim, 2, EV_PARSE_INVALID, 431);
    lim.fields = 0;
    expect("no fields allowed", in, n + 2, &lim, MAXF, EV_PARSE_INVALID, 431);
    expect("no fields allowed, none sent", RL "\r\n", 18, &lim, 0, 18, 0);
}
END_TEST

/* ---- every byte value at each position --------------------------------------------- */

static int
is_tchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_value_byte(int c)
{
    return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

static int
is_target_byte(int c)
{
    return c >= 0x21 && c <= 0x7e && c != '#';
}

/* Parse pre b post (explicit length: b may be NUL). */
static void
run_with(outcome_t *o, const char *pre, int b, const char *post, size_t *len)
{
    char in[64];
    size_t a = strlen(pre), z = strlen(post);

    memcpy(in, pre, a);
    in[a] = (char)b;
    memcpy(in + a + 1, post, z);
    *len = a + 1 + z;
    run(o, in, *len, &deflim, MAXF);
    check_incremental(in, *len, &deflim, MAXF, o, "byte");
}

START_TEST(test_every_byte)
{
    static outcome_t o;
    const int b = _i;
    const char c = (char)b;
    size_t len;

    /* alone */
    run_with(&o, "", b, "", &len);
    if (is_tchar(b) || b == '\r' || b == '\n')
        ck_assert_msg(o.rc == EV_PARSE_INCOMPLETE, "0x%02x alone: %d", b, o.rc);
    else
        ck_assert_msg(o.rc == EV_PARSE_INVALID && o.status == 400, "0x%02x alone", b);

    /* as a one-byte method */
    run_with(&o, "", b, " / HTTP/1.1\r\n\r\n", &len);
    if (is_tchar(b))
        ck_assert_msg(o.rc == (int)len && o.req.method_id == EV_M_OTHER &&
                          slice_is(o.req.method, &c, 1),
                      "0x%02x method", b);
    else
        ck_assert_msg(o.rc == EV_PARSE_INVALID && o.status == 400, "0x%02x method", b);

    /* inside a method */
    run_with(&o, "G", b, "T / HTTP/1.1\r\n\r\n", &len);
    if (is_tchar(b))
        ck_assert_msg(o.rc == (int)len && o.req.method.len == 3, "0x%02x in method", b);
    else
        ck_assert_msg(o.rc == EV_PARSE_INVALID && o.status == 400, "0x%02x in method", b);

    /* in the target */
    run_with(&o, "GET /", b, " HTTP/1.1\r\n\r\n", &len);
    if (is_target_byte(b))
        ck_assert_msg(o.rc == (int)len && o.req.target.len == 2 && o.req.target.p[1] == c,
                      "0x%02x in target", b);
    else
        ck_assert_msg(o.rc == EV_PARSE_INVALID && o.status == 400, "0x%02x in target", b);

    /* first byte of a field line */
    run_with(&o, RL, b, "x: y\r\n\r\n", &len);
    if (is_tchar(b))
        ck_assert_msg(o.rc == (int)len && o.req.nfields == 1 && o.fields[0].name.p[0] == c,
                      "0x%02x starting a field", b);
    else if (b == '\n')
        ck_assert_msg(o.rc == 17 && o.req.nfields == 0, "LF ends the head: %d", o.rc);
    else
        ck_assert_msg(o.rc == EV_PARSE_INVALID && o.status == 400, "0x%02x starting a field", b);

    /* inside a field value */
    run_with(&o, RL "X: a", b, "b\r\n\r\n", &len);
    if (is_value_byte(b))
        ck_assert_msg(o.rc == (int)len && o.fields[0].value.len == 3 && o.fields[0].value.p[1] == c,
                      "0x%02x in value", b);
    else
        ck_assert_msg(o.rc == EV_PARSE_INVALID && o.status == 400, "0x%02x in value", b);
}
END_TEST

/* ---- field helpers ------------------------------------------------------------------ */

START_TEST(test_field_find_count)
{
    static const char in[] = RL "Host: h\r\naccept: 1\r\nX: y\r\nACCEPT: 2\r\n\r\n";
    static outcome_t o;
    const http_field_t *f;

    run(&o, in, sizeof(in) - 1, &deflim, MAXF);
    ck_assert_int_eq(o.rc, (int)sizeof(in) - 1);
    f = http_field_find(&o.req, "Accept");
    ck_assert_ptr_eq(f, &o.fields[1]);
    ck_assert(slice_is(f->value, "1", 1));
    ck_assert_uint_eq(http_field_count(&o.req, "accept"), 2);
    ck_assert_uint_eq(http_field_count(&o.req, "HOST"), 1);
    ck_assert_uint_eq(http_field_count(&o.req, "Hos"), 0);
    ck_assert_ptr_null(http_field_find(&o.req, "Hos"));
    ck_assert_ptr_null(http_field_find(&o.req, "Hostx"));
    ck_assert_ptr_null(http_field_find(&o.req, ""));
    ck_assert_uint_eq(http_field_count(&o.req, "Content-Length"), 0);
}
END_TEST

static ev_slice_t
sl(const char *s)
{
    return (ev_slice_t){ s, strlen(s) };
}

START_TEST(test_token_list)
{
    static const struct {
        const char *value;
        const char *token;
        int want;
    } t[] = {
        { "close", "close", 1 },
        { "Close", "close", 1 },
        { "close", "CLOSE", 1 },
        { "keep-alive, close", "close", 1 },
        { " , ,close , ", "close", 1 },
        { "keep-alive,\tCLOSE\t", "close", 1 },
        { "a, close, b", "close", 1 },
        { "a,close", "a", 1 },
        { "closed", "close", 0 },
        { "clos", "close", 0 },
        { "cl ose", "close", 0 },
        { "close;x", "close", 0 },
        { "upgrade, keep-alive", "close", 0 },
        { "", "close", 0 },
        { ",,,", "close", 0 },
        { "a,,b", "", 0 },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ck_assert_msg(http_token_list_has(sl(t[i].value), t[i].token) == t[i].want, "'%s' has '%s'",
                      t[i].value, t[i].token);
    /* not NUL-terminated: the element ends at len */
    ck_assert_int_eq(http_token_list_has((ev_slice_t){ "closex", 5 }, "close"), 1);
    ck_assert_int_eq(http_token_list_has((ev_slice_t){ "close", 4 }, "close"), 0);
}
END_TEST

START_TEST(test_content_length)
{
    static const struct {
        const char *value;
        int rc;
        int64_t want;
    } t[] = {
        { "0", 0, 0 },
        { "123", 0, 123 },
        { "007", 0, 7 },
        { "9223372036854775807", 0, INT64_MAX },
        { "9223372036854775808", -1, 0 },
        { "99999999999999999999", -1, 0 },
        { "", -1, 0 },
        { "-1", -1, 0 },
        { "+1", -1, 0 },
        { " 1", -1, 0 },
        { "1 ", -1, 0 },
        { "1 2", -1, 0 },
        { "1,1", -1, 0 },
        { "0x10", -1, 0 },
        { "1.0", -1, 0 },
    };
    int64_t out;
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        out = -42;
        ck_assert_msg(http_content_length(sl(t[i].value), &out) == t[i].rc, "'%s'", t[i].value);
        ck_assert_msg(out == (t[i].rc == 0 ? t[i].want : -42), "'%s': %lld", t[i].value,
                      (long long)out);
    }
    ck_assert_int_eq(http_content_length((ev_slice_t){ "12x", 2 }, &out), 0);
    ck_assert_int_eq(out, 12);
}
END_TEST

START_TEST(test_host)
{
    static const struct {
        const char *host;
        int want;
    } t[] = {
        { "", 1 },
        { "example.com", 1 },
        { "EXAMPLE.com.", 1 },
        { "example.com:80", 1 },
        { "example.com:", 1 },
        { "a:0", 1 },
        { "127.0.0.1", 1 },
        { "127.0.0.1:8080", 1 },
        { "999.1.1.1", 1 },
        { "xn--bcher-kva.example", 1 },
        { "a_b~c-!$&'()*+,;=", 1 },
        { "%41%2e.example", 1 },
        { "[::1]", 1 },
        { "[::1]:443", 1 },
        { "[::]", 1 },
        { "[2001:db8::1]", 1 },
        { "[2001:DB8:0:0:0:0:0:1]", 1 },
        { "[1:2:3:4:5:6:7:8]", 1 },
        { "[1:2:3:4:5:6:7::]", 1 },
        { "[::2:3:4:5:6:7:8]", 1 },
        { "[::ffff:192.0.2.1]", 1 },
        { "[1:2:3:4:5:6:1.2.3.4]", 1 },
        { "[v1.abc:def]", 1 },
        { "[V1F.x]:1", 1 },
        { ":80", 0 },
        { ":", 0 },
        { "[]", 0 },
        { "[::1", 0 },
        { "::1", 0 },
        { "[::1]x", 0 },
        { "[::1]]", 0 },
        { "[::1]:a", 0 },
        { "a:b", 0 },
        { "a:1:2", 0 },
        { "a:-1", 0 },
        { "a b", 0 },
        { "a/b", 0 },
        { "a?b", 0 },
        { "a#b", 0 },
        { "user@host", 0 },
        { "\xc3\xa9.example", 0 },
        { "%4", 0 },
        { "%zz", 0 },
        { "[1:2:3:4:5:6:7:8:9]", 0 },
        { "[1:2:3:4:5:6:7]", 0 },
        { "[1:2:3:4:5:6:7:8::]", 0 },
        { "[1::2::3]", 0 },
        { "[12345::]", 0 },
        { "[:1]", 0 },
        { "[1:]", 0 },
        { "[:::]", 0 },
        { "[::1%eth0]", 0 },
        { "[fe80::1%25eth0]", 0 },
        { "[::1.2.3]", 0 },
        { "[::1.2.3.256]", 0 },
        { "[::01.2.3.4]", 0 },
        { "[::1.2.3.4:5]", 0 },
        { "[1:2:3:4:5:6:7:1.2.3.4]", 0 },
        { "[1.2.3.4]", 0 },
        { "[g::1]", 0 },
        { "[v.abc]", 0 },
        { "[vz.abc]", 0 },
        { "[v1.]", 0 },
        { "[v1]", 0 },
        { "[v1.a/b]", 0 },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ck_assert_msg(http_host_valid(sl(t[i].host)) == t[i].want, "'%s': want %d", t[i].host,
                      t[i].want);
    ck_assert_int_eq(http_host_valid((ev_slice_t){ "a\0b", 3 }), 0);
    ck_assert_int_eq(http_host_valid((ev_slice_t){ "[::1]:80x", 8 }), 1);
    ck_assert_int_eq(http_host_valid((ev_slice_t){ "%41", 2 }), 0);
}
END_TEST

/* ---- robustness under random mutation ---------------------------------------------- */

static uint64_t rng_state;

static uint64_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t
rng_below(size_t n)
{
    return n == 0 ? 0 : (size_t)(rng() % n);
}

static int
slice_within(ev_slice_t s, const char *buf, int rc)
{
    return s.p >= buf && s.p + s.len <= buf + rc;
}

/* What must hold of any complete parse, checked without the parser's own tables. */
static void
check_complete(const char *buf, int rc, const http_request_t *req, const http_limits_t *lim)
{
    size_t i, j;
    const http_field_t *f;

    ck_assert(buf[rc - 1] == '\n');
    ck_assert(slice_within(req->line, buf, rc) && slice_within(req->method, buf, rc) &&
              slice_within(req->target, buf, rc));
    ck_assert(req->method.len > 0 && req->target.len > 0);
    ck_assert(req->line.len <= (size_t)lim->line);
    ck_assert(req->version == 10 || req->version == 11);
    ck_assert(req->nfields <= (size_t)lim->fields);
    for (i = 0; i < req->nfields; i++) {
        f = &req->fields[i];
        ck_assert(slice_within(f->name, buf, rc) && slice_within(f->value, buf, rc));
        ck_assert(f->name.len > 0);
        for (j = 0; j < f->name.len; j++)
            ck_assert(is_tchar((unsigned char)f->name.p[j]));
        for (j = 0; j < f->value.len; j++)
            ck_assert(is_value_byte((unsigned char)f->value.p[j]));
        if (f->value.len > 0)
            ck_assert(f->value.p[0] != ' ' && f->value.p[0] != '\t' &&
                      f->value.p[f->value.len - 1] != ' ' && f->value.p[f->value.len - 1] != '\t');
    }
}

/* Mutate work[0..*len) once. */
static void
mutate(unsigned char *work, size_t *len, size_t cap)
{
    static const unsigned char special[] = { '\r', '\n', ' ', '\t', ':', 0,   0x7f,
                                             0x80, 0xff, '#', ',',  '2', '1', '/' };
    size_t at = rng_below(*len + 1);
    unsigned char b = rng_below(2) ? special[rng_below(sizeof(special))] : (unsigned char)rng();

    switch (rng_below(5)) {
    case 0:
    case 1:
        if (at < *len)
            work[at] = b;
        break;
    case 2:
        if (*len < cap) {
            memmove(work + at + 1, work + at, *len - at);
            work[at] = b;
            (*len)++;
        }
        break;
    case 3:
        if (at < *len) {
            memmove(work + at, work + at + 1, *len - at - 1);
            (*len)--;
        }
        break;
    default:
        *len = at;
        break;
    }
}

START_TEST(test_random_mutations)
{
    static const char *const seeds[] = {
        "GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n"
        "Connection: keep-alive\r\n\r\n",
        "\r\nPOST /form?a=b HTTP/1.0\nContent-Length: 5\nX-Empty:\n\nhello",
        "OPTIONS * HTTP/1.1\r\nHost:\r\nUser-Agent: t\x80\xff\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    };
    static http_field_t fields[MAXF], rfields[MAXF];
    unsigned char work[512];
    size_t counts[6] = { 0 }; /* complete, incomplete, 400, 414, 431, 505 */
    http_request_t req, rreq;
    http_parse_state_t st;
    http_limits_t lim;
    size_t len, i, cut1, cut2;
    int iter, m, rc, rrc, status, rstatus;
    char *buf;

    rng_state = 0x9e3779b97f4a7c15ULL;
    for (iter = 0; iter < 200000; iter++) {
        const char *seed = seeds[rng_below(sizeof(seeds) / sizeof(seeds[0]))];

        len = strlen(seed);
        memcpy(work, seed, len);
        for (m = 1 + (int)rng_below(4); m > 0; m--)
            mutate(work, &len, sizeof(work));
        lim.line = 8 + (int)rng_below(60);
        lim.field = 4 + (int)rng_below(40);
        lim.fields = (int)rng_below(6);
        buf = malloc(len);
        ck_assert_ptr_nonnull(buf);
        memcpy(buf, work, len);

        status = 0;
        rc = http_parse_request(buf, len, &lim, &req, fields, MAXF, &status);
        ck_assert_msg(rc == EV_PARSE_INCOMPLETE || rc == EV_PARSE_INVALID ||
                          (rc >= 1 && (size_t)rc <= len),
                      "iteration %d: rc %d of %zu", iter, rc, len);
        if (rc > 0) {
            check_complete(buf, rc, &req, &lim);
            counts[0]++;
        } else if (rc == EV_PARSE_INCOMPLETE) {
            counts[1]++;
        } else {
            ck_assert_msg(status == 400 || status == 414 || status == 431 || status == 505,
                          "iteration %d: status %d", iter, status);
            counts[status == 400 ? 2 : status == 414 ? 3 : status == 431 ? 4 : 5]++;
        }

        /* the same bytes in three reads give the same answer */
        cut1 = rng_below(len + 1);
        cut2 = cut1 + rng_below(len - cut1 + 1);
        http_parse_state_init(&st);
        rstatus = 0;
        rrc = http_parse_request_resume(&st, buf, cut1, &lim, &rreq, rfields, MAXF, &rstatus);
        if (rrc == EV_PARSE_INCOMPLETE)
            rrc = http_parse_request_resume(&st, buf, cut2, &lim, &rreq, rfields, MAXF, &rstatus);
        if (rrc == EV_PARSE_INCOMPLETE)
            rrc = http_parse_request_resume(&st, buf, len, &lim, &rreq, rfields, MAXF, &rstatus);
        ck_assert_msg(rrc == rc && rstatus == status, "iteration %d: resumed %d/%d, whole %d/%d",
                      iter, rrc, rstatus, rc, status);
        if (rc > 0) {
            ck_assert_uint_eq(rreq.nfields, req.nfields);
            for (i = 0; i < req.nfields; i++)
                ck_assert(memcmp(&rfields[i], &fields[i], sizeof(fields[i])) == 0);
        }
        free(buf);
    }
    /* the mutations reached every outcome */
    for (i = 0; i < 6; i++)
        ck_assert_msg(counts[i] > 0, "outcome %zu never seen", i);
}
END_TEST

static Suite *
http_parse_suite(void)
{
    Suite *s = suite_create("http_parse");
    TCase *tc = tcase_create("parse");
    TCase *slow = tcase_create("random");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_request_slices);
    tcase_add_test(tc, test_line_kept_on_late_failure);
    tcase_add_test(tc, test_method_ids);
    tcase_add_test(tc, test_prefixes);
    tcase_add_test(tc, test_pipelined);
    tcase_add_test(tc, test_blank_lines);
    tcase_add_test(tc, test_line_limit);
    tcase_add_test(tc, test_field_limit);
    tcase_add_test(tc, test_field_count);
    tcase_add_loop_test(tc, test_every_byte, 0, 256);
    tcase_add_test(tc, test_field_find_count);
    tcase_add_test(tc, test_token_list);
    tcase_add_test(tc, test_content_length);
    tcase_add_test(tc, test_host);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(slow, setup, teardown);
    tcase_set_timeout(slow, 120);
    tcase_add_test(slow, test_random_mutations);
    suite_add_tcase(s, slow);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(http_parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
