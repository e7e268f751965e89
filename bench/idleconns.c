/*
 * idleconns — open many keep-alive connections, use each once, then hold them idle.
 *
 * Scenario d of bench/bench.py measures what an idle keep-alive connection costs a
 * server (memory, threads, and the latency a new client sees meanwhile). Each connection
 * has served one request first, so the server holds it in its keep-alive state, which
 * is what real browsers leave behind, not a connection that never sent anything.
 * One epoll loop with a bounded number of connections in flight keeps the accept
 * backlogs from overflowing (an overflow costs a one-second SYN retransmission).
 *
 *   bench/idleconns [-n CONNS] [-s SOURCES] [-p PARALLEL] [-t SECONDS] PORT PATH
 *
 * Opens CONNS (10000) connections to 127.0.0.1:PORT from SOURCES (4) local addresses
 * 127.0.0.1, 127.0.0.2, ... (each has its own ephemeral port range, so TIME_WAIT left
 * by earlier runs cannot exhaust it), sends GET PATH on each and reads the response,
 * with at most PARALLEL (256) under way at a time; gives up on those not done within
 * SECONDS (60). Then prints "holding OK FAILED" on stdout and holds the OK ones open,
 * counting those the server closes, until SIGTERM or SIGINT; then prints
 * "closed_by_server=N" and exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define HEAD_MAX 4096

enum { ST_UNUSED, ST_CONNECTING, ST_READING, ST_IDLE, ST_DONE };

typedef struct {
    int fd;
    int state;
    long long remain; /* body bytes still to come, -1 before the head is complete */
    size_t head_len;
    char *head; /* only while reading: 10k idle connections need no buffer */
} conn_t;

static volatile sig_atomic_t stop;
static char request[512];
static size_t request_len;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Make room for n descriptors; the hard limit can only be raised by root. */
static void
raise_nofile(rlim_t n)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= n)
        return;
    rl.rlim_cur = n;
    if (rl.rlim_max < n)
        rl.rlim_max = n;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        fprintf(stderr, "idleconns: cannot raise RLIMIT_NOFILE to %lu: %s\n", (unsigned long)n,
                strerror(errno));
        exit(1);
    }
}

static int
conn_open(int ep, conn_t *c, int idx, int sources, unsigned short port)
{
    struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
    struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
    int one = 1;

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (unsigned)(idx % sources));
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    dst.sin_port = htons(port);
    /* The port is chosen at connect, per destination, not at bind for all destinations. */
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
        (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS) ||
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->state = ST_CONNECTING;
    c->remain = -1;
    c->head_len = 0;
    return 0;
}

/* Done with c's request, either way; returns 1 if it is now held idle. */
static int
conn_finish(int ep, conn_t *c, int ok)
{
    free(c->head);
    c->head = NULL;
    if (ok) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };

        c->state = ST_IDLE;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        return 1;
    }
    c->state = ST_DONE;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    return 0;
}

/* Read the response; returns 1 when complete, 0 for more to come, -1 when broken. */
static int
conn_read(conn_t *c)
{
    static char buf[65536];

    for (;;) {
        char *dst = c->remain < 0 ? c->head + c->head_len : buf;
        size_t room = c->remain < 0 ? HEAD_MAX - c->head_len : sizeof(buf);
        ssize_t n = read(c->fd, dst, room);
        char *end;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0)
            return -1;
        if (c->remain >= 0) {
            c->remain -= n;
        } else {
            const char *cl;

            c->head_len += (size_t)n;
            end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
            if (!end) {
                if (c->head_len == HEAD_MAX)
                    return -1;
                continue;
            }
            if (strncmp(c->head, "HTTP/1.1 200", 12) != 0)
                return -1;
            *end = '\0';
            cl = strcasestr(c->head, "\ncontent-length:");
            if (!cl)
                return -1;
            c->remain = strtoll(cl + 16, NULL, 10) - (long long)(c->head + c->head_len - end - 4);
        }
        if (c->remain == 0)
            return 1;
        if (c->remain < 0)
            return -1;
    }
}

