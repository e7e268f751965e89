/*
 * config.c — reads evhttpd.conf (Apache syntax) into an ev_config_t.
 *
 * Who runs it: the parent, at start-up and for every reload or config test, on one
 * thread; nothing here locks. The result and every message live in the caller's pool
 * (pconf); file buffers and word arrays live in a scratch sub-pool destroyed before
 * config_load returns.
 *
 * Shape: config_syntax.c cuts text into logical lines and words and parses argument
 * values; this file reads files (Include included) and dispatches each line through a
 * descriptor table, as tmux has for its commands: name, handler, argument counts, and
 * whether a later occurrence replaces or adds. Handlers only store what was
 * written. Everything that depends on the whole configuration runs once at the end —
 * relative paths (ServerRoot may come last), LogFormat nicknames (may follow the
 * CustomLog using them) and Apache's MPM clamps — so directive order matters only in
 * that a later single-valued directive wins. Include is the exception: like Apache it
 * resolves against the ServerRoot known when it is read, since it must be read now.
 * Parsing goes on after an error so one run shows the operator every mistake; a cap
 * keeps a binary file named by mistake from flooding the output.
 */
#include "accept_encoding.h"
#include "accesslog.h"
#include "config.h"
#include "config_syntax.h"
#include "alias_match.h"
#include "expires.h"
#include "header_action.h"
#include "http_path.h"
#include "location.h"
#include "vhost_match.h"

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <arpa/inet.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define CONFIG_MAX_DEPTH        16         /* nested Include levels (files and directories) */
#define CONFIG_MAX_ERRORS       50         /* errors reported before giving up */
#define CONFIG_MAX_FILE         (16 << 20) /* bytes; a config file is never this large */
#define CONFIG_MAX_SERVER_LIMIT 20000      /* Apache event MPM's MAX_SERVER_LIMIT */
#define CONFIG_MAX_THREAD_LIMIT 100000     /* Apache event MPM's MAX_THREAD_LIMIT */

typedef struct config_ctx config_ctx_t;
typedef struct config_directive config_directive_t;

/* A directive handler: argv holds the arguments only (argc within the table's bounds),
 * valid until the handler returns. Returns NULL, or the error text without location. */
typedef const char *(*config_handler_fn)(config_ctx_t *ctx, const config_directive_t *d, int argc,
                                         char **argv);

struct config_directive {
    const char *name;          /* canonical spelling, used in messages */
    config_handler_fn handler; /* stores the value */
    int min_args;              /* fewest arguments */
    int max_args;              /* most arguments, -1 for no limit */
    int flags;                 /* CONFIG_MULTI: every occurrence adds, else a later one
                                * replaces; CONFIG_SITE: allowed in <VirtualHost>;
                                * CONFIG_LOCATION: allowed in <Location> */
    size_t offset;             /* the field of the generic handlers: in ev_config_t, or in
                                * ev_site_t for CONFIG_SITE directives */
    long long minimum;         /* smallest value the numeric handlers accept */
};

enum { CONFIG_MULTI = 1, CONFIG_SITE = 2, CONFIG_LOCATION = 4 };

struct config_ctx {
    ev_site_t *site;               /* the site being read: cfg->main, or a <VirtualHost> */
    const char *section_file;      /* the file that opened that <VirtualHost> */
    int section_depth;             /* ... at this Include depth (it must close there) */
    ev_location_t *location;       /* the open <Location> section, or NULL */
    const char *location_file;     /* the file that opened it */
    int location_depth;            /* ... at this Include depth */
    apr_pool_t *p;                 /* pconf: the result and the messages */
    apr_pool_t *ptemp;             /* scratch, destroyed when config_load returns */
    apr_array_header_t *msgs;      /* the caller's message list */
    ev_config_t *cfg;              /* being filled */
    const char *config_dir;        /* its absolute directory, the default ServerRoot */
    apr_hash_t *set_at;            /* directive name -> "file:line" of its last occurrence */
    apr_array_header_t *log_where; /* "file:line" of each CustomLog, parallel to custom_logs */
    apr_array_header_t *log_site;  /* ev_site_t * of each CustomLog, parallel to custom_logs */
    const char *file;              /* file (or "-C"/"-c") being read, for messages */
    int line;                      /* its current line */
    int depth;                     /* open Include levels */
    int errors;                    /* errors reported so far */
    int stopped;                   /* the error cap was reached */
};

static const char *const config_level_names[] = { "emerg", "alert",  "crit", "error",
                                                  "warn",  "notice", "info", "debug" };

/* ---- messages ---- */

/* Appends "[warning: ][where: ]text" to the caller's list; NULL `where` for messages
 * about the whole configuration. */
