/*
 * fuzz_accept_encoding.c — libFuzzer harness for Accept-Encoding negotiation
 * (accept_encoding.h).
 *
 * Input: one Accept-Encoding field value, as the parser would hand it over.
 *
 * The value is read from an exact-size allocation, so a read past its length is an
 * ASan report. Whatever the bytes, every weight must stay within -1..1000 (unlisted,
 * or thousandths); the ranking must hold distinct offered codings with a weight above
 * 0, best first, br before gzip on a tie; and nothing offered must rank nothing.
 * Any broken promise abort()s, which libFuzzer records as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept_encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: name it, then abort() so that libFuzzer keeps the input. */
static void
fuzz_accept_encoding_fail(const char *what, int line)
{
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, line, what);
    abort();
}

#define FUZZ_EXPECT(cond) ((cond) ? (void)0 : fuzz_accept_encoding_fail(#cond, __LINE__))

/* The weight a coding bit ends up with, as accept_encoding_rank reads it. */
static int
fuzz_accept_encoding_weight(const accept_encoding_t *ae, unsigned bit)
{
    int i;

    for (i = 0; i < EV_CODING_COUNT; i++)
        if (bit == 1u << i)
            return ae->q[i] >= 0 ? ae->q[i] : ae->star;
    fuzz_accept_encoding_fail("a known coding bit", __LINE__);
    return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned all = (1u << EV_CODING_COUNT) - 1;
    unsigned r[EV_CODING_COUNT], offered, seen = 0;
    char *value = malloc(size ? size : 1);
    accept_encoding_t ae;
    size_t n, i;
    int k;

    if (value == NULL)
        return 0;
    memcpy(value, data, size);
    accept_encoding_init(&ae);
    accept_encoding_add(&ae, value, size);
    free(value);
    for (k = 0; k < EV_CODING_COUNT; k++)
        FUZZ_EXPECT(ae.q[k] >= -1 && ae.q[k] <= 1000);
    FUZZ_EXPECT(ae.star >= -1 && ae.star <= 1000);
    FUZZ_EXPECT(accept_encoding_rank(&ae, 0, r) == 0);
    for (offered = 1; offered <= all; offered++) {
        n = accept_encoding_rank(&ae, offered, r);
        FUZZ_EXPECT(n <= EV_CODING_COUNT);
        for (i = 0, seen = 0; i < n; i++) {
            FUZZ_EXPECT((r[i] & offered) == r[i] && accept_encoding_name(r[i]) != NULL);
            FUZZ_EXPECT((seen & r[i]) == 0);
            FUZZ_EXPECT(fuzz_accept_encoding_weight(&ae, r[i]) > 0);
            if (i > 0) {
                int prev = fuzz_accept_encoding_weight(&ae, r[i - 1]);
                int cur = fuzz_accept_encoding_weight(&ae, r[i]);
                FUZZ_EXPECT(prev > cur || (prev == cur && r[i - 1] < r[i]));
            }
            seen |= r[i];
        }
        /* every offered coding with a weight above 0 is ranked */
        for (k = 0; k < EV_CODING_COUNT; k++)
            if ((offered & (1u << k)) && fuzz_accept_encoding_weight(&ae, 1u << k) > 0)
                FUZZ_EXPECT(seen & (1u << k));
    }
    return 0;
}
