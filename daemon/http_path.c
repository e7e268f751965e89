/*
 * http_path.c — request-target normalization and confined opening of files.
 *
 * Who: worker threads, once per static-file request. Owns nothing but one process-wide
 * atomic flag that remembers a kernel without openat2, set at most once (relaxed
 * ordering: a stale read only costs one more ENOSYS). No locks, no allocation.
 * Normalization decodes and removes dot segments in a single left-to-right pass into the
 * caller's buffer: decoded '/' is refused, so segment boundaries are exactly the raw
 * slashes and each segment can be judged right after it is decoded.
 * The kernel, not string checks, enforces the root for symlinks (RESOLVE_BENEATH),
 * which also closes the race between checking a path and opening it.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "http_path.h"

#define HTTP_PATH_BASE_FLAGS   (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
#define HTTP_PATH_EAGAIN_TRIES 3

static atomic_int http_path_no_openat2;

size_t
http_path_query_start(const char *target, size_t len)
{
    const char *q = memchr(target, '?', len);

    return q != NULL ? (size_t)(q - target) : len;
}

static int
http_path_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode the byte at target[*i] (raw or %XX) into *c and advance; 0 or a status. */
static int
http_path_byte(const char *target, size_t end, size_t *i, unsigned char *c)
{
    unsigned char r = (unsigned char)target[*i];
    int hi, lo;

    if (r != '%') {
        if (r < 0x21 || r == 0x7F || r == '#')
            return 400;
        *c = r;
        (*i)++;
        return 0;
    }
    if (end - *i < 3 || (hi = http_path_hex(target[*i + 1])) < 0 ||
        (lo = http_path_hex(target[*i + 2])) < 0)
        return 400;
    *c = (unsigned char)(hi << 4 | lo);
    *i += 3;
    if (*c == '/')
        return 404;
    if (*c < 0x20 || *c == 0x7F)
        return 400;
    return 0;
}

int
http_path_normalize(const char *target, size_t len, char *out, size_t outsize, size_t *outlen)
{
    size_t end = http_path_query_start(target, len);
    size_t i = 1, o = 1;

    if (end == 0 || target[0] != '/')
        return 400;
    if (outsize < 2)
        return 414;
    out[0] = '/';
    /* out[0..o) ends with '/' before each segment; the segment is decoded in place and
     * then kept (with its '/' when one follows), dropped, or made to drop its parent. */
    while (i < end) {
        size_t seg = o;
        int followed;

        while (i < end && target[i] != '/') {
            unsigned char c;
            int status = http_path_byte(target, end, &i, &c);

            if (status != 0)
                return status;
            if (o + 1 >= outsize)
                return 414;
            out[o++] = (char)c;
        }
        followed = i < end;
        i += followed;
        if (o == seg || (o - seg == 1 && out[seg] == '.')) {
            o = seg;
        } else if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.') {
            if (seg == 1)
                return 400;
            for (o = seg - 1; out[o - 1] != '/'; o--)
                ;
        } else if (followed) {
            if (o + 1 >= outsize)
                return 414;
            out[o++] = '/';
        }
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

/* Open one component `name` in `dfd`; intermediate ones must be real directories. */
static int
http_path_walk_step(int dfd, const char *name, int last, int flags, int *fd_out)
{
    struct stat st;
    int fd;

    if (last) {
        fd = openat(dfd, name, HTTP_PATH_BASE_FLAGS | O_NOFOLLOW | flags);
        if (fd < 0)
            return errno;
        *fd_out = fd;
        return 0;
    }
    fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno;
    if (fstat(fd, &st) != 0) {
        int err = errno;

        close(fd);
        return err;
    }
    if (!S_ISDIR(st.st_mode)) {
        close(fd);
        return S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
    }
    *fd_out = fd;
    return 0;
}

int
http_path_open_walk(int root_fd, const char *path, int flags, int *fd_out)
{
    char name[NAME_MAX + 1];
    const char *p = path;
    int dfd = root_fd;
    int err = 0;

    if ((flags & ~EV_HTTP_PATH_OPEN_FLAGS) != 0 || path[0] != '/')
        return EINVAL;
    while (*p == '/')
        p++;
    if (*p == '\0')
        return http_path_walk_step(root_fd, ".", 1, flags, fd_out);
    while (err == 0 && *p != '\0') {
        size_t n = strcspn(p, "/");
        const char *next = p + n;
        int fd = -1;

        while (*next == '/')
            next++;
        if (n > NAME_MAX) {
            err = ENAMETOOLONG;
            break;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        if (strcmp(name, "..") == 0) {
            err = EXDEV;
            break;
        }
        /* A trailing slash demands a directory, as it does for the kernel's lookup. */
        err = http_path_walk_step(dfd, name, *next == '\0',
                                  flags | (*next == '\0' && p[n] == '/' ? O_DIRECTORY : 0), &fd);
        if (dfd != root_fd)
            close(dfd);
        dfd = err == 0 ? fd : root_fd;
        p = next;
    }
    if (err == 0)
        *fd_out = dfd;
    else if (dfd != root_fd)
        close(dfd);
    return err;
}

int
http_path_open_beneath(int root_fd, const char *path, int flags, int *fd_out)
{
#ifdef SYS_openat2
    struct open_how how;
    long fd = -1;
    int err = 0;

    if ((flags & ~EV_HTTP_PATH_OPEN_FLAGS) != 0 || path[0] != '/')
        return EINVAL;
    if (!atomic_load_explicit(&http_path_no_openat2, memory_order_relaxed)) {
        memset(&how, 0, sizeof(how));
        how.flags = (uint64_t)(HTTP_PATH_BASE_FLAGS | flags);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        for (int tries = 0; tries < HTTP_PATH_EAGAIN_TRIES; tries++) {
            fd = syscall(SYS_openat2, root_fd, path[1] != '\0' ? path + 1 : ".", &how, sizeof(how));
            err = fd < 0 ? errno : 0;
            if (err != EAGAIN && err != EINTR)
                break;
        }
        if (err == 0) {
            *fd_out = (int)fd;
            return 0;
        }
        if (err == ENOSYS)
            atomic_store_explicit(&http_path_no_openat2, 1, memory_order_relaxed);
        else if (err != EPERM)
            return err;
    }
#endif
    return http_path_open_walk(root_fd, path, flags, fd_out);
}

int
http_path_errno_status(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        return 404;
    case EACCES:
    case EPERM:
    case EXDEV:
    case ELOOP:
    case ENXIO:
        return 403;
    case ENAMETOOLONG:
        return 414;
    default:
        return 500;
    }
}