static void config_msg(config_ctx_t *ctx, int is_error, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
config_msg(config_ctx_t *ctx, int is_error, const char *where, const char *fmt, ...)
{
    const char *text;
    va_list ap;

    if (ctx->stopped)
        return;
    va_start(ap, fmt);
    text = apr_pvsprintf(ctx->p, fmt, ap);
    va_end(ap);
    APR_ARRAY_PUSH(ctx->msgs, const char *) = apr_pstrcat(
        ctx->p, is_error ? "" : "warning: ", where ? where : "", where ? ": " : "", text, NULL);
    if (is_error && ++ctx->errors >= CONFIG_MAX_ERRORS) {
        APR_ARRAY_PUSH(ctx->msgs, const char *) =
            apr_psprintf(ctx->p, "too many errors (%d), stopping", ctx->errors);
        ctx->stopped = 1;
    }
}

#define config_error_at(ctx, where, ...) config_msg((ctx), 1, (where), __VA_ARGS__)
#define config_warn_at(ctx, where, ...)  config_msg((ctx), 0, (where), __VA_ARGS__)

static const char *
config_where(config_ctx_t *ctx)
{
    return apr_psprintf(ctx->p, "%s:%d", ctx->file, ctx->line);
}

static const char *
config_strerror(config_ctx_t *ctx, apr_status_t rv)
{
    char buf[128];

    return apr_pstrdup(ctx->ptemp, apr_strerror(rv, buf, sizeof(buf)));
}

/* ---- paths ---- */

/* Makes `path` absolute against `root` (cwd when NULL) with no trailing slash, so
 * callers may append "/name". Fails only as apr_filepath_merge does. */
static apr_status_t
config_absolute(const char **out, const char *root, const char *path, apr_pool_t *p)
{
    char *abs;
    size_t n;
    apr_status_t rv = apr_filepath_merge(&abs, root, path, 0, p);

    if (rv != APR_SUCCESS)
        return rv;
    n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        abs[--n] = '\0';
    *out = abs;
    return APR_SUCCESS;
}

static void *
config_field(config_ctx_t *ctx, const config_directive_t *d)
{
    return (d->flags & CONFIG_SITE ? (char *)ctx->site : (char *)ctx->cfg) + d->offset;
}

/* ---- generic handlers ---- */

/* `Directive: "arg" why`, or NULL when there is no `why`. */
static const char *
config_bad_value(config_ctx_t *ctx, const config_directive_t *d, const char *arg, const char *why)
{
    return why ? apr_psprintf(ctx->ptemp, "%s: \"%s\" %s", d->name, arg, why) : NULL;
}

static const char *
config_number(config_ctx_t *ctx, const config_directive_t *d, const char *arg, long long max,
              long long *out)
{
    int rc = config_syntax_number(arg, out);
    const char *why = NULL;

    if (rc == -1)
        why = "is not a number";
    else if (*out < d->minimum)
        why = d->minimum == 0 ? "must not be negative"
                              : apr_psprintf(ctx->ptemp, "must be at least %" APR_INT64_T_FMT,
                                             (apr_int64_t)d->minimum);
    else if (rc == -2 || *out > max)
        why = apr_psprintf(ctx->ptemp, "is too large (at most %" APR_INT64_T_FMT ")",
                           (apr_int64_t)max);
    return config_bad_value(ctx, d, arg, why);
}

static const char *
config_int(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    long long v;
    const char *err = config_number(ctx, d, argv[0], INT_MAX, &v);

    if (!err)
        *(int *)config_field(ctx, d) = (int)v;
    return err;
}

static const char *
config_off(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    long long v;
    const char *err = config_number(ctx, d, argv[0], LLONG_MAX, &v);

    if (!err)
        *(apr_off_t *)config_field(ctx, d) = (apr_off_t)v;
    return err;
}

static const char *
config_interval(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *why = config_syntax_interval(argv[0], config_field(ctx, d));

    return config_bad_value(ctx, d, argv[0], why);
}

/* A string, or a path kept as written until config_resolve_paths. */
static const char *
config_string(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    if (*argv[0] == '\0')
        return apr_psprintf(ctx->ptemp, "%s: empty value", d->name);
    *(const char **)config_field(ctx, d) = apr_pstrdup(ctx->p, argv[0]);
    return NULL;
}

static const char *
config_flag(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    if (strcasecmp(argv[0], "on") != 0 && strcasecmp(argv[0], "off") != 0)
        return apr_psprintf(ctx->ptemp, "%s takes On or Off", d->name);
    *(int *)config_field(ctx, d) = strcasecmp(argv[0], "on") == 0;
    return NULL;
}

/* ---- specific handlers ---- */

/* SchedulingPolicy batch|other (sched(7)'s names). */
static const char *
config_sched_policy(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    if (strcasecmp(argv[0], "batch") == 0)
        ctx->cfg->sched_batch = 1;
    else if (strcasecmp(argv[0], "other") == 0)
        ctx->cfg->sched_batch = 0;
    else
        return config_bad_value(ctx, d, argv[0], "is not a policy here (batch or other)");
    return NULL;
}

/* PrecompressedFiles: the codings whose variant files may answer ("gzip br"), or
 * Off/None alone. */
static const char *
config_precompressed(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    unsigned set = 0, coding;
    int i;

    if (argc == 1 && (strcasecmp(argv[0], "off") == 0 || strcasecmp(argv[0], "none") == 0)) {
        ctx->site->precompressed = 0;
        return NULL;
    }
    for (i = 0; i < argc; i++) {
        if ((coding = accept_encoding_coding(argv[i])) == 0)
            return apr_psprintf(ctx->ptemp,
                                "%s: \"%s\" is not supported (gzip and br are, or Off alone)",
                                d->name, argv[i]);
        set |= coding;
    }
    ctx->site->precompressed = (int)set;
    return NULL;
}

static const char *
config_factor(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *why = config_syntax_decimal(argv[0], &ctx->cfg->async_request_worker_factor);

    return config_bad_value(ctx, d, argv[0], why);
}

static const char *
config_log_level(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *s = argv[0];
    int i;

    for (i = 0; i <= EV_LOG_DEBUG; i++)
        if (strcasecmp(s, config_level_names[i]) == 0)
            break;
    /* Apache's trace levels are finer than debug; here they all mean debug. */
    if (i > EV_LOG_DEBUG && strncasecmp(s, "trace", 5) == 0 && s[5] >= '1' && s[5] <= '8' &&
        s[6] == '\0')
        i = EV_LOG_DEBUG;
    if (i > EV_LOG_DEBUG)
        return apr_psprintf(ctx->ptemp,
                            "%s: \"%s\" is not a level (emerg, alert, crit, error, warn, notice, "
                            "info, debug, trace1..trace8)",
                            d->name, s);
    ctx->cfg->log_level = i;
    return NULL;
}

/* The main server's ErrorLog is resolved with the other server paths
 * (config_resolve_paths), a virtual host's in config_resolve_logs. */
static const char *
config_error_log(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    if (argv[0][0] == '|')
        return apr_psprintf(ctx->ptemp, "%s: piped logs are not supported", d->name);
    if (strncasecmp(argv[0], "syslog", 6) == 0 && (argv[0][6] == '\0' || argv[0][6] == ':'))
        return apr_psprintf(ctx->ptemp, "%s: syslog is not supported; name a file", d->name);
    if (argv[0][0] == '\0')
        return apr_psprintf(ctx->ptemp, "%s: empty value", d->name);
    *(ctx->site == ctx->cfg->main ? &ctx->cfg->error_log : &ctx->site->error_log) =
        apr_pstrdup(ctx->p, argv[0]);
    return NULL;
}

static const char *
config_custom_log(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    ev_customlog_t *log;

    if (argv[0][0] == '|')
        return apr_psprintf(ctx->ptemp, "%s: piped logs are not supported", d->name);
    if (argv[0][0] == '\0' || argv[1][0] == '\0')
        return apr_psprintf(ctx->ptemp, "%s: empty argument", d->name);
    log = apr_array_push(ctx->cfg->custom_logs);
    log->path = apr_pstrdup(ctx->p, argv[0]);
    log->format = apr_pstrdup(ctx->p, argv[1]);
    APR_ARRAY_PUSH(ctx->log_where, const char *) = config_where(ctx);
    APR_ARRAY_PUSH(ctx->log_site, ev_site_t *) = ctx->site;
    return NULL;
}

/* A format is compiled once here so that -t reports its errors with file:line. */
static apr_status_t
config_check_format(config_ctx_t *ctx, const char *format, const char **err)
{
    accesslog_fmt_t *f;

    *err = NULL;
    return accesslog_compile(&f, format, ctx->ptemp, err);
}

static const char *
config_log_format(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *err;

    if (argv[1][0] == '\0')
        return apr_psprintf(ctx->ptemp, "%s: empty nickname", d->name);
    if (strchr(argv[1], '%'))
        return apr_psprintf(ctx->ptemp,
                            "%s: nickname \"%s\" contains %%; the order is format, nickname",
                            d->name, argv[1]);
    if (config_check_format(ctx, argv[0], &err) != APR_SUCCESS)
        return apr_psprintf(ctx->ptemp, "%s: %s", d->name, err);
    apr_hash_set(ctx->cfg->log_formats, apr_pstrdup(ctx->p, argv[1]), APR_HASH_KEY_STRING,
                 apr_pstrdup(ctx->p, argv[0]));
    return NULL;
}

static const char *
config_directory_index(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    int i;

    for (i = 0; i < argc; i++)
        if (argv[i][0] == '\0')
            return apr_psprintf(ctx->ptemp, "%s: empty file name", d->name);
    if (ctx->site->directory_index == NULL)
        ctx->site->directory_index = apr_array_make(ctx->p, argc, sizeof(const char *));
    for (i = 0; i < argc; i++)
        APR_ARRAY_PUSH(ctx->site->directory_index, const char *) = apr_pstrdup(ctx->p, argv[i]);
    return NULL;
}

/* ServerRoot takes effect at once because a later Include resolves against it. A
 * relative one is taken from the main file's directory, not the caller's cwd. */
static const char *
config_server_root(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *path;
    apr_finfo_t fi;
    apr_status_t rv = config_absolute(&path, ctx->config_dir, argv[0], ctx->p);

    if (rv == APR_SUCCESS)
        rv = apr_stat(&fi, path, APR_FINFO_TYPE, ctx->ptemp);
    if (rv != APR_SUCCESS)
        return apr_psprintf(ctx->ptemp, "%s: %s: %s", d->name, argv[0], config_strerror(ctx, rv));
    if (fi.filetype != APR_DIR)
        return apr_psprintf(ctx->ptemp, "%s: %s is not a directory", d->name, path);
    ctx->cfg->server_root = path;
    return NULL;
}

static const char *
config_listen(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    ev_listen_cfg_t parsed, *l;
    const char *why = config_syntax_listen(argv[0], &parsed, ctx->p);
    int i;

    if (why)
        return apr_psprintf(ctx->ptemp, "%s: %s", d->name, why);
    /* Apache's optional protocol argument; "proxy" is ours (nginx: listen ... proxy_protocol) */
    parsed.proxy = 0;
    if (argc == 2) {
        if (strcasecmp(argv[1], "proxy") == 0)
            parsed.proxy = 1;
        else if (strcasecmp(argv[1], "http") != 0)
            return apr_psprintf(ctx->ptemp,
                                "%s %s: protocol \"%s\" is not served here (http or proxy; "
                                "terminate TLS in front of evhttpd)",
                                d->name, argv[0], argv[1]);
    }
    for (i = 0; i < ctx->cfg->listens->nelts; i++) {
        l = &APR_ARRAY_IDX(ctx->cfg->listens, i, ev_listen_cfg_t);
        if (l->family == parsed.family && l->port == parsed.port &&
            (l->host == parsed.host ||
             (l->host && parsed.host && strcmp(l->host, parsed.host) == 0)))
            return apr_psprintf(ctx->ptemp, "%s %s duplicates %s %s at %s", d->name, argv[0],
                                d->name, l->spec, l->where);
    }
    parsed.spec = apr_pstrdup(ctx->p, argv[0]);
    parsed.where = config_where(ctx);
    APR_ARRAY_PUSH(ctx->cfg->listens, ev_listen_cfg_t) = parsed;
    return NULL;
}

static const char *
config_request_read_timeout(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *why;
    int i, stage;
    ev_read_timeout_t t;

    for (i = 0; i < argc; i++) {
        if ((why = config_syntax_stage(argv[i], &stage, &t, ctx->ptemp)) != NULL)
            return apr_psprintf(ctx->ptemp, "%s: %s", d->name, why);
        if (stage == CONFIG_STAGE_HEADER)
            ctx->cfg->header_timeout = t;
        else if (stage == CONFIG_STAGE_BODY)
            ctx->cfg->body_timeout = t;
    }
    return NULL;
}

/* A configured URL-path (its leading '/' checked by the caller) normalized as request
 * paths are (http_path_normalize: percent-decoding, dot segments, merged slashes), a
 * trailing '/' kept, copied into pconf with its length in *len; NULL when it holds a
 * query or a fragment or cannot be normalized. */
static char *
config_url_path(config_ctx_t *ctx, const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *out = apr_palloc(ctx->p, n + 2);

    if (strpbrk(s, "?#") || http_path_normalize(s, n, out, n + 2, len) != 0)
        return NULL;
    return out;
}

/* StatusLocation, HealthLocation: kept as the request path it must equal after the same
 * normalization requests get (percent-decoding, dot segments, merged slashes), without a
 * trailing slash, so the handler compares strings. "/" is refused: it would hide the
 * site's home page. */
static const char *
config_location(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *s = argv[0];
    size_t n;
    char *out;

    if (s[0] != '/')
        return config_bad_value(ctx, d, s, "must start with /");
    if (strpbrk(s, "?#"))
        return config_bad_value(ctx, d, s, "must be a path without query or fragment");
    if ((out = config_url_path(ctx, s, &n)) == NULL)
        return config_bad_value(ctx, d, s, "is not a valid URL path");
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    if (n == 1)
        return config_bad_value(ctx, d, s, "would replace the home page; choose a path");
    *(const char **)config_field(ctx, d) = out;
    return NULL;
}

/* Every argument is checked before any is added, so a bad one leaves the list as it
 * was. A network written with host bits set ("10.1.2.3/8") is taken as the network it
 * lies in, with a warning: it is more likely a typo than an intent. */
static const char *
config_cidr_list(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    apr_array_header_t *list = *(apr_array_header_t **)config_field(ctx, d);
    ev_cidr_t *nets = apr_palloc(ctx->ptemp, sizeof(*nets) * (size_t)argc);
    const char *why;
    char text[INET6_ADDRSTRLEN];
    int i;

    for (i = 0; i < argc; i++)
        if ((why = cidr_parse(argv[i], &nets[i], ctx->ptemp)) != NULL)
            return config_bad_value(ctx, d, argv[i], why);
    for (i = 0; i < argc; i++) {
        if (cidr_mask(&nets[i])) {
            inet_ntop(nets[i].family == APR_INET ? AF_INET : AF_INET6, nets[i].addr, text,
                      sizeof(text));
            config_warn_at(ctx, config_where(ctx), "%s: \"%s\" has host bits set; matching %s/%d",
                           d->name, argv[i], text, nets[i].prefix);
        }
        APR_ARRAY_PUSH(list, ev_cidr_t) = nets[i];
    }
    return NULL;
}

/* ---- Include ---- */

static int config_read_file(config_ctx_t *ctx, const char *path, const char *label,
                            const char *from);
static void config_include_glob(config_ctx_t *ctx, const char *pattern, int optional,
                                const char *from);

/* Includes one path: a directory contributes its entries in sorted order, as in
 * Apache; depth counts directories too so a symlink loop ends. */
static void
config_include_path(config_ctx_t *ctx, const char *path, int optional, const char *from)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(&fi, path, APR_FINFO_TYPE, ctx->ptemp);

    if (ctx->depth >= CONFIG_MAX_DEPTH) {
        config_error_at(ctx, from, "Include: %s: nested deeper than %d levels (recursive Include?)",
                        path, CONFIG_MAX_DEPTH);
        return;
    }
    if (optional && APR_STATUS_IS_ENOENT(rv))
        return;
    if (rv == APR_SUCCESS && fi.filetype == APR_DIR) {
        ctx->depth++;
        config_include_glob(ctx, apr_pstrcat(ctx->ptemp, path, "/*", NULL), 1, from);
        ctx->depth--;
        return;
    }
    (void)config_read_file(ctx, path, path, from);
}

