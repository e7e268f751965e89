/*
 * test_proxy_proto.c — the PROXY protocol header parser (versions 1 and 2).
 *
 * Every table row is parsed whole and at every prefix, each prefix in a heap block of
 * exactly its size so that a read past the end shows under ASan. A valid header must be
 * MORE at every proper prefix and DONE at its end; an invalid one must turn BAD at the
 * very byte that rules it out (the row's `at`) and stay BAD. Generated IPv4 and IPv6
 * addresses, valid and mutated, are checked against inet_pton so that the parser's
 * early refusal of address prefixes never refuses what the C library accepts.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "proxy_proto.h"

#define DONE PROXY_PROTO_DONE
#define MORE PROXY_PROTO_MORE
#define BAD  PROXY_PROTO_BAD

/* A string literal as bytes and explicit length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

/* The v2 signature, and a v2 head of version/command, family and 16-bit length. */
#define SIG                  "\r\n\r\n\0\r\nQUIT\n"
#define V2(cmd, fam, hi, lo) SIG cmd fam hi lo
/* Address blocks: 192.0.2.1:12345 -> 198.51.100.7:443 and [2001:db8::1]:1 -> [2001:db8::2]:65535 */
#define ADDR4 "\xC0\x00\x02\x01\xC6\x33\x64\x07\x30\x39\x01\xBB"
#define ADDR6                                                                                      \
    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"                                                   \
    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02\x00\x01\xFF\xFF"
#define FF4 "ffff:ffff:ffff:ffff"
#define X46 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define Q45 "0000:0000:0000:0000:0000:ffff:255.255.255.255"

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
    proxy_proto_rc_t rc;
    size_t at; /* DONE: consumed (the whole row); BAD: the shortest prefix that is BAD */
    int version, local, family;
    const char *src, *dst; /* DONE, !local: the addresses as text */
    uint16_t src_port, dst_port;
    const char *reason; /* BAD */
} pp_case_t;

#define OK(lit, ver, fam, src, dst, sp, dp)                                                        \
    {                                                                                              \
        S(lit), DONE, sizeof(lit) - 1, ver, 0, fam, src, dst, sp, dp, NULL                         \
    }
#define LOCAL(lit, ver)                                                                            \
    {                                                                                              \
        S(lit), DONE, sizeof(lit) - 1, ver, 1, AF_UNSPEC, NULL, NULL, 0, 0, NULL                   \
    }
#define NO(lit, at, why)                                                                           \
    {                                                                                              \
        S(lit), BAD, at, 0, 0, AF_UNSPEC, NULL, NULL, 0, 0, why                                    \
    }

