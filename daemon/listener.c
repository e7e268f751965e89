/*
 * listener.c — the listener thread of a child: accepts connections and watches
 * every parked one.
 *
 * Who: exactly one thread per child. It owns the epoll set's wait side, the timeout
 * queues (read, write completion, lingering close, PROXY header, and one keep-alive
 * queue per distinct KeepAliveTimeout) and every connection parked in them. Workers
 * re-arm sockets in epoll themselves and hand the connection over through
 * child->parked (a lock-free MPSC stack) pushed BEFORE the re-arm; the listener drains
 * that stack after each epoll_wait and before looking at the events, so a connection
 * whose event it sees is always in its queues already. It never closes a connection
 * while draining: an event for it may sit in the batch.
 *
 * epoll is used directly rather than through apr_pollset: EPOLLONESHOT lets a worker
 * re-arm a connection with one EPOLL_CTL_MOD (APR's level-triggered pollset needs a
 * remove and an add, each under its lock), and EPOLLEXCLUSIVE on the shared listening
 * sockets wakes one child per connection instead of all of them.
 *
 * Accepting: an idle worker is reserved (fdqueue_try_reserve) before each accept, and
 * accepting pauses (the listening sockets leave epoll) while no worker is idle or while
 * connections exceed ThreadsPerChild + AsyncRequestWorkerFactor x idle workers. When the
 * limit blocks new clients, the oldest idle keep-alive connections are closed first.
 * Timeout queues are FIFO with one timeout each, so expiry costs O(expired) plus one
 * look at each queue's head. A connection between requests waits in the keep-alive
 * queue of the site that answered its last request (Apache's event MPM does the same
 * per server): sites sharing a KeepAliveTimeout share the queue, so each queue keeps
 * a single timeout and stays ordered without a sort or a heap.
 *
 * PROXY protocol (`Listen ... proxy`): the listener reads the header itself, into the
 * connection's context, before any worker sees the connection, so a load balancer
 * that is slow to send it (or a client that never does) holds no worker. A peer
 * outside ProxyProtocolTrusted, a malformed header or none within ProxyProtocolTimeout
 * closes the connection; the log names the socket's peer, never an address the
 * header claimed. Bytes that followed the header stay buffered for the worker.
 *
 * Shutdown: child->stopping. Graceful: stop accepting, give idle keep-alive connections
 * a short grace (listener_drain_keepalive), serve the rest until none is left (or
 * GracefulShutdownTimeout). Now: close everything
 * parked at once. Either way the queue is terminated on the way out.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <apr_time.h>

#include <arpa/inet.h>

#include "listener.h"
#include "log.h"
#include "proxy_proto.h"
#include "reqlog.h"
#include "status_format.h"

/* Q_KEEPALIVE + i is the keep-alive queue of ev_config_t.keepalive_timeouts[i]. */
enum { Q_READ = 0, Q_WRITE, Q_LINGER, Q_PROXY, Q_KEEPALIVE };

#define LISTENER_EVENTS       256
#define LISTENER_MAX_WAIT_MS  250 /* housekeeping granularity */
#define LINGER_TIMEOUT        apr_time_from_sec(2)
#define KEEPALIVE_DRAIN_GRACE apr_time_from_msec(500) /* see listener_drain_keepalive */
#define ACCEPT_BATCH          64
#define ACCEPT_BACKOFF        apr_time_from_msec(200) /* after EMFILE and friends */
#define QUEUE_STALL           apr_time_from_msec(5)   /* see fdqueue_nudge */
#define TAG_WAKE              1u                      /* epoll data of the eventfd */
#define TAG_LISTEN(i)         ((((uint64_t)(i) + 1) << 1) | 1u)

/* A scoreboard gauge and the entries of the queues feeding it (the keep-alive queues
 * share one). */
typedef struct {
    long count;           /* entries in its queues */
    _Atomic int64_t *shm; /* the scoreboard field mirroring count */
} timeq_gauge_t;

