/*
 * accept_encoding.c — Accept-Encoding weights and the choice of a coding (see
 * accept_encoding.h).
 *
 * Who: worker threads (per request) and the configuration reader (coding names); pure
 * functions over the caller's memory, so no locks. The field is read as RFC 9110
 * writes it:
 *     Accept-Encoding = #( codings [ OWS ";" OWS "q=" qvalue ] )
 * with the list rules of section 5.6.1 (empty members allowed). Weights are kept in
 * thousandths, the precision a qvalue has, so comparing them is exact.
 */
#include <string.h>
#include <strings.h>

#include "accept_encoding.h"

/* The names of the codings by bit number; the same order as the EV_CODING_* bits. */
static const struct {
    const char *name;   /* Content-Encoding value */
    const char *suffix; /* the variant file's suffix */
} accept_encoding_codings[EV_CODING_COUNT] = {
    { "br", ".br" },
    { "gzip", ".gz" },
};

/* The weight of a member that names no coding we know ("identity", "deflate"). */
#define ACCEPT_ENCODING_OTHER (-2)
/* The index of "*" among the weights. */
#define ACCEPT_ENCODING_STAR (-1)

static int
accept_encoding_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* A tchar of RFC 9110 section 5.6.2. */
static int
accept_encoding_is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t
accept_encoding_token(const char *s, size_t len, size_t i)
{
    while (i < len && accept_encoding_is_tchar(s[i]))
        i++;
    return i;
}

static size_t
accept_encoding_skip_ows(const char *s, size_t len, size_t i)
{
    while (i < len && accept_encoding_is_ows(s[i]))
        i++;
    return i;
}

/* The index of the coding named s[0..n) (bit number), ACCEPT_ENCODING_STAR or
 * ACCEPT_ENCODING_OTHER. */
static int
accept_encoding_index(const char *s, size_t n)
{
    int i;

    if (n == 1 && s[0] == '*')
        return ACCEPT_ENCODING_STAR;
    if (n == 6 && strncasecmp(s, "x-gzip", 6) == 0) /* RFC 9110 section 8.4.1.3 */
        s += 2, n -= 2;
    for (i = 0; i < EV_CODING_COUNT; i++)
        if (strlen(accept_encoding_codings[i].name) == n &&
            strncasecmp(s, accept_encoding_codings[i].name, n) == 0)
            return i;
    return ACCEPT_ENCODING_OTHER;
}

/* A qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3"0"], in thousandths; -1 if malformed. */
static int
accept_encoding_qvalue(const char *s, size_t n)
{
    int q, scale = 100;
    size_t i;

    if (n == 0 || (s[0] != '0' && s[0] != '1') || n > 5 || (n > 1 && s[1] != '.'))
        return -1;
    q = (s[0] - '0') * 1000;
    for (i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9' || (q == 1000 && s[i] != '0'))
            return -1;
        q += (s[i] - '0') * scale;
    }
    return q;
}

/* The end of a parameter value at s[i] (a token or a quoted-string), or 0 when it is
 * malformed (a value never starts at 0: a name and '=' come first). */
