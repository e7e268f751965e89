/*
 * alias_match.c — mod_alias's prefix matching and Redirect's arguments and targets.
 *
 * Who: the parent parses Redirect lines while loading a configuration (pconf); worker
 * threads match request paths and build Location values per request (preq). Owns
 * nothing: no state outside the arguments, no locks, so any thread may call anything.
 *
 * The matching rule and the query rule follow mod_alias (alias_matches and
 * translate_alias_redir) so configurations keep their meaning. Where mod_alias is lenient
 * in ways that hide mistakes (atoi on the status, any status accepted, a target that a
 * browser would read as another host), the parser refuses instead.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "alias_match.h"

size_t
alias_match(const char *prefix, const char *path, size_t len)
{
    const char *a = prefix;
    size_t i = 0;

    if (*a == '\0')
        return 0;
    while (*a != '\0') {
        if (*a == '/') {
            if (i == len || path[i] != '/')
                return 0;
            while (*a == '/')
                a++;
            while (i < len && path[i] == '/')
                i++;
        } else {
            if (i == len || path[i] != *a)
                return 0;
            a++;
            i++;
        }
    }
    if (a[-1] != '/' && i < len && path[i] != '/')
        return 0;
    return i;
}

/* RFC 3986 pchar minus pct-encoded, plus '/': what may stand unescaped in a path. */
static int
alias_path_safe(unsigned char c)
{
    if (apr_isalnum(c))
        return 1;
    return c != '\0' && strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

const char *
alias_redirect_target(const char *target, const char *path, size_t len, size_t consumed,
                      const char *query, size_t qlen, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *rest = (const unsigned char *)path + consumed;
    size_t nrest = len - consumed, tlen = strlen(target), n, i;
    int add_query = query != NULL && strchr(target, '?') == NULL;
    char *out, *o;

    n = tlen;
    for (i = 0; i < nrest; i++)
        n += alias_path_safe(rest[i]) ? 1 : 3;
    if (add_query)
        n += 1 + qlen;
    out = o = apr_palloc(p, n + 1);
    memcpy(o, target, tlen);
    o += tlen;
    for (i = 0; i < nrest; i++) {
        if (alias_path_safe(rest[i])) {
            *o++ = (char)rest[i];
        } else {
            *o++ = '%';
            *o++ = hex[rest[i] >> 4];
            *o++ = hex[rest[i] & 0x0f];
        }
    }
    if (add_query) {
        *o++ = '?';
        memcpy(o, query, qlen);
        o += qlen;
    }
    *o = '\0';
    return out;
}

/* How the first argument reads as a status: 1 it is one (*status set), 0 it is not a
 * status word at all, -1 a number that is not an allowed status. */
static int
alias_status(const char *s, int *status)
{
    static const struct {
        const char *word;
        int status;
    } words[] = { { "permanent", 301 }, { "temp", 302 }, { "seeother", 303 }, { "gone", 410 } };
    int v = 0;
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i].word) == 0) {
            *status = words[i].status;
            return 1;
        }
    }
    if (!apr_isdigit(*s))
        return 0;
    for (; *s != '\0'; s++) {
        if (!apr_isdigit(*s))
            return -1;
        if (v < 1000) /* saturate: anything this large is refused below */
            v = v * 10 + (*s - '0');
    }
    if ((v < 300 || v > 399) && v != 410)
        return -1;
    *status = v;
    return 1;
}

/* scheme "://" followed by a non-empty authority (RFC 3986 3.1: ALPHA *( ALPHA / DIGIT /
 * "+" / "-" / "." )). */
static int
alias_is_absolute_url(const char *u)
{
    const char *s = u;

    if (!apr_isalpha(*s))
        return 0;
    while (apr_isalnum(*s) || *s == '+' || *s == '-' || *s == '.')
        s++;
    return strncmp(s, "://", 3) == 0 && s[3] != '\0' && s[3] != '/';
}

/* Checked before anything else, so that every later reason may quote its argument
 * without putting a line break into the log line it ends up in. */
static const char *
alias_control_bytes(int argc, char **argv, apr_pool_t *p)
{
    const unsigned char *s;
    int i;

    for (i = 0; i < argc; i++)
        for (s = (const unsigned char *)argv[i]; *s != '\0'; s++)
            if (*s < 0x20 || *s == 0x7f)
                return apr_psprintf(p, "argument %d holds a control byte (0x%02X)", i + 1, *s);
    return NULL;
}

static const char *
alias_check_url(const char *url, apr_pool_t *p)
{
    const unsigned char *s;

    for (s = (const unsigned char *)url; *s != '\0'; s++)
        if (*s == ' ' || *s >= 0x7f)
            return apr_psprintf(p,
                                "URL \"%s\" holds a space or a non-ASCII byte "
                                "(percent-encode it)",
                                url);
    if (url[0] == '/' && url[1] == '/')
        return apr_psprintf(p,
                            "URL \"%s\" starts with \"//\", which a browser reads as "
                            "another host; write scheme://host/... or a single '/'",
                            url);
    if (url[0] != '/' && !alias_is_absolute_url(url))
        return apr_psprintf(p,
                            "URL \"%s\" is neither an absolute URL (scheme://...) nor a path "
                            "starting with '/'",
                            url);
    return NULL;
}

const char *
alias_redirect_parse(int argc, char **argv, int *status, const char **prefix, const char **target,
                     apr_pool_t *p)
{
    const char *path, *url, *why;
    int st = ALIAS_REDIRECT_DEFAULT, kind;

    if (argc < 2 || argc > 3)
        return "takes [status] URL-path [URL]";
    if ((why = alias_control_bytes(argc, argv, p)) != NULL)
        return why;
    kind = alias_status(argv[0], &st);
    if (kind < 0)
        return apr_psprintf(p, "status \"%s\" is neither a redirect (300-399) nor 410 (gone)",
                            argv[0]);
    if (argc == 3 && kind == 0)
        return apr_psprintf(p,
                            "\"%s\" is not a status (permanent, temp, seeother, gone or "
                            "a number)",
                            argv[0]);
    if (kind == 1) {
        path = argv[1];
        url = argc == 3 ? argv[2] : NULL;
    } else {
        path = argv[0];
        url = argv[1];
    }
    if (path[0] != '/')
        return apr_psprintf(p, "URL-path \"%s\" does not start with '/'", path);
    if (st == 410 && url != NULL)
        return apr_psprintf(p, "status 410 (gone) takes no URL, but \"%s\" follows", url);
    if (st != 410 && url == NULL)
        return apr_psprintf(p, "status %d needs a URL to redirect to", st);
    if (url != NULL && (why = alias_check_url(url, p)) != NULL)
        return why;
    *status = st;
    *prefix = apr_pstrdup(p, path);
    *target = url != NULL ? apr_pstrdup(p, url) : NULL;
    return NULL;
}