typedef struct {
    conn_t *head, *tail;         /* oldest first */
    apr_interval_time_t timeout; /* how long an entry may wait */
    timeq_gauge_t *gauge;        /* the gauge it counts in, or NULL */
} timeq_t;

typedef struct {
    child_t *c;
    timeq_t *q;                 /* Q_KEEPALIVE + the keep-alive queues (listener_run) */
    int nq;                     /* entries in q */
    timeq_gauge_t writing;      /* Q_WRITE's */
    timeq_gauge_t keepalive;    /* every keep-alive queue's: count 0 means all are empty */
    timeq_gauge_t closing;      /* Q_LINGER's */
    int accepting;              /* listening sockets are in epoll */
    apr_time_t backoff_until;   /* no accepting before this (descriptor exhaustion) */
    log_ratelimit_t accept_log; /* accept errors: one line a second */
    log_ratelimit_t proxy_log;  /* refused PROXY headers: one line a second */
    unsigned long accepted;     /* connections accepted by this child */
    apr_time_t stop_began;      /* when stopping was first seen, 0 before */
    int shed_wanted;            /* keep-alive connections to close once the batch is done */
    int32_t pid;                /* getpid(), for the scoreboard; not a vDSO call */
    apr_time_t sibling_checked; /* when listener_sibling_has_idle last read the scoreboard */
    int sibling_idle;           /* what it found */
} listener_t;

static void
timeq_append(listener_t *l, int qi, conn_t *c, apr_time_t now)
{
    timeq_t *q = &l->q[qi];

    c->queue = qi;
    c->expiry = now + q->timeout;
    c->next = NULL;
    c->prev = q->tail;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    if (q->gauge)
        atomic_store_explicit(q->gauge->shm, ++q->gauge->count, memory_order_relaxed);
}

static void
timeq_remove(listener_t *l, conn_t *c)
{
    timeq_t *q;

    if (c->queue < 0)
        return;
    q = &l->q[c->queue];
    if (c->prev)
        c->prev->next = c->next;
    else
        q->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        q->tail = c->prev;
    c->prev = c->next = NULL;
    c->queue = -1;
    if (q->gauge)
        atomic_store_explicit(q->gauge->shm, --q->gauge->count, memory_order_relaxed);
}

static int
listener_queue_of(const conn_t *c)
{
    switch (c->state) {
    case CONN_READ:
        return Q_READ;
    case CONN_WRITE:
        return Q_WRITE;
    case CONN_KEEPALIVE:
        return Q_KEEPALIVE + c->keepalive_queue;
    case CONN_PROXY:
        return Q_PROXY;
    default:
        return Q_LINGER;
    }
}

