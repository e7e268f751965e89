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
    int64_t max_body;      /* LimitRequestBody: most data bytes in total, 0 = unlimited */
    unsigned max_line;     /* longest chunk-size line or trailer line, CRLF excluded */
    unsigned max_trailers; /* most trailer field lines */
} chunked_limits_t;

typedef struct {
    int state;            /* where the decoder is (private) */
    uint64_t remaining;   /* data bytes left in the current chunk */
    uint64_t total;       /* data bytes decoded so far */
    unsigned line_len;    /* bytes seen of the current size or trailer line */
    unsigned trailers;    /* trailer field lines seen */
    unsigned char ext;    /* private: position within a chunk extension */
} chunked_t;

/* Return codes of chunked_decode. */
#define EV_CHUNKED_DONE  1  /* the last chunk and the trailer section are consumed */
#define EV_CHUNKED_MORE  0  /* all input consumed, the body goes on */
#define EV_CHUNKED_ERROR (-1)

/* chunked_init: a decoder at the start of a chunked body. */
void chunked_init(chunked_t *ch);

/*
 * chunked_decode: feed buf[0..len). Decoded data bytes are moved to the front of buf
 * (in place: the decoded form is never longer than the coded one) and their count is
 * stored in *data_len; *consumed gets the number of input bytes used. Returns
 * EV_CHUNKED_MORE (*consumed == len), EV_CHUNKED_DONE (bytes after *consumed belong to
 * the next message), or EV_CHUNKED_ERROR with *status set: 400 for a syntax error, 413
 * when the data exceeds limits->max_body or a chunk size does not fit in 63 bits, 431
 * for a trailer section over the limits. After DONE or ERROR the decoder is spent.
 * buf may be NULL only when len is 0. Thread-safe with distinct chunked_t.
 */
int chunked_decode(chunked_t *ch, char *buf, size_t len, const chunked_limits_t *limits,
                   size_t *consumed, size_t *data_len, int *status);

#endif
