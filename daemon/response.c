/*
 * response.c — sending a segmented response on a non-blocking socket.
 *
 * Who: worker threads, one connection at a time; no shared state, no locks.
 * Memory segments are gathered into one writev (sendmsg with MSG_MORE when a file
 * segment follows, so the head does not leave alone in its own packet); file
 * segments use sendfile(2) from response_t.file_fd. On EAGAIN the position is kept
 * in the response so the next call resumes where this one stopped.
 *
 * A file segment with at most copy_max bytes left is read (pread) into the calling
 * thread's buffer and joins the gather, so a head and a mid-sized body leave in one
 * sendmsg: on loopback, sendfile's page-cache splicing costs more than copying 100
 * KiB (2.4-3.7 GB/s against 4.0-4.3 GB/s for the same file from memory, wrk -c50,
 * 100 KiB). The buffer belongs to the thread, not the response: what the socket did
 * not take is read again by whichever worker resumes, so nothing is held while a
 * response waits in write completion.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "response.h"

#define RESP_IOV_MAX 64

static _Thread_local char *response_copy_buf; /* copy_max bytes, made on first use */
static _Thread_local size_t response_copy_cap;

/* The calling thread's copy buffer of at least `size` bytes, or NULL. */
static char *
response_copy_buffer(size_t size)
{
    if (response_copy_cap < size) {
        char *b = realloc(response_copy_buf, size);
        if (b == NULL)
            return NULL;
        response_copy_buf = b;
        response_copy_cap = size;
    }
    return response_copy_buf;
}

void
response_thread_done(void)
{
    free(response_copy_buf);
    response_copy_buf = NULL;
    response_copy_cap = 0;
}

/* Read file bytes [off, off + len) into buf; 0 when the file no longer has them all
 * (sendfile then meets the end and the connection closes). */
static int
response_read(int fd, char *buf, size_t len, off_t off)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        done += (size_t)n;
    }
    return 1;
}

void
response_init(response_t *r)
{
    memset(r, 0, sizeof(*r));
    r->segs = r->inline_segs;
    r->cap = RESP_MAX_SEGS;
    r->file_fd = -1;
}

void
response_reset(response_t *r)
{
    if (r->file_fd >= 0 && !r->file_borrowed)
        close(r->file_fd);
    if (r->release != NULL)
        r->release(r->release_arg);
    response_init(r);
}

static int
response_grow(response_t *r, apr_pool_t *p)
{
    int cap = r->cap * 2;
    resp_seg_t *segs = apr_palloc(p, sizeof(*segs) * (size_t)cap);

    if (segs == NULL)
        return -1;
    memcpy(segs, r->segs, sizeof(*segs) * (size_t)r->nsegs);
    r->segs = segs;
    r->cap = cap;
    return 0;
}

int
response_add_mem(response_t *r, const char *buf, apr_off_t len, apr_pool_t *p)
{
    if (len <= 0)
        return 0;
    if (r->nsegs == r->cap && response_grow(r, p) < 0)
        return -1;
    r->segs[r->nsegs++] = (resp_seg_t){ .buf = buf, .off = 0, .len = len };
    return 0;
}

int
response_add_file(response_t *r, apr_off_t off, apr_off_t len, apr_pool_t *p)
{
    if (len <= 0)
        return 0;
    if (r->nsegs == r->cap && response_grow(r, p) < 0)
        return -1;
    r->segs[r->nsegs++] = (resp_seg_t){ .buf = NULL, .off = off, .len = len };
    return 0;
}

/* Advance past `n` sent bytes starting at segment r->cur. */
static void
response_advance(response_t *r, size_t n)
{
    r->sent += (apr_off_t)n;
    while (n > 0 && r->cur < r->nsegs) {
        apr_off_t left = r->segs[r->cur].len - r->cur_off;
        if ((apr_off_t)n < left) {
            r->cur_off += (apr_off_t)n;
            return;
        }
        n -= (size_t)left;
        r->cur++;
        r->cur_off = 0;
    }
}

static ssize_t response_send_file(response_t *r, int fd);

/* Send the run of memory segments starting at r->cur, with the small file segments
 * among them read into the thread's buffer. Returns bytes sent or -1. */
static ssize_t
response_send_mem(response_t *r, int fd)
{
    struct iovec iov[RESP_IOV_MAX];
    int n = 0, i, more = 0;
    struct msghdr msg;
    size_t copied = 0;
    char *buf = NULL;

    for (i = r->cur; i < r->nsegs && n < RESP_IOV_MAX; i++) {
        apr_off_t skip = i == r->cur ? r->cur_off : 0, left = r->segs[i].len - skip;

        if (r->segs[i].buf == NULL) {
            if (copied + (size_t)left > (size_t)r->copy_max ||
                (buf == NULL && (buf = response_copy_buffer((size_t)r->copy_max)) == NULL) ||
                !response_read(r->file_fd, buf + copied, (size_t)left,
                               (off_t)(r->segs[i].off + skip))) {
                more = 1;
                break;
            }
            iov[n].iov_base = buf + copied;
            iov[n].iov_len = (size_t)left;
            copied += (size_t)left;
            n++;
            continue;
        }
        iov[n].iov_base = (char *)r->segs[i].buf + skip;
        iov[n].iov_len = (size_t)left;
        n++;
    }
    if (n == 0) /* a file segment that could not be read whole: sendfile finds out why */
        return response_send_file(r, fd);
    if (i < r->nsegs)
        more = 1;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)n;
    return sendmsg(fd, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
}

static ssize_t
response_send_file(response_t *r, int fd)
{
    const resp_seg_t *s = &r->segs[r->cur];
    off_t off = (off_t)(s->off + r->cur_off);
    apr_off_t left = s->len - r->cur_off;
    size_t chunk = left > (apr_off_t)(1 << 30) ? (size_t)1 << 30 : (size_t)left;
    ssize_t n = sendfile(fd, r->file_fd, &off, chunk);

    if (n == 0) {
        /* The file shrank under us: the promised length can no longer be met. */
        errno = EPIPE;
        return -1;
    }
    return n;
}

resp_result_t
response_send(response_t *r, int fd)
{
    while (r->cur < r->nsegs) {
        const resp_seg_t *s = &r->segs[r->cur];
        ssize_t n = s->buf || s->len - r->cur_off <= r->copy_max ? response_send_mem(r, fd)
                                                                 : response_send_file(r, fd);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return RESP_AGAIN;
            return RESP_ERROR;
        }
        response_advance(r, (size_t)n);
    }
    return RESP_DONE;
}

apr_off_t
response_body_bytes(const response_t *r)
{
    apr_off_t b = r->sent - r->head_len;
    return b > 0 ? b : 0;
}
