/*
 * client.h — one request/reply exchange with the daemon over its Unix control socket,
 * bounded by a deadline.
 *
 * A library for evctl: it prints nothing and never exits; it says which step failed
 * and with which errno, and evctl decides the message and the exit code.
 * Single-threaded use; it keeps no state between calls.
 */
#ifndef EV_CLIENT_H
#define EV_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ctlframe.h"

/* Results of client_exchange. */
typedef enum {
    CLIENT_OK = 0,  /* the reply frame is in the reader */
    CLIENT_PATH,    /* the socket path does not fit in sockaddr_un (err: ENAMETOOLONG) */
    CLIENT_SOCKET,  /* socket() failed (err) */
    CLIENT_CONNECT, /* connect() failed (err) */
    CLIENT_WRITE,   /* sending the request failed (err; EPIPE: the daemon closed) */
    CLIENT_READ,    /* reading the reply failed (err) */
    CLIENT_EOF,     /* the daemon closed before the whole reply arrived */
    CLIENT_TOOBIG,  /* the reply announced a length of 0 or above CTLFRAME_MAX_REPLY */
    CLIENT_TIMEOUT  /* the deadline passed (in the step named by *step) */
} client_result_t;

/*
 * client_exchange: connect to the stream socket at `path`, send `frame` (already
 * framed by ctlframe_encode), and read one reply frame into `r` (initialised by the
 * caller with the largest reply it accepts; on CLIENT_OK the caller takes or frees the
 * body). `timeout_ms` bounds the whole exchange, connect included; 0 means no limit.
 * Returns CLIENT_OK or the failed step, with *err set to the errno that explains it
 * (ETIMEDOUT for CLIENT_TIMEOUT, 0 where none applies) and *step to "connect", "write"
 * or "read" (static strings). The socket is opened close-on-exec and closed before
 * returning. SIGPIPE is never raised.
 */
client_result_t client_exchange(const char *path, const uint8_t *frame, size_t frame_len,
                                long timeout_ms, ctlframe_reader_t *r, int *err, const char **step);

#endif