static size_t
accept_encoding_param_value(const char *s, size_t len, size_t i)
{
    if (i >= len || s[i] != '"')
        return accept_encoding_token(s, len, i);
    for (i++; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* The weight of the parameters at s[i..] of one member, up to its ',' or the end
 * (*end): 1000 without q, -1 when malformed. */
static int
accept_encoding_weight(const char *s, size_t len, size_t i, size_t *end)
{
    int q = 1000, bad = 0;

    for (;;) {
        size_t name, eq, v;

        i = accept_encoding_skip_ows(s, len, i);
        if (i >= len || s[i] == ',')
            break;
        if (s[i] != ';') {
            bad = 1;
            break;
        }
        name = accept_encoding_skip_ows(s, len, i + 1);
        eq = accept_encoding_token(s, len, name);
        if (eq == name || eq >= len || s[eq] != '=' ||
            (v = accept_encoding_param_value(s, len, eq + 1)) == 0 || v == eq + 1) {
            bad = 1;
            break;
        }
        if (eq - name == 1 && (s[name] == 'q' || s[name] == 'Q'))
            q = accept_encoding_qvalue(s + eq + 1, v - eq - 1);
        i = v;
    }
    if (bad) { /* skip what is left of the member, quoted commas included */
        int quoted = 0;

        for (; i < len && (quoted || s[i] != ','); i++) {
            if (quoted && s[i] == '\\')
                i++;
            else if (s[i] == '"')
                quoted = !quoted;
        }
    }
    *end = i;
    return bad ? -1 : q;
}

void
accept_encoding_init(accept_encoding_t *ae)
{
    int i;

    for (i = 0; i < EV_CODING_COUNT; i++)
        ae->q[i] = -1;
    ae->star = -1;
}

void
accept_encoding_add(accept_encoding_t *ae, const char *value, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t start = accept_encoding_skip_ows(value, len, i), tok, end;
        int idx, q, *slot;

        tok = accept_encoding_token(value, len, start);
        q = accept_encoding_weight(value, len, tok, &end);
        i = end + 1; /* past the ',' */
        if (tok == start)
            continue; /* an empty member, or one without a name to apply it to */
        if (q < 0)
            q = 0;
        idx = accept_encoding_index(value + start, tok - start);
        if (idx == ACCEPT_ENCODING_OTHER)
            continue;
        slot = idx == ACCEPT_ENCODING_STAR ? &ae->star : &ae->q[idx];
        if (*slot < 0)
            *slot = q;
    }
}

void
accept_encoding_parse(const http_request_t *req, accept_encoding_t *ae)
{
    static const char name[] = "Accept-Encoding";
    size_t i;

    accept_encoding_init(ae);
    for (i = 0; i < req->nfields; i++) {
        const http_field_t *f = &req->fields[i];

        if (f->name.len == sizeof(name) - 1 && strncasecmp(f->name.p, name, sizeof(name) - 1) == 0)
            accept_encoding_add(ae, f->value.p, f->value.len);
    }
}

size_t
accept_encoding_rank(const accept_encoding_t *ae, unsigned offered, unsigned out[EV_CODING_COUNT])
{
    int w[EV_CODING_COUNT] = { 0 }; /* read only below n, but cppcheck cannot tell */
    size_t n = 0, j;
    int i;

    for (i = 0; i < EV_CODING_COUNT; i++) {
        int q = ae->q[i] >= 0 ? ae->q[i] : ae->star;

        if (!(offered & (1u << i)) || q <= 0)
            continue;
        /* after every coding of at least the same weight: earlier bits win ties */
        for (j = n; j > 0 && w[j - 1] < q; j--) {
            w[j] = w[j - 1];
            out[j] = out[j - 1];
        }
        w[j] = q;
        out[j] = 1u << i;
        n++;
    }
    return n;
}

unsigned
accept_encoding_coding(const char *name)
{
    int i;

    for (i = 0; i < EV_CODING_COUNT; i++)
        if (strcasecmp(name, accept_encoding_codings[i].name) == 0)
            return 1u << i;
    return 0;
}

/* The bit number of a single known coding bit, or -1. */
static int
accept_encoding_bit(unsigned coding)
{
    int i;

    for (i = 0; i < EV_CODING_COUNT; i++)
        if (coding == 1u << i)
            return i;
    return -1;
}

const char *
accept_encoding_name(unsigned coding)
{
    int i = accept_encoding_bit(coding);

    return i < 0 ? NULL : accept_encoding_codings[i].name;
}

const char *
accept_encoding_suffix(unsigned coding)
{
    int i = accept_encoding_bit(coding);

    return i < 0 ? NULL : accept_encoding_codings[i].suffix;
}