static void
usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-n CONNS] [-s SOURCES] [-p PARALLEL] [-t SECONDS] PORT PATH\n",
            prog);
    exit(2);
}

int
main(int argc, char **argv)
{
    int nconn = 10000, sources = 4, parallel = 256, opt, ep, next = 0, inflight = 0;
    int ok = 0, failed = 0, closed = 0;
    double limit_s = 60, deadline;
    unsigned short port;
    conn_t *conns;
    struct epoll_event evs[512];
    struct sigaction sa = { .sa_handler = on_signal };

    while ((opt = getopt(argc, argv, "n:s:p:t:")) != -1) {
        switch (opt) {
        case 'n':
            nconn = atoi(optarg);
            break;
        case 's':
            sources = atoi(optarg);
            break;
        case 'p':
            parallel = atoi(optarg);
            break;
        case 't':
            limit_s = atof(optarg);
            break;
        default:
            usage(argv[0]);
        }
    }
    if (argc - optind != 2 || nconn < 1 || sources < 1 || sources > 254 || parallel < 1)
        usage(argv[0]);
    port = (unsigned short)atoi(argv[optind]);
    request_len = (size_t)snprintf(
        request, sizeof(request),
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: idleconns\r\n\r\n", argv[optind + 1]);
    if (request_len >= sizeof(request))
        usage(argv[0]);
    raise_nofile((rlim_t)nconn + 64);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    conns = calloc((size_t)nconn, sizeof(*conns));
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0) {
        perror("idleconns");
        return 1;
    }
    deadline = now_s() + limit_s;
    while (!stop && ok + failed < nconn && now_s() < deadline) {
        int n;

        while (inflight < parallel && next < nconn) {
            conn_t *c = &conns[next];

            if (conn_open(ep, c, next, sources, port) < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == EADDRNOTAVAIL) {
                    fprintf(stderr, "idleconns: connection %d: %s\n", next, strerror(errno));
                    stop = 1;
                    break;
                }
                c->state = ST_DONE;
                failed++;
            } else {
                c->head = malloc(HEAD_MAX);
                if (!c->head) {
                    perror("idleconns");
                    return 1;
                }
                inflight++;
            }
            next++;
        }
        n = epoll_wait(ep, evs, 512, 100);
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            int r;

            if (c->state == ST_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof(err);
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err || write(c->fd, request, request_len) != (ssize_t)request_len) {
                    conn_finish(ep, c, 0);
                    failed++;
                    inflight--;
                    continue;
                }
                c->state = ST_READING;
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                continue;
            }
            if (c->state == ST_IDLE) {
                closed++; /* closed (or answered with something) before all were open */
                conn_finish(ep, c, 0);
                ok--;
                failed++;
                continue;
            }
            r = conn_read(c);
            if (r != 0) {
                inflight--;
                if (conn_finish(ep, c, r > 0))
                    ok++;
                else
                    failed++;
            }
        }
    }
    /* Whatever did not finish in time counts as failed and is dropped. */
    for (int i = 0; i < nconn; i++) {
        if (conns[i].state == ST_CONNECTING || conns[i].state == ST_READING) {
            conn_finish(ep, &conns[i], 0);
            failed++;
        } else if (conns[i].state == ST_UNUSED) {
            failed++;
        }
    }
    printf("holding %d %d\n", ok, failed);
    fflush(stdout);
    if (closed > 0)
        fprintf(stderr, "idleconns: %d closed by the server while the rest were opened\n", closed);
    closed = 0;
    while (!stop) {
        int n = epoll_wait(ep, evs, 512, 1000);

        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;

            if (c->state == ST_IDLE) {
                closed++;
                conn_finish(ep, c, 0);
            }
        }
    }
    printf("closed_by_server=%d\n", closed);
    return 0;
}
