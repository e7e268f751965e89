/*
 * static.c — files beneath DocumentRoot: mapping, validators, conditionals, ranges.
 *
 * Who: worker threads. Every path is normalized (http_path_normalize) and then
 * opened relative to the child's DocumentRoot descriptor with openat2's
 * RESOLVE_BENEATH, so neither an encoded ".." nor a symlink can leave the root. The
 * opened descriptor becomes the response's file_fd: the body goes out with sendfile
 * and the descriptor is closed when the response is reset.
 *
 * Small files come from the worker's file cache instead (filecache.h): a hit costs
 * no system call but, once a second, a revalidating stat, and the body goes out
 * from memory with the head. Larger files' hits skip the open, fstat and close and
 * send from the cached descriptor. The response holds a reference to the entry.
 *
 * PrecompressedFiles: once the file is found, a client that accepts one of the site's
 * codings may get a variant file instead (x.css.br, x.css.gz, the index file's for a
 * directory), opened beneath the same root with the same openat2 rules. A variant is
 * cached as an entry of its own whose key is the coding's name and the variant's path
 * ("gzip/x.css.gz"): a request path always starts with '/', so that entry never meets
 * the one answering a request for x.css.gz itself, whose head (type, ETag) differs;
 * the variant's entry revalidates itself like any other. That a variant is missing is
 * remembered in the original's entry (filecache.h: variants), learnt again at most once
 * a second; a file that is not cached probes on every request, as it opens anyway.
 * Cached heads never hold Vary (an Alias target serves several sites, with and
 * without the directive): it is added per response.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <apr_strings.h>

#include "accept_encoding.h"
#include "alias_match.h"
#include "child.h"
#include "cond.h"
#include "dirindex.h"
#include "filecache.h"
#include "handler.h"
#include "http_date.h"
#include "http_path.h"
#include "http_response.h"
#include "mime.h"
#include "range.h"
#include "static.h"
#include "static_log.h"

typedef struct {
    int fd;                    /* the open file, or -1 when served from `cached` */
    filecache_entry_t *cached; /* a reference to the cached file, or NULL */
    struct stat st;
    const char *path;   /* normalized, for the MIME type (the original's for a variant) */
    int no_index;       /* a directory without a DirectoryIndex file (answered 403) */
    const char *coding; /* the Content-Encoding of a variant file answering, or NULL */
    const char *fields; /* its Content-Encoding field, or "" */
    const char *vary;   /* the Vary field of a site with PrecompressedFiles, or NULL */
} static_file_t;

#define STATIC_VARY "Vary: Accept-Encoding\r\n"

/* Done with the file without sending it (HEAD, 304, 412, 416). */
static void
static_file_drop(static_file_t *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    filecache_release(f->cached);
    f->cached = NULL;
}

static void
static_release_cached(void *e)
{
    filecache_release(e);
}

/* Hand the file to the response, which sends bytes [off, off + len) of it: from the
 * cache's memory, or from the descriptor (see response.h on how). The response owns
 * the descriptor or the cache reference from then on. */
static void
static_file_send(conn_t *c, static_file_t *f, apr_off_t off, apr_off_t len)
{
    conn_ctx_t *x = c->ctx;

    if (f->cached != NULL && f->cached->data != NULL)
        response_add_mem(&x->resp, f->cached->data + off, len, x->preq);
    else
        response_add_file(&x->resp, off, len, x->preq);
    x->resp.copy_max = c->child->conf->sendfile_min_size;
    if (f->cached != NULL) {
        if (f->cached->fd >= 0) {
            x->resp.file_fd = f->cached->fd;
            x->resp.file_borrowed = 1;
        }
        if (x->resp.release == NULL) {
            x->resp.release = static_release_cached;
            x->resp.release_arg = f->cached;
        }
    } else {
        x->resp.file_fd = f->fd;
    }
}

/* The response now owns the file (static_file_send was called at least once). */
static void
static_file_given(static_file_t *f)
{
    f->fd = -1;
    f->cached = NULL;
}

