/*
 * board.c — attach to the scoreboard, and again after the daemon restarts (see board.h).
 *
 * A file is known by its (device, inode). While evtop maps a file its inode cannot be
 * freed, so no new file can reuse the number: the same (device, inode) at the path means
 * the same file. sb_attach_readonly opens the path itself, so the path is stat'ed before
 * and after the attach; if the two disagree the file was replaced meanwhile and the
 * fresh mapping is dropped (APR_EAGAIN, the next check tries again) rather than risk
 * recording one file's identity for another's mapping.
 *
 * A stat per refresh is the whole cost of following restarts; no inotify descriptor to
 * manage, and it works on any filesystem the runtime directory may be on.
 */
#include <errno.h>
#include <sys/stat.h>

#include <apr_strings.h>

#include "board.h"

struct board_t {
    apr_pool_t *pool;   /* the board's own allocations */
    apr_pool_t *mapped; /* subpool holding the current mapping, NULL while detached */
    const char *path;   /* the file watched */
    sb_t *sb;           /* the current mapping, NULL while detached */
    dev_t dev;          /* identity of the mapped file */
    ino_t ino;
    uint64_t epoch; /* attachments made so far */
};

board_t *
board_create(const char *path, apr_pool_t *p)
{
    board_t *b = apr_pcalloc(p, sizeof *b);

    b->pool = p;
    b->path = apr_pstrdup(p, path);
    return b;
}

static void
board_detach(board_t *b)
{
    if (b->mapped != NULL)
        apr_pool_destroy(b->mapped);
    b->mapped = NULL;
    b->sb = NULL;
}

static apr_status_t
board_stat(const board_t *b, struct stat *st)
{
    return stat(b->path, st) == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
}

static apr_status_t
board_attach(board_t *b, const struct stat *before)
{
    struct stat after;
    apr_status_t rv;

    rv = apr_pool_create(&b->mapped, b->pool);
    if (rv != APR_SUCCESS) {
        b->mapped = NULL;
        return rv;
    }
    rv = sb_attach_readonly(&b->sb, b->path, b->mapped);
    if (rv == APR_SUCCESS) {
        rv = board_stat(b, &after);
        if (rv == APR_SUCCESS && (after.st_dev != before->st_dev || after.st_ino != before->st_ino))
            rv = APR_EAGAIN;
    }
    if (rv != APR_SUCCESS) {
        board_detach(b);
        return rv;
    }
    b->dev = before->st_dev;
    b->ino = before->st_ino;
    b->epoch++;
    return APR_SUCCESS;
}

apr_status_t
board_check(board_t *b)
{
    struct stat st;
    apr_status_t rv = board_stat(b, &st);

    if (rv != APR_SUCCESS) {
        board_detach(b);
        return rv;
    }
    if (b->sb != NULL && st.st_dev == b->dev && st.st_ino == b->ino)
        return APR_SUCCESS;
    board_detach(b);
    return board_attach(b, &st);
}

sb_t *
board_sb(const board_t *b)
{
    return b->sb;
}

uint64_t
board_epoch(const board_t *b)
{
    return b->epoch;
}

const char *
board_path(const board_t *b)
{
    return b->path;
}

const char *
board_strerror(apr_status_t rv, char *buf, apr_size_t size)
{
    if (rv == APR_EGENERAL)
        apr_cpystrn(buf, "not an evhttpd scoreboard (or another version)", size);
    else if (rv == APR_EAGAIN)
        apr_cpystrn(buf, "replaced while attaching", size);
    else
        apr_strerror(rv, buf, size);
    return buf;
}
