/*
 * fuzz_chunked.c — libFuzzer harness for the chunked body decoder (chunked.h).
 *
 * Input, a small header and then the coded body:
 *   byte 0   limits: max_line = 8 + 2 * (bits 0-4), so 8..70; max_trailers = bits 5-7
 *   byte 1   max_body: 0 (unlimited) when bit 0 is clear, else 8 * (bits 1-7), 0..1016
 *   byte 2   k = 1 + (bits 0-2): the number of piece-size bytes that follow
 *   k bytes  piece sizes, used in turn and cyclically: 1..63 bytes; 0 also makes an
 *            empty (NULL, 0) call first
 *   the rest the body, with whatever follows it (the next request's bytes)
 * Limits this small are reached by short inputs, so every limit path gets exercised.
 *
 * The decoder is a state machine whose answer must not depend on how the bytes are cut
 * into reads: the body decoded in one call and the body decoded piece by piece must
 * give the same return, the same status on error, the same decoded bytes and the same
 * number of input bytes consumed (up to the error, on error). Each call's buffer is an
 * exact-size allocation, so reading or writing past len is an ASan report. The harness
 * also checks what the contract promises on its own: MORE consumes everything, ERROR
 * stops at a byte of the input, DONE leaves the bytes after the body untouched and ends
 * with the CRLF CRLF that closes the trailer section, *status is written only on ERROR,
 * no call yields more data than it consumed, ch.total counts the data, a body never
 * exceeds max_body, and a spent decoder answers 500 without consuming anything.
 * Any broken promise abort()s, which libFuzzer records as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunked.h"

#define FUZZ_CHUNKED_HEADER 3 /* bytes before the piece sizes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The outcome of decoding one body, however it was fed. */
typedef struct {
    int rc;          /* the last chunked_decode return */
    int status;      /* its status, when rc is EV_CHUNKED_ERROR */
    size_t consumed; /* input bytes consumed in all */
    char *data;      /* the decoded bytes (malloc'd, body-sized) */
    size_t data_len; /* how many */
} fuzz_chunked_result_t;

/* A broken promise: name it, then abort() so that libFuzzer keeps the input. */
static void
fuzz_chunked_fail(const char *what, int line)
{
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, line, what);
    abort();
}

#define FUZZ_EXPECT(cond) ((cond) ? (void)0 : fuzz_chunked_fail(#cond, __LINE__))

/* One call on an exact-size copy of in[0..len); appends the decoded bytes to *res. */
static void
fuzz_chunked_call(chunked_t *ch, const char *in, size_t len, const chunked_limits_t *lim,
                  fuzz_chunked_result_t *res)
{
    char *buf = len > 0 ? malloc(len) : NULL;
    size_t consumed = 0, data_len = 0;
    uint64_t total_before = ch->total;
    int status = -1; /* must stay untouched unless the call fails */

    if (len > 0 && buf == NULL)
        abort();
    if (len > 0)
        memcpy(buf, in, len);
    res->rc = chunked_decode(ch, buf, len, lim, &consumed, &data_len, &status);
    res->status = status;
    FUZZ_EXPECT(res->rc == EV_CHUNKED_MORE || res->rc == EV_CHUNKED_DONE ||
                res->rc == EV_CHUNKED_ERROR);
    FUZZ_EXPECT(res->rc == EV_CHUNKED_ERROR ? status == 400 || status == 413 || status == 431
                                            : status == -1);
    FUZZ_EXPECT(consumed <= len && data_len <= consumed);
    FUZZ_EXPECT(res->rc != EV_CHUNKED_MORE || consumed == len);
    /* On error, consumed is the offending byte's offset; after DONE the rest is kept. */
    FUZZ_EXPECT(res->rc != EV_CHUNKED_ERROR || consumed < len);
    FUZZ_EXPECT(res->rc != EV_CHUNKED_DONE ||
                memcmp(buf + consumed, in + consumed, len - consumed) == 0);
    FUZZ_EXPECT(ch->total == total_before + data_len);
    FUZZ_EXPECT(lim->max_body == 0 || ch->total <= (uint64_t)lim->max_body);
    if (data_len > 0)
        memcpy(res->data + res->data_len, buf, data_len);
    res->data_len += data_len;
    res->consumed += consumed;
    free(buf);
}

