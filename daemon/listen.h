/*
 * listen.h — the listening sockets, kept by the parent across generations.
 *
 * Who: the parent process only. A graceful restart applies the new configuration's
 * Listen directives to the set: an address that stays keeps its socket (so not one
 * connection is refused while generations change), new addresses are bound, and
 * sockets no generation uses any more are closed once the new generation has them.
 * Children inherit the descriptors across fork; they are non-blocking and
 * close-on-exec.
 *
 * Listener buckets (ListenCoresBucketsRatio, Apache's design): with B > 1 buckets every
 * address gets B sockets bound with SO_REUSEPORT, and the kernel spreads new
 * connections over them by a hash of the addresses; each child polls only the sockets
 * of its bucket, so children of different buckets never contend for one accept queue.
 * B is fixed by the first apply: sockets without SO_REUSEPORT cannot be joined by
 * sockets with it, so changing B needs a full restart.
 *
 * TCP_DEFER_ACCEPT lets accept() return only once the client has sent data, so a
 * freshly accepted connection can usually be read at once by the worker it is handed
 * to. IPV6_V6ONLY is set on IPv6 sockets so `Listen [::]:80` and `Listen 0.0.0.0:80`
 * can coexist; `Listen 80` binds both families.
 */
#ifndef EV_LISTEN_H
#define EV_LISTEN_H

#include <apr_network_io.h>
#include <apr_pools.h>
#include "config.h"

typedef struct listen_set_t listen_set_t;

/* What a child needs to know of each listening socket. */
typedef struct {
    apr_port_t port; /* the local port (for %p) */
    int proxy;       /* connections start with a PROXY protocol header (Listen ... proxy) */
    int bucket;      /* its listener bucket, 0..buckets-1 (ListenCoresBucketsRatio) */
    int listen;      /* the index of its Listen in the configuration */
} listen_info_t;

/* listen_set_create: an empty set living in `p` (a process-lifetime pool, whose
 * cleanup closes every socket). */
listen_set_t *listen_set_create(apr_pool_t *p);

/*
 * listen_set_apply: the sockets for every Listen of `conf`, in order (`Listen 80`
 * gives two: IPv4 and IPv6), `buckets` sockets each (see above; 1 for none), reusing
 * the set's socket for an address and bucket it already has and binding the others.
 * `buckets` must equal listen_set_buckets() once that is non-zero. *fds and *info (allocated from
 * `gp`, the generation's pool) get *n entries; *fds is also terminated by -1. Reused and new
 * sockets are marked in use; call listen_set_prune after the previous generation no longer needs
 * the rest. On failure returns the errno of the failing call, writes "file:line: Listen ADDR: bind:
 * Address already in use"-style text to err, and leaves in use what was.
 */
int listen_set_apply(listen_set_t *ls, const ev_config_t *conf, int buckets, int **fds,
                     listen_info_t **info, int *n, apr_pool_t *gp, char *err, size_t errlen);

/* listen_set_buckets: the bucket count of the first successful apply, 0 before it. */
int listen_set_buckets(const listen_set_t *ls);

/* listen_set_has_inherited: whether systemd passed any socket (then there is one socket
 * per address and no buckets). */
int listen_set_has_inherited(const listen_set_t *ls);

/* listen_set_inherit: add a socket systemd passed (socket activation); it is matched
 * to Listen directives by address, and a dual-stack IPv6 wildcard socket also stands
 * for the IPv4 wildcard of its port. Never closed by the set. Returns 0, or EINVAL
 * with text in err when fd is not a listening TCP socket. */
int listen_set_inherit(listen_set_t *ls, int fd, char *err, size_t errlen);

/* listen_set_unused_inherited: how many inherited sockets no Listen matched in the last
 * apply; their ports are listed in buf. */
int listen_set_unused_inherited(const listen_set_t *ls, char *buf, size_t buflen);

/* listen_port_of: the port of an IPv4 or IPv6 address (0 for others). */
apr_port_t listen_port_of(const struct sockaddr *sa);

/* listen_set_commit: the sockets of the last successful apply are the ones in use;
 * every other socket of the set is closed (the parent's copy: children that still
 * drain keep theirs). */
void listen_set_commit(listen_set_t *ls);

#endif
