/*
 * fuzz_proxy_proto.c — libFuzzer harness for the PROXY protocol parser (proxy_proto.h).
 *
 * Input: the bytes a peer sends from the start of the connection, header and whatever
 * follows (a run with -max_len=600 covers every header and a little more).
 *
 * The listener parses again as bytes arrive, so the parser sees prefixes of the
 * stream. The harness parses each prefix up to PROXY_PROTO_MAX_HEADER + 1 bytes, and
 * the whole input, each from a heap block of exactly that size so that a read past the
 * end is an ASan report, and checks what the contract promises: MORE until the first
 * decision, then the same decision for every longer input (a DONE with the same result,
 * since the parser must not look past the header; a BAD stays BAD); never MORE at
 * PROXY_PROTO_MAX_HEADER bytes; a reason exactly on BAD; on DONE, consumed within the
 * input and the cap, the family, addresses and ports consistent with `local`, and the
 * text form of the source address round-tripping through inet_pton.
 * Two independent readings of the header check the values themselves: a v2 DONE must
 * match the head's bytes, and a v1 line is judged by a small oracle built on inet_pton
 * (split the line at its CRLF and at single spaces), which must agree with the parser on
 * DONE versus BAD and on the addresses and ports.
 * Any broken promise abort()s, which libFuzzer records as a crash.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: name it, then abort() so that libFuzzer keeps the input. */
static void
fuzz_proxy_fail(const char *what, int line)
{
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, line, what);
    abort();
}

#define FUZZ_EXPECT(cond) ((cond) ? (void)0 : fuzz_proxy_fail(#cond, __LINE__))

/* What the v1 oracle makes of the input. */
typedef enum { FUZZ_V1_UNDECIDED, FUZZ_V1_VALID, FUZZ_V1_INVALID } fuzz_v1_verdict_t;

/* The oracle's reading of a valid line. */
typedef struct {
    size_t consumed;
    int local, family;
    unsigned char src[16], dst[16];
    uint16_t src_port, dst_port;
} fuzz_v1_line_t;

static proxy_proto_rc_t
fuzz_proxy_parse(const uint8_t *data, size_t len, proxy_proto_t *out)
{
    char *copy = len > 0 ? malloc(len) : NULL;
    proxy_proto_rc_t rc;

    if (len > 0 && copy == NULL)
        abort();
    if (len > 0)
        memcpy(copy, data, len);
    rc = proxy_proto_parse(copy, len, out);
    free(copy);
    return rc;
}

static int
fuzz_proxy_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* The promises one result makes on its own. */
static void
fuzz_proxy_check(const uint8_t *data, size_t len, proxy_proto_rc_t rc, const proxy_proto_t *p)
{
    char text[INET6_ADDRSTRLEN];
    unsigned char back[16] = { 0 };
    const char *t;

    FUZZ_EXPECT(rc == PROXY_PROTO_MORE || rc == PROXY_PROTO_DONE || rc == PROXY_PROTO_BAD);
    FUZZ_EXPECT((rc == PROXY_PROTO_BAD) == (p->reason != NULL));
    FUZZ_EXPECT(rc != PROXY_PROTO_BAD || p->reason[0] != '\0');
    FUZZ_EXPECT(rc != PROXY_PROTO_MORE || len < PROXY_PROTO_MAX_HEADER);
    if (rc != PROXY_PROTO_DONE) {
        FUZZ_EXPECT(p->consumed == 0 && p->version == 0 && p->local == 0 &&
                    p->family == AF_UNSPEC && p->src_port == 0 && p->dst_port == 0 &&
                    fuzz_proxy_zero(p->src, 16) && fuzz_proxy_zero(p->dst, 16));
        return;
    }
    FUZZ_EXPECT(p->consumed > 0 && p->consumed <= len && p->consumed <= PROXY_PROTO_MAX_HEADER);
    FUZZ_EXPECT(p->version == 1 || p->version == 2);
    if (p->version == 1)
        FUZZ_EXPECT(p->consumed <= PROXY_PROTO_V1_MAX_LINE && data[0] == 'P' &&
                    data[p->consumed - 2] == '\r' && data[p->consumed - 1] == '\n');
    else
        FUZZ_EXPECT(p->consumed >= 16 && p->consumed == 16 + (((size_t)data[14] << 8) | data[15]));
    t = proxy_proto_src_text(p, text, sizeof(text));
    if (p->local) {
        FUZZ_EXPECT(p->family == AF_UNSPEC && p->src_port == 0 && p->dst_port == 0 &&
                    fuzz_proxy_zero(p->src, 16) && fuzz_proxy_zero(p->dst, 16) && t == NULL);
        return;
    }
    FUZZ_EXPECT(p->family == AF_INET || p->family == AF_INET6);
    if (p->family == AF_INET)
        FUZZ_EXPECT(fuzz_proxy_zero(p->src + 4, 12) && fuzz_proxy_zero(p->dst + 4, 12));
    FUZZ_EXPECT(t == text && inet_pton(p->family, text, back) == 1);
    FUZZ_EXPECT(memcmp(back, p->src, 16) == 0);
}