void
listener_park(conn_t *c)
{
    int epfd = c->child->epfd, fd = c->fd, rc;
    int op = c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    /* No EPOLLRDHUP: a client that half-closed after its request would make a parked
     * write fire at once, over and over; a FIN shows up as readable EOF anyway. */
    struct epoll_event ev = { .events =
                                  (c->state == CONN_WRITE ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT,
                              .data.ptr = c };

    c->in_epoll = 1;
    atomic_store_explicit(&c->arming, 1, memory_order_relaxed);
    lfstack_push(&c->child->parked, &c->node);
    /* The listener owns c now, but neither closes it nor hands it on while `arming` is
     * set, so the socket and the record stay valid until the store below; nothing else
     * of c may be touched. If epoll refuses (it cannot for a valid socket), the
     * listener still finds c in its timeout queue and closes it when it expires. */
    rc = epoll_ctl(epfd, op, fd, &ev);
    atomic_store_explicit(&c->arming, 0, memory_order_release);
    if (rc < 0)
        log_error(EV_LOG_ERR, errno, "EVH00210", "epoll_ctl could not park a connection");
}

/* Wait out a worker still re-arming c (a few instructions and one syscall). */
static void
listener_wait_armed(conn_t *c)
{
    while (atomic_load_explicit(&c->arming, memory_order_acquire))
        sched_yield();
}

/* Move what the workers parked into the timeout queues (oldest first). */
static void
listener_drain_parked(listener_t *l, apr_time_t now)
{
    lfstack_node_t *n = lfstack_take_all(&l->c->parked), *rev = NULL;

    while (n) {
        lfstack_node_t *next = n->next;
        n->next = rev;
        rev = n;
        n = next;
    }
    for (n = rev; n;) {
        conn_t *c = (conn_t *)n;
        n = n->next;
        timeq_append(l, listener_queue_of(c), c, now);
    }
}

static void
listener_close(listener_t *l, conn_t *c)
{
    listener_wait_armed(c);
    timeq_remove(l, c);
    /* A response cut short here (Timeout, a stop) is still logged and counted. */
    if (c->ctx && c->ctx->resp.status)
        reqlog_request_done(c, -1);
    conn_close(c);
}

static void
listener_set_accepting(listener_t *l, int on)
{
    child_t *c = l->c;
    int i;

    if (l->accepting == on)
        return;
    for (i = 0; i < c->env->nlisten; i++) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = TAG_LISTEN(i) };

        if (c->bucket >= 0 && c->env->listen_info[i].bucket != c->bucket)
            continue;
        if (epoll_ctl(c->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, c->env->listen_fds[i], &ev) < 0)
            log_error(EV_LOG_ERR, errno, "EVH00201", "epoll_ctl on listening socket failed");
    }
    l->accepting = on;
    sb_process_set(c->proc, l->pid, c->generation, c->conf->threads_per_child,
                   atomic_load(&c->stopping) != EV_RUNNING, !on);
}

static long
listener_conn_limit(const listener_t *l)
{
    const ev_config_t *conf = l->c->conf;
    int idle = fdqueue_idle(l->c->queue);

    if (idle < 0)
        idle = 0;
    return conf->threads_per_child + (long)(conf->async_request_worker_factor * idle);
}

/* The idle keep-alive connection parked first, whichever queue holds it, or NULL. A
 * look at each keep-alive queue's head: there are few, and shedding is rare. */
static conn_t *
listener_oldest_keepalive(const listener_t *l)
{
    conn_t *oldest = NULL;
    apr_time_t since = 0;
    int qi;

    for (qi = Q_KEEPALIVE; qi < l->nq; qi++) {
        const timeq_t *q = &l->q[qi];

        if (q->head && (oldest == NULL || q->head->expiry - q->timeout < since)) {
            oldest = q->head;
            since = q->head->expiry - q->timeout;
        }
    }
    return oldest;
}

/* Close up to n of the oldest idle keep-alive connections; returns how many. */
static int
listener_shed_keepalive(listener_t *l, int n)
{
    int closed = 0;
    conn_t *c;

    while (closed < n && (c = listener_oldest_keepalive(l)) != NULL) {
        listener_close(l, c);
        closed++;
    }
    return closed;
}

static void
listener_accept_error(listener_t *l, int err, apr_time_t now)
{
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        /* Back off rather than spin on a socket that stays readable. */
        l->backoff_until = now + ACCEPT_BACKOFF;
        listener_set_accepting(l, 0);
    }
    apr_uint64_t suppressed = 0;

    if (log_ratelimit(&l->accept_log, now, &suppressed))
        log_error(EV_LOG_ERR, err, "EVH00202", "accept failed (%llu similar errors suppressed)",
                  (unsigned long long)suppressed);
}

static int listener_sibling_has_idle(listener_t *l, apr_time_t now);

/* ---- PROXY protocol ---- */

