/*
 * ctl_server.c — the control socket's clients: accept, authenticate, read one framed
 * request, unpack it, hand it to the parent's handler, write the framed reply.
 *
 * Who: the parent's loop only (no threads, no locks). Every client socket is
 * non-blocking; a client has CTL_READ_TIMEOUT to send its request, and at most
 * CTL_MAX_CLIENTS are served at once (a connection beyond that is closed at once, never
 * queued without bound). A reply that does not fit the socket buffer is finished as
 * the client drains it. Refusals are logged at most once a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <apr_strings.h>

#include "ctl_server.h"
#include "ctlframe.h"
#include "log.h"

#define CTL_MAX_CLIENTS  256
#define CTL_READ_TIMEOUT apr_time_from_sec(5)
#define CTL_MAX_GROUPS   256

typedef enum { CTL_FREE = 0, CTL_READING, CTL_WAITING, CTL_WRITING } ctl_state_t;

struct ctl_client_t {
    ctl_state_t state;
    int fd;
    ctlframe_reader_t reader; /* the request as it arrives */
    uint8_t *out;             /* the framed reply being written (malloc'd) */
    size_t out_len, out_done;
    apr_time_t deadline; /* CTL_READING: when we give up on the request */
    apr_pool_t *pool;    /* the request and its reply */
    int denied;          /* the peer failed the credentials check */
};

struct ctl_server_t {
    int fd;          /* the listening socket */
    char *path;      /* its file */
    gid_t allow_gid; /* ControlGroup, or -1 */
    uid_t deny_uid;  /* the children's uid, or -1 */
    ctl_handler_fn handler;
    ctl_gone_fn gone;
    void *baton;
    apr_pool_t *pool;
    ctl_client_t clients[CTL_MAX_CLIENTS];
    int polled[CTL_MAX_CLIENTS + 1]; /* client index of each pollfd ctl_server_pollfds added */
    log_ratelimit_t deny_log;
};

static apr_status_t
ctl_server_cleanup(void *data)
{
    ctl_server_t *s = data;
    int i;

    for (i = 0; i < CTL_MAX_CLIENTS; i++) {
        ctl_client_t *c = &s->clients[i];
        if (c->state != CTL_FREE) {
            close(c->fd);
            ctlframe_reader_free(&c->reader);
            free(c->out);
            c->state = CTL_FREE;
        }
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    return APR_SUCCESS;
}

apr_status_t
ctl_server_open(ctl_server_t **out, const char *path, gid_t allow_gid, uid_t deny_uid,
                ctl_handler_fn handler, ctl_gone_fn gone, void *baton, apr_pool_t *p, char *err,
                size_t errlen)
{
    ctl_server_t *s = apr_pcalloc(p, sizeof(*s));
    struct sockaddr_un sun;
    struct stat st;
    int e;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        apr_snprintf(err, errlen, "ControlSocket %s: path too long", path);
        return APR_ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            apr_snprintf(err, errlen, "ControlSocket %s: exists and is not a socket", path);
            return APR_EEXIST;
        }
        unlink(path); /* left by a server that crashed */
    }
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        goto fail;
    /* Created with no permissions at all, then opened up: no window where others can
     * connect before the mode and group are right. */
    {
        mode_t old = umask(0777);
        e = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
        umask(old);
    }
    if (e < 0 || (allow_gid != (gid_t)-1 && chown(path, (uid_t)-1, allow_gid) < 0) ||
        chmod(path, 0660) < 0 || listen(s->fd, 64) < 0)
        goto fail;
    s->path = apr_pstrdup(p, path);
    s->allow_gid = allow_gid;
    s->deny_uid = deny_uid;
    s->handler = handler;
    s->gone = gone;
    s->baton = baton;
    s->pool = p;
    apr_pool_cleanup_register(p, s, ctl_server_cleanup, apr_pool_cleanup_null);
    *out = s;
    return APR_SUCCESS;
fail:
    e = errno;
    apr_snprintf(err, errlen, "ControlSocket %s: %s", path, strerror(e));
    if (s->fd >= 0)
        close(s->fd);
    return APR_FROM_OS_ERROR(e);
}

/* Root, our own uid, or a member of ControlGroup; never the children's User. */
static int
ctl_peer_allowed(ctl_server_t *s, int fd, struct ucred *cred)
{
    socklen_t len = sizeof(*cred);
    gid_t groups[CTL_MAX_GROUPS];
    socklen_t glen = sizeof(groups);
    unsigned i;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
        return 0;
    if (s->deny_uid != (uid_t)-1 && cred->uid == s->deny_uid)
        return 0;
    if (cred->uid == 0 || cred->uid == geteuid())
        return 1;
    if (s->allow_gid == (gid_t)-1)
        return 0;
    if (cred->gid == s->allow_gid)
        return 1;
    /* SO_PEERGROUPS (Linux 4.13): the supplementary groups, with no NSS lookup. */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0)
        return 0;
    for (i = 0; i < glen / sizeof(gid_t); i++)
        if (groups[i] == s->allow_gid)
            return 1;
    return 0;
}

