/*
 * ctl_server.h — the parent's control socket: evctl's commands arrive here.
 *
 * Who: the parent process, from its single-threaded loop. The socket is a Unix stream
 * socket at ControlSocket (mode 0660, group ControlGroup); every client is
 * non-blocking, has a read deadline and a bounded request size, so a slow, silent or
 * hostile client never blocks the parent. Peers are checked with SO_PEERCRED and
 * SO_PEERGROUPS (no NSS lookups here): root, the parent's own uid and members of
 * ControlGroup may act; the children's User never.
 */
#ifndef EV_CTL_SERVER_H
#define EV_CTL_SERVER_H

#include <poll.h>
#include <sys/types.h>

#include <apr_pools.h>
#include <apr_time.h>

#include "evctl.pb-c.h"

typedef struct ctl_server_t ctl_server_t;
typedef struct ctl_client_t ctl_client_t;

/*
 * A handler answers one request: it fills `reply` (allocated from `p`, which lives
 * until the reply is sent) and returns 0, or returns 1 to answer later with
 * ctl_server_reply (the client then waits; it is dropped if it disconnects first, in
 * which case on_gone is called with it).
 */
typedef int (*ctl_handler_fn)(void *baton, ctl_client_t *client, const Evhttpd__Ctl__Request *req,
                              Evhttpd__Ctl__Reply *reply, apr_pool_t *p);
typedef void (*ctl_gone_fn)(void *baton, ctl_client_t *client);

/*
 * ctl_server_open: bind `path` (a stale socket left there is replaced; anything else
 * at the path is an error), mode 0660, group `gid` (or unchanged when (gid_t)-1), and
 * listen. `allow_gid` is ControlGroup's gid or (gid_t)-1; `deny_uid` the children's
 * uid or (uid_t)-1. Lives as long as `p`. Returns APR_SUCCESS, or the failing call's
 * status with text in err.
 */
apr_status_t ctl_server_open(ctl_server_t **out, const char *path, gid_t allow_gid, uid_t deny_uid,
                             ctl_handler_fn handler, ctl_gone_fn gone, void *baton, apr_pool_t *p,
                             char *err, size_t errlen);

/* ctl_server_pollfds: append the descriptors to poll to fds (room for `max`); returns
 * how many were added. */
int ctl_server_pollfds(ctl_server_t *s, struct pollfd *fds, int max);

/* ctl_server_dispatch: act on what poll returned for the entries ctl_server_pollfds
 * added (fds[0..n)), and on expired read deadlines. */
void ctl_server_dispatch(ctl_server_t *s, const struct pollfd *fds, int n);

/* ctl_server_wait_ms: how long the caller's poll may sleep before a deadline here. */
int ctl_server_wait_ms(const ctl_server_t *s, int cap_ms);

/* ctl_server_reply: answer a client a handler deferred. `reply` is packed at once. */
void ctl_server_reply(ctl_server_t *s, ctl_client_t *c, const Evhttpd__Ctl__Reply *reply);

/* ctl_server_client_pool: the pool of a deferred client's request (for its reply). */
apr_pool_t *ctl_server_client_pool(ctl_client_t *c);

/* ctl_server_forget: in a freshly forked child, close every descriptor of the server
 * without touching the socket file. */
void ctl_server_forget(ctl_server_t *s);

/* ctl_server_close: stop listening and remove the socket file (parent exit). */
void ctl_server_close(ctl_server_t *s);

#endif
