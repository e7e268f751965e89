/*
 * test_chunked.c — the chunked transfer coding decoder (RFC 9112 section 7.1).
 *
 * Every table row is decoded whole, split in two at every offset, and one byte per call;
 * all three must give the same data, the same outcome and the same position (the end of
 * the body, or the offending byte). Each piece is passed in a heap block of exactly its
 * size, so an out-of-bounds access shows under ASan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <check.h>

#include "chunked.h"

#define DONE EV_CHUNKED_DONE
#define MORE EV_CHUNKED_MORE
#define ERR  EV_CHUNKED_ERROR

/* A string literal as bytes and explicit length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1
/* Expected position: the whole input. */
#define ALL SIZE_MAX
/* Default limits: unlimited body, 64-byte lines, 4 trailers. */
#define DEF                                                                                        \
    {                                                                                              \
        0, 64, 4                                                                                   \
    }

static apr_pool_t *pool;

static void
pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void
pool_teardown(void)
{
    apr_pool_destroy(pool);
}

typedef struct {
    const char *in;
    size_t len;
    int ret;
    int status; /* when ret is ERR */
    const char *data;
    size_t data_len;
    size_t at; /* DONE: end of the body; ERR: the offending byte; ALL: len */
    chunked_limits_t lim;
} chunk_case_t;

