/*
 * chunked.h — the chunked transfer coding (RFC 9112 section 7.1), decoded incrementally,
 * in place, with no allocation and no I/O. Re-entrant: all state is in chunked_t.
 *
 * Strict, because a lenient chunk parser is how requests get smuggled past proxies:
 * chunk-size is 1*HEXDIG with an overflow check; chunk extensions are parsed
 * (token [= token / quoted-string], BWS allowed around ';' and '=') and ignored; every
 * line ends in CRLF (a bare LF or a bare CR is an error here, unlike in the request
 * head: no peer needs it and several smuggling tricks rely on it); the CRLF after each
 * chunk's data is required; the trailer section is parsed like header fields, counted
 * against the limits, and dropped — it never affects framing.
 */
#ifndef EV_CHUNKED_H
#define EV_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t max_body;      /* LimitRequestBody: most data bytes in total, <= 0: unlimited */
    unsigned max_line;     /* longest chunk-size line (extensions included) or trailer
                              line, CRLF excluded */
    unsigned max_trailers; /* most trailer field lines */
} chunked_limits_t;

typedef struct {
    int state;          /* where the decoder is (private) */
    uint64_t remaining; /* data bytes left in the current chunk; the size while it is read */
    uint64_t total;     /* data bytes decoded so far */
    unsigned line_len;  /* bytes seen of the current size or trailer line */
    unsigned trailers;  /* trailer field lines seen */
    unsigned char ext;  /* private: position within a chunk extension */
} chunked_t;

/* Return codes of chunked_decode. */
#define EV_CHUNKED_DONE  1 /* the last chunk and the trailer section are consumed */
#define EV_CHUNKED_MORE  0 /* all input consumed, the body goes on */
#define EV_CHUNKED_ERROR (-1)

/* chunked_init: a decoder at the start of a chunked body. */
void chunked_init(chunked_t *ch);

/*
 * chunked_decode: feed buf[0..len). Decoded data bytes are moved to the front of buf
 * (in place: the decoded form is never longer than the coded one) and their count is
 * stored in *data_len; *consumed gets the number of input bytes used. Input may be split
 * at any byte: the decoder keeps partial lines in *ch, so the caller never re-feeds a
 * byte, and the data and the outcome do not depend on where the splits fall.
 * Returns:
 *   EV_CHUNKED_MORE: *consumed == len; the body goes on.
 *   EV_CHUNKED_DONE: *consumed is just past the final CRLF; buf[*consumed..len) is left
 *     untouched and belongs to the next message.
 *   EV_CHUNKED_ERROR with *status set: 400 for a syntax error (a chunk-size line longer
 *     than limits->max_line included), 413 as soon as a chunk-size digit takes the data
 *     past limits->max_body or past INT64_MAX in total (so also for a size over 63 bits),
 *     431 for a trailer line over max_line or more than max_trailers trailer lines.
 *     *consumed is the offset of the offending byte; the *data_len bytes decoded before
 *     it are still at the front of buf, and the caller should discard them.
 * After DONE or ERROR the decoder is spent: another call returns EV_CHUNKED_ERROR with
 * *status 500 and consumes nothing. buf may be NULL only when len is 0. *status is
 * written only on ERROR. Thread-safe with distinct chunked_t; no allocation, no I/O.
 */
int chunked_decode(chunked_t *ch, char *buf, size_t len, const chunked_limits_t *limits,
                   size_t *consumed, size_t *data_len, int *status);

#endif
