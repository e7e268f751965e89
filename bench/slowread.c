/*
 * slowread — many clients that download a large file slowly, from one process.
 *
 * Scenario e of bench/bench.py asks whether slow clients tie up a server: a server that
 * parks write completion (its workers hand a connection whose socket buffer is full back
 * to an event loop) keeps serving everybody else at full speed, while one that blocks a
 * worker thread per slow download runs out of workers. 200 curl processes with
 * --limit-rate would cost the client CPU wrk needs and would each read in bursts; this
 * is one single-threaded loop (epoll for the connects, then a read on every connection
 * each 20 ms tick) that paces every connection with its own token bucket and a small
 * SO_RCVBUF, so the server sees 200 receivers draining at a steady rate each and its send
 * buffers stay full. Reading on the tick rather than on EPOLLIN costs one read per
 * connection per tick instead of a read plus two epoll_ctl calls to park and re-arm
 * each one: the client runs at nice 10 on wrk's CPU and must stay cheap.
 *
 *   bench/slowread [-c CONNS] [-r BYTES_PER_S] [-b RCVBUF] PORT PATH
 *
 * Connects CONNS (200) connections to 127.0.0.1:PORT (SO_RCVBUF RCVBUF, 131072), sends
 * GET PATH on each and reads at most BYTES_PER_S (1000000) per connection; a finished
 * response is followed by the next request on the same connection, a broken connection
 * is replaced (and counted). Prints "ready" on stdout once every connection has its
 * response headers, and on SIGTERM or SIGINT one line of key=value figures measured
 * since "ready".
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
#include <sys/socket.h>

#define TICK_MS  20 /* token refill period: small enough that reads stay smooth */
#define HEAD_MAX 4096
#define READ_MAX 65536

enum { ST_CONNECTING, ST_HEAD, ST_BODY };

typedef struct {
    int fd;
    int state;
    int started;       /* has had response headers at least once */
    double tokens;     /* bytes this connection may read now */
    long long remain;  /* body bytes still to come (ST_BODY) */
    long long counted; /* bytes read since "ready" */
    size_t head_len;   /* bytes of head */
    char head[HEAD_MAX];
} conn_t;

static volatile sig_atomic_t stop;
static struct sockaddr_in server;
static char request[512];
static size_t request_len;
/* Small against the autotuned receive buffer (up to tcp_rmem's 32 MiB), so the data waits
 * in the server's socket, yet not tiny: a 16 KiB buffer cut the segments so small that the
 * client needed five times the CPU for the same 200 MB/s, on the CPU wrk needs. */
static int rcvbuf = 131072;
static long errors, responses;

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

/* (Re)open c's connection; the request goes out once connect completes. */
static int
conn_open(int ep, conn_t *c)
{
    struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    /* Before connect, so the advertised window is small from the first segment and the
     * server's socket buffer, not ours, holds what the reader has not taken yet. */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (connect(c->fd, (struct sockaddr *)&server, sizeof(server)) < 0 && errno != EINPROGRESS) {
        close(c->fd);
        return -1;
    }
    c->state = ST_CONNECTING;
    c->head_len = 0;
    return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
conn_fail(int ep, conn_t *c)
{
    errors++;
    close(c->fd); /* leaves the epoll set with it, if it was still there */
    if (conn_open(ep, c) < 0) {
        perror("slowread: reconnect");
        exit(1);
    }
}

static int
send_request(conn_t *c)
{
    /* The request is far smaller than any socket buffer: it goes out whole or not at all. */
    return write(c->fd, request, request_len) == (ssize_t)request_len ? 0 : -1;
}

/* Parse a complete head; returns the bytes of body already in it, or -1 if unusable. */
static long long
parse_head(conn_t *c, size_t head_end)
{
    const char *p = c->head;
    long long body_here = (long long)(c->head_len - head_end);

    if (c->head_len < 12 || strncmp(p, "HTTP/1.1 200", 12) != 0)
        return -1;
    for (const char *line = memchr(p, '\n', head_end); line && line < p + head_end;
         line = memchr(line + 1, '\n', (size_t)(p + head_end - line - 1))) {
        if (strncasecmp(line + 1, "content-length:", 15) == 0) {
            c->remain = strtoll(line + 16, NULL, 10);
            return body_here;
        }
    }
    return -1; /* chunked or close-delimited: not what a static file server sends */
}

/* Read what the bucket allows; returns -1 on a broken or unusable connection. */
static int
conn_read(conn_t *c, int *new_start)
{
    static char buf[READ_MAX];

    while (c->tokens >= 1) {
        size_t want = c->tokens < READ_MAX ? (size_t)c->tokens : READ_MAX;
        ssize_t n;

        if (c->state == ST_HEAD && want > HEAD_MAX - c->head_len)
            want = HEAD_MAX - c->head_len;
        n = read(c->fd, c->state == ST_HEAD ? c->head + c->head_len : buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0)
            return -1;
        c->tokens -= (double)n;
        c->counted += n;
        if (c->state == ST_HEAD) {
            char *end;
            long long extra;

            c->head_len += (size_t)n;
            end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
            if (!end) {
                if (c->head_len == HEAD_MAX)
                    return -1;
                continue;
            }
            extra = parse_head(c, (size_t)(end - c->head) + 4);
            if (extra < 0)
                return -1;
            c->remain -= extra;
            c->state = ST_BODY;
            if (!c->started) {
                c->started = 1;
                ++*new_start;
            }
        } else {
            c->remain -= n;
        }
        if (c->state == ST_BODY && c->remain <= 0) {
            if (c->remain < 0)
                return -1; /* more than Content-Length: we sent no second request yet */
            responses++;
            c->state = ST_HEAD;
            c->head_len = 0;
            if (send_request(c) < 0)
                return -1;
        }
    }
    return 0;
}

static void
usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-c CONNS] [-r BYTES_PER_S] [-b RCVBUF] PORT PATH\n", prog);
    exit(2);
}

