/*
 * client.c — evctl's side of one control exchange (see client.h).
 *
 * The socket is non-blocking from the start and every wait goes through poll() with
 * what is left of one deadline, so --timeout bounds the connect, the write and the
 * read together and a daemon that accepts but never answers cannot hang evctl.
 * A Unix stream connect() does not return EINPROGRESS when the listen backlog is full:
 * it fails with EAGAIN and nothing can be polled for, so that case is retried every
 * CLIENT_RETRY_MS until the deadline (the daemon serves its socket from its own loop,
 * so a full backlog drains quickly).
 */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define CLIENT_RETRY_MS 10

/* An absolute CLOCK_MONOTONIC deadline in ms; -1 for none. */
typedef long long client_deadline_t;

static long long
client_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What is left for poll(): -1 for no deadline, 0 when it has passed. */
static int
client_left_ms(client_deadline_t deadline)
{
    long long left;

    if (deadline < 0)
        return -1;
    left = deadline - client_now_ms();
    if (left <= 0)
        return 0;
    return left > 1000000 ? 1000000 : (int)left;
}

/* Wait until fd is ready for `events`. Returns 1 ready, 0 deadline passed, -1 error. */
static int
client_wait(int fd, short events, client_deadline_t deadline)
{
    struct pollfd pfd = { .fd = fd, .events = events };

    for (;;) {
        int left = client_left_ms(deadline);
        int n;

        if (left == 0)
            return 0;
        n = poll(&pfd, 1, left);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static client_result_t
client_connect(int fd, const struct sockaddr_un *sa, client_deadline_t deadline, int *err)
{
    socklen_t len = sizeof(*sa);
    int ready;

    for (;;) {
        if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
            return CLIENT_OK;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            if (client_left_ms(deadline) == 0)
                break;
            poll(NULL, 0, CLIENT_RETRY_MS);
            continue;
        }
        if (errno != EINPROGRESS) {
            *err = errno;
            return CLIENT_CONNECT;
        }
        ready = client_wait(fd, POLLOUT, deadline);
        if (ready == 0)
            break;
        if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) != 0) {
            *err = errno;
            return CLIENT_CONNECT;
        }
        return *err == 0 ? CLIENT_OK : CLIENT_CONNECT;
    }
    *err = ETIMEDOUT;
    return CLIENT_TIMEOUT;
}

static client_result_t
client_send(int fd, const uint8_t *buf, size_t len, client_deadline_t deadline, int *err)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        int ready;

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            *err = errno;
            return CLIENT_WRITE;
        }
        ready = client_wait(fd, POLLOUT, deadline);
        if (ready == 0) {
            *err = ETIMEDOUT;
            return CLIENT_TIMEOUT;
        }
        if (ready < 0) {
            *err = errno;
            return CLIENT_WRITE;
        }
    }
    return CLIENT_OK;
}

static client_result_t
client_receive(int fd, ctlframe_reader_t *r, client_deadline_t deadline, int *err)
{
    for (;;) {
        int ready;

        switch (ctlframe_read(r, fd)) {
        case CTLFRAME_DONE:
            return CLIENT_OK;
        case CTLFRAME_EOF:
            return CLIENT_EOF;
        case CTLFRAME_TOOBIG:
            return CLIENT_TOOBIG;
        case CTLFRAME_ERROR:
            *err = errno;
            return CLIENT_READ;
        default:
            break;
        }
        ready = client_wait(fd, POLLIN, deadline);
        if (ready == 0) {
            *err = ETIMEDOUT;
            return CLIENT_TIMEOUT;
        }
        if (ready < 0) {
            *err = errno;
            return CLIENT_READ;
        }
    }
}

client_result_t
client_exchange(const char *path, const uint8_t *frame, size_t frame_len, long timeout_ms,
                ctlframe_reader_t *r, int *err, const char **step)
{
    struct sockaddr_un sa;
    client_deadline_t deadline = timeout_ms > 0 ? client_now_ms() + timeout_ms : -1;
    client_result_t rc;
    int fd;

    *err = 0;
    *step = "connect";
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        *err = ENAMETOOLONG;
        return CLIENT_PATH;
    }
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *err = errno;
        return CLIENT_SOCKET;
    }
    rc = client_connect(fd, &sa, deadline, err);
    if (rc == CLIENT_OK) {
        int send_err = 0;
        *step = "write";
        rc = client_send(fd, frame, frame_len, deadline, &send_err);
        /* The server may answer (a refusal, a request too large) and close before it
         * has read everything: its reply is still there to read. */
        if (rc != CLIENT_OK && (send_err == EPIPE || send_err == ECONNRESET))
            rc = CLIENT_OK;
        else
            *err = send_err;
    }
    if (rc == CLIENT_OK) {
        *step = "read";
        rc = client_receive(fd, r, deadline, err);
    }
    close(fd);
    return rc;
}