static void
config_include_glob(config_ctx_t *ctx, const char *pattern, int optional, const char *from)
{
    glob_t g;
    size_t i;
    int rc;

    memset(&g, 0, sizeof(g));
    rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOMATCH && !optional)
        config_error_at(ctx, from, "Include: %s: no file matches", pattern);
    else if (rc != 0 && rc != GLOB_NOMATCH)
        config_error_at(ctx, from, "Include: %s: cannot expand the pattern", pattern);
    for (i = 0; rc == 0 && i < g.gl_pathc && !ctx->stopped; i++)
        config_include_path(ctx, g.gl_pathv[i], 0, from);
    globfree(&g);
}

/* Include and IncludeOptional: as in Apache 2.4, the optional form ignores a pattern
 * matching nothing and a path that does not exist. */
static const char *
config_include_as(config_ctx_t *ctx, const config_directive_t *d, char **argv, int optional)
{
    const char *path, *from = config_where(ctx);
    apr_status_t rv = config_absolute(&path, ctx->cfg->server_root, argv[0], ctx->ptemp);

    if (rv != APR_SUCCESS)
        return apr_psprintf(ctx->ptemp, "%s: %s: %s", d->name, argv[0], config_strerror(ctx, rv));
    if (strpbrk(path, "*?["))
        config_include_glob(ctx, path, optional, from);
    else
        config_include_path(ctx, path, optional, from);
    return NULL;
}

static const char *
config_include(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    return config_include_as(ctx, d, argv, 0);
}

static const char *
config_include_optional(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    return config_include_as(ctx, d, argv, 1);
}

/* ---- <VirtualHost> ---- */

/* A name or pattern vhost_match accepts (checked against a scratch table). */
static const char *
config_host_pattern(config_ctx_t *ctx, const char *arg)
{
    vhost_table_t *t;

    if (vhost_table_create(&t, ctx->ptemp) != APR_SUCCESS ||
        vhost_table_add(t, arg, ctx) != APR_SUCCESS)
        return "is not a host name or a name pattern (letters, digits, '-', '.', '*', '?')";
    return NULL;
}

static const char *
config_server_name(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *why = config_host_pattern(ctx, argv[0]);

    if (why)
        return config_bad_value(ctx, d, argv[0], why);
    ctx->site->server_name = apr_pstrdup(ctx->p, argv[0]);
    return NULL;
}

static const char *
config_server_alias(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *why;
    int i;

    if (ctx->site == ctx->cfg->main)
        return apr_psprintf(ctx->ptemp, "%s belongs inside <VirtualHost>", d->name);
    for (i = 0; i < argc; i++)
        if ((why = config_host_pattern(ctx, argv[i])) != NULL)
            return config_bad_value(ctx, d, argv[i], why);
    for (i = 0; i < argc; i++)
        APR_ARRAY_PUSH(ctx->site->server_aliases, const char *) = apr_pstrdup(ctx->p, argv[i]);
    return NULL;
}

/* Alias URL-path file-path: the path is made absolute against ServerRoot at the end. */
static const char *
config_alias(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    ev_alias_t *a;

    if (argv[0][0] != '/')
        return config_bad_value(ctx, d, argv[0], "must start with /");
    if (argv[1][0] == '\0')
        return apr_psprintf(ctx->ptemp, "%s: empty file path", d->name);
    a = apr_pcalloc(ctx->p, sizeof(*a));
    a->prefix = apr_pstrdup(ctx->p, argv[0]);
    a->path = apr_pstrdup(ctx->p, argv[1]);
    a->where = config_where(ctx);
    a->index = ctx->cfg->naliases++;
    APR_ARRAY_PUSH(ctx->site->aliases, ev_alias_t *) = a;
    return NULL;
}

static const char *
config_redirect(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    ev_redirect_t *r = apr_pcalloc(ctx->p, sizeof(*r));
    const char *why = alias_redirect_parse(argc, argv, &r->status, &r->prefix, &r->target, ctx->p);

    if (why)
        return apr_psprintf(ctx->ptemp, "%s: %s", d->name, why);
    APR_ARRAY_PUSH(ctx->site->redirects, ev_redirect_t *) = r;
    return NULL;
}

/* ErrorDocument CODE /local/path | http(s)://url | text. A later one for a code
 * replaces the earlier. */
static const char *
config_error_document(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    ev_errordoc_t e = { 0 };
    apr_array_header_t *docs;
    long long code;
    size_t n;
    int i;

    if (config_syntax_number(argv[0], &code) != 0 || code < 400 || code > 599)
        return config_bad_value(ctx, d, argv[0], "is not an error status (400 to 599)");
    e.status = (int)code;
    if (argv[1][0] == '/') {
        if ((e.arg = config_url_path(ctx, argv[1], &n)) == NULL)
            return config_bad_value(ctx, d, argv[1], "is not a valid URL path");
        e.kind = EV_ERRDOC_LOCAL;
    } else if (strncmp(argv[1], "http://", 7) == 0 || strncmp(argv[1], "https://", 8) == 0) {
        if (strpbrk(argv[1], " \t\r\n"))
            return config_bad_value(ctx, d, argv[1], "is not a URL");
        e.kind = EV_ERRDOC_URL;
        e.arg = apr_pstrdup(ctx->p, argv[1]);
    } else {
        e.kind = EV_ERRDOC_TEXT;
        e.arg = apr_pstrdup(ctx->p, argv[1]);
    }
    docs = ctx->location ? ctx->location->error_documents : ctx->site->error_documents;
    for (i = 0; i < docs->nelts; i++)
        if (APR_ARRAY_IDX(docs, i, ev_errordoc_t).status == e.status) {
            APR_ARRAY_IDX(docs, i, ev_errordoc_t) = e;
            return NULL;
        }
    APR_ARRAY_PUSH(docs, ev_errordoc_t) = e;
    return NULL;
}

/* Options: Indexes is the one that changes anything here; FollowSymLinks (what
 * evhttpd always does beneath the document root) and None/All are accepted. +/- edit
 * what the site would otherwise have; a bare list replaces it, as in Apache. */
static const char *
config_options(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    int i, indexes = ctx->site->options_indexes, signs = 0;

    for (i = 0; i < argc; i++) {
        const char *o = argv[i];
        int sign = (*o == '+') - (*o == '-');

        signs += sign != 0;
        o += sign != 0;
        if (strcasecmp(o, "Indexes") == 0)
            indexes = sign >= 0;
        else if (strcasecmp(o, "All") == 0 && sign == 0)
            indexes = 1;
        else if (strcasecmp(o, "None") == 0 && sign == 0)
            indexes = 0;
        else if (strcasecmp(o, "FollowSymLinks") != 0 && strcasecmp(o, "SymLinksIfOwnerMatch") != 0)
            return apr_psprintf(ctx->ptemp,
                                "%s: \"%s\" is not supported here (Indexes, FollowSymLinks, All, "
                                "None)",
                                d->name, argv[i]);
    }
    if (signs > 0 && signs < argc)
        return apr_psprintf(ctx->ptemp, "%s: mix options with and without + or - is not allowed",
                            d->name);
    if (signs == 0 && indexes < 0)
        indexes = 0;
    ctx->site->options_indexes = indexes;
    return NULL;
}

