/*
 * listen.c — binding the Listen addresses and keeping them across generations.
 *
 * Who: the parent process only (design notes in listen.h). The set is a small array:
 * restarts are rare and Listen lines few, so a linear search by address is the
 * simplest thing that is fast enough.
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
#include <apr_tables.h>

#include "listen.h"

typedef struct {
    struct sockaddr_storage addr; /* the bound address (the key) */
    socklen_t addrlen;
    int fd;          /* the listening socket, -1 once closed */
    apr_port_t port; /* its port */
    int wanted;      /* used by the last apply */
    int inherited;   /* handed over by systemd: never closed by us */
    int dualstack;   /* an IPv6 wildcard socket that also takes IPv4 */
    int bucket;      /* listener bucket (the key with addr) */
} listen_entry_t;

struct listen_set_t {
    apr_array_header_t *entries; /* listen_entry_t */
    apr_pool_t *pool;
    int buckets; /* fixed by the first successful apply; 0 before */
};

static apr_status_t
listen_set_cleanup(void *data)
{
    listen_set_t *ls = data;
    int i;

    for (i = 0; i < ls->entries->nelts; i++) {
        listen_entry_t *e = &APR_ARRAY_IDX(ls->entries, i, listen_entry_t);
        if (e->fd >= 0)
            close(e->fd);
        e->fd = -1;
    }
    return APR_SUCCESS;
}

listen_set_t *
listen_set_create(apr_pool_t *p)
{
    listen_set_t *ls = apr_pcalloc(p, sizeof(*ls));

    ls->pool = p;
    ls->entries = apr_array_make(p, 4, sizeof(listen_entry_t));
    apr_pool_cleanup_register(p, ls, listen_set_cleanup, apr_pool_cleanup_null);
    return ls;
}

/* Open one socket for `ai`; returns fd or -1 with errno and the failed call's name. */
static int
listen_one(const struct addrinfo *ai, int backlog, int reuseport, const char **what)
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
    /* Only for buckets: on a lone socket it would let a second server started by
     * mistake share the port silently instead of failing with EADDRINUSE. */
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
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

apr_port_t
listen_port_of(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

static int
listen_same(const listen_entry_t *e, const struct sockaddr *sa)
{
    if (e->addr.ss_family != sa->sa_family)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&e->addr;
        const struct sockaddr_in *b = (const struct sockaddr_in *)sa;
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&e->addr;
        const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)sa;
        return a->sin6_port == b->sin6_port &&
               memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
    }
    return 0;
}

/* The set's socket for an address: the same address, or for an IPv4 wildcard a
 * dual-stack IPv6 wildcard socket on that port (what systemd makes of ListenStream=80). */
static listen_entry_t *
listen_find(listen_set_t *ls, const struct addrinfo *ai, int bucket)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)ai->ai_addr;
    int i;

    for (i = 0; i < ls->entries->nelts; i++) {
        listen_entry_t *e = &APR_ARRAY_IDX(ls->entries, i, listen_entry_t);
        if (e->fd >= 0 && e->bucket == bucket && listen_same(e, ai->ai_addr))
            return e;
    }
    if (bucket != 0)
        return NULL;
    if (ai->ai_family != AF_INET || in->sin_addr.s_addr != htonl(INADDR_ANY))
        return NULL;
    for (i = 0; i < ls->entries->nelts; i++) {
        listen_entry_t *e = &APR_ARRAY_IDX(ls->entries, i, listen_entry_t);
        if (e->fd >= 0 && e->dualstack && e->port == ntohs(in->sin_port))
            return e;
    }
    return NULL;
}

