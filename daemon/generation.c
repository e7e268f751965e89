/*
 * generation.c — loading a configuration generation.
 *
 * Who: the parent, single-threaded. Everything that can fail because of the new
 * configuration fails here, before any running child is touched, so that a broken
 * configuration leaves the running generation serving.
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "accesslog.h"
#include "generation.h"
#include "log.h"
#include "mime.h"

static void generation_msg(apr_array_header_t *msgs, apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
generation_msg(apr_array_header_t *msgs, apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    APR_ARRAY_PUSH(msgs, const char *) = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
}

/* Started as root: children switch to User/Group, which must exist and not be root. */
static int
generation_user(generation_t *g, apr_array_header_t *msgs)
{
    const ev_config_t *conf = g->conf;
    struct passwd *pw;
    struct group *gr;

    g->env.uid = (uid_t)-1;
    g->env.gid = (gid_t)-1;
    if (geteuid() != 0)
        return 0;
    if ((pw = getpwnam(conf->user)) == NULL) {
        generation_msg(msgs, g->pool, "User %s does not exist: create it or set User in %s",
                       conf->user, conf->file);
        return -1;
    }
    if ((gr = getgrnam(conf->group)) == NULL) {
        generation_msg(msgs, g->pool, "Group %s does not exist: create it or set Group in %s",
                       conf->group, conf->file);
        return -1;
    }
    if (pw->pw_uid == 0) {
        generation_msg(msgs, g->pool, "User %s is root; evhttpd never serves as root", conf->user);
        return -1;
    }
    g->env.uid = pw->pw_uid;
    g->env.gid = gr->gr_gid;
    g->env.drop_privileges = 1;
    return 0;
}

static int
generation_access_logs(generation_t *g, apr_array_header_t *msgs)
{
    const ev_config_t *conf = g->conf;
    int i;

    g->env.naccess_logs = conf->custom_logs->nelts;
    g->env.access_logs =
        apr_pcalloc(g->pool, sizeof(*g->env.access_logs) * (size_t)(g->env.naccess_logs + 1));
    for (i = 0; i < conf->custom_logs->nelts; i++) {
        const ev_customlog_t *cl = &APR_ARRAY_IDX(conf->custom_logs, i, ev_customlog_t);
        accesslog_fmt_t *fmt;
        const char *err = NULL;
        char buf[256];
        apr_status_t rv = accesslog_compile(&fmt, cl->format, g->pool, &err);

        if (rv == APR_SUCCESS)
            rv = accesslog_open(&g->env.access_logs[i], cl->path, fmt, g->pool);
        if (rv != APR_SUCCESS) {
            generation_msg(msgs, g->pool, "cannot open CustomLog %s: %s", cl->path,
                           err ? err : apr_strerror(rv, buf, sizeof(buf)));
            return -1;
        }
    }
    return 0;
}

/* Virtual hosts' ErrorLogs: opened here, like the CustomLogs, so that a path that
 * cannot be opened fails the generation before any child is touched. */
static int
generation_error_logs(generation_t *g, apr_array_header_t *msgs)
{
    const ev_config_t *conf = g->conf;
    char buf[256];
    int i;

    g->env.nerror_logs = conf->error_logs->nelts;
    g->env.error_logs =
        apr_pcalloc(g->pool, sizeof(*g->env.error_logs) * (size_t)(g->env.nerror_logs + 1));
    for (i = 0; i < conf->error_logs->nelts; i++) {
        const char *path = APR_ARRAY_IDX(conf->error_logs, i, const char *);
        apr_status_t rv = log_file_open(&g->env.error_logs[i], path, g->pool);

        if (rv != APR_SUCCESS) {
            generation_msg(msgs, g->pool, "cannot open ErrorLog %s: %s", path,
                           apr_strerror(rv, buf, sizeof(buf)));
            return -1;
        }
    }
    return 0;
}

/* The scoreboard was sized at start-up: its limits hold until a full restart. */
static void
generation_fit_scoreboard(generation_t *g, sb_t *sb, apr_array_header_t *msgs)
{
    ev_config_t *conf = g->conf;
    int sl = (int)sb_server_limit(sb), tl = (int)sb_thread_limit(sb);

    if (conf->server_limit != sl || conf->thread_limit != tl) {
        generation_msg(msgs, g->pool,
                       "warning: ServerLimit %d / ThreadLimit %d need a full restart (stop, "
                       "then start); keeping %d / %d",
                       conf->server_limit, conf->thread_limit, sl, tl);
        conf->server_limit = sl;
        conf->thread_limit = tl;
    }
    if (conf->threads_per_child > tl)
        conf->threads_per_child = tl;
    if (conf->max_request_workers > sl * conf->threads_per_child)
        conf->max_request_workers = sl * conf->threads_per_child;
    if (conf->start_servers > sl)
        conf->start_servers = sl;
}