static const char *
config_header(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    header_action_t a;
    const char *why = header_action_parse(argc, argv, &a, ctx->p);

    if (why)
        return apr_psprintf(ctx->ptemp, "%s: %s", d->name, why);
    APR_ARRAY_PUSH(ctx->location ? ctx->location->headers : ctx->site->headers, header_action_t) =
        a;
    return NULL;
}

/* Require: only inside <Location>; the lines of one section add up (any grants). */
static const char *
config_require(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    ev_location_t *l = ctx->location;
    ev_require_t *r;
    const char *why;

    if (l == NULL)
        return apr_psprintf(ctx->ptemp, "%s belongs inside <Location>", d->name);
    r = (ev_require_t *)l->require;
    if (r == NULL) {
        r = apr_pcalloc(ctx->p, sizeof(*r));
        r->nets = apr_array_make(ctx->p, 2, sizeof(ev_cidr_t));
    }
    if ((why = location_require_parse(argc, argv, r, ctx->p)) != NULL)
        return apr_psprintf(ctx->ptemp, "%s %s", d->name, why);
    l->require = r;
    return NULL;
}

static const char *
config_set_handler(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    const char *why;

    if (ctx->location == NULL)
        return apr_psprintf(ctx->ptemp, "%s belongs inside <Location>", d->name);
    if ((why = location_handler_parse(argv[0], &ctx->location->handler)) != NULL)
        return config_bad_value(ctx, d, argv[0], why);
    return NULL;
}

static const char *
config_expires_by_type(config_ctx_t *ctx, const config_directive_t *d, int argc, char **argv)
{
    expires_rule_t r;
    const char *why;

    if ((why = expires_type_check(argv[0])) != NULL)
        return config_bad_value(ctx, d, argv[0], why);
    if ((why = expires_parse(argv[1], &r.seconds)) != NULL)
        return config_bad_value(ctx, d, argv[1], why);
    r.type = apr_pstrdup(ctx->p, argv[0]);
    APR_ARRAY_PUSH(ctx->site->expires, expires_rule_t) = r;
    return NULL;
}

/* One <VirtualHost> address: "*", "*:port", "addr", "addr:port", "[v6]", "[v6]:port"
 * ("_default_" is "*", as in Apache). Returns NULL or the reason. */
static const char *
config_vaddr(config_ctx_t *ctx, const char *arg, ev_vaddr_t *out)
{
    ev_listen_cfg_t l;
    const char *spec = arg, *why;
    int has_port;

    if (strncmp(arg, "_default_", 9) == 0 && (arg[9] == '\0' || arg[9] == ':'))
        spec = apr_pstrcat(ctx->ptemp, "*", arg + 9, NULL);
    if (strcmp(spec, "*") == 0) {
        *out = (ev_vaddr_t){ NULL, APR_UNSPEC, 0 };
        return NULL;
    }
    if (strspn(spec, "0123456789") == strlen(spec))
        return apr_psprintf(ctx->ptemp, "\"%s\" is not an address (for a port, write *:%s)", arg,
                            arg);
    /* a port follows the last ':' outside brackets; an IPv6 address needs brackets */
    has_port = spec[0] == '[' ? strstr(spec, "]:") != NULL : strchr(spec, ':') != NULL;
    why = config_syntax_listen(has_port ? spec : apr_pstrcat(ctx->ptemp, spec, ":1", NULL), &l,
                               ctx->ptemp);
    if (why)
        return why;
    *out = (ev_vaddr_t){ l.host ? apr_pstrdup(ctx->p, l.host) : NULL, l.family,
                         has_port ? l.port : 0 };
    return NULL;
}

/* "<Location /prefix>" or "</Location>", inside the main server or a <VirtualHost>. The
 * prefix is normalized as request paths are, its trailing '/' kept: it is significant
 * to the match (location_match.h). */
static void
config_location_section(config_ctx_t *ctx, const char *where, int closing, int argc, char **argv)
{
    ev_location_t *l;
    const char *arg = argv[1];
    size_t n;

    if (closing) {
        if (argc > 1)
            config_error_at(ctx, where, "</Location> takes no arguments");
        else if (ctx->location == NULL)
            config_error_at(ctx, where, "</Location> without <Location>");
        else if (ctx->location_file != ctx->file || ctx->location_depth != ctx->depth)
            config_error_at(ctx, where,
                            "</Location> closes <Location> of %s: a section must end in the "
                            "file that opens it",
                            ctx->location->where);
        else
            ctx->location = NULL;
        return;
    }
    if (ctx->location != NULL) {
        config_error_at(ctx, where, "<Location> inside <Location> of %s", ctx->location->where);
        return;
    }
    /* The section opens even when its path is refused, so that what it holds is not
     * taken for the site's, nor its end for a stray one. */
    l = apr_pcalloc(ctx->p, sizeof(*l));
    l->where = where;
    l->headers = apr_array_make(ctx->p, 2, sizeof(header_action_t));
    l->error_documents = apr_array_make(ctx->p, 2, sizeof(ev_errordoc_t));
    l->handler = -1;
    ctx->location = l;
    ctx->location_file = ctx->file;
    ctx->location_depth = ctx->depth;
    if (argc >= 2 && strcmp(arg, "~") == 0) {
        config_error_at(ctx, where,
                        "<Location ~>: regular expressions are not supported; "
                        "a URL-path prefix is expected");
        return;
    }
    if (argc != 2) {
        config_error_at(ctx, where, "<Location> takes one URL-path");
        return;
    }
    if (arg[0] != '/') {
        config_error_at(ctx, where, "<Location %s>: a URL-path starting with / is expected", arg);
        return;
    }
    if ((l->prefix = config_url_path(ctx, arg, &n)) == NULL) {
        config_error_at(ctx, where, "<Location %s>: not a valid URL path", arg);
        return;
    }
    APR_ARRAY_PUSH(ctx->site->locations, ev_location_t *) = l;
}

/* A section line: "<VirtualHost addr ...>", "<Location path>" or their ends. The words
 * still hold the '<' and the '>' (a word of its own, or the end of the last one). */
static void
config_section(config_ctx_t *ctx, int argc, char **argv)
{
    const char *where = config_where(ctx), *why;
    char *tag = argv[0] + 1, *last = argv[argc - 1];
    size_t n = strlen(last);
    int closing = tag[0] == '/', i;
    ev_site_t *site;

    if (n == 0 || last[n - 1] != '>') {
        config_error_at(ctx, where, "%s: the section line must end with '>'", argv[0]);
        return;
    }
    last[n - 1] = '\0';
    if (last[0] == '\0' && argc > 1)
        argc--;
    tag += closing;
    if (strcasecmp(tag, "Location") == 0) {
        config_location_section(ctx, where, closing, argc, argv);
        return;
    }
    if (strcasecmp(tag, "VirtualHost") != 0) {
        config_error_at(ctx, where, "unknown section <%s%s>", closing ? "/" : "", tag);
        return;
    }
    if (ctx->location != NULL) {
        config_error_at(ctx, where, "<%sVirtualHost> inside <Location> of %s", closing ? "/" : "",
                        ctx->location->where);
        return;
    }
    if (closing) {
        if (argc > 1)
            config_error_at(ctx, where, "</VirtualHost> takes no arguments");
        else if (ctx->site == ctx->cfg->main)
            config_error_at(ctx, where, "</VirtualHost> without <VirtualHost>");
        else if (ctx->section_file != ctx->file || ctx->section_depth != ctx->depth)
            config_error_at(ctx, where,
                            "</VirtualHost> closes <VirtualHost> of %s: a section "
                            "must end in the file that opens it",
                            ctx->site->where);
        else
            ctx->site = ctx->cfg->main;
        return;
    }
    if (ctx->site != ctx->cfg->main) {
        config_error_at(ctx, where, "<VirtualHost> inside <VirtualHost> of %s", ctx->site->where);
        return;
    }
    if (argc < 2) {
        config_error_at(ctx, where, "<VirtualHost> needs at least one address (*:80)");
        return;
    }
    /* The section opens even with a bad address, so that what it holds is not taken
     * for the main server's, nor its end for a stray one. */
    site = apr_pcalloc(ctx->p, sizeof(*site));
    site->index = ctx->cfg->sites->nelts;
    site->where = where;
    site->addrs = apr_array_make(ctx->p, argc - 1, sizeof(ev_vaddr_t));
    site->server_aliases = apr_array_make(ctx->p, 2, sizeof(const char *));
    site->aliases = apr_array_make(ctx->p, 2, sizeof(ev_alias_t *));
    site->redirects = apr_array_make(ctx->p, 2, sizeof(ev_redirect_t *));
    site->headers = apr_array_make(ctx->p, 2, sizeof(header_action_t));
    site->expires = apr_array_make(ctx->p, 2, sizeof(expires_rule_t));
    site->expires_active = -1;
    site->error_documents = apr_array_make(ctx->p, 2, sizeof(ev_errordoc_t));
    site->options_indexes = -1;
    site->precompressed = -1;
    site->locations = apr_array_make(ctx->p, 2, sizeof(ev_location_t *));
    site->keepalive_timeout = -1;
    site->custom_logs = apr_array_make(ctx->p, 1, sizeof(int));
    for (i = 1; i < argc; i++) {
        ev_vaddr_t a;

        if ((why = config_vaddr(ctx, argv[i], &a)) != NULL)
            config_error_at(ctx, where, "<VirtualHost>: %s", why);
        else
            APR_ARRAY_PUSH(site->addrs, ev_vaddr_t) = a;
    }
    APR_ARRAY_PUSH(ctx->cfg->sites, ev_site_t *) = site;
    ctx->site = site;
    ctx->section_file = ctx->file;
    ctx->section_depth = ctx->depth;
}