static const chunk_case_t cases[] = {
    /* plain bodies */
    { S("0\r\n\r\n"), DONE, 0, S(""), ALL, DEF },
    { S("5\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), DONE, 0, S("hello world"), ALL, DEF },
    { S("000a\r\n0123456789\r\n0\r\n\r\n"), DONE, 0, S("0123456789"), ALL, DEF },
    { S("A\r\n0123456789\r\n00\r\n\r\n"), DONE, 0, S("0123456789"), ALL, DEF },
    { S("00000000000000000000000000000005\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    /* data is opaque: CR, LF, NUL, and what looks like chunk syntax */
    { S("6\r\n\r\n\0\n0;\r\n0\r\n\r\n"), DONE, 0, S("\r\n\0\n0;"), ALL, DEF },
    /* chunk extensions, parsed and ignored */
    { S("5;a\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=b\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5 ;a=b\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5\t;a=b\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a;b\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5; a = b ;c\t;d=\"x\"\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=\"x;y\\\"z\"\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=\"x\\;\"; b=\"\\\\\"\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=\"\"\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=\"b \tc\"\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=\"\x80\xff\\\xfe\"\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=\"b\";c=d\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;a=\"b\" ;c\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, DEF },
    { S("0;x=y\r\n\r\n"), DONE, 0, S(""), ALL, DEF },
    /* trailers, counted and dropped; framing fields there change nothing */
    { S("0\r\nA: b\r\nC-D:e f \r\n\r\n"), DONE, 0, S(""), ALL, DEF },
    { S("0\r\nA:\r\n\r\n"), DONE, 0, S(""), ALL, DEF },
    { S("0\r\nA: \x80\xff\t\r\n\r\n"), DONE, 0, S(""), ALL, DEF },
    { S("5\r\nhello\r\n0\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"), DONE, 0,
      S("hello"), ALL, DEF },
    /* pipelining: the next request is left alone */
    { S("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), DONE, 0, S("hello"), 15, DEF },
    { S("0\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), DONE, 0, S(""), 5, DEF },
    /* smuggling: a request hidden in chunk data is data; one after the body is not ours */
    { S("1c\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n\r\n0\r\n\r\n"), DONE, 0,
      S("0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n"), ALL, DEF },
    { S("3\r\nabc\r\n0\r\n\r\nPOST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), DONE, 0,
      S("abc"), 13, DEF },
    { S("3\r\nhello\r\n0\r\n\r\n"), ERR, 400, S("hel"), 6, DEF },
    { S("7\r\nhello\r\n0\r\n\r\n"), ERR, 400, S("hello\r\n"), 10, DEF },
    /* incomplete */
    { S(""), MORE, 0, S(""), ALL, DEF },
    { S("5\r\nhel"), MORE, 0, S("hel"), ALL, DEF },
    { S("5\r\nhello\r\n0\r\n"), MORE, 0, S("hello"), ALL, DEF },
    { S("0\r\n\r"), MORE, 0, S(""), ALL, DEF },
    { S("5;a=\"x"), MORE, 0, S(""), ALL, DEF },
    { S("0\r\nA: b"), MORE, 0, S(""), ALL, DEF },
    /* chunk-size: empty, signed, prefixed, junk, whitespace not before ';' */
    { S("\r\n0\r\n\r\n"), ERR, 400, S(""), 0, DEF },
    { S("\r\n5\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 0, DEF },
    { S(";a=b\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 0, DEF },
    { S(" 5\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 0, DEF },
    { S("\t5\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 0, DEF },
    { S("5 \r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 2, DEF },
    { S("5\t\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 2, DEF },
    { S("5;\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 2, DEF },
    { S("0x5\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 1, DEF },
    { S("+5\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 0, DEF },
    { S("-5\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 0, DEF },
    { S("g\r\n"), ERR, 400, S(""), 0, DEF },
    { S("5g\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 1, DEF },
    { S("5\0\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 1, DEF },
    { S("5,6\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 1, DEF },
    /* bare LF, bare CR */
    { S("5\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 1, DEF },
    { S("5\r\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 2, DEF },
    { S("5\rXhello\r\n0\r\n\r\n"), ERR, 400, S(""), 2, DEF },
    { S("5;a=b\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 5, DEF },
    { S("5;a=b\rhello\r\n0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("0\n\r\n"), ERR, 400, S(""), 1, DEF },
    /* chunk extensions outside the grammar */
    { S("5;a=\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 4, DEF },
    { S("5;a \r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 4, DEF },
    { S("5;a=b \r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("5;a=\"b\" \r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 8, DEF },
    { S("5;=b\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 2, DEF },
    { S("5;a=b;\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("5;;a\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 2, DEF },
    { S("5;a b\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 4, DEF },
    { S("5;a=b c\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 7, DEF },
    { S("5;a==b\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 4, DEF },
    { S("5;a@b\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 3, DEF },
    { S("5;a=b@\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 5, DEF },
    { S("5;a=\"b\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("5;a=\"\\\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("5;a=\"\0\"\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 5, DEF },
    { S("5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 5, DEF },
    { S("5;a=\"\\\x7f\"\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("5;a=\x80\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 4, DEF },
    /* the CRLF after chunk data */
    { S("5\r\nhelloX\r\n0\r\n\r\n"), ERR, 400, S("hello"), 8, DEF },
    { S("5\r\nhello\n0\r\n\r\n"), ERR, 400, S("hello"), 8, DEF },
    { S("5\r\nhello\r0\r\n\r\n"), ERR, 400, S("hello"), 9, DEF },
    { S("5\r\nhello\r\r\n0\r\n\r\n"), ERR, 400, S("hello"), 9, DEF },
    { S("5\r\nhello0\r\n\r\n"), ERR, 400, S("hello"), 8, DEF },
    /* trailer section */
    { S("0\r\nA: b\r\n c\r\n\r\n"), ERR, 400, S(""), 9, DEF },
    { S("0\r\nA: b\r\n\tc\r\n\r\n"), ERR, 400, S(""), 9, DEF },
    { S("0\r\n A: b\r\n\r\n"), ERR, 400, S(""), 3, DEF },
    { S("0\r\nA : b\r\n\r\n"), ERR, 400, S(""), 4, DEF },
    { S("0\r\n: b\r\n\r\n"), ERR, 400, S(""), 3, DEF },
    { S("0\r\nAb\r\n\r\n"), ERR, 400, S(""), 5, DEF },
    { S("0\r\nA(b: c\r\n\r\n"), ERR, 400, S(""), 4, DEF },
    { S("0\r\nA: b\n\r\n"), ERR, 400, S(""), 7, DEF },
    { S("0\r\nA: b\rX\r\n\r\n"), ERR, 400, S(""), 8, DEF },
    { S("0\r\nA: \0\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("0\r\nA: \x7f\r\n\r\n"), ERR, 400, S(""), 6, DEF },
    { S("0\r\n\n"), ERR, 400, S(""), 3, DEF },
    { S("0\r\n\rX"), ERR, 400, S(""), 4, DEF },
    { S("0\r\nA: b\r\n\n"), ERR, 400, S(""), 9, DEF },
    /* max_body: at the limit, one over (refused at the digit, before any data) */
    { S("5\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, { 5, 64, 4 } },
    { S("5\r\nhello\r\n0\r\n\r\n"), ERR, 413, S(""), 0, { 4, 64, 4 } },
    { S("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"), DONE, 0, S("abcdef"), ALL, { 6, 64, 4 } },
    { S("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"), ERR, 413, S("abc"), 8, { 5, 64, 4 } },
    { S("10\r\n0123456789abcdef\r\n0\r\n\r\n"),
      DONE,
      0,
      S("0123456789abcdef"),
      ALL,
      { 16, 64, 4 } },
    { S("10\r\n0123456789abcdef\r\n0\r\n\r\n"), ERR, 413, S(""), 1, { 15, 64, 4 } },
    { S("5\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, { -1, 64, 4 } },
    /* sizes past 63 bits, or a total past INT64_MAX */
    { S("7fffffffffffffff\r\nab"), MORE, 0, S("ab"), ALL, DEF },
    { S("0007fffffffffffffff\r\nab"), MORE, 0, S("ab"), ALL, DEF },
    { S("8000000000000000\r\nab"), ERR, 413, S(""), 15, DEF },
    { S("ffffffffffffffff\r\nab"), ERR, 413, S(""), 15, DEF },
    { S("10000000000000000\r\nab"), ERR, 413, S(""), 16, DEF },
    { S("ffffffffffffffff5\r\nhello\r\n0\r\n\r\n"), ERR, 413, S(""), 15, DEF },
    { S("100000005\r\nhello\r\n0\r\n\r\n"), ERR, 413, S(""), 6, { 1 << 20, 64, 4 } },
    { S("1\r\na\r\n7ffffffffffffffe\r\nb"), MORE, 0, S("ab"), ALL, DEF },
    { S("1\r\na\r\n7fffffffffffffff\r\nb"), ERR, 413, S("a"), 21, DEF },
    /* max_line: chunk-size lines (400), trailer lines (431); data is not a line */
    { S("000a\r\n0123456789\r\n0\r\n\r\n"), DONE, 0, S("0123456789"), ALL, { 0, 4, 4 } },
    { S("0000a\r\n0123456789\r\n0\r\n\r\n"), ERR, 400, S(""), 4, { 0, 4, 4 } },
    { S("5;ab\r\nhello\r\n0\r\n\r\n"), DONE, 0, S("hello"), ALL, { 0, 4, 4 } },
    { S("5;abc\r\nhello\r\n0\r\n\r\n"), ERR, 400, S(""), 4, { 0, 4, 4 } },
    { S("a\r\n0123456789\r\n0\r\n\r\n"), DONE, 0, S("0123456789"), ALL, { 0, 1, 4 } },
    { S("0\r\nA: b\r\n\r\n"), DONE, 0, S(""), ALL, { 0, 4, 4 } },
    { S("0\r\nA: bc\r\n\r\n"), ERR, 431, S(""), 7, { 0, 4, 4 } },
    { S("0\r\nABCDE\r\n\r\n"), ERR, 431, S(""), 7, { 0, 4, 4 } },
    /* max_trailers: at the limit, one over */
    { S("0\r\nA: 1\r\nB: 2\r\n\r\n"), DONE, 0, S(""), ALL, { 0, 64, 2 } },
    { S("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), ERR, 431, S(""), 15, { 0, 64, 2 } },
    { S("0\r\n\r\n"), DONE, 0, S(""), ALL, { 0, 64, 0 } },
    { S("0\r\nA: 1\r\n\r\n"), ERR, 431, S(""), 3, { 0, 64, 0 } },
};

typedef struct {
    int ret;
    int status;
    size_t pos;  /* input bytes consumed in all */
    char *data;  /* decoded data, concatenated */
    size_t dlen; /* bytes in data */
    uint64_t total;
} outcome_t;

/*
 * Decode in[0..len) as pieces cut at cuts[0..ncuts) (ascending), each in a heap block of
 * exactly its size, checking the contract's invariants on every call. o->data is from p.
 */
static void
feed(apr_pool_t *p, const char *in, size_t len, const size_t *cuts, size_t ncuts,
     const chunked_limits_t *lim, outcome_t *o)
{
    chunked_t ch;
    size_t start = 0;

    chunked_init(&ch);
    o->ret = MORE;
    o->status = 0;
    o->pos = 0;
    o->dlen = 0;
    o->data = apr_palloc(p, len + 1);
    for (size_t k = 0; k <= ncuts && o->ret == MORE; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        size_t n = end - start, used = SIZE_MAX, dlen = SIZE_MAX;
        char *piece = n > 0 ? malloc(n) : NULL;
        int st = -7;

        if (n > 0)
            memcpy(piece, in + start, n);
        o->ret = chunked_decode(&ch, piece, n, lim, &used, &dlen, &st);
        ck_assert_msg(o->ret == MORE || o->ret == DONE || o->ret == ERR, "ret %d", o->ret);
        ck_assert_uint_le(used, n);
        ck_assert_uint_le(dlen, used);
        if (o->ret == MORE)
            ck_assert_uint_eq(used, n);
        if (o->ret == DONE && used < n)
            ck_assert_int_eq(memcmp(piece + used, in + start + used, n - used), 0);
        if (o->ret == ERR)
            o->status = st;
        else
            ck_assert_int_eq(st, -7);
        if (dlen > 0)
            memcpy(o->data + o->dlen, piece, dlen);
        o->dlen += dlen;
        o->pos += used;
        start = end;
        free(piece);
    }
    o->total = ch.total;
}

static void
assert_same(const outcome_t *a, const outcome_t *b, const char *what, int i)
{
    ck_assert_msg(a->ret == b->ret && a->status == b->status && a->pos == b->pos,
                  "case %d %s: ret %d status %d pos %zu, whole gave %d %d %zu", i, what, b->ret,
                  b->status, b->pos, a->ret, a->status, a->pos);
    ck_assert_msg(a->dlen == b->dlen && memcmp(a->data, b->data, a->dlen) == 0,
                  "case %d %s: data differs", i, what);
    ck_assert_uint_eq(a->total, b->total);
}

START_TEST(test_decode_table)
{
    const chunk_case_t *c = &cases[_i];
    size_t at = c->at == ALL ? c->len : c->at;
    size_t *cuts = apr_palloc(pool, (c->len + 1) * sizeof(*cuts));
    outcome_t whole, split;

    feed(pool, c->in, c->len, NULL, 0, &c->lim, &whole);
    ck_assert_msg(whole.ret == c->ret, "case %d: ret %d, want %d", _i, whole.ret, c->ret);
    if (c->ret == ERR)
        ck_assert_msg(whole.status == c->status, "case %d: status %d, want %d", _i, whole.status,
                      c->status);
    ck_assert_msg(whole.pos == at, "case %d: position %zu, want %zu", _i, whole.pos, at);
    ck_assert_msg(whole.dlen == c->data_len, "case %d: %zu data bytes, want %zu", _i, whole.dlen,
                  c->data_len);
    ck_assert_int_eq(memcmp(whole.data, c->data, c->data_len), 0);
    ck_assert_uint_eq(whole.total, c->data_len);

    for (size_t k = 1; k < c->len; k++) {
        cuts[0] = k;
        feed(pool, c->in, c->len, cuts, 1, &c->lim, &split);
        assert_same(&whole, &split, "two pieces", _i);
    }
    for (size_t k = 1; k < c->len; k++)
        cuts[k - 1] = k;
    feed(pool, c->in, c->len, cuts, c->len > 0 ? c->len - 1 : 0, &c->lim, &split);
    assert_same(&whole, &split, "byte by byte", _i);
}
END_TEST

START_TEST(test_spent)
{
    static const chunked_limits_t lim = DEF;
    char body[] = "0\r\n\r\n5\r\n";
    char bad[] = "x";
    chunked_t ch;
    size_t used, dlen;
    int st = 0;

    chunked_init(&ch);
    ck_assert_int_eq(chunked_decode(&ch, body, 5, &lim, &used, &dlen, &st), DONE);
    ck_assert_int_eq(chunked_decode(&ch, body + 5, 3, &lim, &used, &dlen, &st), ERR);
    ck_assert_int_eq(st, 500);
    ck_assert_uint_eq(used, 0);
    ck_assert_uint_eq(dlen, 0);

    chunked_init(&ch);
    st = 0;
    ck_assert_int_eq(chunked_decode(&ch, bad, 1, &lim, &used, &dlen, &st), ERR);
    ck_assert_int_eq(st, 400);
    ck_assert_int_eq(chunked_decode(&ch, body, 5, &lim, &used, &dlen, &st), ERR);
    ck_assert_int_eq(st, 500);
    ck_assert_uint_eq(used, 0);

    /* chunked_init makes a spent decoder new again */
    chunked_init(&ch);
    ck_assert_int_eq(chunked_decode(&ch, body, 5, &lim, &used, &dlen, &st), DONE);
    ck_assert_uint_eq(used, 5);
}
END_TEST

START_TEST(test_empty_input)
{
    static const chunked_limits_t lim = DEF;
    chunked_t ch;
    size_t used = 9, dlen = 9;
    int st = 0;

    chunked_init(&ch);
    ck_assert_int_eq(chunked_decode(&ch, NULL, 0, &lim, &used, &dlen, &st), MORE);
    ck_assert_uint_eq(used, 0);
    ck_assert_uint_eq(dlen, 0);
}
END_TEST

/*
 * A 1 MiB body of 64 KiB chunks, read the way conn.c reads: a fixed buffer refilled with
 * up to 4099 bytes (so pieces never align with chunks), each call's data taken from the
 * front of the slice passed.
 */
START_TEST(test_large_body)
{
    enum { CHUNK = 65536, NCHUNK = 16, READ = 4099 };
    static const chunked_limits_t lim = { (int64_t)CHUNK * NCHUNK, 64, 4 };
    size_t cap = (size_t)NCHUNK * (CHUNK + 16) + 8, len = 0, pos = 0, got = 0;
    char *coded = apr_palloc(pool, cap);
    char *buf = apr_palloc(pool, READ);
    chunked_t ch;
    int r = MORE;
    size_t bad = 0;

    for (int k = 0; k < NCHUNK; k++) {
        len += (size_t)sprintf(coded + len, "%x\r\n", CHUNK);
        for (int j = 0; j < CHUNK; j++)
            coded[len++] = (char)((k * CHUNK + j) % 251);
        len += (size_t)sprintf(coded + len, "\r\n");
    }
    len += (size_t)sprintf(coded + len, "0\r\n\r\n");
    chunked_init(&ch);
    while (r == MORE && pos < len) {
        size_t n = len - pos < READ ? len - pos : READ, used, dlen;
        int st;

        memcpy(buf, coded + pos, n);
        r = chunked_decode(&ch, buf, n, &lim, &used, &dlen, &st);
        for (size_t j = 0; j < dlen; j++)
            bad += (unsigned char)buf[j] != (got + j) % 251;
        got += dlen;
        pos += used;
    }
    ck_assert_int_eq(r, DONE);
    ck_assert_uint_eq(pos, len);
    ck_assert_uint_eq(got, (size_t)CHUNK * NCHUNK);
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(ch.total, got);
}
END_TEST

/* xorshift64*: a fixed sequence, so a failure reproduces. */
static uint64_t
rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static size_t
rng_below(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

/* Apply one to three edits: overwrite, insert, delete, duplicate a span, truncate. */
static size_t
mutate(uint64_t *s, char *b, size_t len, size_t cap)
{
    static const char spicy[] = "\r\n;=\"\\ \t0fF:xX+-\x80\xff\x7f";
    int edits = 1 + (int)rng_below(s, 3);

    for (int e = 0; e < edits; e++) {
        size_t at = len > 0 ? rng_below(s, len) : 0;
        char c = rng_below(s, 2) ? spicy[rng_below(s, sizeof(spicy))] : (char)rng_next(s);

        switch (rng_below(s, 5)) {
        case 0:
            if (len > 0)
                b[at] = c;
            break;
        case 1:
            if (len < cap) {
                memmove(b + at + 1, b + at, len - at);
                b[at] = c;
                len++;
            }
            break;
        case 2:
            if (len > 0) {
                memmove(b + at, b + at + 1, len - at - 1);
                len--;
            }
            break;
        case 3: {
            size_t n = len - at < 8 ? len - at : 8;

            if (len + n <= cap) {
                memmove(b + at + n, b + at, len - at);
                len += n;
            }
            break;
        }
        default:
            len = at;
        }
    }
    return len;
}

/*
 * ~200000 mutations of the table's valid bodies, each decoded whole and in two to four
 * random pieces: the invariants hold on every call (checked in feed), and the pieces
 * give exactly the whole's outcome, data and position.
 */
START_TEST(test_robustness)
{
    enum { ROUNDS = 200000, SLACK = 64 };
    static const chunked_limits_t lims[] = { DEF, { 7, 8, 1 }, { 0, 3, 0 }, { 1, 64, 64 } };
    const size_t ncases = sizeof(cases) / sizeof(cases[0]);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    char *b = apr_palloc(pool, 256 + SLACK);
    const chunk_case_t **seeds = apr_palloc(pool, ncases * sizeof(*seeds));
    size_t nseeds = 0;
    int outcomes[3] = { 0, 0, 0 }; /* ERROR, MORE, DONE */
    apr_pool_t *scratch;

    for (size_t k = 0; k < ncases; k++)
        if (cases[k].ret == DONE && cases[k].len <= 256)
            seeds[nseeds++] = &cases[k];
    ck_assert_uint_gt(nseeds, 20);
    ck_assert_int_eq(apr_pool_create(&scratch, pool), APR_SUCCESS);
    for (int round = 0; round < ROUNDS; round++) {
        const chunk_case_t *c = seeds[rng_below(&seed, nseeds)];
        const chunked_limits_t *lim = &lims[rng_below(&seed, sizeof(lims) / sizeof(lims[0]))];
        size_t len, cuts[3], ncuts = 1 + rng_below(&seed, 3);
        outcome_t whole, split;

        memcpy(b, c->in, c->len);
        len = mutate(&seed, b, c->len, c->len + SLACK);
        for (size_t k = 0; k < ncuts; k++)
            cuts[k] = len > 0 ? rng_below(&seed, len + 1) : 0;
        for (size_t k = 1; k < ncuts; k++) /* insertion sort: cuts must ascend */
            for (size_t j = k; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                size_t t = cuts[j];

                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        apr_pool_clear(scratch);
        feed(scratch, b, len, NULL, 0, lim, &whole);
        feed(scratch, b, len, cuts, ncuts, lim, &split);
        assert_same(&whole, &split, "mutated", round);
        outcomes[whole.ret + 1]++;
    }
    /* The mutations must reach all three outcomes often, or they test little. */
    for (int k = 0; k < 3; k++)
        ck_assert_int_gt(outcomes[k], ROUNDS / 50);
}
END_TEST

static Suite *
chunked_suite(void)
{
    Suite *s = suite_create("chunked");
    TCase *decode = tcase_create("decode");
    TCase *robust = tcase_create("robustness");

    tcase_add_checked_fixture(decode, pool_setup, pool_teardown);
    tcase_add_loop_test(decode, test_decode_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(decode, test_spent);
    tcase_add_test(decode, test_empty_input);
    tcase_add_test(decode, test_large_body);
    suite_add_tcase(s, decode);

    tcase_add_checked_fixture(robust, pool_setup, pool_teardown);
    tcase_set_timeout(robust, 300);
    tcase_add_test(robust, test_robustness);
    suite_add_tcase(s, robust);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(chunked_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