int
main(int argc, char **argv)
{
    int nconn = 200, opt, ep, started = 0, ready = 0;
    double rate = 1e6, burst, last, t_ready = 0;
    conn_t *conns;
    struct epoll_event evs[256];
    struct sigaction sa = { .sa_handler = on_signal };

    while ((opt = getopt(argc, argv, "c:r:b:")) != -1) {
        switch (opt) {
        case 'c':
            nconn = atoi(optarg);
            break;
        case 'r':
            rate = atof(optarg);
            break;
        case 'b':
            rcvbuf = atoi(optarg);
            break;
        default:
            usage(argv[0]);
        }
    }
    if (argc - optind != 2 || nconn < 1 || rate < 1 || rcvbuf < 1024)
        usage(argv[0]);
    server.sin_family = AF_INET;
    server.sin_port = htons((unsigned short)atoi(argv[optind]));
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    request_len = (size_t)snprintf(
        request, sizeof(request),
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowread\r\n\r\n", argv[optind + 1]);
    if (request_len >= sizeof(request))
        usage(argv[0]);
    /* Two ticks' worth: enough to absorb a late tick, too little to read in bursts. */
    burst = rate * 2 * TICK_MS / 1000.0;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    conns = calloc((size_t)nconn, sizeof(*conns));
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0) {
        perror("slowread");
        return 1;
    }
    for (int i = 0; i < nconn; i++) {
        conns[i].tokens = burst;
        if (conn_open(ep, &conns[i]) < 0) {
            perror("slowread: connect");
            return 1;
        }
    }
    last = now_s();
    while (!stop) {
        double t = now_s();
        int wait_ms = (int)((last + TICK_MS / 1000.0 - t) * 1000) + 1, n;

        n = epoll_wait(ep, evs, 256, wait_ms < 0 ? 0 : wait_ms);
        t = now_s();

        if (n < 0 && errno != EINTR) {
            perror("slowread: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;

            if (c->state == ST_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof(err);

                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err || send_request(c) < 0) {
                    conn_fail(ep, c);
                    continue;
                }
                c->state = ST_HEAD;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); /* the tick reads from now on */
            }
        }
        if (t - last >= TICK_MS / 1000.0) {
            double add = rate * (t - last);

            for (int i = 0; i < nconn; i++) {
                conn_t *c = &conns[i];

                c->tokens = c->tokens + add > burst ? burst : c->tokens + add;
                if (c->state != ST_CONNECTING && conn_read(c, &started) < 0)
                    conn_fail(ep, c);
            }
            last = t;
        }
        if (!ready && started == nconn) {
            /* Figures start here, so the connection ramp does not dilute them. */
            ready = 1;
            t_ready = t;
            for (int i = 0; i < nconn; i++)
                conns[i].counted = 0;
            errors = responses = 0;
            printf("ready\n");
            fflush(stdout);
        }
    }
    if (ready) {
        double secs = now_s() - t_ready, sum = 0, lo = -1, hi = 0;

        for (int i = 0; i < nconn; i++) {
            double r = secs > 0 ? conns[i].counted / secs : 0;

            sum += r;
            lo = lo < 0 || r < lo ? r : lo;
            hi = r > hi ? r : hi;
        }
        printf("conns=%d seconds=%.2f mean_Bps=%.0f min_Bps=%.0f max_Bps=%.0f errors=%ld "
               "responses=%ld\n",
               nconn, secs, sum / nconn, lo, hi, errors, responses);
    } else {
        printf("conns=%d started=%d errors=%ld not-ready\n", nconn, started, errors);
    }
    return 0;
}