static void
ctl_client_free(ctl_server_t *s, ctl_client_t *c)
{
    if (c->state == CTL_WAITING && s->gone)
        s->gone(s->baton, c);
    close(c->fd);
    ctlframe_reader_free(&c->reader);
    free(c->out);
    c->out = NULL;
    if (c->pool)
        apr_pool_destroy(c->pool);
    c->pool = NULL;
    c->state = CTL_FREE;
}

/* Pack and frame `reply`, then start writing it. */
static void
ctl_client_send(ctl_server_t *s, ctl_client_t *c, const Evhttpd__Ctl__Reply *reply)
{
    size_t len = evhttpd__ctl__reply__get_packed_size(reply);
    uint8_t *msg = malloc(len ? len : 1);

    c->out = NULL;
    if (msg) {
        evhttpd__ctl__reply__pack(reply, msg);
        c->out = ctlframe_encode(msg, len, &c->out_len);
        free(msg);
    }
    if (c->out == NULL) {
        ctl_client_free(s, c);
        return;
    }
    c->out_done = 0;
    c->state = CTL_WRITING;
}

static void
ctl_reply_simple(ctl_server_t *s, ctl_client_t *c, Evhttpd__Ctl__ReplyStatus status,
                 const char *message)
{
    Evhttpd__Ctl__Reply reply = EVHTTPD__CTL__REPLY__INIT;

    reply.version = CTLFRAME_PROTOCOL_VERSION;
    reply.status = status;
    reply.message = (char *)message;
    ctl_client_send(s, c, &reply);
}

static void
ctl_accept(ctl_server_t *s)
{
    int n;

    for (n = 0; n < 16; n++) {
        struct ucred cred;
        ctl_client_t *c = NULL;
        int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

        if (fd < 0)
            return;
        for (i = 0; i < CTL_MAX_CLIENTS && c == NULL; i++)
            if (s->clients[i].state == CTL_FREE)
                c = &s->clients[i];
        if (c == NULL) {
            /* Too many at once: no queue without bound, the client may retry. */
            close(fd);
            continue;
        }
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        c->state = CTL_READING;
        c->deadline = apr_time_now() + CTL_READ_TIMEOUT;
        ctlframe_reader_init(&c->reader, CTLFRAME_MAX_REQUEST);
        if (!ctl_peer_allowed(s, fd, &cred)) {
            apr_uint64_t suppressed = 0;
            if (log_ratelimit(&s->deny_log, apr_time_now(), &suppressed))
                log_error(EV_LOG_WARN, 0, "EVH00701",
                          "control socket: refused pid %ld uid %lu gid %lu (%llu more refused)",
                          (long)cred.pid, (unsigned long)cred.uid, (unsigned long)cred.gid,
                          (unsigned long long)suppressed);
            ctl_reply_simple(s, c, EVHTTPD__CTL__REPLY_STATUS__STATUS_DENIED,
                             "permission denied: only root, the server's user and members of "
                             "ControlGroup may control evhttpd");
        }
    }
}

/* protobuf-c allocations come from the request's pool: nothing to free one by one. */
static void *
ctl_palloc(void *data, size_t size)
{
    return apr_palloc(data, size);
}

