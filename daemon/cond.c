/*
 * cond.c — validators (ETag, Last-Modified) and conditional-request evaluation.
 *
 * Who: worker threads, once per static-file response. Owns nothing; every function
 * works on its arguments only (no allocation, no locks, no I/O), so it is thread-safe.
 * Fields are looked up by walking the request's field array here rather than through
 * http_field_find, because the list fields must be combined across every line that
 * carries them and the date fields must be ignored when sent twice.
 * Entity-tag lists are parsed strictly (RFC 9110 section 8.8.3): a comma inside the
 * quotes belongs to the tag, and a list with any malformed element matches nothing,
 * which for If-Match means 412 and for If-None-Match means "send the representation".
 */
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include <apr_date.h>

#include "cond.h"
#include "http_date.h"

typedef struct {
    int weak;          /* the tag carried the W/ prefix */
    ev_slice_t opaque; /* the quoted part, quotes included */
} cond_tag_t;

/* What a list field said about the representation. */
typedef enum {
    COND_ABSENT = 0, /* no line with that name */
    COND_MATCH,      /* "*" or a tag that compares equal */
    COND_NO_MATCH    /* no equal tag, an empty list, or a malformed one */
} cond_list_t;

static int
cond_name_is(const http_field_t *f, const char *name)
{
    size_t n = strlen(name);

    return f->name.len == n && strncasecmp(f->name.p, name, n) == 0;
}

/* The only line named `name`; NULL when absent or repeated (*repeated tells which). */
static const http_field_t *
cond_single(const http_request_t *req, const char *name, int *repeated)
{
    const http_field_t *found = NULL;

    *repeated = 0;
    for (size_t i = 0; i < req->nfields; i++) {
        if (!cond_name_is(&req->fields[i], name))
            continue;
        if (found != NULL) {
            *repeated = 1;
            return NULL;
        }
        found = &req->fields[i];
    }
    return found;
}

static int
cond_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static size_t
cond_skip_ows(const char *s, size_t len, size_t i)
{
    while (i < len && cond_is_ows(s[i]))
        i++;
    return i;
}

static int
cond_is_etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80;
}

/* Parse one entity-tag at s[*pos]; on success advance *pos past it and return 0. */
static int
cond_tag_parse(const char *s, size_t len, size_t *pos, cond_tag_t *tag)
{
    size_t i = *pos;
    size_t start;

    tag->weak = 0;
    if (len - i >= 2 && s[i] == 'W' && s[i + 1] == '/') {
        tag->weak = 1;
        i += 2;
    }
    if (i >= len || s[i] != '"')
        return -1;
    start = i++;
    while (i < len && cond_is_etagc((unsigned char)s[i]))
        i++;
    if (i >= len || s[i] != '"')
        return -1;
    i++;
    tag->opaque.p = s + start;
    tag->opaque.len = i - start;
    *pos = i;
    return 0;
}

/* Parse a value that must be exactly one entity-tag (OWS around it allowed). */
static int
cond_tag_whole(const char *s, size_t len, cond_tag_t *tag)
{
    size_t i = cond_skip_ows(s, len, 0);

    if (cond_tag_parse(s, len, &i, tag) != 0)
        return -1;
    return cond_skip_ows(s, len, i) == len ? 0 : -1;
}

static int
cond_tag_equal(const cond_tag_t *a, const cond_tag_t *b, int strong)
{
    if (strong && (a->weak || b->weak))
        return 0;
    return a->opaque.len == b->opaque.len && memcmp(a->opaque.p, b->opaque.p, a->opaque.len) == 0;
}

/*
 * Scan one line of an If-Match / If-None-Match list, counting "*" elements and tags
 * and noting whether a tag equals `own`. Empty elements are skipped (RFC 9110 section
 * 5.6.1.2). Returns -1 on a malformed element.
 */
static int
cond_list_line(ev_slice_t v, const cond_tag_t *own, int strong, size_t *nstar, size_t *ntags,
               int *equal)
{
    size_t i = 0;
    cond_tag_t tag;

    for (;;) {
        while (i < v.len && (cond_is_ows(v.p[i]) || v.p[i] == ','))
            i++;
        if (i == v.len)
            return 0;
        if (v.p[i] == '*') {
            (*nstar)++;
            i++;
        } else if (cond_tag_parse(v.p, v.len, &i, &tag) == 0) {
            (*ntags)++;
            if (own != NULL && cond_tag_equal(own, &tag, strong))
                *equal = 1;
        } else {
            return -1;
        }
        i = cond_skip_ows(v.p, v.len, i);
        if (i < v.len && v.p[i] != ',')
            return -1;
    }
}

