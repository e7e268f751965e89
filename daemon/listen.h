/*
 * listen.h — the listening sockets.
 *
 * Who: the parent, at start-up (before any child exists). The sockets are
 * non-blocking, close-on-exec and inherited by every child across fork.
 */
#ifndef EV_LISTEN_H
#define EV_LISTEN_H

#include <apr_pools.h>
#include "config.h"

/*
 * listen_open: bind and listen on every Listen of `conf`, in order (`Listen 80`
 * binds IPv4 and IPv6: two descriptors). On success *fds (allocated from p, closed
 * by a cleanup on p) holds the descriptors, terminated by -1. On failure returns the errno of the
 * failing call and writes "file:line: Listen ADDR: bind: Address already in use"-style text to err.
 */
int listen_open(const ev_config_t *conf, int **fds, apr_pool_t *p, char *err, size_t errlen);

/* listen_port: the local port of listening socket fd (0 if unknown). */
apr_port_t listen_port(int fd);

#endif
