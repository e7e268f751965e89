/*
 * header_action.c — parsing and applying mod_headers' response Header actions.
 *
 * Who: the parent parses Header lines while loading a configuration (pconf); worker
 * threads apply the parsed, read-only actions to each response's own field list (preq).
 * Owns nothing and keeps no state, so no locks.
 *
 * The parser refuses rather than half-supports: a header value is sent verbatim, so
 * anything that would need request-time expansion (format specifiers, expressions,
 * environment conditions) or could break the message (control bytes, framing fields the
 * server writes itself) is stopped at configuration time with a reason naming it.
 * Applying is a linear pass per action over a short list: response heads hold a dozen
 * fields, so a hash would cost more than it saves.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "header_action.h"

#define HEADER_USAGE "takes [always|onsuccess] set|append|add|unset|setifempty NAME [VALUE]"

static const struct {
    const char *word;
    header_action_op_t op;
} header_ops[] = {
    { "set", HEADER_ACTION_SET },
    { "append", HEADER_ACTION_APPEND },
    { "add", HEADER_ACTION_ADD },
    { "unset", HEADER_ACTION_UNSET },
    { "setifempty", HEADER_ACTION_SETIFEMPTY },
};

/* mod_headers actions evhttpd knows but does not implement. */
static const char *const header_unsupported[] = { "echo", "edit", "edit*", "merge", "note" };

/* Written by the server itself; a configured value would contradict the framing. */
static const char *const header_owned[] = {
    "Content-Length", "Transfer-Encoding", "Content-Range", "Connection",
    "Keep-Alive",     "Trailer",           "Upgrade",       "Date",
};

static int
header_is_tchar(unsigned char c)
{
    return apr_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
header_parse_op(const char *word, header_action_op_t *op, apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < sizeof(header_ops) / sizeof(header_ops[0]); i++) {
        if (strcasecmp(word, header_ops[i].word) == 0) {
            *op = header_ops[i].op;
            return NULL;
        }
    }
    for (i = 0; i < sizeof(header_unsupported) / sizeof(header_unsupported[0]); i++)
        if (strcasecmp(word, header_unsupported[i]) == 0)
            return apr_psprintf(p,
                                "action \"%s\" is not supported by evhttpd (set, append, "
                                "add, unset and setifempty are)",
                                word);
    return apr_psprintf(p, "\"%s\" is not an action (set, append, add, unset or setifempty)", word);
}

/* What follows the value (or the name, for unset): mod_headers reads a condition or a
 * mode there, which evhttpd does not evaluate. */
static const char *
header_extra_arg(const char *arg, header_action_op_t op, apr_pool_t *p)
{
    if (strncasecmp(arg, "env=", 4) == 0 || strncasecmp(arg, "expr=", 5) == 0)
        return apr_psprintf(p, "conditions (\"%s\") are not supported by evhttpd", arg);
    if (strcasecmp(arg, "early") == 0)
        return "early processing is not supported by evhttpd";
    if (op == HEADER_ACTION_UNSET)
        return "unset takes no value";
    return apr_psprintf(p, "unexpected argument \"%s\"; %s", arg, HEADER_USAGE);
}

/* The name without mod_headers' optional final ':', checked. */
static const char *
header_parse_name(const char *arg, const char **name, apr_pool_t *p)
{
    size_t n = strlen(arg), i;

    if (n > 0 && arg[n - 1] == ':')
        n--;
    if (n == 0)
        return "needs a header name";
    for (i = 0; i < n; i++)
        if (!header_is_tchar((unsigned char)arg[i]))
            return apr_psprintf(p, "header name \"%s\" is not a token", arg);
    *name = apr_pstrmemdup(p, arg, n);
    for (i = 0; i < sizeof(header_owned) / sizeof(header_owned[0]); i++)
        if (strcasecmp(*name, header_owned[i]) == 0)
            return apr_psprintf(p, "%s is written by the server and cannot be changed",
                                header_owned[i]);
    return NULL;
}

/* The value as mod_headers' literal text reads it, with nothing left to expand. */
static const char *
header_parse_value(const char *arg, const char **value, apr_pool_t *p)
{
    char *out = apr_palloc(p, strlen(arg) + 1), *o = out;
    const unsigned char *s = (const unsigned char *)arg;

    if (strncasecmp(arg, "expr=", 5) == 0)
        return "expr= values are not supported by evhttpd";
    while (*s != '\0') {
        if (*s == '%') {
            if (s[1] != '%')
                return apr_psprintf(p,
                                    "value \"%s\" has a '%%' that is not \"%%%%\": format "
                                    "specifiers (%%t, %%D, %%{NAME}e...) are not supported; "
                                    "write %%%% for a literal %%",
                                    arg);
            *o++ = '%';
            s += 2;
        } else if (*s == '\\' && (s[1] == 'n' || s[1] == 'r')) {
            return apr_psprintf(p, "value \"%s\" holds \\%c, a line break", arg, s[1]);
        } else if (*s == '\\' && (s[1] == 't' || s[1] == '\\')) {
            *o++ = s[1] == 't' ? '\t' : '\\';
            s += 2;
        } else {
            *o++ = (char)*s++;
        }
    }
    *o = '\0';
    *value = out;
    return NULL;
}