/* A file (or the -C/-c lines) ends: a section it opened must be closed. */
static void
config_section_end(config_ctx_t *ctx, const char *what)
{
    if (ctx->location != NULL && ctx->location_file == ctx->file &&
        ctx->location_depth == ctx->depth) {
        config_error_at(ctx, ctx->location->where, "<Location> is not closed by the end of %s",
                        what);
        ctx->location = NULL;
    }
    if (ctx->site == ctx->cfg->main || ctx->section_file != ctx->file ||
        ctx->section_depth != ctx->depth)
        return;
    config_error_at(ctx, ctx->site->where, "<VirtualHost> is not closed by the end of %s", what);
    ctx->site = ctx->cfg->main;
}

/* ---- the directive table ---- */

#define CONFIG_AT(field) offsetof(ev_config_t, field)
#define SITE_AT(field)   offsetof(ev_site_t, field)

static const config_directive_t config_directives[] = {
    { "Alias", config_alias, 2, 2, CONFIG_MULTI | CONFIG_SITE, 0, 0 },
    { "AsyncRequestWorkerFactor", config_factor, 1, 1, 0, 0, 0 },
    { "BufferedLogs", config_flag, 1, 1, 0, CONFIG_AT(buffered_logs), 0 },
    { "ControlGroup", config_string, 1, 1, 0, CONFIG_AT(control_group), 0 },
    { "ControlSocket", config_string, 1, 1, 0, CONFIG_AT(control_socket), 0 },
    { "CustomLog", config_custom_log, 2, 2, CONFIG_MULTI | CONFIG_SITE, 0, 0 },
    { "DefaultRuntimeDir", config_string, 1, 1, 0, CONFIG_AT(runtime_dir), 0 },
    { "DirectoryIndex", config_directory_index, 1, -1, CONFIG_MULTI | CONFIG_SITE, 0, 0 },
    { "DocumentRoot", config_string, 1, 1, CONFIG_SITE, SITE_AT(document_root), 0 },
    { "ErrorDocument", config_error_document, 2, 2, CONFIG_MULTI | CONFIG_SITE | CONFIG_LOCATION, 0,
      0 },
    { "ErrorLog", config_error_log, 1, 1, CONFIG_SITE, 0, 0 },
    { "ExpiresActive", config_flag, 1, 1, CONFIG_SITE, SITE_AT(expires_active), 0 },
    { "ExpiresByType", config_expires_by_type, 2, 2, CONFIG_MULTI | CONFIG_SITE, 0, 0 },
    { "FileCacheDescriptors", config_int, 1, 1, 0, CONFIG_AT(file_cache_fds), 0 },
    { "FileCacheMaxFileSize", config_int, 1, 1, 0, CONFIG_AT(file_cache_max_file), 0 },
    { "FileCacheSize", config_int, 1, 1, 0, CONFIG_AT(file_cache_size), 0 },
    { "GracefulRestartTimeout", config_interval, 1, 1, 0, CONFIG_AT(graceful_restart_timeout), 0 },
    { "GracefulStopDelay", config_interval, 1, 1, 0, CONFIG_AT(graceful_stop_delay), 0 },
    { "GracefulShutdownTimeout", config_interval, 1, 1, 0, CONFIG_AT(graceful_shutdown_timeout),
      0 },
    { "Group", config_string, 1, 1, 0, CONFIG_AT(group), 0 },
    { "Header", config_header, 2, 5, CONFIG_MULTI | CONFIG_SITE | CONFIG_LOCATION, 0, 0 },
    { "HealthLocation", config_location, 1, 1, 0, CONFIG_AT(health_location), 0 },
    { "Include", config_include, 1, 1, CONFIG_MULTI | CONFIG_SITE | CONFIG_LOCATION, 0, 0 },
    { "IncludeOptional", config_include_optional, 1, 1,
      CONFIG_MULTI | CONFIG_SITE | CONFIG_LOCATION, 0, 0 },
    { "KeepAlive", config_flag, 1, 1, 0, CONFIG_AT(keepalive), 0 },
    { "KeepAliveTimeout", config_interval, 1, 1, CONFIG_SITE, SITE_AT(keepalive_timeout), 0 },
    { "LimitRequestBody", config_off, 1, 1, 0, CONFIG_AT(limit_request_body), 0 },
    { "LimitRequestFieldSize", config_int, 1, 1, 0, CONFIG_AT(limit_request_field_size), 1 },
    { "LimitRequestHeaderSize", config_int, 1, 1, 0, CONFIG_AT(limit_request_header_size), 1 },
    { "LimitRequestFields", config_int, 1, 1, 0, CONFIG_AT(limit_request_fields), 1 },
    { "LimitRequestLine", config_int, 1, 1, 0, CONFIG_AT(limit_request_line), 1 },
    { "Listen", config_listen, 1, 2, CONFIG_MULTI, 0, 0 },
    { "ListenBacklog", config_int, 1, 1, 0, CONFIG_AT(listen_backlog), 1 },
    { "ListenCoresBucketsRatio", config_int, 1, 1, 0, CONFIG_AT(listen_buckets_ratio), 0 },
    { "LogFormat", config_log_format, 2, 2, CONFIG_MULTI, 0, 0 },
    { "LogLevel", config_log_level, 1, 1, 0, 0, 0 },
    { "MaxConnectionsPerChild", config_int, 1, 1, 0, CONFIG_AT(max_connections_per_child), 0 },
    { "MaxKeepAliveRequests", config_int, 1, 1, 0, CONFIG_AT(max_keepalive_requests), 0 },
    { "MaxRequestWorkers", config_int, 1, 1, 0, CONFIG_AT(max_request_workers), 0 },
    { "MaxSpareThreads", config_int, 1, 1, 0, CONFIG_AT(max_spare_threads), 0 },
    { "MinSpareThreads", config_int, 1, 1, 0, CONFIG_AT(min_spare_threads), 0 },
    { "Options", config_options, 1, -1, CONFIG_SITE, 0, 0 },
    { "PidFile", config_string, 1, 1, 0, CONFIG_AT(pid_file), 0 },
    { "PrecompressedFiles", config_precompressed, 1, -1, CONFIG_SITE, 0, 0 },
    { "ProxyProtocolTimeout", config_interval, 1, 1, 0, CONFIG_AT(proxy_timeout), 0 },
    { "ProxyProtocolTrusted", config_cidr_list, 1, -1, CONFIG_MULTI, CONFIG_AT(proxy_trusted), 0 },
    { "Redirect", config_redirect, 1, 3, CONFIG_MULTI | CONFIG_SITE, 0, 0 },
    { "Require", config_require, 1, -1, CONFIG_MULTI | CONFIG_SITE | CONFIG_LOCATION, 0, 0 },
    { "RequestReadTimeout", config_request_read_timeout, 1, 3, 0, 0, 0 },
    { "SchedulingPolicy", config_sched_policy, 1, 1, 0, 0, 0 },
    { "ScoreboardFile", config_string, 1, 1, 0, CONFIG_AT(scoreboard_file), 0 },
    { "SendfileMinSize", config_off, 1, 1, 0, CONFIG_AT(sendfile_min_size), 0 },
    { "ServerLimit", config_int, 1, 1, 0, CONFIG_AT(server_limit), 0 },
    { "ServerAlias", config_server_alias, 1, -1, CONFIG_MULTI | CONFIG_SITE, 0, 0 },
    { "ServerName", config_server_name, 1, 1, CONFIG_SITE, 0, 0 },
    { "ServerRoot", config_server_root, 1, 1, 0, 0, 0 },
    { "SetHandler", config_set_handler, 1, 1, CONFIG_SITE | CONFIG_LOCATION, 0, 0 },
    { "StartServers", config_int, 1, 1, 0, CONFIG_AT(start_servers), 0 },
    { "StatusAllow", config_cidr_list, 1, -1, CONFIG_MULTI, CONFIG_AT(status_allow), 0 },
    { "StatusLocation", config_location, 1, 1, 0, CONFIG_AT(status_location), 0 },
    { "ThreadLimit", config_int, 1, 1, 0, CONFIG_AT(thread_limit), 0 },
    { "ThreadsPerChild", config_int, 1, 1, 0, CONFIG_AT(threads_per_child), 0 },
    { "Timeout", config_interval, 1, 1, 0, CONFIG_AT(timeout), 0 },
    { "TypesConfig", config_string, 1, 1, 0, CONFIG_AT(types_config), 0 },
    { "User", config_string, 1, 1, 0, CONFIG_AT(user), 0 },
};

/* Paths resolved once loading ends; DefaultRuntimeDir first, the others may default
 * into it. */
static const struct {
    const char *name; /* the directive */
    size_t offset;    /* its ev_config_t field */
    const char *dflt; /* value when unset, or NULL to leave it NULL */
    int in_runtime;   /* relative values resolve against DefaultRuntimeDir, as in Apache 2.4 */
} config_paths[] = {
    { "DefaultRuntimeDir", CONFIG_AT(runtime_dir), "/run/evhttpd", 0 },
    { "TypesConfig", CONFIG_AT(types_config), "/etc/mime.types", 0 },
    { "ErrorLog", CONFIG_AT(error_log), NULL, 0 },
    { "PidFile", CONFIG_AT(pid_file), "evhttpd.pid", 1 },
    { "ScoreboardFile", CONFIG_AT(scoreboard_file), "scoreboard", 1 },
    { "ControlSocket", CONFIG_AT(control_socket), "ctl.sock", 1 },
};

