/*
 * responder — the practical ceiling for the small-file scenarios of bench/bench.py.
 *
 * A single-threaded epoll server that answers every request with the same canned
 * HTTP/1.1 200 response carrying a 1 KiB body: no file system, no parsing beyond finding
 * the end of the headers and a "Connection: close" line. Whatever the real servers reach
 * in scenarios a and b is read against what this reaches on the same CPU, with the same
 * wrk, so that "evhttpd does X req/s" can be put as a fraction of what the machine,
 * the loopback and wrk allow at all.
 *
 *   bench/responder PORT        listens on 127.0.0.1:PORT until killed
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define BODY_SIZE 1024
#define REQ_MAX   8192 /* a request head that does not fit is answered with a close */
#define EVENTS    256

typedef struct {
    int fd;
    size_t have;        /* bytes of request data in buf */
    size_t out_off;     /* bytes of out already written */
    size_t out_len;     /* bytes of out to write, 0 when nothing is pending */
    int close_after;    /* close once out is written */
    char buf[REQ_MAX];  /* the request data read so far */
    char out[2 * 1400]; /* responses not yet written (one keep-alive and one close fit) */
} conn_t;

static char response_ka[1400], response_close[1400];
static size_t response_ka_len, response_close_len;

static void
build_responses(void)
{
    char body[BODY_SIZE];
    int n;

    /* The same bytes as bench.py's 1k.bin, so wait_ready's length check passes. */
    for (int i = 0; i < BODY_SIZE; i++)
        body[i] = "0123456789abcdef"[i % 16];
    n = snprintf(
        response_ka, sizeof(response_ka),
        "HTTP/1.1 200 OK\r\nServer: responder\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: %d\r\n\r\n",
        BODY_SIZE);
    memcpy(response_ka + n, body, BODY_SIZE);
    response_ka_len = (size_t)n + BODY_SIZE;
    n = snprintf(
        response_close, sizeof(response_close),
        "HTTP/1.1 200 OK\r\nServer: responder\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: %d\r\nConnection: close\r\n\r\n",
        BODY_SIZE);
    memcpy(response_close + n, body, BODY_SIZE);
    response_close_len = (size_t)n + BODY_SIZE;
}

/* Does the head [p, p + len) carry a Connection header naming "close"? Good enough for
 * wrk and curl, which send it on a line of its own. */
static int
wants_close(const char *p, size_t len)
{
    const char *end = p + len, *line = p;

    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t n = eol ? (size_t)(eol - line) : (size_t)(end - line);

        if (n >= 11 && strncasecmp(line, "connection:", 11) == 0) {
            for (size_t i = 11; i + 5 <= n; i++)
                if (strncasecmp(line + i, "close", 5) == 0)
                    return 1;
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return 0;
}

static void
conn_close(int ep, conn_t *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

/* Write what is pending; returns -1 when the connection is to be closed. */
static int
conn_flush(int ep, conn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };

            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            return 0;
        }
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
    }
    if (c->out_len > 0) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

        c->out_off = c->out_len = 0;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    return c->close_after ? -1 : 0;
}

/* Answer every complete request head in buf (pipelining included, as far as out holds). */
static int
conn_answer(conn_t *c)
{
    char *end;

    while (!c->close_after && c->have > 0 &&
           (end = memmem(c->buf, c->have, "\r\n\r\n", 4)) != NULL) {
        size_t head = (size_t)(end - c->buf) + 4;
        int close_it = wants_close(c->buf, head);
        const char *r = close_it ? response_close : response_ka;
        size_t rlen = close_it ? response_close_len : response_ka_len;

        if (c->out_len + rlen > sizeof(c->out))
            break; /* written first, then the rest of buf is looked at again */
        memcpy(c->out + c->out_len, r, rlen);
        c->out_len += rlen;
        c->close_after = close_it;
        memmove(c->buf, c->buf + head, c->have - head);
        c->have -= head;
    }
    /* A full buffer without a complete head can never be answered. */
    if (c->have == sizeof(c->buf) && !memmem(c->buf, c->have, "\r\n\r\n", 4))
        return -1;
    return 0;
}

static void
conn_event(int ep, conn_t *c, uint32_t events)
{
    if (events & (EPOLLERR | EPOLLHUP)) {
        conn_close(ep, c);
        return;
    }
    for (;;) {
        ssize_t n;

        /* Answer what is buffered before reading more: pipelined requests may wait in buf
         * while an earlier response was stuck behind a full socket buffer. */
        if (conn_answer(c) < 0 || conn_flush(ep, c) < 0) {
            conn_close(ep, c);
            return;
        }
        if (c->out_len > 0)
            return; /* EPOLLOUT is armed */
        n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            conn_close(ep, c);
            return;
        }
        c->have += (size_t)n;
        if (c->have < sizeof(c->buf)) {
            /* The socket is most likely drained: answer and go back to epoll, which is
             * level-triggered and reports anything left, rather than pay for a read that
             * ends in EAGAIN after every request. */
            if (conn_answer(c) < 0 || conn_flush(ep, c) < 0)
                conn_close(ep, c);
            return;
        }
    }
}

static void
accept_all(int ep, int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
        conn_t *c;
        struct epoll_event ev = { .events = EPOLLIN };

        if (fd < 0)
            return; /* EAGAIN, or EMFILE and friends: the next event retries */
        c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        ev.data.ptr = c;
        /* Like the real servers: a response goes out whole, not held back by Nagle. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            conn_close(ep, c);
    }
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[EVENTS];
    int lfd, ep, one = 1;

    if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    build_responses();
    sa.sin_port = htons((unsigned short)atoi(argv[1]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0) {
        perror("responder: listen");
        return 1;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
        perror("responder: epoll");
        return 1;
    }
    for (;;) {
        int n = epoll_wait(ep, evs, EVENTS, -1);

        if (n < 0 && errno != EINTR) {
            perror("responder: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL)
                accept_all(ep, lfd);
            else
                conn_event(ep, evs[i].data.ptr, evs[i].events);
        }
    }
}
