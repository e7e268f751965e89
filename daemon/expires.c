/*
 * expires.c — mod_expires' interval syntax and media-type matching for ExpiresByType.
 *
 * Who: the parent parses ExpiresByType lines while loading a configuration; worker
 * threads pick the rule for each response's Content-Type. No state, no allocation, no
 * locks: every function reads only its arguments.
 *
 * Overflow is checked before every multiplication and addition against
 * EXPIRES_MAX_SECONDS, so the sum a caller adds to the request time is bounded and the
 * Expires date it formats cannot wrap.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>

#include "expires.h"

#define EXPIRES_TOO_LONG "is longer than 2147483647 seconds (68 years)"

static const struct {
    const char *unit;    /* singular; the plural adds an 's' */
    apr_int64_t seconds; /* mod_expires' factors: a month is 30 days, a year 365 */
} expires_units[] = {
    { "year", 365 * 86400 }, { "month", 30 * 86400 }, { "week", 7 * 86400 }, { "day", 86400 },
    { "hour", 3600 },        { "minute", 60 },        { "second", 1 },
};

/* The next blank-separated word of *s: its length (0 at the end), *w its start. */
static size_t
expires_word(const char **s, const char **w)
{
    const char *p = *s;

    while (*p == ' ' || *p == '\t')
        p++;
    *w = p;
    while (*p != '\0' && *p != ' ' && *p != '\t')
        p++;
    *s = p;
    return (size_t)(p - *w);
}

static int
expires_word_is(const char *w, size_t n, const char *keyword)
{
    return n == strlen(keyword) && strncasecmp(w, keyword, n) == 0;
}

/* Decimal digits w[0..n) into *out, at most EXPIRES_MAX_SECONDS. Returns NULL or a
 * reason. */
static const char *
expires_number(const char *w, size_t n, apr_int64_t *out)
{
    apr_int64_t v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (!apr_isdigit(w[i]))
            return "has a word where a number was expected (access plus N unit ...)";
        v = v * 10 + (w[i] - '0');
        if (v > EXPIRES_MAX_SECONDS)
            return EXPIRES_TOO_LONG;
    }
    *out = v;
    return NULL;
}

static const char *
expires_unit(const char *w, size_t n, apr_int64_t *factor)
{
    size_t i, u;

    for (i = 0; i < sizeof(expires_units) / sizeof(expires_units[0]); i++) {
        u = strlen(expires_units[i].unit);
        if ((n == u || (n == u + 1 && (w[u] == 's' || w[u] == 'S'))) &&
            strncasecmp(w, expires_units[i].unit, u) == 0) {
            *factor = expires_units[i].seconds;
            return NULL;
        }
    }
    return "has a unit other than years, months, weeks, days, hours, minutes or seconds";
}

/* "access|now [plus] {<num> <unit>}" */
static const char *
expires_parse_words(const char *spec, apr_int64_t *seconds)
{
    const char *s = spec, *w, *why;
    apr_int64_t total = 0, num, factor;
    size_t n = expires_word(&s, &w);

    if (n == 0)
        return "is empty";
    if (expires_word_is(w, n, "modification"))
        return "is relative to the modification time; evhttpd supports access only";
    if (!expires_word_is(w, n, "access") && !expires_word_is(w, n, "now"))
        return "does not start with access, now or A<seconds>";
    n = expires_word(&s, &w);
    if (expires_word_is(w, n, "plus")) {
        n = expires_word(&s, &w);
        if (n == 0)
            return "has nothing after plus";
    }
    while (n > 0) {
        if ((why = expires_number(w, n, &num)) != NULL)
            return why;
        n = expires_word(&s, &w);
        if (n == 0)
            return "has a number without a unit";
        if ((why = expires_unit(w, n, &factor)) != NULL)
            return why;
        if (num > (EXPIRES_MAX_SECONDS - total) / factor)
            return EXPIRES_TOO_LONG;
        total += num * factor;
        n = expires_word(&s, &w);
    }
    *seconds = total;
    return NULL;
}

const char *
expires_parse(const char *spec, apr_int64_t *seconds)
{
    apr_int64_t v;
    const char *why;

    if ((spec[0] == 'A' || spec[0] == 'M') && apr_isdigit(spec[1])) {
        if (spec[0] == 'M')
            return "is relative to the modification time; evhttpd supports access only";
        if (spec[1 + strspn(spec + 1, "0123456789")] != '\0')
            return "is not A followed by decimal seconds";
        if ((why = expires_number(spec + 1, strlen(spec + 1), &v)) != NULL)
            return why;
        *seconds = v;
        return NULL;
    }
    return expires_parse_words(spec, seconds);
}

static int
expires_is_tchar(unsigned char c)
{
    return apr_isalnum(c) || (c != '\0' && strchr("!#$%&'+-.^_`|~", c) != NULL);
}

/* Token bytes (RFC 9110 5.6.2) other than '*', which patterns reserve for the wildcard. */
static size_t
expires_token_len(const char *s)
{
    size_t n = 0;

    while (expires_is_tchar((unsigned char)s[n]))
        n++;
    return n;
}

const char *
expires_type_check(const char *pattern)
{
    size_t t = expires_token_len(pattern), st;
    const char *sub;

    if (pattern[t] == '*')
        return "has a '*' where only a whole subtype may be one (type/*)";
    if (t == 0 || pattern[t] != '/')
        return "is not a media type (type/subtype or type/*)";
    sub = pattern + t + 1;
    if (sub[0] == '*' && sub[1] == '\0')
        return NULL;
    st = expires_token_len(sub);
    if (sub[st] == ';' || sub[st] == ' ' || sub[st] == '\t')
        return "has parameters; ExpiresByType matches the media type alone";
    if (sub[st] == '*')
        return "has a '*' where only a whole subtype may be one (type/*)";
    if (st == 0 || sub[st] != '\0')
        return "is not a media type (type/subtype or type/*)";
    return NULL;
}

int
expires_type_match(const char *pattern, const char *content_type)
{
    const char *ct = content_type, *slash, *end, *psub;
    size_t tlen;

    if (ct == NULL)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    end = ct + strcspn(ct, ";");
    while (end > ct && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    slash = memchr(ct, '/', (size_t)(end - ct));
    if (slash == NULL || slash == ct || slash + 1 == end)
        return 0;
    psub = strchr(pattern, '/');
    if (psub == NULL)
        return 0;
    tlen = (size_t)(psub - pattern);
    if ((size_t)(slash - ct) != tlen || strncasecmp(ct, pattern, tlen) != 0)
        return 0;
    psub++;
    if (psub[0] == '*' && psub[1] == '\0')
        return 1;
    if ((size_t)(end - slash - 1) == strlen(psub) &&
        strncasecmp(slash + 1, psub, strlen(psub)) == 0)
        return 2;
    return 0;
}

const expires_rule_t *
expires_rule_find(const apr_array_header_t *rules, const char *content_type)
{
    const expires_rule_t *r = (const expires_rule_t *)rules->elts, *best = NULL;
    int i, rank, best_rank = 0;

    for (i = 0; i < rules->nelts; i++) {
        rank = expires_type_match(r[i].type, content_type);
        if (rank > 0 && rank >= best_rank) {
            best = &r[i];
            best_rank = rank;
        }
    }
    return best;
}