static int
fuzz_proxy_same(const proxy_proto_t *a, const proxy_proto_t *b)
{
    return a->consumed == b->consumed && a->version == b->version && a->local == b->local &&
           a->family == b->family && memcmp(a->src, b->src, 16) == 0 &&
           memcmp(a->dst, b->dst, 16) == 0 && a->src_port == b->src_port &&
           a->dst_port == b->dst_port;
}

/* A v2 DONE read again from the head's bytes. */
static void
fuzz_proxy_v2(const uint8_t *data, const proxy_proto_t *p)
{
    size_t half = p->family == AF_INET ? 4 : 16;

    FUZZ_EXPECT(p->version == 2);
    if (p->local) {
        FUZZ_EXPECT((data[12] & 0x0F) == 0 || data[13] == 0x00);
        return;
    }
    FUZZ_EXPECT(data[12] == 0x21 && data[13] == (p->family == AF_INET ? 0x11 : 0x21));
    FUZZ_EXPECT(memcmp(p->src, data + 16, half) == 0);
    FUZZ_EXPECT(memcmp(p->dst, data + 16 + half, half) == 0);
    FUZZ_EXPECT(p->src_port == ((data[16 + 2 * half] << 8) | data[17 + 2 * half]));
    FUZZ_EXPECT(p->dst_port == ((data[18 + 2 * half] << 8) | data[19 + 2 * half]));
}

/* A v1 port: 1-5 digits, no leading zero but "0" itself, at most 65535. */
static int
fuzz_v1_port(const char *s, uint16_t *port)
{
    size_t n = strlen(s);
    unsigned long v;

    if (n == 0 || n > 5 || strspn(s, "0123456789") != n || (n > 1 && s[0] == '0'))
        return 0;
    v = strtoul(s, NULL, 10);
    *port = (uint16_t)v;
    return v <= 65535;
}

/* Judge a complete line (CRLF excluded, NUL-terminated, no NUL inside). */
static fuzz_v1_verdict_t
fuzz_v1_fields(char *line, fuzz_v1_line_t *o)
{
    char *f[7];
    int n = 0;

    if (strncmp(line, "PROXY UNKNOWN", 13) == 0) {
        o->local = 1;
        return FUZZ_V1_VALID;
    }
    for (char *s = line; n < 7; n++) {
        f[n] = s;
        s = strchr(s, ' ');
        if (s == NULL) {
            n++;
            break;
        }
        *s++ = '\0';
    }
    if (n != 6 || strcmp(f[0], "PROXY") != 0)
        return FUZZ_V1_INVALID;
    if (strcmp(f[1], "TCP4") == 0)
        o->family = AF_INET;
    else if (strcmp(f[1], "TCP6") == 0)
        o->family = AF_INET6;
    else
        return FUZZ_V1_INVALID;
    if (inet_pton(o->family, f[2], o->src) != 1 || inet_pton(o->family, f[3], o->dst) != 1 ||
        !fuzz_v1_port(f[4], &o->src_port) || !fuzz_v1_port(f[5], &o->dst_port))
        return FUZZ_V1_INVALID;
    return FUZZ_V1_VALID;
}