/* Close a connection whose PROXY header was refused; the log names the socket's peer. */
static void
listener_proxy_refuse(listener_t *l, conn_t *c, const char *why, apr_time_t now)
{
    apr_uint64_t suppressed = 0;

    if (log_ratelimit(&l->proxy_log, now, &suppressed)) {
        char ip[INET6_ADDRSTRLEN] = "?";

        conn_peer_text(c, ip, sizeof(ip));
        log_error(EV_LOG_ERR, 0, "EVH00211",
                  "PROXY protocol: connection from %s closed: %s (%llu similar suppressed)", ip,
                  why, (unsigned long long)suppressed);
    }
    listener_close(l, c);
}

/* The carried client address replaces the socket's; LOCAL keeps the socket's. */
static void
listener_proxy_apply(conn_t *c, const proxy_proto_t *pp)
{
    if (pp->local)
        return;
    memset(&c->peer, 0, sizeof(c->peer));
    if (pp->family == AF_INET) {
        c->peer.sin.sin_family = AF_INET;
        memcpy(&c->peer.sin.sin_addr, pp->src, 4);
        c->peer.sin.sin_port = htons(pp->src_port);
    } else {
        c->peer.sin6.sin6_family = AF_INET6;
        memcpy(&c->peer.sin6.sin6_addr, pp->src, 16);
        c->peer.sin6.sin6_port = htons(pp->src_port);
    }
}

/* Read what the socket holds and parse the header: 1 when it is complete (the bytes
 * after it stay in the context for the worker), 0 to wait for more, -1 when the
 * connection was refused and closed. Reads, not peeks: a peeked partial header would
 * leave the socket readable and the level-triggered wake-ups would spin. */
static int
listener_proxy_read(listener_t *l, conn_t *c, apr_time_t now)
{
    conn_ctx_t *x = c->ctx;
    proxy_proto_t pp;
    ssize_t n;

    do
        n = recv(c->fd, x->buf + x->len, x->size - x->len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n <= 0) {
        listener_proxy_refuse(
            l, c, n == 0 ? "closed before the end of the header" : strerror(errno), now);
        return -1;
    }
    x->len += (size_t)n;
    switch (proxy_proto_parse(x->buf, x->len, &pp)) {
    case PROXY_PROTO_MORE:
        return 0;
    case PROXY_PROTO_BAD:
        listener_proxy_refuse(l, c, pp.reason, now);
        return -1;
    case PROXY_PROTO_DONE:
        break;
    }
    listener_proxy_apply(c, &pp);
    x->pos = pp.consumed;
    x->head_start = x->len > x->pos ? now : 0;
    c->state = CONN_READ;
    return 1;
}

/* Wait in the listener for (the rest of) the header; -1 when it could not (closed). */
static int
listener_proxy_wait(listener_t *l, conn_t *c, apr_time_t now)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = c };

    if (epoll_ctl(l->c->epfd, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        listener_proxy_refuse(l, c, strerror(errno), now);
        return -1;
    }
    c->in_epoll = 1;
    c->state = CONN_PROXY;
    if (c->queue < 0)
        timeq_append(l, Q_PROXY, c, now); /* the deadline covers the whole header */
    return 0;
}

/* A connection accepted on a proxy listener: 1 when its header is complete, 0 while
 * the listener waits for it, -1 when it was refused. */
static int
listener_proxy_start(listener_t *l, conn_t *c, apr_time_t now)
{
    int rc;

    c->queue = -1;
    if (!cidr_list_has(l->c->conf->proxy_trusted, &c->peer.sa)) {
        listener_proxy_refuse(l, c, "not a ProxyProtocolTrusted address", now);
        return -1;
    }
    rc = listener_proxy_read(l, c, now);
    return rc == 0 ? listener_proxy_wait(l, c, now) : rc;
}

/* An event on a connection waiting for its header. */
static void
listener_proxy_event(listener_t *l, conn_t *c, apr_time_t now)
{
    int rc = listener_proxy_read(l, c, now);

    if (rc == 0) {
        listener_proxy_wait(l, c, now);
        return;
    }
    if (rc < 0)
        return;
    timeq_remove(l, c);
    if (fdqueue_push(l->c->queue, c, 0) != APR_SUCCESS)
        conn_close(c);
}

