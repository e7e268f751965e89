/*
 * chunked.c — the chunked transfer coding decoder (RFC 9112 section 7.1).
 *
 * Who: worker threads, on the connection's input buffer, for a request whose framing is
 * Transfer-Encoding: chunked. Owns nothing and allocates nothing; all state is in the
 * caller's chunked_t, so there are no locks and nothing for shutdown to reach.
 *
 * Shape: unlike the request-head parser, which re-reads a line until it is complete, this
 * decoder resumes at any byte. Chunk data can be megabytes that arrive over many reads,
 * and a chunk-size line may straddle two of them; remembering the position byte by byte
 * (a state, a partial size, a line length) costs a few fields and never re-reads input.
 * Data spans are copied with one memmove each; only the lines go byte by byte, through
 * one switch over the states and one 256-entry class table.
 *
 * Every decision is taken at the byte that makes it: a size digit that pushes the body
 * past max_body fails at once (413) instead of after the client has sent the data; a
 * line fails at the byte that passes max_line; a syntax error at the first byte that
 * cannot continue the grammar. That is also what makes a result independent of how the
 * input was split into calls.
 */
#include <string.h>

#include "chunked.h"

/* Where the decoder is. The states up to EV_CH_TR_VALUE are inside a line whose length
 * counts against max_line; the size-line states come first (see chunked_line_byte). */
enum {
    EV_CH_SIZE_START, /* first byte of a chunk-size line: a hex digit */
    EV_CH_SIZE,       /* more hex digits, or what ends them */
    EV_CH_EXT,        /* in chunk extensions; ch->ext says where */
    EV_CH_TR_START,   /* first byte of a trailer line, or the CR of the final CRLF */
    EV_CH_TR_NAME,    /* field-name up to ':' */
    EV_CH_TR_VALUE,   /* field-value up to CR */
    EV_CH_SIZE_LF,    /* the LF that ends a chunk-size line */
    EV_CH_DATA,       /* ch->remaining data bytes to pass on */
    EV_CH_DATA_CR,    /* the CRLF after chunk data */
    EV_CH_DATA_LF,    /* and its LF */
    EV_CH_TR_LF,      /* the LF that ends a trailer line */
    EV_CH_END_LF,     /* the LF of the final CRLF */
    EV_CH_SPENT       /* DONE or ERROR was returned */
};

/* Where within chunk extensions (ch->ext). "BWS" states skip SP and HTAB. */
enum {
    EV_CH_EXT_SEMI,      /* BWS, then ';' (after the size or a value) */
    EV_CH_EXT_NAME0,     /* BWS, then the first byte of ext-name */
    EV_CH_EXT_NAME,      /* ext-name */
    EV_CH_EXT_EQ,        /* BWS after ext-name, then '=' or ';' */
    EV_CH_EXT_VAL0,      /* BWS, then a token or '"' */
    EV_CH_EXT_TOKEN,     /* token ext-val */
    EV_CH_EXT_QUOTED,    /* inside quoted-string */
    EV_CH_EXT_QPAIR,     /* after '\' inside quoted-string */
    EV_CH_EXT_QUOTE_END, /* just after the closing '"' */
};

/* Byte classes in chunked_class. */
#define EV_CH_TCHAR 0x01 /* tchar, RFC 9110 5.6.2 */
#define EV_CH_VALUE 0x02 /* HTAB, SP, VCHAR, obs-text: field-value and quoted-pair bytes */
#define EV_CH_HEX   0x04 /* HEXDIG */