#define CONFIG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const config_directive_t *
config_find(const char *name)
{
    size_t i;

    for (i = 0; i < CONFIG_COUNT(config_directives); i++)
        if (strcasecmp(name, config_directives[i].name) == 0)
            return &config_directives[i];
    return NULL;
}

static const char *
config_arity(config_ctx_t *ctx, const config_directive_t *d)
{
    static const char *const names[] = { "no", "one", "two", "three", "four", "five" };
    const char *n[2];
    int lo = d->min_args, hi = d->max_args, i;

    /* the table's counts, in words while there are words for them */
    for (i = 0; i < 2; i++) {
        int v = i == 0 ? lo : hi;
        n[i] = v >= 0 && v < (int)CONFIG_COUNT(names) ? names[v] : apr_itoa(ctx->ptemp, v);
    }
    if (hi < 0)
        return apr_psprintf(ctx->ptemp, "at least %s argument%s", n[0], lo == 1 ? "" : "s");
    if (lo == hi)
        return apr_psprintf(ctx->ptemp, "%s argument%s", n[0], lo == 1 ? "" : "s");
    return apr_psprintf(ctx->ptemp, "%s %s %s arguments", n[0], hi == lo + 1 ? "or" : "to", n[1]);
}

/* ---- reading ---- */

static void
config_line(config_ctx_t *ctx, char *line, apr_array_header_t *words)
{
    const config_directive_t *d;
    const char *err;
    char **argv;
    int argc;

    while (apr_isspace(*line))
        line++;
    if (*line == '\0' || *line == '#')
        return;
    if ((err = config_syntax_split(line, words)) != NULL) {
        config_error_at(ctx, config_where(ctx), "%s", err);
        return;
    }
    argv = (char **)words->elts;
    argc = words->nelts - 1;
    if (argv[0][0] == '<') {
        config_section(ctx, argc + 1, argv);
        return;
    }
    if ((d = config_find(argv[0])) == NULL) {
        config_error_at(ctx, config_where(ctx), "unknown directive \"%s\"", argv[0]);
        return;
    }
    if (ctx->location != NULL && !(d->flags & CONFIG_LOCATION)) {
        config_error_at(ctx, config_where(ctx),
                        "%s is not allowed inside <Location> (Header, ErrorDocument, Require "
                        "and SetHandler are)",
                        d->name);
        return;
    }
    if (ctx->site != ctx->cfg->main && !(d->flags & CONFIG_SITE)) {
        config_error_at(ctx, config_where(ctx),
                        "%s is not allowed inside <VirtualHost> (it applies to the whole server)",
                        d->name);
        return;
    }
    if (argc < d->min_args || (d->max_args >= 0 && argc > d->max_args)) {
        config_error_at(ctx, config_where(ctx), "%s takes %s", d->name, config_arity(ctx, d));
        return;
    }
    if ((err = d->handler(ctx, d, argc, argv + 1)) != NULL)
        config_error_at(ctx, config_where(ctx), "%s", err);
    else if (!(d->flags & CONFIG_MULTI) && ctx->site == ctx->cfg->main && ctx->location == NULL)
        apr_hash_set(ctx->set_at, d->name, APR_HASH_KEY_STRING, config_where(ctx));
}

/* Reads one whole file and parses it. `label` names it in messages; `from` is the
 * Include's "file:line" (NULL for the main file) and prefixes failures. Returns 0
 * when the file could not be read (reported), 1 otherwise. */
static int
config_read_file(config_ctx_t *ctx, const char *path, const char *label, const char *from)
{
    const char *saved_file = ctx->file, *what = NULL;
    int saved_line = ctx->line, lineno = 0;
    apr_array_header_t *words;
    apr_pool_t *scratch;
    apr_status_t rv;
    apr_finfo_t fi;
    apr_file_t *f;
    apr_size_t n = 0;
    char *buf = NULL, *pos;

    apr_pool_create(&scratch, ctx->ptemp);
    rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, scratch);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS)
        what = apr_pstrcat(scratch, "cannot open: ", config_strerror(ctx, rv), NULL);
    else if (fi.filetype != APR_REG)
        what = "not a regular file";
    else if (fi.size > CONFIG_MAX_FILE)
        what = "too large for a configuration file";
    else {
        buf = apr_palloc(scratch, (apr_size_t)fi.size + 1);
        rv = fi.size ? apr_file_read_full(f, buf, (apr_size_t)fi.size, &n) : APR_SUCCESS;
        if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv))
            what = apr_pstrcat(scratch, "cannot read: ", config_strerror(ctx, rv), NULL);
        else if (memchr(buf, '\0', n))
            what = "contains a NUL byte; not a text file";
    }
    if (what) {
        config_error_at(ctx, from, "%s%s: %s", from ? "Include: " : "", label, what);
        apr_pool_destroy(scratch);
        return 0;
    }
    words = apr_array_make(scratch, 8, sizeof(char *));
    ctx->file = label;
    ctx->depth++;
    for (pos = buf; pos < buf + n && !ctx->stopped;) {
        ctx->line = lineno + 1;
        config_line(ctx, config_syntax_next_line(&pos, buf + n, &lineno), words);
    }
    config_section_end(ctx, label);
    ctx->depth--;
    ctx->file = saved_file;
    ctx->line = saved_line;
    apr_pool_destroy(scratch);
    return 1;
}

/* Applies -C or -c directives; each string is one line, named "-C:N" / "-c:N". */
static void
config_read_strings(config_ctx_t *ctx, const char *label, const apr_array_header_t *lines)
{
    apr_array_header_t *words = apr_array_make(ctx->ptemp, 8, sizeof(char *));
    const char *s;
    int i;

    for (i = 0; lines && i < lines->nelts && !ctx->stopped; i++) {
        if ((s = APR_ARRAY_IDX(lines, i, const char *)) == NULL)
            continue;
        ctx->file = label;
        ctx->line = i + 1;
        config_line(ctx, apr_pstrdup(ctx->ptemp, s), words);
    }
    config_section_end(ctx, label);
}

/* ---- end of loading ---- */

static void
config_resolve_paths(config_ctx_t *ctx, const char *main_file)
{
    ev_config_t *c = ctx->cfg;
    const char **field, *root, *raw;
    apr_status_t rv;
    size_t i;
    int j;

    for (i = 0; i < CONFIG_COUNT(config_paths); i++) {
        field = (const char **)((char *)c + config_paths[i].offset);
        raw = *field ? *field : config_paths[i].dflt;
        root = config_paths[i].in_runtime ? c->runtime_dir : c->server_root;
        if (raw && (rv = config_absolute(field, root, raw, ctx->p)) != APR_SUCCESS) {
            /* A default that cannot be resolved is blamed on the directive it was
             * resolved against, or on the file when that was not set either. */
            const char *where =
                apr_hash_get(ctx->set_at, config_paths[i].name, APR_HASH_KEY_STRING);
            if (where == NULL)
                where = apr_hash_get(
                    ctx->set_at, config_paths[i].in_runtime ? "DefaultRuntimeDir" : "ServerRoot",
                    APR_HASH_KEY_STRING);
            config_error_at(ctx, where ? where : main_file, "%s: %s: %s", config_paths[i].name, raw,
                            config_strerror(ctx, rv));
        }
    }
    for (j = 0; j < c->custom_logs->nelts; j++) {
        ev_customlog_t *log = &APR_ARRAY_IDX(c->custom_logs, j, ev_customlog_t);
        const char *where = APR_ARRAY_IDX(ctx->log_where, j, const char *);
        const char *named = apr_hash_get(c->log_formats, log->format, APR_HASH_KEY_STRING);

        const char *err;

        if (named)
            log->format = named;
        else if (!strchr(log->format, '%'))
            config_warn_at(ctx, where,
                           "CustomLog: \"%s\" is not a LogFormat nickname; logging it literally",
                           log->format);
        else if (config_check_format(ctx, log->format, &err) != APR_SUCCESS)
            config_error_at(ctx, where, "CustomLog: %s", err ? err : "invalid format");
        raw = log->path;
        if ((rv = config_absolute(&log->path, c->server_root, raw, ctx->p)) != APR_SUCCESS)
            config_error_at(ctx, where, "CustomLog: %s: %s", raw, config_strerror(ctx, rv));
    }
}

/* A virtual host answers with the main server's ErrorDocument for the statuses it
 * names none for. */
static void
config_inherit_error_documents(ev_site_t *s, const ev_site_t *m)
{
    int i, j, own = s->error_documents->nelts;

    for (i = 0; i < m->error_documents->nelts; i++) {
        const ev_errordoc_t *e = &APR_ARRAY_IDX(m->error_documents, i, ev_errordoc_t);
        int found = 0;

        for (j = 0; j < own && !found; j++)
            found = APR_ARRAY_IDX(s->error_documents, j, ev_errordoc_t).status == e->status;
        if (!found)
            APR_ARRAY_PUSH(s->error_documents, ev_errordoc_t) = *e;
    }
}

/* Apache's event MPM keeps one keep-alive queue per server so that each stays ordered
 * by expiry; sites with equal KeepAliveTimeout share one here, so there are as many
 * queues as distinct values, however many virtual hosts there are. The main server's
 * value comes first. Runs once the values are inherited. */