/* Checked before anything else, so that every later reason may quote its argument
 * without putting a line break into the log line it ends up in. TAB is a legal value
 * byte. */
static const char *
header_control_bytes(int argc, char **argv, apr_pool_t *p)
{
    const unsigned char *s;
    int i;

    for (i = 0; i < argc; i++)
        for (s = (const unsigned char *)argv[i]; *s != '\0'; s++)
            if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
                return apr_psprintf(p, "argument %d holds a control byte (0x%02X)", i + 1, *s);
    return NULL;
}

const char *
header_action_parse(int argc, char **argv, header_action_t *out, apr_pool_t *p)
{
    const char *why;
    int i = 0;

    if ((why = header_control_bytes(argc, argv, p)) != NULL)
        return why;
    out->always = 0;
    out->value = NULL;
    if (argc > 0 && strcasecmp(argv[0], "always") == 0) {
        out->always = 1;
        i++;
    } else if (argc > 0 && strcasecmp(argv[0], "onsuccess") == 0) {
        i++;
    }
    if (i >= argc)
        return HEADER_USAGE;
    if ((why = header_parse_op(argv[i++], &out->op, p)) != NULL)
        return why;
    if (i >= argc)
        return "needs a header name";
    if ((why = header_parse_name(argv[i++], &out->name, p)) != NULL)
        return why;
    if (out->op != HEADER_ACTION_UNSET) {
        if (i >= argc)
            return apr_psprintf(p, "%s needs a value", argv[i - 2]);
        if ((why = header_parse_value(argv[i++], &out->value, p)) != NULL)
            return why;
    }
    if (i < argc)
        return header_extra_arg(argv[i], out->op, p);
    if (out->op == HEADER_ACTION_APPEND && strcasecmp(out->name, "Set-Cookie") == 0)
        return "Set-Cookie values cannot be joined with commas; use add";
    return NULL;
}

static int
header_find(const apr_array_header_t *headers, const char *name, int from)
{
    const header_field_t *h = (const header_field_t *)headers->elts;
    int i;

    for (i = from; i < headers->nelts; i++)
        if (strcasecmp(h[i].name, name) == 0)
            return i;
    return -1;
}

/* Drop every field named `name` at or after `from`, keeping the others' order. */
static void
header_remove(apr_array_header_t *headers, const char *name, int from)
{
    header_field_t *h = (header_field_t *)headers->elts;
    int i, kept = from;

    for (i = from; i < headers->nelts; i++)
        if (strcasecmp(h[i].name, name) != 0)
            h[kept++] = h[i];
    headers->nelts = kept;
}

static void
header_push(apr_array_header_t *headers, const header_action_t *a)
{
    header_field_t *f = (header_field_t *)apr_array_push(headers);

    f->name = a->name;
    f->value = a->value;
}

static void
header_apply_one(const header_action_t *a, apr_array_header_t *headers, apr_pool_t *p)
{
    header_field_t *h;
    int i = header_find(headers, a->name, 0);

    switch (a->op) {
    case HEADER_ACTION_SET:
        if (i < 0) {
            header_push(headers, a);
            break;
        }
        h = (header_field_t *)headers->elts;
        h[i].name = a->name;
        h[i].value = a->value;
        header_remove(headers, a->name, i + 1);
        break;
    case HEADER_ACTION_APPEND:
        if (i < 0) {
            header_push(headers, a);
            break;
        }
        h = (header_field_t *)headers->elts;
        h[i].value =
            h[i].value[0] == '\0' ? a->value : apr_pstrcat(p, h[i].value, ", ", a->value, NULL);
        break;
    case HEADER_ACTION_ADD:
        header_push(headers, a);
        break;
    case HEADER_ACTION_UNSET:
        if (i >= 0)
            header_remove(headers, a->name, i);
        break;
    case HEADER_ACTION_SETIFEMPTY:
        if (i < 0)
            header_push(headers, a);
        break;
    }
}

void
header_actions_apply(const apr_array_header_t *actions, apr_array_header_t *headers, int is_error,
                     apr_pool_t *p)
{
    const header_action_t *a = (const header_action_t *)actions->elts;
    int i;

    for (i = 0; i < actions->nelts; i++)
        if (a[i].always || !is_error)
            header_apply_one(&a[i], headers, p);
}