#define XX 0
#define VL EV_CH_VALUE
#define TK (EV_CH_TCHAR | EV_CH_VALUE)
#define HX (EV_CH_TCHAR | EV_CH_VALUE | EV_CH_HEX)
static const unsigned char chunked_class[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, VL, XX, XX, XX, XX, XX, XX, /* 0x00 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x10 */
    VL, TK, VL, TK, TK, TK, TK, TK, VL, VL, TK, TK, VL, TK, TK, VL, /* 0x20  !"#$%&'()*+,-./ */
    HX, HX, HX, HX, HX, HX, HX, HX, HX, HX, VL, VL, VL, VL, VL, VL, /* 0x30 0-9 :;<=>? */
    VL, HX, HX, HX, HX, HX, HX, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x40 @A-O */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, VL, VL, VL, TK, TK, /* 0x50 P-Z [\]^_ */
    TK, HX, HX, HX, HX, HX, HX, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x60 `a-o */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, VL, TK, VL, TK, XX, /* 0x70 p-z {|}~ DEL */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0x80 obs-text */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0x90 */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0xA0 */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0xB0 */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0xC0 */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0xD0 */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0xE0 */
    VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, VL, /* 0xF0 */
};
#undef XX
#undef VL
#undef TK
#undef HX

void
chunked_init(chunked_t *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->state = EV_CH_SIZE_START;
}

/*
 * Append one hex digit to the chunk size being read (kept in ch->remaining). The cap is
 * what max_body still allows, and never more than INT64_MAX in total, so one test covers
 * the limit, a size over 63 bits and the sum of sizes overflowing. Returns 0 or 413.
 */
static int
chunked_digit(chunked_t *ch, unsigned char c, const chunked_limits_t *lim)
{
    uint64_t limit = lim->max_body > 0 ? (uint64_t)lim->max_body : (uint64_t)INT64_MAX;
    uint64_t cap = limit - ch->total;
    unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);

    if (d > cap || ch->remaining > (cap - d) / 16)
        return 413;
    ch->remaining = ch->remaining * 16 + d;
    return 0;
}

/* Moves to state `next` when c is `want`, the one byte a CR or LF state accepts. */
static int
chunked_expect(chunked_t *ch, unsigned char c, unsigned char want, int next)
{
    if (c != want)
        return 400;
    ch->state = next;
    return 0;
}

/* What may follow a chunk-size, an ext-name or an ext-val: BWS before another ';', ';',
 * or the line's CR. Returns 0 or 400. */
static int
chunked_ext_end(chunked_t *ch, unsigned char c)
{
    if (c == ' ' || c == '\t')
        ch->ext = EV_CH_EXT_SEMI;
    else if (c == ';')
        ch->ext = EV_CH_EXT_NAME0;
    else
        return chunked_expect(ch, c, '\r', EV_CH_SIZE_LF);
    ch->state = EV_CH_EXT;
    return 0;
}

/* Skips BWS, then moves to sub-state `next` on a byte of class `cls`, or fails. */
static int
chunked_ext_after_bws(chunked_t *ch, unsigned char c, unsigned cls, int next)
{
    if (c == ' ' || c == '\t')
        return 0;
    if (!(chunked_class[c] & cls))
        return 400;
    ch->ext = (unsigned char)next;
    return 0;
}

/*
 * One byte of chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ). Whitespace
 * is allowed only where BWS is: "5 \r\n" and "5;a \r\n" end in BWS that no ';' follows,
 * and are refused like any other deviation. Returns 0 or 400.
 */
static int
chunked_ext_byte(chunked_t *ch, unsigned char c)
{
    unsigned cls = chunked_class[c];

    switch (ch->ext) {
    case EV_CH_EXT_SEMI:
        if (c == ';') {
            ch->ext = EV_CH_EXT_NAME0;
            return 0;
        }
        return c == ' ' || c == '\t' ? 0 : 400;
    case EV_CH_EXT_NAME0:
        return chunked_ext_after_bws(ch, c, EV_CH_TCHAR, EV_CH_EXT_NAME);
    case EV_CH_EXT_NAME:
        if (cls & EV_CH_TCHAR)
            return 0;
        if (c == '=' || c == ' ' || c == '\t') {
            ch->ext = c == '=' ? EV_CH_EXT_VAL0 : EV_CH_EXT_EQ;
            return 0;
        }
        return chunked_ext_end(ch, c);
    case EV_CH_EXT_EQ:
        if (c == '=' || c == ';') {
            ch->ext = c == '=' ? EV_CH_EXT_VAL0 : EV_CH_EXT_NAME0;
            return 0;
        }
        return c == ' ' || c == '\t' ? 0 : 400;
    case EV_CH_EXT_VAL0:
        if (c == '"') {
            ch->ext = EV_CH_EXT_QUOTED;
            return 0;
        }
        return chunked_ext_after_bws(ch, c, EV_CH_TCHAR, EV_CH_EXT_TOKEN);
    case EV_CH_EXT_TOKEN:
        return cls & EV_CH_TCHAR ? 0 : chunked_ext_end(ch, c);
    case EV_CH_EXT_QUOTED:
        if (c == '"')
            ch->ext = EV_CH_EXT_QUOTE_END;
        else if (c == '\\')
            ch->ext = EV_CH_EXT_QPAIR;
        return cls & EV_CH_VALUE ? 0 : 400; /* qdtext: no CTL but HTAB, obs-text allowed */
    case EV_CH_EXT_QPAIR:
        ch->ext = EV_CH_EXT_QUOTED;
        return cls & EV_CH_VALUE ? 0 : 400;
    default: /* EV_CH_EXT_QUOTE_END */
        return chunked_ext_end(ch, c);
    }
}

/* The first byte of a trailer line: a field-name, or the CR of the final CRLF. A line
 * that starts with SP or HTAB would be an obs-fold, refused as in the request head. */
static int
chunked_trailer_start(chunked_t *ch, unsigned char c, const chunked_limits_t *lim)
{
    if (c == '\r') {
        ch->state = EV_CH_END_LF;
        return 0;
    }
    if (!(chunked_class[c] & EV_CH_TCHAR))
        return 400;
    if (ch->trailers++ >= lim->max_trailers)
        return 431;
    ch->state = EV_CH_TR_NAME;
    return 0;
}

/* The LF that ends a chunk-size or trailer line. After a size, data follows, or the
 * trailer section after "0". */
static int
chunked_line_end(chunked_t *ch, unsigned char c)
{
    int next = EV_CH_TR_START;

    if (ch->state == EV_CH_SIZE_LF && ch->remaining > 0)
        next = EV_CH_DATA;
    ch->line_len = 0;
    return chunked_expect(ch, c, '\n', next);
}

/*
 * One byte outside chunk data. Returns 0 to go on, 1 when the body is complete, or the
 * HTTP status of an error. Every line ends in CR LF, and LF is accepted only right after
 * CR: a bare LF, or a bare CR, fails here.
 */
static int
chunked_line_byte(chunked_t *ch, unsigned char c, const chunked_limits_t *lim)
{
    unsigned cls = chunked_class[c];

    if (ch->state <= EV_CH_TR_VALUE && c != '\r' && ch->line_len++ >= lim->max_line)
        return ch->state <= EV_CH_EXT ? 400 : 431;
    switch (ch->state) {
    case EV_CH_SIZE_START:
        if (!(cls & EV_CH_HEX))
            return 400;
        ch->state = EV_CH_SIZE;
        return chunked_digit(ch, c, lim);
    case EV_CH_SIZE:
        return cls & EV_CH_HEX ? chunked_digit(ch, c, lim) : chunked_ext_end(ch, c);
    case EV_CH_EXT:
        return chunked_ext_byte(ch, c);
    case EV_CH_DATA_CR:
        return chunked_expect(ch, c, '\r', EV_CH_DATA_LF);
    case EV_CH_DATA_LF:
        return chunked_expect(ch, c, '\n', EV_CH_SIZE_START);
    case EV_CH_TR_START:
        return chunked_trailer_start(ch, c, lim);
    case EV_CH_TR_NAME:
        if (cls & EV_CH_TCHAR)
            return 0;
        return chunked_expect(ch, c, ':', EV_CH_TR_VALUE);
    case EV_CH_TR_VALUE:
        if (cls & EV_CH_VALUE)
            return 0;
        return chunked_expect(ch, c, '\r', EV_CH_TR_LF);
    case EV_CH_SIZE_LF:
    case EV_CH_TR_LF:
        return chunked_line_end(ch, c);
    default: /* EV_CH_END_LF */
        return c == '\n' ? 1 : 400;
    }
}

int
chunked_decode(chunked_t *ch, char *buf, size_t len, const chunked_limits_t *limits,
               size_t *consumed, size_t *data_len, int *status)
{
    size_t in = 0, out = 0;
    int r = 0;

    if (ch->state == EV_CH_SPENT) {
        *consumed = *data_len = 0;
        *status = 500;
        return EV_CHUNKED_ERROR;
    }
    while (in < len) {
        if (ch->state == EV_CH_DATA) {
            size_t n = ch->remaining < len - in ? (size_t)ch->remaining : len - in;

            if (out != in)
                memmove(buf + out, buf + in, n);
            in += n;
            out += n;
            ch->remaining -= n;
            ch->total += n;
            if (ch->remaining == 0)
                ch->state = EV_CH_DATA_CR;
            continue;
        }
        r = chunked_line_byte(ch, (unsigned char)buf[in], limits);
        if (r != 0)
            break;
        in++;
    }
    *data_len = out;
    if (r == 0) {
        *consumed = len;
        return EV_CHUNKED_MORE;
    }
    ch->state = EV_CH_SPENT;
    if (r == 1) {
        *consumed = in + 1;
        return EV_CHUNKED_DONE;
    }
    *consumed = in;
    *status = r;
    return EV_CHUNKED_ERROR;
}