static void
config_keepalive_queues(config_ctx_t *ctx)
{
    ev_config_t *c = ctx->cfg;
    int i, j;

    c->keepalive_timeouts = apr_array_make(ctx->p, 2, sizeof(apr_interval_time_t));
    for (i = 0; i < c->sites->nelts; i++) {
        ev_site_t *s = APR_ARRAY_IDX(c->sites, i, ev_site_t *);

        for (j = 0; j < c->keepalive_timeouts->nelts; j++)
            if (APR_ARRAY_IDX(c->keepalive_timeouts, j, apr_interval_time_t) ==
                s->keepalive_timeout)
                break;
        if (j == c->keepalive_timeouts->nelts)
            APR_ARRAY_PUSH(c->keepalive_timeouts, apr_interval_time_t) = s->keepalive_timeout;
        s->keepalive_queue = j;
    }
}

/* Index of `path` in a list of const char *, appended if absent. */
static int
config_log_id(apr_array_header_t *paths, const char *path)
{
    int i;

    for (i = 0; i < paths->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(paths, i, const char *), path) == 0)
            return i;
    APR_ARRAY_PUSH(paths, const char *) = path;
    return i;
}

/* mod_log_config's rule: a virtual host with CustomLog lines logs there only, one
 * without takes the main server's. Lines naming the same file and format are opened
 * once, whichever sites they belong to; a site still writes a line for each of its
 * own, as Apache does. A virtual host's ErrorLog resolves against ServerRoot and one
 * naming the main server's file is the main one. Runs after config_resolve_paths. */
static void
config_resolve_logs(config_ctx_t *ctx)
{
    ev_config_t *c = ctx->cfg;
    apr_array_header_t *raw = c->custom_logs;
    ev_site_t *s;
    apr_status_t rv;
    int i, j;

    c->custom_logs = apr_array_make(ctx->p, raw->nelts, sizeof(ev_customlog_t));
    for (i = 0; i < raw->nelts; i++) {
        const ev_customlog_t *l = &APR_ARRAY_IDX(raw, i, ev_customlog_t);

        s = APR_ARRAY_IDX(ctx->log_site, i, ev_site_t *);
        for (j = 0; j < c->custom_logs->nelts; j++) {
            const ev_customlog_t *o = &APR_ARRAY_IDX(c->custom_logs, j, ev_customlog_t);
            if (strcmp(o->path, l->path) == 0 && strcmp(o->format, l->format) == 0)
                break;
        }
        if (j == c->custom_logs->nelts)
            APR_ARRAY_PUSH(c->custom_logs, ev_customlog_t) = *l;
        APR_ARRAY_PUSH(s->custom_logs, int) = j;
    }
    c->error_logs = apr_array_make(ctx->p, 2, sizeof(const char *));
    for (i = 0; i < c->sites->nelts; i++) {
        const char *path;

        s = APR_ARRAY_IDX(c->sites, i, ev_site_t *);
        if (s != c->main && s->custom_logs->nelts == 0)
            s->custom_logs = c->main->custom_logs;
        s->error_log_id = -1;
        if (s->error_log == NULL)
            continue;
        if ((rv = config_absolute(&path, c->server_root, s->error_log, ctx->p)) != APR_SUCCESS) {
            config_error_at(ctx, s->where, "ErrorLog: %s: %s", s->error_log,
                            config_strerror(ctx, rv));
            continue;
        }
        if (c->error_log && strcmp(path, c->error_log) == 0) {
            s->error_log = NULL;
            continue;
        }
        s->error_log = path;
        s->error_log_id = config_log_id(c->error_logs, path);
    }
}

/* DocumentRoot (against ServerRoot) and DirectoryIndex of every site: a virtual host
 * takes what it does not set from the main server. A virtual host address that no
 * Listen serves is reported: its site could never be chosen. */