static const pp_case_t cases[] = {
    /* v1 */
    OK("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", 1, AF_INET, "192.168.0.1",
       "192.168.0.11", 56324, 443),
    OK("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", 1, AF_INET, "255.255.255.255",
       "255.255.255.255", 65535, 65535),
    OK("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n", 1, AF_INET, "0.0.0.0", "10.0.0.1", 0, 0),
    OK("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n", 1, AF_INET6, "2001:db8::1", "2001:db8::2",
       1, 65535),
    OK("PROXY TCP6 " FF4 ":" FF4 " " FF4 ":" FF4 " 65535 65535\r\n", 1, AF_INET6, FF4 ":" FF4,
       FF4 ":" FF4, 65535, 65535),
    OK("PROXY TCP6 ::ffff:192.0.2.1 :: 80 8080\r\n", 1, AF_INET6, "::ffff:192.0.2.1", "::", 80,
       8080),
    OK("PROXY TCP6 FE80::0001 0:0:0:0:0:0:0:1 10 20\r\n", 1, AF_INET6, "fe80::1", "::1", 10, 20),
    OK("PROXY TCP6 " Q45 " ::1 1 2\r\n", 1, AF_INET6, "::ffff:255.255.255.255", "::1", 1, 2),
    LOCAL("PROXY UNKNOWN\r\n", 1),
    LOCAL("PROXY UNKNOWN 192.0.2.1 198.51.100.7 12345 443\r\n", 1),
    LOCAL("PROXY UNKNOWN " FF4 ":" FF4 " " FF4 ":" FF4 " 65535 65535\r\n", 1), /* 107 bytes */
    LOCAL("PROXY UNKNOWN\t\x01\xff anything \0 at all\r\n", 1),
    /* v2 */
    OK(V2("\x21", "\x11", "\x00", "\x0C") ADDR4, 2, AF_INET, "192.0.2.1", "198.51.100.7", 12345,
       443),
    OK(V2("\x21", "\x21", "\x00", "\x24") ADDR6, 2, AF_INET6, "2001:db8::1", "2001:db8::2", 1,
       65535),
    OK(V2("\x21", "\x11", "\x00", "\x14") ADDR4 "\x01\x00\x02h2"
                                                "\x04\x00\x00",
       2, AF_INET, "192.0.2.1", "198.51.100.7", 12345, 443),
    OK(V2("\x21", "\x21", "\x00", "\x2A") ADDR6 "\xEE\x00\x03xyz", 2, AF_INET6, "2001:db8::1",
       "2001:db8::2", 1, 65535),
    LOCAL(V2("\x20", "\x00", "\x00", "\x00"), 2),
    LOCAL(V2("\x20", "\x11", "\x00", "\x0C") ADDR4, 2),
    LOCAL(V2("\x20", "\xFF", "\x00", "\x02") "\x01\x00", 2), /* LOCAL: block and family ignored */
    LOCAL(V2("\x21", "\x00", "\x00", "\x00"), 2),
    LOCAL(V2("\x21", "\x00", "\x00", "\x03") "abc", 2),

    /* not a PROXY header at all */
    NO("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1, "bad signature"),
    NO("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 1, "bad signature"),
    NO("PROXZ TCP4", 5, "bad signature"),
    NO("PROXYTCP4", 6, "bad signature"),
    NO("\r\n\r\n\0X", 6, "bad signature"),
    NO("\r\n\r\n\0\r\nQUIT\r", 12, "bad signature"),
    /* v1 protocol */
    NO("PROXY tcp4 1.2.3.4", 7, "bad v1 protocol"),
    NO("PROXY  TCP4 1.2.3.4", 7, "bad v1 protocol"),
    NO("PROXY TCP5 1.2.3.4", 10, "bad v1 protocol"),
    NO("PROXY TCP4x1.2.3.4", 11, "bad v1 protocol"),
    NO("PROXY UNKNOWX\r\n", 13, "bad v1 protocol"),
    /* v1 IPv4 */
    NO("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", 12, "bad v1 address"),
    NO("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", 19, "bad v1 address"),
    NO("PROXY TCP4 256.0.0.1 5.6.7.8 1 2\r\n", 14, "bad v1 address"),
    NO("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", 17, "bad v1 address"),
    NO("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", 19, "bad v1 address"),
    NO("PROXY TCP4 1..2.3.4 5.6.7.8 1 2\r\n", 14, "bad v1 address"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8. 1 2\r\n", 27, "bad v1 address"),
    NO("PROXY TCP4 ::1 ::1 1 2\r\n", 12, "bad v1 address"),
    NO("PROXY TCP4 1.2.3.4 0x1.2.3.4 1 2\r\n", 21, "bad v1 address"),
    /* v1 IPv6 */
    NO("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", 13, "bad v1 address"),
    NO("PROXY TCP6 1:::2 ::1 1 2\r\n", 15, "bad v1 address"),
    NO("PROXY TCP6 1::2::3 ::1 1 2\r\n", 17, "bad v1 address"),
    NO("PROXY TCP6 :1::2 ::1 1 2\r\n", 13, "bad v1 address"),
    NO("PROXY TCP6 12345:: ::1 1 2\r\n", 16, "bad v1 address"),
    NO("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", 27, "bad v1 address"),
    NO("PROXY TCP6 ::1:2:3:4:5:6:7:8 ::1 1 2\r\n", 27, "bad v1 address"),
    NO("PROXY TCP6 ::1: ::1 1 2\r\n", 16, "bad v1 address"),
    NO("PROXY TCP6 ::g ::1 1 2\r\n", 14, "bad v1 address"),
    NO("PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n", 21, "bad v1 address"),
    NO("PROXY TCP6 ::ffff:1.2.3.256 ::1 1 2\r\n", 27, "bad v1 address"),
    NO("PROXY TCP6 ::ffff:a.2.3.4 ::1 1 2\r\n", 20, "bad v1 address"),
    NO("PROXY TCP6 ::1 1.2.3.4 1 2\r\n", 17, "bad v1 address"),
    NO("PROXY TCP6 ::1 " X46 " 1 2\r\n", 16, "bad v1 address"),
    /* v1 ports */
    NO("PROXY TCP6 ::1 ::1 65536 1\r\n", 24, "bad v1 port"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", 29, "bad v1 port"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n", 28, "bad v1 port"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", 30, "bad v1 port"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", 31, "bad v1 port"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n", 35, "bad v1 port"),
    /* v1 line ends */
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", 31, "v1 bare LF"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", 32, "v1 CR without LF"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", 32, "v1 CR without LF"),
    NO("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", 29, "v1 line ends early"),
    NO("PROXY TCP4 1.2.3.4\n", 19, "v1 bare LF"),
    NO("PROXY UNKNOWN\n", 14, "v1 bare LF"),
    NO("PROXY UNKNOWN x\ny\r\n", 16, "v1 bare LF"),
    NO("PROXY UNKNOWN\rX", 15, "v1 CR without LF"),
    /* v1 length: the CR must come by byte 106, however the line is made up */
    NO("PROXY UNKNOWN " X46 X46 "xxxxxxxxxxxxxx\r\n", 106, "v1 line too long"),
    NO("PROXY TCP6 " Q45 " " Q45 " 65535 65535\r\n", 102, "v1 line too long"),
    /* v2 head */
    NO(V2("\x11", "\x11", "\x00", "\x0C") ADDR4, 13, "bad v2 version"),
    NO(V2("\x31", "\x11", "\x00", "\x0C") ADDR4, 13, "bad v2 version"),
    NO(V2("\x22", "\x11", "\x00", "\x0C") ADDR4, 13, "bad v2 command"),
    NO(V2("\x2F", "\x11", "\x00", "\x0C") ADDR4, 13, "bad v2 command"),
    NO(V2("\x21", "\x12", "\x00", "\x0C") ADDR4, 14, "unsupported address family"),
    NO(V2("\x21", "\x22", "\x00", "\x24") ADDR6, 14, "unsupported address family"),
    NO(V2("\x21", "\x31", "\x00", "\xD8"), 14, "unsupported address family"),
    NO(V2("\x21", "\x32", "\x00", "\xD8"), 14, "unsupported address family"),
    NO(V2("\x21", "\x41", "\x00", "\x0C"), 14, "bad v2 address family"),
    NO(V2("\x21", "\x13", "\x00", "\x0C"), 14, "bad v2 address family"),
    NO(V2("\x21", "\x01", "\x00", "\x00"), 14, "bad v2 address family"),
    NO(V2("\x21", "\x10", "\x00", "\x0C"), 14, "bad v2 address family"),
    /* v2 length */
    NO(V2("\x21", "\x11", "\x02", "\x09"), 16, "too long"),
    NO(V2("\x20", "\x00", "\x03", "\x00"), 15, "too long"),
    NO(V2("\x21", "\x11", "\xFF", "\xFF"), 15, "too long"),
    NO(V2("\x21", "\x11", "\x00", "\x0B") ADDR4, 16, "v2 address block too short"),
    NO(V2("\x21", "\x21", "\x00", "\x0C") ADDR4, 16, "v2 address block too short"),
    NO(V2("\x21", "\x11", "\x00", "\x00"), 16, "v2 address block too short"),
    /* v2 TLVs */
    NO(V2("\x21", "\x11", "\x00", "\x0E") ADDR4 "\x01\x00", 16, "bad TLV"),
    NO(V2("\x21", "\x11", "\x00", "\x10") ADDR4 "\x04\x00\x02x", 31, "bad TLV"),
    NO(V2("\x21", "\x11", "\x00", "\x10") ADDR4 "\x04\x01\x00x", 30, "bad TLV"),
    NO(V2("\x21", "\x11", "\x00", "\x13") ADDR4 "\x01\x00\x02h2\x04\x00", 31, "bad TLV"),
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* proxy_proto_parse on an exact-size heap copy of in[0..len). */
static proxy_proto_rc_t
parse_exact(const char *in, size_t len, proxy_proto_t *out)
{
    char *copy = len > 0 ? malloc(len) : NULL;
    proxy_proto_rc_t rc;

    ck_assert(len == 0 || copy != NULL);
    if (len > 0)
        memcpy(copy, in, len);
    memset(out, 0xA5, sizeof(*out)); /* whatever was there must not leak through */
    rc = proxy_proto_parse(copy, len, out);
    free(copy);
    return rc;
}

/* The address text a DONE result must give, as bytes. */
static void
assert_addr(int family, const unsigned char *got, const char *want, const char *what, int i)
{
    unsigned char bytes[16] = { 0 };

    ck_assert_msg(inet_pton(family, want, bytes) == 1, "case %d: bad test address %s", i, want);
    ck_assert_msg(memcmp(got, bytes, sizeof(bytes)) == 0, "case %d: %s is not %s", i, what, want);
}

/* *out after a MORE or BAD: zero but for the reason. */
static void
assert_cleared(const proxy_proto_t *out, const char *reason, int i, size_t k)
{
    static const unsigned char zero[16];

    ck_assert_msg(out->consumed == 0 && out->version == 0 && out->local == 0 &&
                      out->family == AF_UNSPEC && out->src_port == 0 && out->dst_port == 0 &&
                      memcmp(out->src, zero, 16) == 0 && memcmp(out->dst, zero, 16) == 0,
                  "case %d at %zu: result fields not cleared", i, k);
    if (reason == NULL)
        ck_assert_msg(out->reason == NULL, "case %d at %zu: reason %s on MORE", i, k, out->reason);
    else
        ck_assert_msg(out->reason != NULL && strcmp(out->reason, reason) == 0,
                      "case %d at %zu: reason \"%s\", want \"%s\"", i, k,
                      out->reason ? out->reason : "(null)", reason);
}

static void
assert_done(const pp_case_t *c, const proxy_proto_t *out, int i)
{
    static const unsigned char zero[16];

    ck_assert_msg(out->consumed == c->at, "case %d: consumed %zu, want %zu", i, out->consumed,
                  c->at);
    ck_assert_int_eq(out->version, c->version);
    ck_assert_int_eq(out->local, c->local);
    ck_assert_int_eq(out->family, c->family);
    ck_assert_ptr_null(out->reason);
    ck_assert_uint_eq(out->src_port, c->src_port);
    ck_assert_uint_eq(out->dst_port, c->dst_port);
    if (c->local) {
        ck_assert(memcmp(out->src, zero, 16) == 0 && memcmp(out->dst, zero, 16) == 0);
        return;
    }
    assert_addr(c->family, out->src, c->src, "src", i);
    assert_addr(c->family, out->dst, c->dst, "dst", i);
}

START_TEST(test_table_whole)
{
    const pp_case_t *c = &cases[_i];
    proxy_proto_t out;
    proxy_proto_rc_t rc = parse_exact(c->in, c->len, &out);

    ck_assert_msg(rc == c->rc, "case %d: rc %d, want %d (reason %s)", _i, rc, c->rc,
                  rc == BAD ? out.reason : "-");
    if (rc == DONE)
        assert_done(c, &out, _i);
    else
        assert_cleared(&out, c->reason, _i, c->len);
}
END_TEST

/* One byte at a time: MORE until the header's last byte (or the first byte that rules
 * it out), then DONE with the same result (or BAD for good). */
START_TEST(test_table_prefixes)
{
    const pp_case_t *c = &cases[_i];
    proxy_proto_t out;

    ck_assert_uint_le(c->at, c->len);
    for (size_t k = 0; k <= c->len; k++) {
        proxy_proto_rc_t rc = parse_exact(c->in, k, &out);

        if (k < c->at) {
            ck_assert_msg(rc == MORE, "case %d: rc %d at %zu of %zu, want MORE (%s)", _i, rc, k,
                          c->at, rc == BAD ? out.reason : "-");
            assert_cleared(&out, NULL, _i, k);
        } else if (c->rc == DONE) {
            ck_assert_msg(rc == DONE, "case %d: rc %d at %zu", _i, rc, k);
            assert_done(c, &out, _i);
        } else {
            ck_assert_msg(rc == BAD, "case %d: rc %d at %zu, want BAD", _i, rc, k);
            assert_cleared(&out, c->reason, _i, k);
        }
    }
}
END_TEST

/* The HTTP bytes behind a header are not the parser's: consumed stops at the header. */
START_TEST(test_table_followed_by_request)
{
    static const char request[] = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
    const pp_case_t *c = &cases[_i];
    proxy_proto_t out;
    char *in;

    if (c->rc != DONE)
        return;
    in = apr_palloc(pool, c->len + sizeof(request));
    memcpy(in, c->in, c->len);
    memcpy(in + c->len, request, sizeof(request));
    ck_assert_int_eq(parse_exact(in, c->len + sizeof(request) - 1, &out), DONE);
    assert_done(c, &out, _i);
}
END_TEST

/* No byte but 'P' and CR can start a header: anything else is refused at once. */
START_TEST(test_first_byte)
{
    proxy_proto_t out;

    ck_assert_int_eq(parse_exact("", 0, &out), MORE);
    ck_assert_int_eq(proxy_proto_parse(NULL, 0, &out), MORE);
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        proxy_proto_rc_t want = b == 'P' || b == '\r' ? MORE : BAD;

        ck_assert_msg(parse_exact(&c, 1, &out) == want, "first byte 0x%02x", b);
    }
}
END_TEST

/* A v2 header of exactly PROXY_PROTO_MAX_HEADER bytes is taken; one byte more is not,
 * and no input of PROXY_PROTO_MAX_HEADER bytes is MORE. */
START_TEST(test_max_header)
{
    enum { TLV = PROXY_PROTO_MAX_HEADER - 16 - 12 - 3 };
    unsigned char *h = apr_pcalloc(pool, PROXY_PROTO_MAX_HEADER + 1);
    proxy_proto_t out;

    memcpy(h, S(V2("\x21", "\x11", "\x02", "\x08") ADDR4 "\x04"));
    h[29] = TLV >> 8;
    h[30] = TLV & 0xFF;
    ck_assert_int_eq(parse_exact((char *)h, PROXY_PROTO_MAX_HEADER - 1, &out), MORE);
    ck_assert_int_eq(parse_exact((char *)h, PROXY_PROTO_MAX_HEADER, &out), DONE);
    ck_assert_uint_eq(out.consumed, PROXY_PROTO_MAX_HEADER);
    ck_assert_uint_eq(out.src_port, 12345);
    ck_assert_int_eq(parse_exact((char *)h, PROXY_PROTO_MAX_HEADER + 1, &out), DONE);
    ck_assert_uint_eq(out.consumed, PROXY_PROTO_MAX_HEADER);

    h[15] = 0x09; /* 16 + 521 */
    h[30] = (TLV + 1) & 0xFF;
    ck_assert_int_eq(parse_exact((char *)h, PROXY_PROTO_MAX_HEADER + 1, &out), BAD);
    ck_assert_str_eq(out.reason, "too long");

    memset(h, 'x', PROXY_PROTO_MAX_HEADER);
    memcpy(h, "PROXY UNKNOWN ", 14);
    ck_assert_int_eq(parse_exact((char *)h, PROXY_PROTO_MAX_HEADER, &out), BAD);
    ck_assert_str_eq(out.reason, "v1 line too long");
    /* The longest UNKNOWN line, 107 bytes, is taken with the same peek. */
    memcpy(h + 105, "\r\n", 2);
    ck_assert_int_eq(parse_exact((char *)h, PROXY_PROTO_MAX_HEADER, &out), DONE);
    ck_assert_uint_eq(out.consumed, PROXY_PROTO_V1_MAX_LINE);
}
END_TEST

START_TEST(test_src_text)
{
    char text[INET6_ADDRSTRLEN];
    proxy_proto_t out;

    ck_assert_int_eq(parse_exact(S("PROXY TCP4 192.0.2.1 198.51.100.7 1 2\r\n"), &out), DONE);
    ck_assert_ptr_eq(proxy_proto_src_text(&out, text, sizeof(text)), text);
    ck_assert_str_eq(text, "192.0.2.1");
    ck_assert_ptr_null(proxy_proto_src_text(&out, text, 9)); /* needs 10 with the NUL */
    ck_assert_ptr_eq(proxy_proto_src_text(&out, text, 10), text);

    ck_assert_int_eq(parse_exact(S("PROXY TCP6 2001:DB8:0::1 ::1 1 2\r\n"), &out), DONE);
    ck_assert_ptr_eq(proxy_proto_src_text(&out, text, sizeof(text)), text);
    ck_assert_str_eq(text, "2001:db8::1");

    ck_assert_int_eq(parse_exact(S(V2("\x21", "\x21", "\x00", "\x24") ADDR6), &out), DONE);
    ck_assert_str_eq(proxy_proto_src_text(&out, text, sizeof(text)), "2001:db8::1");

    ck_assert_int_eq(parse_exact(S("PROXY UNKNOWN\r\n"), &out), DONE);
    ck_assert_ptr_null(proxy_proto_src_text(&out, text, sizeof(text)));
    ck_assert_int_eq(parse_exact(S(V2("\x20", "\x11", "\x00", "\x0C") ADDR4), &out), DONE);
    ck_assert_ptr_null(proxy_proto_src_text(&out, text, sizeof(text)));
}
END_TEST

static uint32_t rng_state;

/* A fixed-seed generator, so that a failure reproduces. */
static uint32_t
rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* One 16-bit group: small values often, random width (leading zeros) and case. */
static char *
random_group(char *p)
{
    unsigned v = rng() % 3 == 0 ? rng() % 16 : rng() & 0xFFFF;
    int width = 1 + (int)(rng() % 4);

    return p + sprintf(p, rng() % 2 ? "%0*x" : "%0*X", width, v);
}

/* An IPv6 address as text that inet_pton accepts: 8 groups, or 6 and a dotted quad,
 * with a random run of at least one group written as "::" (or none). */
static void
random_ipv6(char *text)
{
    unsigned groups = rng() % 3 == 0 ? 6 : 8, from = 0, to = 0;
    char *p = text;

    if (rng() % 4 != 0) {
        from = rng() % groups;
        to = from + 1 + rng() % (groups - from);
    }
    for (unsigned i = 0; i < groups; i++) {
        if (to > from && i == from) {
            p += sprintf(p, "::");
            i = to - 1;
            continue;
        }
        if (i > 0 && !(to > from && i == to))
            *p++ = ':';
        p = random_group(p);
    }
    if (groups == 6) {
        if (!(to > from && to == 6))
            *p++ = ':';
        p += sprintf(p, "%u.%u.%u.%u", rng() % 256, rng() % 256, rng() % 256, rng() % 256);
    }
    *p = '\0';
}

static void
random_ipv4(char *text)
{
    sprintf(text, "%u.%u.%u.%u", rng() % 3 ? rng() % 256 : rng() % 10, rng() % 256,
            rng() % 3 ? rng() % 256 : 0, rng() % 256);
}

/* Replace, insert or delete one byte, with bytes that addresses are made of. */
static void
mutate(char *text, size_t max)
{
    static const char alphabet[] = "0123456789abcdefABCDEF::::....g";
    size_t n = strlen(text), at = n > 0 ? rng() % n : 0;
    char c = alphabet[rng() % (sizeof(alphabet) - 1)];

    switch (rng() % 3) {
    case 0:
        if (n > 0)
            text[at] = c;
        break;
    case 1:
        if (n < max) {
            memmove(text + at + 1, text + at, n - at + 1);
            text[at] = c;
        }
        break;
    default:
        if (n > 1)
            memmove(text + at, text + at + 1, n - at);
        break;
    }
}

/* "PROXY TCPx <tok> <other> 1 2\r\n" (and with the two swapped) must be DONE, with every
 * proper prefix MORE, exactly when inet_pton takes tok; BAD otherwise. */
static void
check_address(int family, const char *tok)
{
    const char *proto = family == AF_INET ? "TCP4" : "TCP6";
    const char *other = family == AF_INET ? "10.0.0.1" : "::1";
    unsigned char want[16] = { 0 };
    int valid = inet_pton(family, tok, want) == 1;

    for (int swap = 0; swap < 2; swap++) {
        const char *line = apr_psprintf(pool, "PROXY %s %s %s 1 2\r\n", proto, swap ? other : tok,
                                        swap ? tok : other);
        size_t len = strlen(line);
        proxy_proto_t out;
        proxy_proto_rc_t rc = parse_exact(line, len, &out);

        ck_assert_msg(rc == (valid ? DONE : BAD), "\"%s\": rc %d, inet_pton says %d", tok, rc,
                      valid);
        if (!valid) {
            ck_assert_str_eq(out.reason, "bad v1 address");
            continue;
        }
        ck_assert(memcmp(swap ? out.dst : out.src, want, 16) == 0);
        for (size_t k = 0; k < len; k++)
            ck_assert_msg(parse_exact(line, k, &out) == MORE, "\"%s\": %zu bytes not MORE: %s",
                          line, k, out.reason);
    }
}

/* Addresses written every way inet_pton reads them, and near misses. */
START_TEST(test_generated_addresses)
{
    char text[64];

    rng_state = 20240601;
    for (int i = 0; i < 1500; i++) {
        int family = i % 3 == 0 ? AF_INET : AF_INET6;
        unsigned char bytes[16];

        if (family == AF_INET)
            random_ipv4(text);
        else
            random_ipv6(text);
        ck_assert_msg(inet_pton(family, text, bytes) == 1, "generator made \"%s\"", text);
        check_address(family, text);
        for (int m = 0; m < 4; m++) {
            mutate(text, family == AF_INET ? 15 : 45);
            check_address(family, text);
        }
    }
}
END_TEST

static Suite *
proxy_proto_suite(void)
{
    Suite *s = suite_create("proxy_proto");
    TCase *table = tcase_create("table");
    TCase *edges = tcase_create("edges");

    tcase_add_checked_fixture(table, pool_setup, pool_teardown);
    tcase_add_loop_test(table, test_table_whole, 0, NCASES);
    tcase_add_loop_test(table, test_table_prefixes, 0, NCASES);
    tcase_add_loop_test(table, test_table_followed_by_request, 0, NCASES);
    suite_add_tcase(s, table);

    tcase_add_checked_fixture(edges, pool_setup, pool_teardown);
    tcase_add_test(edges, test_first_byte);
    tcase_add_test(edges, test_max_header);
    tcase_add_test(edges, test_src_text);
    tcase_add_test(edges, test_generated_addresses);
    tcase_set_timeout(edges, 60);
    suite_add_tcase(s, edges);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(proxy_proto_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
