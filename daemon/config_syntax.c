/*
 * config_syntax.c — the configuration's text layer: lines, words, argument values.
 *
 * Who runs it: config.c, in the parent, while loading a configuration. It owns no
 * state and does no I/O, so it is thread-safe and testable through config_load with
 * any text. Values are parsed strictly (no trailing junk, no overflow, no locale)
 * because a configuration that means something other than what the operator wrote
 * is worse than one that is refused.
 */
#include "config_syntax.h"

#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include <arpa/inet.h>
#include <limits.h>
#include <math.h>
#include <string.h>

char *
config_syntax_next_line(char **pos, char *end, int *lineno)
{
    char *start = *pos, *w = *pos, *s = *pos, *nl, *e;
    int more;

    do {
        nl = memchr(s, '\n', (size_t)(end - s));
        e = nl ? nl : end;
        (*lineno)++;
        while (e > s && apr_isspace(e[-1]))
            e--;
        more = e > s && e[-1] == '\\';
        e -= more;
        /* the joined line is never longer than the text it came from */
        memmove(w, s, (size_t)(e - s));
        w += e - s;
        s = nl ? nl + 1 : end;
    } while (more && s < end);
    *w = '\0';
    *pos = s;
    return start;
}

const char *
config_syntax_split(char *s, apr_array_header_t *words)
{
    char *start, *w, quote;

    apr_array_clear(words);
    for (;;) {
        while (apr_isspace(*s))
            s++;
        if (*s == '\0')
            return NULL;
        if (*s != '"' && *s != '\'') {
            APR_ARRAY_PUSH(words, char *) = s;
            while (*s != '\0' && !apr_isspace(*s))
                s++;
            if (*s != '\0')
                *s++ = '\0';
            continue;
        }
        quote = *s++;
        start = w = s;
        while (*s != '\0' && *s != quote) {
            if (*s == '\\' && (s[1] == quote || s[1] == '\\'))
                s++;
            *w++ = *s++;
        }
        if (*s == '\0')
            return "unterminated quoted string";
        /* Apache would start a new word here; a missing blank is more likely a typo */
        if (*++s != '\0' && !apr_isspace(*s))
            return "a closing quote must end its word";
        *w = '\0';
        APR_ARRAY_PUSH(words, char *) = start;
    }
}

int
config_syntax_number(const char *s, long long *out)
{
    int neg = (*s == '-');
    long long v = 0;

    s += neg;
    if (!apr_isdigit(*s))
        return -1;
    for (; apr_isdigit(*s); s++) {
        int digit = *s - '0';

        if (v > (LLONG_MAX - digit) / 10) {
            while (apr_isdigit(*s))
                s++;
            *out = neg ? LLONG_MIN : LLONG_MAX;
            return *s ? -1 : -2;
        }
        v = v * 10 + digit;
    }
    *out = neg ? -v : v;
    return *s ? -1 : 0;
}

const char *
config_syntax_interval(const char *s, apr_interval_time_t *out)
{
    static const struct {
        const char *suffix;
        long long usec;
    } units[] = { { "", APR_USEC_PER_SEC },
                  { "s", APR_USEC_PER_SEC },
                  { "ms", 1000 },
                  { "mi", 60 * APR_USEC_PER_SEC },
                  { "h", 3600 * APR_USEC_PER_SEC } };
    const size_t nunits = sizeof(units) / sizeof(units[0]);
    char digits[32];
    const char *u = s;
    long long n;
    size_t i;

    while (apr_isdigit(*u))
        u++;
    for (i = 0; i < nunits && strcasecmp(u, units[i].suffix) != 0; i++)
        ;
    if (u == s || i == nunits)
        return "is not a time (seconds, or a number followed by ms, s, mi or h)";
    if ((size_t)(u - s) >= sizeof(digits))
        return "is too large";
    apr_cpystrn(digits, s, (apr_size_t)(u - s) + 1);
    if (config_syntax_number(digits, &n) != 0 || n > LLONG_MAX / units[i].usec)
        return "is too large";
    *out = (apr_interval_time_t)(n * units[i].usec);
    return NULL;
}