static void
config_resolve_sites(config_ctx_t *ctx, const char *main_file)
{
    ev_config_t *c = ctx->cfg;
    ev_site_t *m = c->main;
    apr_status_t rv;
    int i, j, k;

    if (m->directory_index == NULL) {
        m->directory_index = apr_array_make(ctx->p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(m->directory_index, const char *) = "index.html";
    }
    for (i = 0; i < c->sites->nelts; i++) {
        ev_site_t *s = APR_ARRAY_IDX(c->sites, i, ev_site_t *);
        const char *raw = s->document_root, *where;

        for (j = 0; j < s->aliases->nelts; j++) {
            ev_alias_t *a = APR_ARRAY_IDX(s->aliases, j, ev_alias_t *);
            const char *rel = a->path;

            if ((rv = config_absolute(&a->path, c->server_root, rel, ctx->p)) != APR_SUCCESS)
                config_error_at(ctx, a->where, "Alias: %s: %s", rel, config_strerror(ctx, rv));
        }
        /* mod_alias merges a virtual host's list before the main server's; mod_headers
         * and mod_expires the main server's first */
        if (s != m) {
            apr_array_header_t *h = apr_array_copy(ctx->p, m->headers);
            apr_array_header_t *e = apr_array_copy(ctx->p, m->expires);

            apr_array_cat(s->aliases, m->aliases);
            apr_array_cat(s->redirects, m->redirects);
            apr_array_cat(h, s->headers);
            apr_array_cat(e, s->expires);
            s->headers = h;
            s->expires = e;
            if (s->expires_active < 0)
                s->expires_active = m->expires_active;
            config_inherit_error_documents(s, m);
            if (s->options_indexes < 0)
                s->options_indexes = m->options_indexes;
            if (s->precompressed < 0)
                s->precompressed = m->precompressed;
            if (s->keepalive_timeout < 0)
                s->keepalive_timeout = m->keepalive_timeout;
        }
        if (s->options_indexes < 0)
            s->options_indexes = 0;
        if (s->precompressed < 0)
            s->precompressed = 0;
        if (s->expires_active < 0)
            s->expires_active = 0;
        if ((rv = location_build(s, m, ctx->p)) != APR_SUCCESS)
            config_error_at(ctx, s->where ? s->where : main_file, "<Location>: %s",
                            config_strerror(ctx, rv));
        if (s != m && s->directory_index == NULL)
            s->directory_index = m->directory_index;
        if (s != m && raw == NULL) {
            s->document_root = m->document_root;
            continue;
        }
        if (raw == NULL)
            raw = "htdocs";
        if ((rv = config_absolute(&s->document_root, c->server_root, raw, ctx->p)) == APR_SUCCESS)
            continue;
        where = s != m ? s->where : apr_hash_get(ctx->set_at, "DocumentRoot", APR_HASH_KEY_STRING);
        if (where == NULL)
            where = apr_hash_get(ctx->set_at, "ServerRoot", APR_HASH_KEY_STRING);
        config_error_at(ctx, where ? where : main_file, "DocumentRoot: %s: %s", raw,
                        config_strerror(ctx, rv));
    }
    for (i = 1; i < c->sites->nelts; i++) {
        const ev_site_t *s = APR_ARRAY_IDX(c->sites, i, ev_site_t *);

        for (j = 0; j < s->addrs->nelts; j++) {
            const ev_vaddr_t *a = &APR_ARRAY_IDX(s->addrs, j, ev_vaddr_t);
            int served = 0;

            for (k = 0; k < c->listens->nelts && !served; k++)
                served = config_vaddr_serves(a, &APR_ARRAY_IDX(c->listens, k, ev_listen_cfg_t));
            if (!served)
                config_warn_at(ctx, s->where,
                               "<VirtualHost> address %s matches no Listen (one for a single "
                               "address needs a Listen for that address): never used",
                               config_vaddr_text(a, ctx->ptemp));
        }
    }
}

/* Sets *value to `to` with a warning naming where the directive was set, if it was. */
static void config_adjust(config_ctx_t *ctx, const char *name, int *value, int to, const char *fmt,
                          ...) __attribute__((format(printf, 5, 6)));

static void
config_adjust(config_ctx_t *ctx, const char *name, int *value, int to, const char *fmt, ...)
{
    const char *reason;
    va_list ap;

    va_start(ap, fmt);
    reason = apr_pvsprintf(ctx->ptemp, fmt, ap);
    va_end(ap);
    config_warn_at(ctx, apr_hash_get(ctx->set_at, name, APR_HASH_KEY_STRING),
                   "%s %d %s, %s it to %d", name, *value, reason,
                   to < *value ? "lowering" : "raising", to);
    *value = to;
}

/* The event MPM's checks (event_check_config), after everything is read. */
static void
config_clamp(config_ctx_t *ctx)
{
    ev_config_t *c = ctx->cfg;
    long long limit;

    if (c->server_limit > CONFIG_MAX_SERVER_LIMIT)
        config_adjust(ctx, "ServerLimit", &c->server_limit, CONFIG_MAX_SERVER_LIMIT,
                      "exceeds the maximum %d", CONFIG_MAX_SERVER_LIMIT);
    if (c->server_limit < 1)
        config_adjust(ctx, "ServerLimit", &c->server_limit, 1, "is less than 1");
    if (c->thread_limit > CONFIG_MAX_THREAD_LIMIT)
        config_adjust(ctx, "ThreadLimit", &c->thread_limit, CONFIG_MAX_THREAD_LIMIT,
                      "exceeds the maximum %d", CONFIG_MAX_THREAD_LIMIT);
    if (c->thread_limit < 1)
        config_adjust(ctx, "ThreadLimit", &c->thread_limit, 1, "is less than 1");
    if (c->threads_per_child > c->thread_limit)
        config_adjust(ctx, "ThreadsPerChild", &c->threads_per_child, c->thread_limit,
                      "exceeds ThreadLimit %d", c->thread_limit);
    if (c->threads_per_child < 1)
        config_adjust(ctx, "ThreadsPerChild", &c->threads_per_child, 1, "is less than 1");
    if (c->max_request_workers < c->threads_per_child)
        config_adjust(ctx, "MaxRequestWorkers", &c->max_request_workers, c->threads_per_child,
                      "is less than ThreadsPerChild %d", c->threads_per_child);
    if (c->max_request_workers % c->threads_per_child)
        config_adjust(ctx, "MaxRequestWorkers", &c->max_request_workers,
                      c->max_request_workers / c->threads_per_child * c->threads_per_child,
                      "is not a multiple of ThreadsPerChild %d", c->threads_per_child);
    limit = (long long)c->server_limit * c->threads_per_child; /* <= 2e9, fits an int */
    if (c->max_request_workers > limit)
        config_adjust(ctx, "MaxRequestWorkers", &c->max_request_workers, (int)limit,
                      "exceeds ServerLimit %d x ThreadsPerChild %d", c->server_limit,
                      c->threads_per_child);
    if (c->start_servers > c->server_limit)
        config_adjust(ctx, "StartServers", &c->start_servers, c->server_limit,
                      "exceeds ServerLimit %d", c->server_limit);
    if (c->start_servers < 1)
        config_adjust(ctx, "StartServers", &c->start_servers, 1, "is less than 1");
    if (c->min_spare_threads < 1)
        config_adjust(ctx, "MinSpareThreads", &c->min_spare_threads, 1, "is less than 1");
    limit = (long long)c->min_spare_threads + c->threads_per_child;
    if (c->max_spare_threads < limit)
        config_adjust(ctx, "MaxSpareThreads", &c->max_spare_threads,
                      limit > INT_MAX ? INT_MAX : (int)limit,
                      "is less than MinSpareThreads %d + ThreadsPerChild %d", c->min_spare_threads,
                      c->threads_per_child);
}

/* A proxy listener trusts nobody by default: a header from anywhere would let any client
 * write any address into the logs, so the load balancers must be named. */
static void
config_check_proxy(config_ctx_t *ctx)
{
    int i;

    if (ctx->cfg->proxy_trusted->nelts > 0)
        return;
    for (i = 0; i < ctx->cfg->listens->nelts; i++) {
        const ev_listen_cfg_t *l = &APR_ARRAY_IDX(ctx->cfg->listens, i, ev_listen_cfg_t);
        if (l->proxy)
            config_error_at(ctx, l->where,
                            "Listen %s proxy: no ProxyProtocolTrusted names the load balancers "
                            "that may send the PROXY header",
                            l->spec);
    }
}

/* StatusAllow's default, applied when no StatusAllow was read: the loopback addresses. */
static void
config_status_allow_defaults(ev_config_t *c)
{
    ev_cidr_t v4 = { .family = APR_INET, .addr = { 127, 0, 0, 1 }, .prefix = 32 };
    ev_cidr_t v6 = { .family = APR_INET6, .prefix = 128 };

    v6.addr[15] = 1;
    APR_ARRAY_PUSH(c->status_allow, ev_cidr_t) = v4;
    APR_ARRAY_PUSH(c->status_allow, ev_cidr_t) = v6;
}

static ev_config_t *
config_defaults(apr_pool_t *p)
{
    ev_config_t *c = apr_pcalloc(p, sizeof(*c));

    c->listens = apr_array_make(p, 4, sizeof(ev_listen_cfg_t));
    c->listen_backlog = 511;
    c->main = apr_pcalloc(p, sizeof(*c->main));
    c->main->addrs = apr_array_make(p, 1, sizeof(ev_vaddr_t));
    c->main->server_aliases = apr_array_make(p, 1, sizeof(const char *));
    c->main->aliases = apr_array_make(p, 2, sizeof(ev_alias_t *));
    c->main->redirects = apr_array_make(p, 2, sizeof(ev_redirect_t *));
    c->main->headers = apr_array_make(p, 2, sizeof(header_action_t));
    c->main->expires = apr_array_make(p, 2, sizeof(expires_rule_t));
    c->main->expires_active = -1;
    c->main->error_documents = apr_array_make(p, 2, sizeof(ev_errordoc_t));
    c->main->options_indexes = -1;
    c->main->precompressed = -1;
    c->main->locations = apr_array_make(p, 2, sizeof(ev_location_t *));
    c->main->custom_logs = apr_array_make(p, 1, sizeof(int));
    c->sites = apr_array_make(p, 4, sizeof(ev_site_t *));
    APR_ARRAY_PUSH(c->sites, ev_site_t *) = c->main;
    c->user = "evhttpd";
    c->group = "evhttpd";
    c->log_level = EV_LOG_WARN;
    c->custom_logs = apr_array_make(p, 2, sizeof(ev_customlog_t));
    c->log_formats = apr_hash_make(p);
    apr_hash_set(c->log_formats, "common", APR_HASH_KEY_STRING, "%h %l %u %t \"%r\" %>s %b");
    apr_hash_set(c->log_formats, "combined", APR_HASH_KEY_STRING,
                 "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"");
    c->start_servers = 3;
    c->server_limit = 16;
    c->thread_limit = 64;
    c->threads_per_child = 25;
    c->max_request_workers = 400;
    c->min_spare_threads = 75;
    c->max_spare_threads = 250;
    c->async_request_worker_factor = 2;
    c->keepalive = 1;
    c->main->keepalive_timeout = apr_time_from_sec(5);
    c->max_keepalive_requests = 100;
    c->timeout = apr_time_from_sec(60);
    c->header_timeout = (ev_read_timeout_t){ apr_time_from_sec(20), apr_time_from_sec(40), 500 };
    c->body_timeout = (ev_read_timeout_t){ apr_time_from_sec(20), 0, 500 };
    c->file_cache_size = 256 * 1024;
    c->file_cache_max_file = 16 * 1024;
    c->file_cache_fds = 16;
    c->sendfile_min_size = 128 * 1024;
    c->sched_batch = 1;
    c->limit_request_header_size = 32768;
    c->limit_request_line = 8190;
    c->limit_request_field_size = 8190;
    c->limit_request_fields = 100;
    c->limit_request_body = (apr_off_t)1 << 30;
    c->status_allow = apr_array_make(p, 2, sizeof(ev_cidr_t));
    c->proxy_trusted = apr_array_make(p, 2, sizeof(ev_cidr_t));
    c->proxy_timeout = apr_time_from_sec(5);
    return c;
}

apr_status_t
config_load(ev_config_t **out, const char *file, const apr_array_header_t *pre,
            const apr_array_header_t *post, apr_pool_t *p, apr_array_header_t *msgs)
{
    config_ctx_t ctx = { 0 };
    const char *abs, *slash;
    apr_status_t rv;
    int main_read;

    *out = NULL;
    ctx.p = p;
    ctx.msgs = msgs;
    ctx.cfg = config_defaults(p);
    ctx.site = ctx.cfg->main;
    ctx.set_at = apr_hash_make(p);
    ctx.log_where = apr_array_make(p, 2, sizeof(const char *));
    ctx.log_site = apr_array_make(p, 2, sizeof(ev_site_t *));
    if ((rv = apr_pool_create(&ctx.ptemp, p)) != APR_SUCCESS)
        return rv;
    if ((rv = config_absolute(&abs, NULL, file, p)) != APR_SUCCESS) {
        config_error_at(&ctx, file, "cannot resolve the path: %s", config_strerror(&ctx, rv));
        apr_pool_destroy(ctx.ptemp);
        return APR_EINVAL;
    }
    slash = strrchr(abs, '/');
    ctx.config_dir = slash == abs ? "/" : apr_pstrmemdup(p, abs, (apr_size_t)(slash - abs));
    ctx.cfg->file = abs;
    ctx.cfg->server_root = ctx.config_dir;

    config_read_strings(&ctx, "-C", pre);
    main_read = config_read_file(&ctx, abs, file, NULL);
    config_read_strings(&ctx, "-c", post);
    /* A file that could not be read has no Listen; saying so would only add noise. */
    if (ctx.cfg->listens->nelts == 0 && main_read)
        config_error_at(&ctx, file, "no Listen directive");
    config_resolve_paths(&ctx, file);
    config_resolve_sites(&ctx, file);
    config_keepalive_queues(&ctx);
    config_resolve_logs(&ctx);
    if (ctx.cfg->status_allow->nelts == 0)
        config_status_allow_defaults(ctx.cfg);
    config_check_proxy(&ctx);
    if (ctx.errors == 0)
        config_clamp(&ctx);
    apr_pool_destroy(ctx.ptemp);
    if (ctx.errors > 0)
        return APR_EINVAL;
    *out = ctx.cfg;
    return APR_SUCCESS;
}

int
config_vaddr_serves(const ev_vaddr_t *a, const ev_listen_cfg_t *l)
{
    if (a->port != 0 && a->port != l->port)
        return 0;
    if (a->host == NULL)
        return 1;
    return l->host != NULL && l->family == a->family && strcmp(l->host, a->host) == 0;
}

const char *
config_vaddr_text(const ev_vaddr_t *a, apr_pool_t *p)
{
    const char *host = a->host ? a->host : "*";

    return apr_psprintf(p, "%s%s%s:%s", a->family == APR_INET6 ? "[" : "", host,
                        a->family == APR_INET6 ? "]" : "", a->port ? apr_itoa(p, a->port) : "*");
}

const char *
config_log_level_name(int level)
{
    if (level < EV_LOG_EMERG || level > EV_LOG_DEBUG)
        return "unknown";
    return config_level_names[level];
}