static void
listener_accept(listener_t *l, int idx, apr_time_t now)
{
    child_t *c = l->c;
    int lfd = c->env->listen_fds[idx], n, one = 1;
    /* Taken once per wake-up: our own reservations below must not shrink it while we
     * do not even know whether another connection is waiting. */
    long limit = listener_conn_limit(l);

    for (n = 0; n < ACCEPT_BATCH; n++) {
        conn_t *conn;
        socklen_t len;
        int fd;

        long excess;

        if (atomic_load(&c->connections) >= limit && l->keepalive.count == 0) {
            listener_set_accepting(l, 0);
            return;
        }
        /* A worker asleep under the concurrency limit counts too, while there is room
         * without closing anyone's keep-alive connection: otherwise, on a busy CPU, a
         * newcomer waits in the backlog for as long as keep-alive clients keep the
         * queue full (measured, one CPU, wrk -c50 against 25 workers: accepts paused
         * 23-56 ms, requests waiting over 100 ms). */
        if (!fdqueue_try_reserve(c->queue) &&
            (atomic_load(&c->connections) >= limit || !fdqueue_reserve_asleep(c->queue))) {
            /* Every worker is busy and a client waits (known only on the first pass:
             * later ones may find the backlog empty): idle keep-alive clients of this
             * child would wait too, so let them reconnect to a child that has workers.
             * Workers still asleep are not busy: they were reserved for connections
             * queued behind the running ones (fdqueue_set_concurrency), a backlog the
             * running workers clear in moments. And a keep-alive connection holds no
             * worker: closing one helps only if another child can take its client. */
            if (n == 0 && fdqueue_sleepers(c->queue) == 0 && listener_sibling_has_idle(l, now))
                l->shed_wanted += 8;
            atomic_store(&c->listener_wait, 1);
            listener_set_accepting(l, 0);
            return;
        }
        conn = conn_get(c);
        if (conn == NULL) {
            fdqueue_unreserve(c->queue);
            listener_accept_error(l, ENOMEM, now);
            return;
        }
        len = sizeof(conn->peer);
        fd = accept4(lfd, &conn->peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            fdqueue_unreserve(c->queue);
            conn->fd = -1;
            lfstack_push(&c->free_conns, &conn->node);
            if (err == EAGAIN || err == EWOULDBLOCK)
                return;
            if (err == EINTR || err == ECONNABORTED || err == EPROTO)
                continue;
            listener_accept_error(l, err, now);
            return;
        }
        /* Over the limit with a client actually waiting: make room by closing the
         * oldest idle keep-alive connections rather than refusing the newcomer. */
        excess = atomic_load(&c->connections) - limit + 1;
        if (excess > 0)
            l->shed_wanted += (int)excess;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn->fd = fd;
        conn->state = CONN_READ;
        conn->local_port = c->env->listen_info[idx].port;
        conn->group = &c->env->groups[c->env->listen_info[idx].listen];
        conn->ctx = conn_ctx_get(c);
        atomic_fetch_add(&c->connections, 1);
        atomic_fetch_add_explicit(&c->proc->connections, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->proc->accepted, 1, memory_order_relaxed);
        if (conn->ctx == NULL) {
            fdqueue_unreserve(c->queue);
            conn_close(conn);
            continue;
        }
        /* The header usually arrived with the connection (TCP_DEFER_ACCEPT): then the
         * worker reserved above takes it at once. */
        if (c->env->listen_info[idx].proxy && listener_proxy_start(l, conn, now) != 1) {
            fdqueue_unreserve(c->queue);
            continue;
        }
        if (fdqueue_push(c->queue, conn, 1) != APR_SUCCESS) { /* gives the reservation back */
            conn_close(conn);
            continue;
        }
        if (c->conf->max_connections_per_child > 0 &&
            ++l->accepted >= (unsigned long)c->conf->max_connections_per_child) {
            int expect = EV_RUNNING;
            log_error(EV_LOG_INFO, 0, "EVH00203",
                      "MaxConnectionsPerChild %d reached, retiring gracefully",
                      c->conf->max_connections_per_child);
            atomic_compare_exchange_strong(&c->stopping, &expect, EV_STOP_GRACEFUL);
            listener_set_accepting(l, 0);
            return;
        }
    }
}

