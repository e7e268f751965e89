/*
 * listen.c — binding the Listen addresses.
 *
 * Who: the parent process only, before forking. Owns the listening descriptors
 * (a cleanup on pconf closes them). Children poll them with EPOLLEXCLUSIVE so one
 * connection wakes one child.
 *
 * TCP_DEFER_ACCEPT lets accept() return only once the client has sent data, so a
 * freshly accepted connection can usually be read at once by the worker it is
 * handed to. IPV6_V6ONLY is set on IPv6 sockets so `Listen [::]:80` and
 * `Listen 0.0.0.0:80` can coexist; `Listen 80` binds both families.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <apr_strings.h>

#include "listen.h"

static apr_status_t
listen_cleanup(void *data)
{
    int *fd = data;

    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    return APR_SUCCESS;
}

/* Open one socket for `ai`; returns fd or -1 with errno and the failed call's name. */
static int
listen_one(const struct addrinfo *ai, int backlog, const char **what)
{
    int one = 1, defer = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);

    *what = "socket";
    if (fd < 0)
        return -1;
    *what = "setsockopt";
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        goto fail;
    if (ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
        goto fail;
    /* Best effort: without it accept still works, only a little less efficiently. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
    *what = "bind";
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        goto fail;
    *what = "listen";
    if (listen(fd, backlog) < 0)
        goto fail;
    return fd;
fail : {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}
}

int
listen_open(const ev_config_t *conf, int **fds, apr_pool_t *p, char *err, size_t errlen)
{
    apr_array_header_t *out = apr_array_make(p, conf->listens->nelts + 1, sizeof(int));
    int i;

    for (i = 0; i < conf->listens->nelts; i++) {
        const ev_listen_cfg_t *l = &APR_ARRAY_IDX(conf->listens, i, ev_listen_cfg_t);
        struct addrinfo hints, *res = NULL, *ai;
        char port[8];
        int rc;

        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (l->host ? AI_NUMERICHOST : 0);
        hints.ai_family = l->family == APR_INET    ? AF_INET
                          : l->family == APR_INET6 ? AF_INET6
                                                   : AF_UNSPEC;
        snprintf(port, sizeof(port), "%u", (unsigned)l->port);
        rc = getaddrinfo(l->host, port, &hints, &res);
        if (rc != 0) {
            snprintf(err, errlen, "%s: Listen %s: %s", l->where, l->spec, gai_strerror(rc));
            return EINVAL;
        }
        for (ai = res; ai; ai = ai->ai_next) {
            const char *what;
            int fd = listen_one(ai, conf->listen_backlog, &what);
            int *slot;

            if (fd < 0) {
                int e = errno;
                /* `Listen 80` on a host without IPv6 still serves IPv4. */
                if (l->host == NULL && ai->ai_family == AF_INET6 && e == EAFNOSUPPORT)
                    continue;
                snprintf(err, errlen, "%s: Listen %s: %s: %s", l->where, l->spec, what,
                         strerror(e));
                freeaddrinfo(res);
                return e;
            }
            slot = &APR_ARRAY_PUSH(out, int);
            *slot = fd;
        }
        freeaddrinfo(res);
    }
    APR_ARRAY_PUSH(out, int) = -1; /* terminator; the array no longer moves */
    for (i = 0; i < out->nelts - 1; i++)
        apr_pool_cleanup_register(p, &APR_ARRAY_IDX(out, i, int), listen_cleanup,
                                  apr_pool_cleanup_null);
    *fds = (int *)out->elts;
    return 0;
}

apr_port_t
listen_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}