/* The oracle: find the line's end the plain way, then judge its fields. */
static fuzz_v1_verdict_t
fuzz_v1_oracle(const uint8_t *data, size_t size, fuzz_v1_line_t *o)
{
    char line[PROXY_PROTO_V1_MAX_LINE];
    size_t end = 0, avail = size < PROXY_PROTO_V1_MAX_LINE ? size : PROXY_PROTO_V1_MAX_LINE;

    memset(o, 0, sizeof(*o));
    while (end < avail && data[end] != '\r' && data[end] != '\n')
        end++;
    if (end == avail)
        return size >= PROXY_PROTO_V1_MAX_LINE ? FUZZ_V1_INVALID : FUZZ_V1_UNDECIDED;
    if (data[end] == '\n')
        return FUZZ_V1_INVALID;
    if (end + 1 == avail)
        return size >= PROXY_PROTO_V1_MAX_LINE ? FUZZ_V1_INVALID : FUZZ_V1_UNDECIDED;
    if (data[end + 1] != '\n')
        return FUZZ_V1_INVALID;
    o->consumed = end + 2;
    memcpy(line, data, end);
    line[end] = '\0';
    /* A NUL can only sit in what UNKNOWN lets through; it would cut the fields short. */
    if (memchr(line, '\0', end) != NULL && strncmp(line, "PROXY UNKNOWN", 13) != 0)
        return FUZZ_V1_INVALID;
    return fuzz_v1_fields(line, o);
}

/* The oracle and the parser must agree on a line the oracle can decide. A header that
 * fails early is BAD at once, and the oracle waits for the CRLF; so only a decided
 * oracle is compared, and an undecided one must not meet a DONE. */
static void
fuzz_proxy_v1(const uint8_t *data, size_t size, proxy_proto_rc_t rc, const proxy_proto_t *p)
{
    fuzz_v1_line_t o;
    fuzz_v1_verdict_t v = fuzz_v1_oracle(data, size, &o);

    if (v == FUZZ_V1_UNDECIDED) {
        FUZZ_EXPECT(rc != PROXY_PROTO_DONE);
        return;
    }
    FUZZ_EXPECT(rc == (v == FUZZ_V1_VALID ? PROXY_PROTO_DONE : PROXY_PROTO_BAD));
    if (rc != PROXY_PROTO_DONE)
        return;
    FUZZ_EXPECT(p->consumed == o.consumed && p->local == o.local);
    if (o.local)
        return;
    FUZZ_EXPECT(p->family == o.family && p->src_port == o.src_port && p->dst_port == o.dst_port);
    FUZZ_EXPECT(memcmp(p->src, o.src, 16) == 0 && memcmp(p->dst, o.dst, 16) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proxy_proto_t whole, first, cur;
    proxy_proto_rc_t rc_whole, rc_first = PROXY_PROTO_MORE, rc;
    size_t last = size < PROXY_PROTO_MAX_HEADER + 1 ? size : PROXY_PROTO_MAX_HEADER + 1;

    rc_whole = fuzz_proxy_parse(data, size, &whole);
    fuzz_proxy_check(data, size, rc_whole, &whole);
    memset(&first, 0, sizeof(first));
    for (size_t k = 0; k <= last; k++) {
        rc = fuzz_proxy_parse(data, k, &cur);
        fuzz_proxy_check(data, k, rc, &cur);
        if (rc_first == PROXY_PROTO_MORE) {
            rc_first = rc;
            first = cur;
            continue;
        }
        /* Decided: every longer input says the same. */
        FUZZ_EXPECT(rc == rc_first);
        FUZZ_EXPECT(rc != PROXY_PROTO_DONE || fuzz_proxy_same(&cur, &first));
    }
    if (rc_first != PROXY_PROTO_MORE) {
        FUZZ_EXPECT(rc_whole == rc_first);
        FUZZ_EXPECT(rc_whole != PROXY_PROTO_DONE || fuzz_proxy_same(&whole, &first));
    }
    if (rc_whole == PROXY_PROTO_DONE && whole.version == 2)
        fuzz_proxy_v2(data, &whole);
    if (size > 0 && data[0] == 'P')
        fuzz_proxy_v1(data, size, rc_whole, &whole);
    return 0;
}