/* Lingering close: read and drop what the client still sends, in the listener. */
static void
listener_linger(listener_t *l, conn_t *c)
{
    char buf[4096];
    int i;

    /* Bounded per wake-up for fairness; a client still sending is re-armed, not cut off
     * (closing with unread data would send the RST lingering exists to avoid):
     * LINGER_TIMEOUT bounds it. */
    for (i = 0; i < 16; i++) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        listener_close(l, c);
        return;
    }
    {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = c };
        if (epoll_ctl(l->c->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
            listener_close(l, c);
    }
}

static void
listener_conn_event(listener_t *l, conn_t *c, apr_time_t now)
{
    child_t *ch = l->c;

    listener_wait_armed(c);
    if (c->state == CONN_LINGER) {
        listener_linger(l, c);
        return;
    }
    if (c->state == CONN_PROXY) {
        listener_proxy_event(l, c, now);
        return;
    }
    timeq_remove(l, c);
    if (c->ctx == NULL && (c->ctx = conn_ctx_get(ch)) == NULL) {
        conn_close(c);
        return;
    }
    if (fdqueue_push(ch->queue, c, 0) != APR_SUCCESS)
        conn_close(c);
}

static void
listener_expire(listener_t *l, apr_time_t now)
{
    int qi;

    for (qi = 0; qi < l->nq; qi++) {
        while (l->q[qi].head && l->q[qi].head->expiry <= now) {
            conn_t *c = l->q[qi].head;
            listener_wait_armed(c);
            if (qi == Q_READ && c->ctx && c->ctx->len > c->ctx->pos) {
                static const char r408[] = "HTTP/1.1 408 Request Timeout\r\n"
                                           "Connection: close\r\nContent-Length: 0\r\n\r\n";
                ssize_t n = send(c->fd, r408, sizeof(r408) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                c->ctx->resp.status = 408; /* logged by listener_close */
                c->ctx->resp.sent = n > 0 ? n : 0;
                c->ctx->resp.head_len = c->ctx->resp.sent;
                c->ctx->req_start = c->ctx->head_start ? c->ctx->head_start : now;
            }
            if (qi == Q_WRITE)
                log_error(EV_LOG_INFO, 0, "EVH00204",
                          "closing a connection whose client stopped reading (Timeout)");
            if (qi == Q_PROXY) {
                listener_proxy_refuse(l, c, "no complete header within ProxyProtocolTimeout", now);
                continue;
            }
            listener_close(l, c);
        }
    }
}

static int
listener_wait_ms(const listener_t *l, apr_time_t now)
{
    apr_time_t first = now + apr_time_from_msec(LISTENER_MAX_WAIT_MS);
    int qi;

    for (qi = 0; qi < l->nq; qi++)
        if (l->q[qi].head && l->q[qi].head->expiry < first)
            first = l->q[qi].head->expiry;
    if (first <= now)
        return 0;
    return (int)((first - now + 999) / 1000);
}

/* A graceful stop does not close idle keep-alive connections at once: a client may
 * have sent its next request that very moment, and would see the connection close
 * under it. Each gets a short grace instead: a request that arrives is answered with
 * "Connection: close" (workers see `stopping`), a connection still idle after the
 * grace is closed. The queue stays sorted: min(expiry, now + grace) keeps the order. */
static void
listener_drain_keepalive(listener_t *l, apr_time_t now)
{
    int qi;

    for (qi = Q_KEEPALIVE; qi < l->nq; qi++) {
        timeq_t *q = &l->q[qi];
        conn_t *c;

        if (q->timeout > KEEPALIVE_DRAIN_GRACE)
            q->timeout = KEEPALIVE_DRAIN_GRACE;
        for (c = q->head; c; c = c->next)
            if (c->expiry > now + q->timeout)
                c->expiry = now + q->timeout;
    }
}

/* Apply child->stopping; returns 1 when the loop should end. */
static int
listener_check_stop(listener_t *l, apr_time_t now)
{
    child_t *c = l->c;
    int stopping = atomic_load(&c->stopping);
    int qi;

    if (stopping == EV_RUNNING)
        return 0;
    if (l->stop_began == 0) {
        l->stop_began = now;
        listener_set_accepting(l, 0);
        sb_process_set(c->proc, l->pid, c->generation, c->conf->threads_per_child, 1, 1);
        if (stopping == EV_STOP_GRACEFUL)
            listener_drain_keepalive(l, now);
    }
    if (stopping == EV_STOP_NOW) {
        for (qi = 0; qi < l->nq; qi++)
            while (l->q[qi].head)
                listener_close(l, l->q[qi].head);
        return 1;
    }
    if (c->conf->graceful_shutdown_timeout > 0 &&
        now - l->stop_began > c->conf->graceful_shutdown_timeout) {
        log_error(EV_LOG_WARN, 0, "EVH00205",
                  "GracefulShutdownTimeout expired with %ld connections open, closing them",
                  atomic_load(&c->connections));
        for (qi = 0; qi < l->nq; qi++)
            while (l->q[qi].head)
                listener_close(l, l->q[qi].head);
        return 1;
    }
    return atomic_load(&c->connections) == 0;
}

/* Whether another accepting child of our generation has an idle worker, as the
 * scoreboard says (a hint, read at most every 100 ms: this runs on every accept
 * pass while the child is saturated). */
static int
listener_sibling_has_idle(listener_t *l, apr_time_t now)
{
    child_t *c = l->c;
    unsigned slot, n = sb_server_limit(c->env->sb);

    if (now - l->sibling_checked < apr_time_from_msec(100) && now >= l->sibling_checked)
        return l->sibling_idle;
    l->sibling_checked = now;
    l->sibling_idle = 0;
    for (slot = 0; slot < n && !l->sibling_idle; slot++) {
        sb_process_snap_t ps;

        if (slot == c->slot || sb_snapshot_process(c->env->sb, slot, &ps) != APR_SUCCESS)
            continue;
        l->sibling_idle = ps.pid != 0 && ps.generation == c->generation && !ps.quiescing &&
                          !ps.not_accepting && ps.idle_workers > 0;
    }
    return l->sibling_idle;
}

static void
listener_maybe_resume(listener_t *l, apr_time_t now)
{
    child_t *c = l->c;

    if (l->accepting || atomic_load(&c->stopping) != EV_RUNNING || now < l->backoff_until)
        return;
    /* Flag first, then look (both seq_cst): a worker that goes idle in between sees
     * the flag and wakes us, so no wake-up is lost (fdqueue.h's recipe). The flag
     * stays set while the connection limit keeps us paused: each worker that goes
     * idle raises the limit, and wakes us to look again. */
    atomic_store(&c->listener_wait, 1);
    if (fdqueue_idle(c->queue) <= 0)
        return;
    /* At the limit, resume anyway while idle keep-alive connections can make room. */
    if (atomic_load(&c->connections) >= listener_conn_limit(l) && l->keepalive.count == 0)
        return;
    atomic_store(&c->listener_wait, 0);
    listener_set_accepting(l, 1);
}

/* The timeout queues, the keep-alive ones last, allocated once: parking a connection
 * never allocates. -1 (logged, the child stops) when memory ran out. */
static int
listener_make_queues(listener_t *l)
{
    child_t *c = l->c;
    const ev_config_t *conf = c->conf;
    int i, nka = conf->keepalive_timeouts->nelts;

    l->nq = Q_KEEPALIVE + nka;
    if ((l->q = calloc((size_t)l->nq, sizeof(*l->q))) == NULL) {
        log_error(EV_LOG_CRIT, APR_ENOMEM, "EVH00602", "cannot allocate the timeout queues");
        atomic_store(&c->stopping, EV_STOP_NOW);
        return -1;
    }
    l->writing.shm = &c->proc->writing;
    l->keepalive.shm = &c->proc->keepalive;
    l->closing.shm = &c->proc->closing;
    /* RequestReadTimeout header=0 disables it, as in mod_reqtimeout: Timeout applies. */
    l->q[Q_READ].timeout =
        conf->header_timeout.timeout > 0 ? conf->header_timeout.timeout : conf->timeout;
    l->q[Q_WRITE].timeout = conf->timeout;
    l->q[Q_WRITE].gauge = &l->writing;
    l->q[Q_LINGER].timeout = LINGER_TIMEOUT;
    l->q[Q_LINGER].gauge = &l->closing;
    l->q[Q_PROXY].timeout = conf->proxy_timeout;
    for (i = 0; i < nka; i++) {
        l->q[Q_KEEPALIVE + i].timeout =
            APR_ARRAY_IDX(conf->keepalive_timeouts, i, apr_interval_time_t);
        l->q[Q_KEEPALIVE + i].gauge = &l->keepalive;
    }
    return 0;
}

void *
listener_run(void *arg)
{
    child_t *c = arg;
    listener_t l;
    struct epoll_event events[LISTENER_EVENTS];
    struct epoll_event wev = { .events = EPOLLIN, .data.u64 = TAG_WAKE };

    memset(&l, 0, sizeof(l));
    l.c = c;
    l.pid = (int32_t)getpid();
    if (listener_make_queues(&l) < 0) {
        fdqueue_terminate(c->queue);
        return NULL;
    }
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->wakefd, &wev) < 0)
        log_error(EV_LOG_CRIT, errno, "EVH00206", "epoll_ctl on the wake-up descriptor failed");
    listener_set_accepting(&l, 1);

    for (;;) {
        apr_time_t now = apr_time_now();
        int n, i, wait_ms;

        if (listener_check_stop(&l, now))
            break;
        wait_ms = listener_wait_ms(&l, now);
        if (fdqueue_nudge(c->queue, now, QUEUE_STALL) && wait_ms > QUEUE_STALL / 1000)
            wait_ms = (int)(QUEUE_STALL / 1000);
        n = epoll_wait(c->epfd, events, LISTENER_EVENTS, wait_ms);
        if (n < 0 && errno != EINTR) {
            log_error(EV_LOG_CRIT, errno, "EVH00207", "epoll_wait failed, child stops");
            atomic_store(&c->stopping, EV_STOP_NOW);
            continue;
        }
        now = apr_time_now();
        listener_drain_parked(&l, now);
        for (i = 0; i < n; i++) {
            uint64_t tag = events[i].data.u64;
            if (tag == TAG_WAKE) {
                uint64_t v;
                if (read(c->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    log_error(EV_LOG_ERR, errno, "EVH00208", "read of the wake-up eventfd failed");
            } else if (tag & 1u) {
                if (l.accepting)
                    listener_accept(&l, (int)((tag >> 1) - 1), now);
            } else {
                listener_conn_event(&l, events[i].data.ptr, now);
            }
        }
        if (l.shed_wanted) {
            listener_shed_keepalive(&l, l.shed_wanted);
            l.shed_wanted = 0;
        }
        listener_expire(&l, now);
        listener_maybe_resume(&l, now);
    }
    fdqueue_terminate(c->queue);
    free(l.q);
    return NULL;
}