/* Evaluate the list field `name` (all its lines combined) against `etag`. */
static cond_list_t
cond_list_match(const http_request_t *req, const char *name, const char *etag, int strong)
{
    cond_tag_t own;
    const cond_tag_t *ownp = NULL;
    size_t nstar = 0, ntags = 0, nlines = 0;
    int equal = 0;

    if (cond_tag_whole(etag, strlen(etag), &own) == 0)
        ownp = &own;
    for (size_t i = 0; i < req->nfields; i++) {
        if (!cond_name_is(&req->fields[i], name))
            continue;
        nlines++;
        if (cond_list_line(req->fields[i].value, ownp, strong, &nstar, &ntags, &equal) != 0)
            return COND_NO_MATCH;
    }
    if (nlines == 0)
        return COND_ABSENT;
    /* "*" is only valid as the whole field value. */
    if (nstar > 0)
        return nstar + ntags == 1 ? COND_MATCH : COND_NO_MATCH;
    return equal ? COND_MATCH : COND_NO_MATCH;
}

/* The date in field `name`, or APR_DATE_BAD when absent, repeated or invalid. */
static apr_time_t
cond_date(const http_request_t *req, const char *name)
{
    int repeated;
    const http_field_t *f = cond_single(req, name, &repeated);

    return f == NULL ? APR_DATE_BAD : http_date_parse(f->value);
}

void
cond_etag(const struct stat *st, char out[EV_ETAG_LEN])
{
    /* Unsigned arithmetic: a pre-epoch mtime wraps instead of overflowing. */
    uint64_t ns =
        (uint64_t)st->st_mtim.tv_sec * UINT64_C(1000000000) + (uint64_t)st->st_mtim.tv_nsec;

    snprintf(out, EV_ETAG_LEN, "\"%" PRIx64 "-%" PRIx64 "\"", ns, (uint64_t)st->st_size);
}

void
cond_etag_coded(const struct stat *st, const char *coding, char out[EV_ETAG_CODED_LEN])
{
    char plain[EV_ETAG_LEN];
    int n;

    cond_etag(st, plain);
    n = (int)strlen(plain) - 1; /* without the closing quote */
    snprintf(out, EV_ETAG_CODED_LEN, "%.*s-%.6s\"", n, plain, coding);
}

apr_time_t
cond_last_modified(const struct stat *st, apr_time_t now)
{
    apr_time_t lm = apr_time_from_sec((apr_time_t)st->st_mtim.tv_sec);

    return lm > now ? apr_time_from_sec(apr_time_sec(now)) : lm;
}

int
cond_evaluate(const http_request_t *req, const char *etag, apr_time_t last_modified, apr_time_t now)
{
    int get_or_head = req->method_id == EV_M_GET || req->method_id == EV_M_HEAD;
    apr_time_t lm = apr_time_sec(last_modified);
    cond_list_t inm;
    apr_time_t t;

    switch (cond_list_match(req, "If-Match", etag, 1)) {
    case COND_NO_MATCH:
        return 412;
    case COND_MATCH:
        break;
    case COND_ABSENT:
        t = cond_date(req, "If-Unmodified-Since");
        if (t != APR_DATE_BAD && lm > apr_time_sec(t))
            return 412;
        break;
    }

    inm = cond_list_match(req, "If-None-Match", etag, 0);
    if (inm == COND_MATCH)
        return get_or_head ? 304 : 412;
    if (inm == COND_ABSENT && get_or_head) {
        t = cond_date(req, "If-Modified-Since");
        if (t != APR_DATE_BAD && t <= now && lm <= apr_time_sec(t))
            return 304;
    }
    return 0;
}

int
cond_if_range(const http_request_t *req, const char *etag, apr_time_t last_modified, apr_time_t now)
{
    int repeated;
    const http_field_t *f = cond_single(req, "If-Range", &repeated);
    cond_tag_t want, own;
    apr_time_t t;

    if (f == NULL)
        return !repeated;
    if (cond_tag_whole(f->value.p, f->value.len, &want) == 0)
        return cond_tag_whole(etag, strlen(etag), &own) == 0 && cond_tag_equal(&want, &own, 1);
    t = http_date_parse(f->value);
    if (t == APR_DATE_BAD || last_modified <= 0)
        return 0;
    return apr_time_sec(t) == apr_time_sec(last_modified) &&
           apr_time_sec(last_modified) < apr_time_sec(now);
}
