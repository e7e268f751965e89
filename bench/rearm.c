/*
 * rearm — what it costs to hand a connection back to the listener's poll set:
 * one EPOLL_CTL_MOD with EPOLLONESHOT (what evhttpd does) against APR's thread-safe
 * pollset, which is level-triggered and needs apr_pollset_remove + apr_pollset_add.
 *
 *   bench/rearm [ITERATIONS]     prints ns per re-arm for each, on N socketpairs
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <apr_general.h>
#include <apr_poll.h>
#include <apr_portable.h>

#define NSOCK 64

static double
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000, i;
    int sv[NSOCK][2], ep = epoll_create1(0), k;
    apr_pool_t *p;
    apr_pollset_t *ps;
    apr_pollfd_t pfd[NSOCK];
    apr_socket_t *as[NSOCK] = { 0 };
    double t0, t_epoll, t_apr = 0, t_apr_nocopy = 0;

    apr_initialize();
    apr_pool_create(&p, NULL);
    for (k = 0; k < NSOCK; k++) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = (uint64_t)k };
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv[k]);
        epoll_ctl(ep, EPOLL_CTL_ADD, sv[k][0], &ev);
        apr_os_sock_put(&as[k], &sv[k][0], p);
    }
    t0 = now_ns();
    for (i = 0; i < iters; i++) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = (uint64_t)i };
        epoll_ctl(ep, EPOLL_CTL_MOD, sv[i % NSOCK][0], &ev);
    }
    t_epoll = (now_ns() - t0) / (double)iters;

    for (int nocopy = 0; nocopy < 2; nocopy++) {
        apr_pollset_create_ex(&ps, NSOCK * 2, p,
                              APR_POLLSET_THREADSAFE | (nocopy ? APR_POLLSET_NOCOPY : 0),
                              APR_POLLSET_EPOLL);
        for (k = 0; k < NSOCK; k++) {
            pfd[k] = (apr_pollfd_t){
                .p = p, .desc_type = APR_POLL_SOCKET, .reqevents = APR_POLLIN, .desc.s = as[k]
            };
            apr_pollset_add(ps, &pfd[k]);
        }
        t0 = now_ns();
        for (i = 0; i < iters; i++) {
            apr_pollset_remove(ps, &pfd[i % NSOCK]);
            apr_pollset_add(ps, &pfd[i % NSOCK]);
        }
        if (nocopy)
            t_apr_nocopy = (now_ns() - t0) / (double)iters;
        else
            t_apr = (now_ns() - t0) / (double)iters;
        apr_pollset_destroy(ps);
    }
    printf("re-arm, ns per hand-back (%ld iterations):\n", iters);
    printf("  epoll_ctl(MOD, EPOLLONESHOT)                     %7.0f\n", t_epoll);
    printf("  apr_pollset remove+add (THREADSAFE)              %7.0f\n", t_apr);
    printf("  apr_pollset remove+add (THREADSAFE|NOCOPY)       %7.0f\n", t_apr_nocopy);
    return 0;
}