/* Put the file just opened into the worker's cache; on success serve from there. */
static void
static_cache_insert(int root, const char *key, size_t keylen, static_file_t *f,
                    const struct stat *dir_st)
{
    filecache_entry_t *e = filecache_insert(filecache_current(), root, key, keylen, f->path, f->fd,
                                            &f->st, dir_st, apr_time_now());

    if (e != NULL) {
        close(f->fd);
        f->fd = -1;
        f->cached = e;
        f->path = e->path;
    }
}

/* Whether a name exists beneath the root without following it (a dangling symlink). */
static int
static_name_exists(int root, const char *path)
{
    struct stat st;

    return path[1] != '\0' && fstatat(root, path + 1, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Open path beneath root, following a directory to its DirectoryIndex. Returns 0 or a
 * status; *redirect is set for a directory whose URL (url_slash: it ends in '/') lacks
 * its trailing slash. */
static int
static_open(conn_t *c, int root, char *path, size_t plen, int url_slash, static_file_t *f,
            int *redirect)
{
    const conn_ctx_t *x = c->ctx;
    filecache_t *fc = filecache_current();
    struct stat dir_st;
    int rc, i, cacheable = 1;

    *redirect = 0;
    if (fc != NULL && (f->cached = filecache_lookup(fc, root, path, plen, apr_time_now()))) {
        f->st = f->cached->st;
        f->path = f->cached->path;
        return 0;
    }
    rc = http_path_open_beneath(root, path, 0, &f->fd);
    if (rc != 0)
        return http_path_errno_status(rc);
    if (fstat(f->fd, &f->st) < 0) {
        close(f->fd);
        return 500;
    }
    f->path = path;
    if (S_ISREG(f->st.st_mode)) {
        static_cache_insert(root, path, plen, f, NULL);
        return 0;
    }
    close(f->fd);
    f->fd = -1;
    if (!S_ISDIR(f->st.st_mode))
        return 403;
    if (!url_slash) {
        *redirect = 1;
        return 301;
    }
    dir_st = f->st;
    for (i = 0; i < x->site->directory_index->nelts; i++) {
        const char *idx = APR_ARRAY_IDX(x->site->directory_index, i, const char *);
        const char *full = apr_pstrcat(c->ctx->preq, path, idx, NULL);

        rc = http_path_open_beneath(root, full, 0, &f->fd);
        if (rc != 0) {
            /* The cache notices a new index file by the directory's mtime, but not a
             * skipped one that becomes usable (a chmod, a dangling link's target
             * appearing): only answers that skipped nothing but absent names are
             * cached. */
            if (rc != ENOENT || static_name_exists(root, full))
                cacheable = 0;
            continue;
        }
        if (fstat(f->fd, &f->st) == 0 && S_ISREG(f->st.st_mode)) {
            f->path = full;
            if (cacheable)
                static_cache_insert(root, path, plen, f, &dir_st);
            return 0;
        }
        cacheable = 0;
        close(f->fd);
        f->fd = -1;
    }
    f->no_index = 1;
    return 403; /* a directory without an index: listed only with Options Indexes */
}

/* Whether variant `v` may stand for original `o`: not older, to the nanosecond (a
 * variant made from an earlier version must not outlive it). */
static int
static_variant_current(const struct stat *v, const struct stat *o)
{
    return v->st_mtim.tv_sec > o->st_mtim.tv_sec ||
           (v->st_mtim.tv_sec == o->st_mtim.tv_sec && v->st_mtim.tv_nsec >= o->st_mtim.tv_nsec);
}

/* Replace `f` by its variant in `coding` if that is usable; returns 1 if it was. */
static int
static_variant_open(conn_t *c, int root, static_file_t *f, unsigned coding, apr_time_t now)
{
    conn_ctx_t *x = c->ctx;
    const char *name = accept_encoding_name(coding);
    char *key = apr_pstrcat(x->preq, name, f->path, accept_encoding_suffix(coding), NULL);
    const char *vpath = key + strlen(name);
    size_t keylen = strlen(key);
    filecache_t *fc = filecache_current();
    static_file_t v = { .fd = -1, .cached = NULL };

    if ((v.cached = filecache_lookup(fc, root, key, keylen, now)) != NULL) {
        v.st = v.cached->st;
    } else {
        if (http_path_open_beneath(root, vpath, 0, &v.fd) != 0)
            return 0;
        if (fstat(v.fd, &v.st) < 0 || !S_ISREG(v.st.st_mode) ||
            !static_variant_current(&v.st, &f->st)) {
            static_file_drop(&v);
            return 0;
        }
        v.cached = filecache_insert(fc, root, key, keylen, vpath, v.fd, &v.st, NULL, now);
        if (v.cached != NULL) {
            close(v.fd);
            v.fd = -1;
        }
    }
    if (!static_variant_current(&v.st, &f->st)) { /* the original changed since */
        static_file_drop(&v);
        return 0;
    }
    v.path = apr_pstrdup(x->preq, f->path);
    v.coding = name;
    v.fields = apr_pstrcat(x->preq, "Content-Encoding: ", name, "\r\n", NULL);
    v.vary = f->vary;
    static_file_drop(f);
    *f = v;
    return 1;
}

/* PrecompressedFiles: every answer of the site varies with Accept-Encoding; serve the
 * variant of the best coding the client accepts that is usable, or `f` as it is. */
static void
static_variant(conn_t *c, int root, static_file_t *f)
{
    conn_ctx_t *x = c->ctx;
    filecache_entry_t *orig = f->cached; /* where missing variants are remembered */
    unsigned order[EV_CODING_COUNT];
    accept_encoding_t ae;
    apr_time_t now;
    size_t i, n;

    f->vary = STATIC_VARY;
    accept_encoding_parse(&x->req, &ae);
    if ((n = accept_encoding_rank(&ae, (unsigned)x->site->precompressed, order)) == 0)
        return;
    now = apr_time_now();
    if (orig != NULL &&
        (now - orig->variants.checked >= FILECACHE_VALID || now < orig->variants.checked)) {
        orig->variants.absent = 0;
        orig->variants.checked = now;
    }
    for (i = 0; i < n; i++) {
        if (orig != NULL && (orig->variants.absent & order[i]))
            continue;
        if (static_variant_open(c, root, f, order[i], now))
            return;
        if (orig != NULL)
            orig->variants.absent |= order[i];
    }
}

/* Where a path's file is looked for: beneath the first matching Alias's target, or
 * the site's DocumentRoot (*root, *rel); *st becomes 404 for a path below an Alias of a
 * single file. */
static void
static_alias(conn_t *c, char *path, size_t plen, int *root, char **rel, size_t *rlen, int *st)
{
    const ev_site_t *site = c->ctx->site;
    size_t n;
    int i;

    *root = c->child->site_fds[site->index];
    *rel = path;
    *rlen = plen;
    for (i = 0; i < site->aliases->nelts; i++) {
        const ev_alias_t *a = APR_ARRAY_IDX(site->aliases, i, const ev_alias_t *);
        const char *file = c->child->alias_file[a->index];

        if ((n = alias_match(a->prefix, path, plen)) == 0)
            continue;
        *root = c->child->alias_fds[a->index];
        if (file != NULL) { /* an Alias of one file: nothing below it */
            *rel = (char *)file;
            *rlen = strlen(file);
            if (n < plen)
                *st = 404;
            return;
        }
        /* what follows the prefix, beneath the target, with its leading '/' */
        while (n > 0 && n < plen && path[n - 1] == '/')
            n--;
        *rel = n < plen ? path + n : (char *)"/";
        *rlen = n < plen ? plen - n : 1;
        return;
    }
}

/* mod_alias, in its order: the site's Redirects, then its Aliases, the first match of
 * each winning. A Redirect answers here (returns 1); otherwise see static_alias. */
static int
static_map(conn_t *c, ev_slice_t target, char *path, size_t plen, int *root, char **rel,
           size_t *rlen, int *st)
{
    conn_ctx_t *x = c->ctx;
    const ev_site_t *site = x->site;
    size_t n, q;
    int i;

    for (i = 0; i < site->redirects->nelts; i++) {
        const ev_redirect_t *r = APR_ARRAY_IDX(site->redirects, i, const ev_redirect_t *);

        if ((n = alias_match(r->prefix, path, plen)) == 0)
            continue;
        if (r->target == NULL) {
            handler_error(c, r->status, NULL);
            return 1;
        }
        q = http_path_query_start(target.p, target.len);
        handler_error(
            c, r->status,
            apr_pstrcat(x->preq, "Location: ",
                        alias_redirect_target(r->target, path, plen, n,
                                              q < target.len ? target.p + q + 1 : NULL,
                                              q < target.len ? target.len - q - 1 : 0, x->preq),
                        "\r\n", NULL));
        return 1;
    }
    static_alias(c, path, plen, root, rel, rlen, st);
    return 0;
}

/* Options Indexes: the listing of directory `rel` beneath root, for URL `url`; 0 when
 * it cannot be read (the caller answers 403). */
static int
static_listing(conn_t *c, int root, const char *rel, const char *url)
{
    conn_ctx_t *x = c->ctx;
    size_t len;
    char *page;
    int fd;

    if (http_path_open_beneath(root, rel, O_DIRECTORY, &fd) != 0 ||
        (page = dirindex_html(fd, url, &len, x->preq)) == NULL)
        return 0;
    if (x->req.method_id != EV_M_HEAD)
        response_add_mem(&x->resp, page, (apr_off_t)len, x->preq);
    http_response_head(c, 200,
                       "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-cache\r\n",
                       (apr_off_t)len);
    return 1;
}

/* A path byte that may stand unescaped in a Location (RFC 3986 pchar and '/'). */
static int
static_pchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           strchr("-._~!$&'()*+,;=:@/", ch) != NULL;
}

/* 301 to the directory's slash. Location is built from the normalized path, escaped
 * again, never from the raw target: "//host/%2e%2e/dir" must not become a redirect to
 * another site. The query is kept as sent (the parser admits only visible ASCII). */
static void
static_redirect_slash(conn_t *c, ev_slice_t target, const char *path, size_t plen)
{
    conn_ctx_t *x = c->ctx;
    size_t q = http_path_query_start(target.p, target.len), i, n = 0;
    char *loc = apr_palloc(x->preq, plen * 3 + (target.len - q) + 32);

    n += (size_t)sprintf(loc, "Location: ");
    for (i = 0; i < plen; i++) {
        unsigned char ch = (unsigned char)path[i];
        if (static_pchar(ch) && ch != '\0')
            loc[n++] = (char)ch;
        else
            n += (size_t)sprintf(loc + n, "%%%02X", ch);
    }
    loc[n++] = '/';
    memcpy(loc + n, target.p + q, target.len - q);
    n += target.len - q;
    memcpy(loc + n, "\r\n", 3);
    handler_error(c, 301, loc);
}

/* 206 with several ranges: multipart/byteranges, parts in memory around file spans. */
static void
static_multipart(conn_t *c, static_file_t *f, const char *type, const char *validators,
                 range_t *ranges, size_t n)
{
    conn_ctx_t *x = c->ctx;
    static _Thread_local uint64_t seed;
    char boundary[EV_RANGE_BOUNDARY_LEN];
    int64_t total;
    size_t i;

    /* Unpredictable, so a file cannot contain its own boundary on purpose. */
    if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = (uint64_t)apr_time_now() ^ (uint64_t)(uintptr_t)&seed;
    range_boundary(boundary, seed++);
    total = range_multipart_length(ranges, n, boundary, type, f->st.st_size);
    if (x->req.method_id != EV_M_HEAD) {
        for (i = 0; i < n; i++) {
            size_t cap = 256 + strlen(type), len;
            char *part = apr_palloc(x->preq, cap);
            len = range_part_header(part, cap, boundary, type, &ranges[i], f->st.st_size);
            response_add_mem(&x->resp, part, (apr_off_t)len, x->preq);
            static_file_send(c, f, ranges[i].first, ranges[i].last - ranges[i].first + 1);
        }
        {
            char *end = apr_palloc(x->preq, 64);
            size_t len = range_closing(end, 64, boundary);
            response_add_mem(&x->resp, end, (apr_off_t)len, x->preq);
        }
        static_file_given(f);
    } else {
        static_file_drop(f);
    }
    http_response_head(c, 206,
                       apr_psprintf(x->preq,
                                    "%s%sContent-Type: multipart/byteranges; boundary=%s\r\n",
                                    validators, f->fields, boundary),
                       total);
}

/* Keep what a cached file's validators and media type make of its head in the entry,
 * unless Last-Modified was clamped to now (a file dated in the future: its value
 * depends on the time of the request). Returns the head fields, or NULL. */
static const char *
static_cache_meta(conn_t *c, static_file_t *f, const char *validators)
{
    conn_ctx_t *x = c->ctx;
    filecache_entry_t *e = f->cached;
    const char *type = mime_type(c->child->env->mime, f->path);
    size_t vlen = strlen(validators);
    int n;

    if (x->lastmod != apr_time_from_sec((apr_time_t)f->st.st_mtim.tv_sec) ||
        strlen(x->etag) >= sizeof(e->meta.etag) || vlen >= sizeof(e->meta.validators))
        return NULL;
    n = snprintf(e->meta.head, sizeof(e->meta.head),
                 "%sAccept-Ranges: bytes\r\n%sContent-Type: %s\r\n", validators, f->fields, type);
    if (n < 0 || (size_t)n >= sizeof(e->meta.head))
        return NULL;
    e->meta.lastmod = x->lastmod;
    strcpy(e->meta.etag, x->etag);
    memcpy(e->meta.validators, validators, vlen + 1);
    e->meta.valid = 1;
    return e->meta.head;
}

/* Decide between 200, 206 and 416 and build the response. `validators` holds the
 * Last-Modified and ETag fields, and Vary when the site has PrecompressedFiles; `head`,
 * when not NULL, is those followed by the Accept-Ranges, Content-Encoding (a variant)
 * and Content-Type fields. */
static void
static_respond(conn_t *c, static_file_t *f, const char *validators, const char *head)
{
    conn_ctx_t *x = c->ctx;
    const char *type = mime_type(c->child->env->mime, f->path);
    const http_field_t *rf =
        x->req.method_id == EV_M_GET ? http_field_find(&x->req, "Range") : NULL;
    range_t ranges[EV_RANGE_MAX];
    size_t n = 0;
    range_result_t rr = EV_RANGE_IGNORE;
    apr_off_t off = 0, len = f->st.st_size;
    int status = 200;
    char cr[96];
    const char *extra;

    /* A date in If-Range cannot tell a file from its variants (gzip -k and brotli keep
     * the original's mtime): with PrecompressedFiles only the entity tag, distinct per
     * coding, may resume a download, never splicing one coding's bytes onto another's. */
    if (rf && http_field_count(&x->req, "Range") == 1 &&
        cond_if_range(&x->req, x->etag, x->site->precompressed ? 0 : x->lastmod, x->now))
        rr = range_parse(rf->value, f->st.st_size, ranges, EV_RANGE_MAX, &n);
    if (rr == EV_RANGE_UNSATISFIABLE) {
        static_file_drop(f);
        range_content_range(cr, sizeof(cr), NULL, f->st.st_size);
        handler_error(c, 416,
                      apr_psprintf(x->preq, "Content-Range: %s\r\n%s", cr, f->vary ? f->vary : ""));
        return;
    }
    if (rr == EV_RANGE_OK && n > 1) {
        static_multipart(c, f, type, validators, ranges, n);
        return;
    }
    extra = head ? head
                 : apr_psprintf(x->preq, "%sAccept-Ranges: bytes\r\n%sContent-Type: %s\r\n",
                                validators, f->fields, type);
    if (rr == EV_RANGE_OK) {
        status = 206;
        off = ranges[0].first;
        len = ranges[0].last - ranges[0].first + 1;
        range_content_range(cr, sizeof(cr), &ranges[0], f->st.st_size);
        extra = apr_psprintf(x->preq, "%sContent-Range: %s\r\n", extra, cr);
    }
    if (x->req.method_id != EV_M_HEAD && len > 0) {
        static_file_send(c, f, off, len);
        static_file_given(f);
    } else {
        static_file_drop(f);
    }
    http_response_head(c, status, extra, len);
}

void
static_serve(conn_t *c, ev_slice_t target)
{
    conn_ctx_t *x = c->ctx;
    size_t plen = x->path_len;
    char *path = x->path; /* normalized already when the site has <Location> sections */
    static_file_t f = { .fd = -1, .cached = NULL, .fields = "" };
    char date[EV_HTTP_DATE_LEN], lm[EV_HTTP_DATE_LEN], *rel = NULL;
    const char *validators, *head = NULL;
    int st = 0, redirect = 0, cond, root = -1;
    size_t rlen = 0;

    if (path == NULL) {
        path = apr_palloc(x->preq, target.len + 2);
        st = http_path_normalize(target.p, target.len, path, target.len + 2, &plen);
    }
    if (st == 0 && static_map(c, target, path, plen, &root, &rel, &rlen, &st))
        return; /* answered by a Redirect */
    if (st == 0)
        st = static_open(c, root, rel, rlen, path[plen - 1] == '/', &f, &redirect);
    if (st == 301 && redirect) {
        static_redirect_slash(c, target, path, plen);
        return;
    }
    if (st == 403 && f.no_index && x->site->options_indexes && static_listing(c, root, rel, path))
        return;
    if (st) {
        static_log_refusal(c, st, root, rel, path, f.no_index);
        handler_error(c, st, NULL);
        return;
    }
    if (x->site->precompressed)
        static_variant(c, root, &f);
    x->now = http_date_now(date);
    if (f.cached != NULL && f.cached->meta.valid) {
        x->lastmod = f.cached->meta.lastmod;
        memcpy(x->etag, f.cached->meta.etag, sizeof(x->etag));
        head = f.cached->meta.head;
        validators = f.cached->meta.validators;
    } else {
        x->lastmod = cond_last_modified(&f.st, x->now);
        if (f.coding != NULL)
            cond_etag_coded(&f.st, f.coding, x->etag);
        else
            cond_etag(&f.st, x->etag);
        http_date_format(x->lastmod, lm);
        validators = apr_psprintf(x->preq, "Last-Modified: %s\r\nETag: %s\r\n", lm, x->etag);
        if (f.cached != NULL)
            head = static_cache_meta(c, &f, validators);
    }
    if (f.vary != NULL) { /* cached heads leave it out: see the top of the file */
        validators = apr_pstrcat(x->preq, validators, f.vary, NULL);
        if (head != NULL)
            head = apr_pstrcat(x->preq, head, f.vary, NULL);
    }
    cond = cond_evaluate(&x->req, x->etag, x->lastmod, x->now);
    if (cond == 304) {
        static_file_drop(&f);
        http_response_head(c, 304, validators, -1);
        return;
    }
    if (cond == 412) {
        static_file_drop(&f);
        handler_error(c, 412, f.vary);
        return;
    }
    static_respond(c, &f, validators, head);
}

int
static_serve_document(conn_t *c, int status, const char *path, const char *extra)
{
    conn_ctx_t *x = c->ctx;
    static_file_t f = { .fd = -1, .cached = NULL, .fields = "" };
    size_t plen = strlen(path), rlen;
    char *rel, *copy = apr_pstrmemdup(x->preq, path, plen);
    int root, st = 0, redirect;
    const char *head;

    static_alias(c, copy, plen, &root, &rel, &rlen, &st);
    if (st == 0)
        st = static_open(c, root, rel, rlen, 1, &f, &redirect);
    if (st != 0) {
        static_file_drop(&f);
        return 0;
    }
    head = apr_pstrcat(x->preq, "Content-Type: ", mime_type(c->child->env->mime, f.path), "\r\n",
                       extra ? extra : "", NULL);
    if (x->req.method_id != EV_M_HEAD && f.st.st_size > 0) {
        static_file_send(c, &f, 0, f.st.st_size);
        static_file_given(&f);
    } else {
        static_file_drop(&f);
    }
    http_response_head(c, status, head, f.st.st_size);
    return 1;
}
