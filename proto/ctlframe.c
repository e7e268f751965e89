/*
 * ctlframe.c — length-prefixed framing of control messages (see ctlframe.h).
 *
 * Who runs it: the parent's control server (its own event loop, non-blocking sockets)
 * and evctl (one blocking or polled socket). No global state: each reader belongs to
 * one connection and one thread, so nothing here locks.
 *
 * Why it reads the header and the body with separate, exactly sized read() calls:
 * a frame must never swallow the first bytes of the next one, and control traffic is
 * a handful of messages per connection, so the extra system call costs nothing.
 * The body buffer is allocated only once the announced length has been checked
 * against the reader's maximum, so a peer cannot make us allocate more than `max`.
 */
#include "ctlframe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTLFRAME_HDR_LEN 4

void
ctlframe_reader_init(ctlframe_reader_t *r, size_t max)
{
    memset(r, 0, sizeof(*r));
    r->max = max;
}

void
ctlframe_reader_free(ctlframe_reader_t *r)
{
    free(r->body);
    r->body = NULL;
    r->hdr_have = 0;
    r->body_len = 0;
    r->body_have = 0;
}

uint8_t *
ctlframe_reader_take(ctlframe_reader_t *r, size_t *len)
{
    uint8_t *body = r->body;

    if (body == NULL || r->body_have != r->body_len)
        return NULL;
    *len = r->body_len;
    r->body = NULL;
    ctlframe_reader_free(r);
    return body;
}

/* Read up to `want` bytes into `dst`, adding the count to *have. Returns CTLFRAME_DONE
 * when bytes arrived, else CTLFRAME_AGAIN, CTLFRAME_EOF or CTLFRAME_ERROR; retries
 * EINTR so a signal never looks like a short frame. */
static int
ctlframe_read_some(int fd, uint8_t *dst, size_t want, size_t *have)
{
    for (;;) {
        ssize_t n = read(fd, dst, want);

        if (n > 0) {
            *have += (size_t)n;
            return CTLFRAME_DONE;
        }
        if (n == 0)
            return CTLFRAME_EOF;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return CTLFRAME_AGAIN;
        return CTLFRAME_ERROR;
    }
}

static uint32_t
ctlframe_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The header is complete: validate the length and allocate the body. Returns 0, or
 * CTLFRAME_TOOBIG or CTLFRAME_ERROR. */
static int
ctlframe_start_body(ctlframe_reader_t *r)
{
    uint32_t len = ctlframe_get_be32(r->hdr);

    r->body_len = len;
    if (len == 0 || len > r->max)
        return CTLFRAME_TOOBIG;
    r->body = malloc(len);
    if (r->body == NULL) {
        errno = ENOMEM;
        return CTLFRAME_ERROR;
    }
    return 0;
}

int
ctlframe_read(ctlframe_reader_t *r, int fd)
{
    int rc;

    while (r->hdr_have < CTLFRAME_HDR_LEN) {
        rc = ctlframe_read_some(fd, r->hdr + r->hdr_have, CTLFRAME_HDR_LEN - r->hdr_have,
                                &r->hdr_have);
        if (rc != CTLFRAME_DONE)
            return rc;
        if (r->hdr_have == CTLFRAME_HDR_LEN) {
            rc = ctlframe_start_body(r);
            if (rc != 0)
                return rc;
        }
    }
    /* A refused length stays refused: the stream has lost its framing. */
    if (r->body == NULL)
        return CTLFRAME_TOOBIG;
    while (r->body_have < r->body_len) {
        rc = ctlframe_read_some(fd, r->body + r->body_have, r->body_len - r->body_have,
                                &r->body_have);
        if (rc != CTLFRAME_DONE)
            return rc;
    }
    return CTLFRAME_DONE;
}

uint8_t *
ctlframe_encode(const uint8_t *msg, size_t len, size_t *out_len)
{
    uint8_t *buf;

    if (len == 0) {
        errno = EINVAL;
        return NULL;
    }
    if (len > UINT32_MAX) {
        errno = EMSGSIZE;
        return NULL;
    }
    buf = malloc(len + CTLFRAME_HDR_LEN);
    if (buf == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    buf[0] = (uint8_t)(len >> 24);
    buf[1] = (uint8_t)(len >> 16);
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    memcpy(buf + CTLFRAME_HDR_LEN, msg, len);
    *out_len = len + CTLFRAME_HDR_LEN;
    return buf;
}

int
ctlframe_write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            /* write() promises progress for len > 0; never spin if it does not */
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}