/* ListenCoresBucketsRatio: CPUs / ratio buckets, as Apache computes them, at most one per
 * child the configuration allows; fixed once the sockets exist. Every bucket needs a
 * child of the current generation, so StartServers is raised to the count. */
static int
generation_buckets(generation_t *g, const listen_set_t *ls, apr_array_header_t *msgs)
{
    ev_config_t *conf = g->conf;
    int ratio = conf->listen_buckets_ratio, have = listen_set_buckets(ls), b = 1;
    int max_children = conf->max_request_workers / conf->threads_per_child;

    if (ratio > 0) {
        b = child_cpus() / ratio;
        if (b > max_children)
            b = max_children;
        if (b < 1)
            b = 1;
    }
    if (b > 1 && listen_set_has_inherited(ls)) {
        generation_msg(msgs, g->pool,
                       "warning: ListenCoresBucketsRatio %d: systemd passes one socket per "
                       "address, so listener buckets are off",
                       ratio);
        b = 1;
    }
    if (have > 0 && b != have) {
        generation_msg(msgs, g->pool,
                       "warning: ListenCoresBucketsRatio %d asks for %d listener buckets; a change "
                       "of their number needs a full restart (stop, then start): keeping %d",
                       ratio, b, have);
        b = have;
    }
    if (conf->start_servers < b)
        conf->start_servers = b;
    return b;
}

apr_status_t
generation_load(generation_t **out, unsigned id, const gen_source_t *src, listen_set_t *ls,
                sb_t *sb, apr_pool_t *parent_pool, apr_array_header_t *msgs)
{
    generation_t *g;
    apr_pool_t *p;
    char err[512];
    apr_status_t rv;
    int rc;

    *out = NULL;
    if ((rv = apr_pool_create(&p, parent_pool)) != APR_SUCCESS)
        return rv;
    g = apr_pcalloc(p, sizeof(*g));
    g->id = id;
    g->pool = p;
    rv = config_load(&g->conf, src->config_file, src->pre, src->post, p, msgs);
    if (rv != APR_SUCCESS)
        goto fail;
    rv = APR_EINVAL;
    if (generation_user(g, msgs) < 0)
        goto fail;
    if (sb)
        generation_fit_scoreboard(g, sb, msgs);
    g->waiters = apr_array_make(p, 2, sizeof(void *));
    g->env.conf = g->conf;
    g->env.sb = sb;
    if ((rv = mime_load(&g->env.mime, g->conf->types_config, p)) != APR_SUCCESS)
        generation_msg(msgs, p,
                       "warning: cannot read TypesConfig %s (%s): every file is served as "
                       "application/octet-stream",
                       g->conf->types_config, apr_strerror(rv, err, sizeof(err)));
    g->env.nbuckets = generation_buckets(g, ls, msgs);
    if ((g->env.groups = site_groups_build(g->conf, p)) == NULL) {
        rv = APR_ENOMEM;
        goto fail;
    }
    rc = listen_set_apply(ls, g->conf, g->env.nbuckets, &g->env.listen_fds, &g->env.listen_info,
                          &g->env.nlisten, p, err, sizeof(err));
    if (rc != 0) {
        generation_msg(msgs, p, "%s", err);
        rv = APR_FROM_OS_ERROR(rc);
        goto fail;
    }
    if (generation_access_logs(g, msgs) < 0 || generation_error_logs(g, msgs) < 0) {
        rv = APR_EINVAL;
        goto fail;
    }
    *out = g;
    return APR_SUCCESS;
fail:
    /* The messages were allocated from p: copy them out before it goes. */
    {
        int i;
        for (i = 0; i < msgs->nelts; i++)
            APR_ARRAY_IDX(msgs, i, const char *) =
                apr_pstrdup(msgs->pool, APR_ARRAY_IDX(msgs, i, const char *));
    }
    apr_pool_destroy(p);
    return rv == APR_SUCCESS ? APR_EINVAL : rv;
}

void
generation_detach_logs(generation_t *g)
{
    int i;

    for (i = 0; i < g->env.naccess_logs; i++)
        if (g->env.access_logs[i] != NULL)
            accesslog_detach(g->env.access_logs[i]);
    for (i = 0; i < g->env.nerror_logs; i++)
        if (g->env.error_logs[i] != NULL)
            log_file_detach(g->env.error_logs[i]);
}

void
generation_destroy(generation_t *g)
{
    apr_pool_destroy(g->pool);
}
