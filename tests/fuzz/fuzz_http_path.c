/*
 * fuzz_http_path.c — libFuzzer harness for request-target normalization (http_path.h).
 *
 * Input: the request-target, as the parser would hand it over.
 *
 * When http_path_normalize accepts a target, the result must be a clean absolute path:
 * NUL-terminated at outlen with no NUL or control byte before, starting with '/', no
 * empty segment ("//"), no "." or ".." segment anywhere (also not a final one). And it
 * must be a fixed point: the output is decoded text, so normalizing it again needs it
 * re-encoded first — not only '%', but every byte the normalizer refuses raw or reads as
 * syntax ('?' starts the query, '#' and SP are refused raw; control bytes cannot occur).
 * With those written as %XX, normalizing gives back exactly the output.
 * A second call with an output buffer about half the target's size checks the 414
 * rule: a small buffer may turn any outcome into 414, but never changes another one.
 * Output buffers are exact-size allocations, so a write past outsize is an ASan report.
 * Any broken promise abort()s, which libFuzzer records as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: name it, then abort() so that libFuzzer keeps the input. */
static void
fuzz_http_path_fail(const char *what, int line)
{
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, line, what);
    abort();
}

#define FUZZ_EXPECT(cond) ((cond) ? (void)0 : fuzz_http_path_fail(#cond, __LINE__))

/* Whether out[0..len) is a clean absolute path, as the contract promises. */
static void
fuzz_http_path_clean(const char *out, size_t len)
{
    size_t i, seg = 1;

    FUZZ_EXPECT(len >= 1 && out[0] == '/' && out[len] == '\0');
    for (i = 1; i <= len; i++) {
        unsigned char c = (unsigned char)out[i - 1];

        FUZZ_EXPECT(c >= 0x20 && c != 0x7F);
        if (i < len && out[i] != '/')
            continue;
        /* out[seg..i) is a segment; a final empty one is the kept trailing '/'. */
        FUZZ_EXPECT(i - seg > 0 || i == len);
        FUZZ_EXPECT(!(i - seg == 1 && out[seg] == '.'));
        FUZZ_EXPECT(!(i - seg == 2 && out[seg] == '.' && out[seg + 1] == '.'));
        seg = i + 1;
    }
}

/* Percent-encode what normalization would not read back as the same byte. */
static size_t
fuzz_http_path_encode(const char *in, size_t len, char *enc)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == '%' || c == '?' || c == '#' || c <= 0x20 || c == 0x7F) {
            enc[n++] = '%';
            enc[n++] = hex[c >> 4];
            enc[n++] = hex[c & 15];
        } else {
            enc[n++] = (char)c;
        }
    }
    return n;
}

static void
fuzz_http_path_fixed_point(const char *out, size_t outlen)
{
    char *enc = malloc(3 * outlen + 1);
    char *again = malloc(3 * outlen + 2);
    size_t enclen, againlen = 0;

    if (enc == NULL || again == NULL) {
        free(enc);
        free(again);
        return;
    }
    enclen = fuzz_http_path_encode(out, outlen, enc);
    FUZZ_EXPECT(http_path_normalize(enc, enclen, again, enclen + 1, &againlen) == 0);
    FUZZ_EXPECT(againlen == outlen && memcmp(again, out, outlen + 1) == 0);
    free(enc);
    free(again);
}

/* A buffer of `small` bytes may only add 414; whatever else it returns must agree. */
static void
fuzz_http_path_small(const char *target, size_t len, int rc, const char *out, size_t outlen)
{
    size_t small = 1 + len / 2, smalllen = 0;
    char *buf = malloc(small);
    int rc2;

    if (buf == NULL)
        return;
    rc2 = http_path_normalize(target, len, buf, small, &smalllen);
    FUZZ_EXPECT(rc2 == 414 || rc2 == rc);
    if (rc2 == 0)
        FUZZ_EXPECT(smalllen == outlen && memcmp(buf, out, outlen + 1) == 0);
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *target = (const char *)data;
    size_t q = http_path_query_start(target, size), outlen = 0;
    char *out;
    int rc;

    FUZZ_EXPECT(q <= size && (q == size || target[q] == '?'));
    FUZZ_EXPECT(memchr(target, '?', q) == NULL);

    /* outsize > len: the contract rules out 414. */
    out = malloc(size + 1);
    if (out == NULL)
        return 0;
    rc = http_path_normalize(target, size, out, size + 1, &outlen);
    FUZZ_EXPECT(rc == 0 || rc == 400 || rc == 404);
    if (rc == 0) {
        FUZZ_EXPECT(outlen <= size);
        fuzz_http_path_clean(out, outlen);
        fuzz_http_path_fixed_point(out, outlen);
    }
    fuzz_http_path_small(target, size, rc, out, outlen);
    free(out);
    return 0;
}