static void
ctl_pfree(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

static void
ctl_request(ctl_server_t *s, ctl_client_t *c)
{
    ProtobufCAllocator alloc = { ctl_palloc, ctl_pfree, NULL };
    Evhttpd__Ctl__Request *req;
    Evhttpd__Ctl__Reply reply = EVHTTPD__CTL__REPLY__INIT;

    if (apr_pool_create(&c->pool, s->pool) != APR_SUCCESS) {
        ctl_client_free(s, c);
        return;
    }
    alloc.allocator_data = c->pool;
    req = evhttpd__ctl__request__unpack(&alloc, c->reader.body_len, c->reader.body);
    if (req == NULL) {
        ctl_reply_simple(s, c, EVHTTPD__CTL__REPLY_STATUS__STATUS_BAD_REQUEST,
                         "malformed request (not an evctl protocol message)");
        return;
    }
    if (req->version != CTLFRAME_PROTOCOL_VERSION) {
        ctl_reply_simple(s, c, EVHTTPD__CTL__REPLY_STATUS__STATUS_BAD_VERSION,
                         apr_psprintf(c->pool, "protocol version %u is not spoken here (%d is)",
                                      req->version, CTLFRAME_PROTOCOL_VERSION));
        return;
    }
    if (req->command_case == EVHTTPD__CTL__REQUEST__COMMAND__NOT_SET) {
        ctl_reply_simple(s, c, EVHTTPD__CTL__REPLY_STATUS__STATUS_BAD_REQUEST,
                         "unknown or missing command");
        return;
    }
    reply.version = CTLFRAME_PROTOCOL_VERSION;
    if (s->handler(s->baton, c, req, &reply, c->pool) == 1) {
        c->state = CTL_WAITING;
        return;
    }
    ctl_client_send(s, c, &reply);
}

static void
ctl_read(ctl_server_t *s, ctl_client_t *c)
{
    switch (ctlframe_read(&c->reader, c->fd)) {
    case CTLFRAME_DONE:
        ctl_request(s, c);
        break;
    case CTLFRAME_AGAIN:
        break;
    case CTLFRAME_TOOBIG:
        ctl_reply_simple(s, c, EVHTTPD__CTL__REPLY_STATUS__STATUS_BAD_REQUEST,
                         "request length is zero or over 64 KiB");
        break;
    default:
        ctl_client_free(s, c);
        break;
    }
}

static void
ctl_write(ctl_server_t *s, ctl_client_t *c)
{
    while (c->out_done < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_done, c->out_len - c->out_done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0)
            break;
        c->out_done += (size_t)n;
    }
    ctl_client_free(s, c); /* one exchange per connection */
}

int
ctl_server_pollfds(ctl_server_t *s, struct pollfd *fds, int max)
{
    int n = 0, i;

    if (s->fd < 0 || max < 1)
        return 0;
    fds[n] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
    s->polled[n++] = -1;
    for (i = 0; i < CTL_MAX_CLIENTS && n < max; i++) {
        ctl_client_t *c = &s->clients[i];
        if (c->state == CTL_FREE)
            continue;
        /* A waiting client is watched for hang-ups only. */
        fds[n] = (struct pollfd){ .fd = c->fd,
                                  .events = c->state == CTL_WRITING   ? POLLOUT
                                            : c->state == CTL_READING ? POLLIN
                                                                      : 0 };
        s->polled[n++] = i;
    }
    return n;
}

void
ctl_server_dispatch(ctl_server_t *s, const struct pollfd *fds, int n)
{
    apr_time_t now = apr_time_now();
    int i;

    for (i = 0; i < n; i++) {
        ctl_client_t *c;

        if (fds[i].revents == 0)
            continue;
        if (s->polled[i] < 0) {
            ctl_accept(s);
            continue;
        }
        c = &s->clients[s->polled[i]];
        if (c->state == CTL_FREE || c->fd != fds[i].fd)
            continue;
        if (c->state == CTL_READING && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            ctl_read(s, c);
        else if (c->state == CTL_WAITING && (fds[i].revents & (POLLHUP | POLLERR)))
            ctl_client_free(s, c);
        if (c->state == CTL_WRITING)
            ctl_write(s, c);
    }
    for (i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->clients[i].state == CTL_READING && s->clients[i].deadline <= now)
            ctl_client_free(s, &s->clients[i]);
}

int
ctl_server_wait_ms(const ctl_server_t *s, int cap_ms)
{
    apr_time_t now = apr_time_now(), first = now + apr_time_from_msec(cap_ms);
    int i;

    for (i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->clients[i].state == CTL_READING && s->clients[i].deadline < first)
            first = s->clients[i].deadline;
    return first <= now ? 0 : (int)((first - now + 999) / 1000);
}

void
ctl_server_reply(ctl_server_t *s, ctl_client_t *c, const Evhttpd__Ctl__Reply *reply)
{
    if (c->state != CTL_WAITING)
        return;
    ctl_client_send(s, c, reply);
    if (c->state == CTL_WRITING)
        ctl_write(s, c);
}

apr_pool_t *
ctl_server_client_pool(ctl_client_t *c)
{
    return c->pool;
}

void
ctl_server_forget(ctl_server_t *s)
{
    int i;

    /* The parent's pool cleanup also runs in the child at exit: leave it nothing to
     * close, since these descriptor numbers may be reused by then. */
    for (i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->clients[i].state != CTL_FREE) {
            close(s->clients[i].fd);
            ctlframe_reader_free(&s->clients[i].reader);
            free(s->clients[i].out);
            s->clients[i].out = NULL;
            s->clients[i].state = CTL_FREE;
        }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->path = NULL;
}

void
ctl_server_close(ctl_server_t *s)
{
    if (s->path)
        unlink(s->path);
    ctl_server_cleanup(s);
}