const char *
config_syntax_decimal(const char *s, double *out)
{
    double mantissa = 0, divisor = 1, v;
    int digits = 0;

    for (; apr_isdigit(*s); s++, digits++)
        mantissa = mantissa * 10 + (*s - '0');
    if (*s == '.')
        for (s++; apr_isdigit(*s); s++, digits++) {
            mantissa = mantissa * 10 + (*s - '0');
            divisor *= 10;
        }
    if (digits == 0 || *s != '\0')
        return "is not a decimal number";
    /* one division, so a value like 1.25 is exact */
    v = mantissa / divisor;
    if (!isfinite(v))
        return "is too large";
    if (v <= 0)
        return "must be greater than 0";
    *out = v;
    return NULL;
}

/* Canonical text of an address literal of family `af`, or NULL when `s` is not one;
 * canonical so "[0::1]" and "[::1]" compare equal. */
static const char *
config_syntax_address(int af, const char *s, apr_pool_t *p)
{
    unsigned char bin[16];
    char text[INET6_ADDRSTRLEN];

    if (inet_pton(af, s, bin) != 1 || !inet_ntop(af, bin, text, sizeof(text)))
        return NULL;
    return apr_pstrdup(p, text);
}

const char *
config_syntax_listen(const char *spec, ev_listen_cfg_t *out, apr_pool_t *p)
{
    const char *port_s = spec, *close, *colon;
    long long port;

    out->host = NULL;
    out->family = APR_UNSPEC;
    if (spec[0] == '[') {
        close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return apr_psprintf(p, "\"%s\" is not [address]:port", spec);
        out->host = config_syntax_address(
            AF_INET6, apr_pstrmemdup(p, spec + 1, (apr_size_t)(close - spec - 1)), p);
        if (!out->host)
            return apr_psprintf(p, "\"%s\" is not an IPv6 address", spec);
        out->family = APR_INET6;
        port_s = close + 2;
    } else if ((colon = strrchr(spec, ':')) != NULL) {
        if (colon != strchr(spec, ':'))
            return apr_psprintf(p, "\"%s\": write an IPv6 address in brackets: [::1]:80", spec);
        port_s = colon + 1;
        if (!(colon == spec + 1 && spec[0] == '*')) {
            out->host = config_syntax_address(
                AF_INET, apr_pstrmemdup(p, spec, (apr_size_t)(colon - spec)), p);
            if (!out->host)
                return apr_psprintf(p, "\"%s\" is not an IP address and port", spec);
            out->family = APR_INET;
        }
    }
    if (config_syntax_number(port_s, &port) == -1)
        return apr_psprintf(p, "port \"%s\" is not a number", port_s);
    if (port < 1 || port > 65535)
        return apr_psprintf(p, "port %s out of range", port_s);
    out->port = (apr_port_t)port;
    return NULL;
}

const char *
config_syntax_stage(const char *arg, int *stage, ev_read_timeout_t *out, apr_pool_t *p)
{
    char *key = apr_pstrdup(p, arg), *val = strchr(key, '='), *rate, *range;
    long long t, max = 0, r = 0;

    if (!val)
        return apr_psprintf(p, "\"%s\" is not stage=timeout[-max][,MinRate=rate]", arg);
    *val++ = '\0';
    if ((rate = strchr(val, ',')) != NULL) {
        *rate++ = '\0';
        if (strncasecmp(rate, "MinRate=", 8) != 0 || config_syntax_number(rate + 8, &r) != 0 ||
            r < 1)
            return apr_psprintf(p, "\"%s\": MinRate must be a positive number", arg);
    }
    if ((range = strchr(val, '-')) != NULL)
        *range++ = '\0';
    if (config_syntax_number(val, &t) != 0 || t < 0 || t > INT_MAX ||
        (range && (config_syntax_number(range, &max) != 0 || max <= t || max > INT_MAX)))
        return apr_psprintf(p, "\"%s\": the timeout must be whole seconds, a maximum larger", arg);
    if (range && !rate)
        return apr_psprintf(p, "\"%s\": a timeout range needs MinRate", arg);
    if (strcasecmp(key, "handshake") == 0)
        *stage = CONFIG_STAGE_HANDSHAKE;
    else if (strcasecmp(key, "header") == 0)
        *stage = CONFIG_STAGE_HEADER;
    else if (strcasecmp(key, "body") == 0)
        *stage = CONFIG_STAGE_BODY;
    else
        return apr_psprintf(p, "unknown stage \"%s\" (handshake, header or body)", key);
    out->timeout = apr_time_from_sec(t);
    out->max = apr_time_from_sec(max);
    out->min_rate = (int)(r > INT_MAX ? INT_MAX : r);
    return NULL;
}