int
listen_set_inherit(listen_set_t *ls, int fd, char *err, size_t errlen)
{
    listen_entry_t e;
    socklen_t len = sizeof(e.addr);
    int v6only = 1, type = 0, listening = 0;
    socklen_t olen = sizeof(type);

    memset(&e, 0, sizeof(e));
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 || type != SOCK_STREAM ||
        (olen = sizeof(listening), getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen)) <
            0 ||
        !listening || getsockname(fd, (struct sockaddr *)&e.addr, &len) < 0 ||
        (e.addr.ss_family != AF_INET && e.addr.ss_family != AF_INET6)) {
        snprintf(err, errlen, "descriptor %d from systemd is not a listening TCP socket", fd);
        return EINVAL;
    }
    e.addrlen = len;
    e.fd = fd;
    e.port = listen_port_of((struct sockaddr *)&e.addr);
    e.inherited = 1;
    if (e.addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&e.addr;
        olen = sizeof(v6only);
        e.dualstack = IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) &&
                      getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen) == 0 && !v6only;
    }
    /* Ours to poll from several children: non-blocking, and not leaked into exec. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    APR_ARRAY_PUSH(ls->entries, listen_entry_t) = e;
    return 0;
}

int
listen_set_unused_inherited(const listen_set_t *ls, char *buf, size_t buflen)
{
    int i, n = 0;
    size_t used = 0;

    buf[0] = '\0';
    for (i = 0; i < ls->entries->nelts; i++) {
        const listen_entry_t *e = &APR_ARRAY_IDX(ls->entries, i, listen_entry_t);
        if (e->inherited && !e->wanted && used < buflen) {
            used += (size_t)snprintf(buf + used, buflen - used, "%sport %u", n ? ", " : "",
                                     (unsigned)e->port);
            n++;
        }
    }
    return n;
}

/* The socket for one resolved address and bucket: the set's, or a new one. */
static int
listen_get(listen_set_t *ls, const ev_config_t *conf, const struct addrinfo *ai, int bucket,
           int buckets, const char **what)
{
    listen_entry_t *e = listen_find(ls, ai, bucket), ne;

    if (e) {
        /* ListenBacklog may have changed: listen() again adjusts it in place. */
        (void)listen(e->fd, conf->listen_backlog);
        e->wanted = 1;
        return e->fd;
    }
    memset(&ne, 0, sizeof(ne));
    ne.fd = listen_one(ai, conf->listen_backlog, buckets > 1, what);
    if (ne.fd < 0)
        return -1;
    memcpy(&ne.addr, ai->ai_addr, ai->ai_addrlen);
    ne.addrlen = ai->ai_addrlen;
    ne.port = listen_port_of(ai->ai_addr);
    ne.bucket = bucket;
    ne.wanted = 1;
    APR_ARRAY_PUSH(ls->entries, listen_entry_t) = ne;
    return ne.fd;
}

/* Add the socket for one resolved address of Listen `l`, bucket b, to out/outp;
 * returns 0 or an errno with the message in err. */
static int
listen_add(listen_set_t *ls, const ev_config_t *conf, int li, const struct addrinfo *ai, int b,
           int buckets, apr_array_header_t *out, apr_array_header_t *outp, char *err, size_t errlen)
{
    const ev_listen_cfg_t *l = &APR_ARRAY_IDX(conf->listens, li, ev_listen_cfg_t);
    const char *what = "socket";
    int fd = listen_get(ls, conf, ai, b, buckets, &what), j;

    if (fd < 0) {
        int e = errno;
        /* `Listen 80` on a host without IPv6 still serves IPv4. */
        if (l->host == NULL && ai->ai_family == AF_INET6 && e == EAFNOSUPPORT)
            return 0;
        snprintf(err, errlen, "%s: Listen %s: %s: %s", l->where, l->spec, what, strerror(e));
        return e;
    }
    /* `Listen 80` on a dual-stack socket from systemd: one socket, once */
    for (j = 0; j < out->nelts; j++)
        if (APR_ARRAY_IDX(out, j, int) == fd)
            return 0;
    APR_ARRAY_PUSH(out, int) = fd;
    APR_ARRAY_PUSH(outp, listen_info_t) = (listen_info_t){
        .port = listen_port_of(ai->ai_addr), .proxy = l->proxy, .bucket = b, .listen = li
    };
    return 0;
}

int
listen_set_apply(listen_set_t *ls, const ev_config_t *conf, int buckets, int **fds,
                 listen_info_t **info, int *n, apr_pool_t *gp, char *err, size_t errlen)
{
    apr_array_header_t *out = apr_array_make(gp, conf->listens->nelts + 1, sizeof(int));
    apr_array_header_t *outp = apr_array_make(gp, conf->listens->nelts + 1, sizeof(listen_info_t));
    int i;

    for (i = 0; i < ls->entries->nelts; i++)
        APR_ARRAY_IDX(ls->entries, i, listen_entry_t).wanted = 0;
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
            int b;

            for (b = 0; b < buckets; b++) {
                int e = listen_add(ls, conf, i, ai, b, buckets, out, outp, err, errlen);

                if (e != 0) {
                    freeaddrinfo(res);
                    return e;
                }
            }
        }
        freeaddrinfo(res);
    }
    *n = out->nelts;
    APR_ARRAY_PUSH(out, int) = -1;
    *fds = (int *)out->elts;
    *info = (listen_info_t *)outp->elts;
    ls->buckets = buckets;
    return 0;
}

int
listen_set_buckets(const listen_set_t *ls)
{
    return ls->buckets;
}

int
listen_set_has_inherited(const listen_set_t *ls)
{
    int i;

    for (i = 0; i < ls->entries->nelts; i++)
        if (APR_ARRAY_IDX(ls->entries, i, listen_entry_t).inherited)
            return 1;
    return 0;
}

void
listen_set_commit(listen_set_t *ls)
{
    int i;

    for (i = 0; i < ls->entries->nelts; i++) {
        listen_entry_t *e = &APR_ARRAY_IDX(ls->entries, i, listen_entry_t);
        /* systemd's sockets stay open: it owns them, and may hand them over again. */
        if (!e->wanted && e->fd >= 0 && !e->inherited) {
            close(e->fd);
            e->fd = -1;
        }
    }
}
