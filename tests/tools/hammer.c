/*
 * hammer — load for the integration tests: keep-alive clients that send request after
 * request on one connection (reconnecting when the server closes it) and churners that
 * open a new connection per request, all for a bounded time.
 *
 *   hammer PORT KEEPALIVE_CLIENTS CHURN_CLIENTS SECONDS [PATH]
 *   prints: ok=N reconnects=N bad=N timeouts=N
 * bad counts answers other than 200; timeouts counts requests unanswered within 3 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_CLIENTS 512

static int port;
static char request[512];
static size_t request_len;
static atomic_long ok, reconnects, bad, timeouts;
static atomic_int stop;

static int
dial(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct timeval tv = { 3, 0 };
    int s = socket(AF_INET, SOCK_STREAM, 0);

    if (s < 0)
        return -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(s);
        return -1;
    }
    return s;
}

/* One request and its whole response (Content-Length framed). 0 on a 200. */
static int
one_request(int s)
{
    char buf[65536];
    size_t n = 0;
    long want = -1;

    if (send(s, request, request_len, MSG_NOSIGNAL) < 0)
        return -1;
    for (;;) {
        ssize_t r = recv(s, buf + n, sizeof(buf) - 1 - n, 0);
        char *end, *cl;

        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                atomic_fetch_add(&timeouts, 1);
            return -1;
        }
        n += (size_t)r;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end == NULL) {
            if (n == sizeof(buf) - 1)
                return -1;
            continue;
        }
        if (want < 0) {
            cl = strstr(buf, "Content-Length: ");
            want = (end - buf) + 4 + (cl ? atol(cl + 16) : 0);
        }
        if ((long)n >= want)
            break;
        if (n == sizeof(buf) - 1)
            return -1;
    }
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
        atomic_fetch_add(&bad, 1);
        return -1;
    }
    return 0;
}

static void *
keepalive_client(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        int s = dial();
        if (s < 0)
            continue;
        while (!atomic_load(&stop) && one_request(s) == 0)
            atomic_fetch_add(&ok, 1);
        atomic_fetch_add(&reconnects, 1);
        close(s);
    }
    return NULL;
}

static void *
churn_client(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        int s = dial();
        if (s < 0)
            continue;
        if (one_request(s) == 0)
            atomic_fetch_add(&ok, 1);
        close(s);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    pthread_t t[MAX_CLIENTS];
    int nka, nchurn, secs, i, n = 0;

    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: hammer PORT KEEPALIVE CHURN SECONDS [PATH]\n");
        return 2;
    }
    port = atoi(argv[1]);
    nka = atoi(argv[2]);
    nchurn = atoi(argv[3]);
    secs = atoi(argv[4]);
    if (nka < 0 || nchurn < 0 || nka + nchurn > MAX_CLIENTS || secs < 1 || secs > 600) {
        fprintf(stderr, "hammer: at most %d clients, 1..600 seconds\n", MAX_CLIENTS);
        return 2;
    }
    request_len = (size_t)snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
                                   argc == 6 ? argv[5] : "/");
    for (i = 0; i < nka; i++)
        if (pthread_create(&t[n], NULL, keepalive_client, NULL) == 0)
            n++;
    for (i = 0; i < nchurn; i++)
        if (pthread_create(&t[n], NULL, churn_client, NULL) == 0)
            n++;
    sleep((unsigned)secs);
    atomic_store(&stop, 1);
    for (i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("ok=%ld reconnects=%ld bad=%ld timeouts=%ld\n", atomic_load(&ok),
           atomic_load(&reconnects), atomic_load(&bad), atomic_load(&timeouts));
    return 0;
}
