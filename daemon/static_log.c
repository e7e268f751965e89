/*
 * static_log.c — what a refused file request writes to the error log.
 *
 * Who: worker threads, right after static.c chose the error status and before the
 * error page is built; nothing here changes the answer. Lines go through log_request,
 * so they land in the ErrorLog of the request's site, with Apache's texts so that
 * tools and habits built on them keep working.
 *
 * static.c keeps only the status, not the errno its open failed with; a 403 is
 * told apart here by looking at the name again (fstatat): gone or unreadable on the
 * way means a directory on the path denies search, a regular file means the file's
 * own permissions deny reading. The look is for the message only, on the error path.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <apr_strings.h>

#include "child.h"
#include "log.h"
#include "static_log.h"

/* The directory `root` stands for: the site's DocumentRoot or one of its Aliases' (for
 * an Alias of one file, the directory holding it), or NULL when it is none of them. */
static const char *
static_log_base(const conn_t *c, int root)
{
    const child_t *ch = c->child;
    const ev_site_t *site = c->ctx->site;
    int i;

    if (root == ch->site_fds[site->index])
        return site->document_root;
    for (i = 0; i < site->aliases->nelts; i++) {
        const ev_alias_t *a = APR_ARRAY_IDX(site->aliases, i, const ev_alias_t *);

        if (ch->alias_fds[a->index] != root)
            continue;
        if (ch->alias_file[a->index] == NULL)
            return a->path;
        return apr_pstrndup(c->ctx->preq, a->path, (apr_size_t)(strrchr(a->path, '/') - a->path));
    }
    return NULL;
}

/* "index.html,index.htm", as mod_dir lists them. */
static const char *
static_log_indexes(const conn_t *c)
{
    const apr_array_header_t *names = c->ctx->site->directory_index;
    const char *out = "";
    int i;

    for (i = 0; i < names->nelts; i++)
        out = apr_pstrcat(c->ctx->preq, out, i ? "," : "", APR_ARRAY_IDX(names, i, const char *),
                          NULL);
    return out;
}

void
static_log_refusal(conn_t *c, int status, int root, const char *rel, const char *url, int no_index)
{
    int level = status == 404 ? EV_LOG_INFO : EV_LOG_ERR;
    const char *base, *file;
    struct stat st;

    if ((status != 404 && status != 403) || root < 0 || rel == NULL || !log_enabled(level))
        return;
    if ((base = static_log_base(c, root)) == NULL)
        return;
    file = apr_pstrcat(c->ctx->preq, strcmp(base, "/") == 0 ? "" : base, rel, NULL);
    if (status == 404) {
        log_request(c, level, 0, "EVH00605", "File does not exist: %s", file);
        return;
    }
    if (no_index) {
        if (!c->ctx->site->options_indexes)
            log_request(c, level, 0, "EVH00606",
                        "Cannot serve directory %s: No matching DirectoryIndex (%s) found, and "
                        "server-generated directory index forbidden by Options directive",
                        file, static_log_indexes(c));
        return;
    }
    if (fstatat(root, rel[1] ? rel + 1 : ".", &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == EACCES)
            log_request(c, level, 0, "EVH00607",
                        "access to %s denied (filesystem path '%s') because search "
                        "permissions are missing on a component of the path",
                        url, file);
        return;
    }
    if (S_ISREG(st.st_mode))
        log_request(c, level, 0, "EVH00608", "file permissions deny server access: %s", file);
}