/* After DONE or ERROR the decoder refuses more input with 500 and consumes nothing. */
static void
fuzz_chunked_spent(chunked_t *ch, const chunked_limits_t *lim)
{
    char byte = '0';
    size_t consumed = 1, data_len = 1;
    int status = 0;

    FUZZ_EXPECT(chunked_decode(ch, &byte, 1, lim, &consumed, &data_len, &status) ==
                EV_CHUNKED_ERROR);
    FUZZ_EXPECT(status == 500 && consumed == 0 && data_len == 0);
}

static void
fuzz_chunked_whole(const char *body, size_t len, const chunked_limits_t *lim,
                   fuzz_chunked_result_t *res)
{
    chunked_t ch;

    chunked_init(&ch);
    fuzz_chunked_call(&ch, body, len, lim, res);
    if (res->rc != EV_CHUNKED_MORE)
        fuzz_chunked_spent(&ch, lim);
}

static void
fuzz_chunked_pieces(const char *body, size_t len, const uint8_t *sizes, size_t nsizes,
                    const chunked_limits_t *lim, fuzz_chunked_result_t *res)
{
    chunked_t ch;
    size_t off = 0, turn = 0;

    chunked_init(&ch);
    res->rc = EV_CHUNKED_MORE;
    while (off < len && res->rc == EV_CHUNKED_MORE) {
        size_t piece = sizes[turn++ % nsizes] & 63;

        if (piece == 0) {
            fuzz_chunked_call(&ch, NULL, 0, lim, res);
            if (res->rc != EV_CHUNKED_MORE)
                return;
            piece = 1;
        }
        if (piece > len - off)
            piece = len - off;
        fuzz_chunked_call(&ch, body + off, piece, lim, res);
        off += piece;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_chunked_result_t whole = { 0 }, pieces = { 0 };
    chunked_limits_t lim;
    const uint8_t *sizes;
    const char *body;
    size_t nsizes, len;

    if (size < FUZZ_CHUNKED_HEADER)
        return 0;
    nsizes = 1 + (data[2] & 7);
    if (size < FUZZ_CHUNKED_HEADER + nsizes)
        return 0;
    lim.max_line = 8 + 2 * (data[0] & 31);
    lim.max_trailers = data[0] >> 5;
    lim.max_body = (data[1] & 1) ? 8 * (data[1] >> 1) : 0;
    sizes = data + FUZZ_CHUNKED_HEADER;
    body = (const char *)sizes + nsizes;
    len = size - FUZZ_CHUNKED_HEADER - nsizes;

    whole.data = malloc(len + 1);
    pieces.data = malloc(len + 1);
    if (whole.data == NULL || pieces.data == NULL)
        abort();
    fuzz_chunked_whole(body, len, &lim, &whole);
    fuzz_chunked_pieces(body, len, sizes, nsizes, &lim, &pieces);

    FUZZ_EXPECT(whole.rc == pieces.rc);
    FUZZ_EXPECT(whole.rc != EV_CHUNKED_ERROR || whole.status == pieces.status);
    FUZZ_EXPECT(whole.consumed == pieces.consumed);
    FUZZ_EXPECT(whole.data_len == pieces.data_len);
    FUZZ_EXPECT(memcmp(whole.data, pieces.data, whole.data_len) == 0);
    if (whole.rc == EV_CHUNKED_DONE)
        FUZZ_EXPECT(whole.consumed >= 5 && memcmp(body + whole.consumed - 4, "\r\n\r\n", 4) == 0);
    free(whole.data);
    free(pieces.data);
    return 0;
}
