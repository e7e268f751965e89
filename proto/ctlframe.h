/*
 * ctlframe.h — framing of control messages on the Unix control socket: a 4-byte
 * big-endian length, then that many bytes of one protobuf message (proto/evctl.proto).
 *
 * A library: no logging, no exits; used by evhttpd's control server and by evctl.
 * The reader is incremental and works on non-blocking sockets, so a slow or silent
 * peer never blocks the caller.
 */
#ifndef EV_CTLFRAME_H
#define EV_CTLFRAME_H

#include <stddef.h>
#include <stdint.h>

#define CTLFRAME_PROTOCOL_VERSION 1
#define CTLFRAME_MAX_REQUEST      (64 * 1024)       /* larger requests are refused */
#define CTLFRAME_MAX_REPLY        (4 * 1024 * 1024) /* a status of 20,000 children fits */

typedef struct {
    uint8_t hdr[4];   /* the length prefix as received */
    size_t hdr_have;  /* bytes of hdr received */
    uint8_t *body;    /* the message, malloc'd once the length is known */
    size_t body_len;  /* its announced length */
    size_t body_have; /* bytes of it received */
    size_t max;       /* the largest length accepted */
} ctlframe_reader_t;

/* Results of ctlframe_read. */
#define CTLFRAME_DONE   1    /* a whole message is in reader->body[0..body_len) */
#define CTLFRAME_AGAIN  0    /* the socket would block: call again when readable */
#define CTLFRAME_EOF    (-1) /* the peer closed (cleanly between messages, or mid-message) */
#define CTLFRAME_TOOBIG (-2) /* the announced length is 0 or above max */
#define CTLFRAME_ERROR  (-3) /* read error (errno set) or out of memory */

/* ctlframe_reader_init: an empty reader, in the caller's storage, accepting messages of
 * 1..`max` bytes. Cannot fail. A reader belongs to one connection and one thread. */
void ctlframe_reader_init(ctlframe_reader_t *r, size_t max);

/* ctlframe_reader_free: release the body buffer and forget any partial frame. The
 * reader keeps its `max` and is ready for the next frame (no need to init again). */
void ctlframe_reader_free(ctlframe_reader_t *r);

/* ctlframe_reader_take: after CTLFRAME_DONE, hand the body (malloc'd, *len bytes; the
 * caller frees it) to the caller and make the reader ready for the next frame.
 * Returns NULL, leaving the reader untouched, when no whole frame is held. */
uint8_t *ctlframe_reader_take(ctlframe_reader_t *r, size_t *len);

/* ctlframe_read: read what is available from `fd` (blocking or not) towards one frame.
 * Never reads past the frame, so frames sent back to back are read one at a time.
 * Returns one of the CTLFRAME_* results:
 *   DONE   the frame is whole; calling again returns DONE without reading, until the
 *          body is taken (ctlframe_reader_take) or dropped (ctlframe_reader_free);
 *   AGAIN  only on a non-blocking fd; the partial frame is kept;
 *   EOF    the peer closed; r->hdr_have > 0 tells that it did so mid-frame;
 *   TOOBIG the announced length (in r->body_len) is 0 or above max; it stays TOOBIG,
 *          since the stream has lost its framing: close the connection;
 *   ERROR  errno tells (ENOMEM for the body buffer, or read()'s error).
 * EINTR is retried. */
int ctlframe_read(ctlframe_reader_t *r, int fd);

/* ctlframe_encode: prefix `len` bytes of `msg` with their length into a malloc'd buffer
 * of *out_len bytes (caller frees). NULL with errno set: EINVAL for len 0 (no reader
 * accepts an empty frame, and a packed Request or Reply is never empty since it carries
 * its version), EMSGSIZE for len > UINT32_MAX, ENOMEM. It does not apply the
 * CTLFRAME_MAX_* limits: the sender knows which one its peer enforces. Thread-safe. */
uint8_t *ctlframe_encode(const uint8_t *msg, size_t len, size_t *out_len);

/* ctlframe_write_all: write buf[0..len) to a blocking fd, retrying on EINTR and short
 * writes. Returns 0, or -1 with errno set (EAGAIN if the fd is non-blocking after all,
 * EPIPE if the peer has gone: the caller ignores or blocks SIGPIPE). (The daemon writes
 * replies non-blocking on its own.) */
int ctlframe_write_all(int fd, const uint8_t *buf, size_t len);

#endif
