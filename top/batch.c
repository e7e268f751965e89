/*
 * batch.c — the batch loop (see batch.h).
 *
 * Samples are spaced on an absolute monotonic schedule, so the interval does not
 * drift by the time each snapshot takes; a snapshot that falls behind (a stopped
 * terminal, a slow pipe) restarts the schedule from now instead of bursting to catch up.
 * Two pools alternate: the previous sample must outlive the current one's delta.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "batch.h"
#include "render_batch.h"
#include "sample.h"

static void
batch_sleep_until(int64_t mono_usec)
{
    struct timespec ts = { (time_t)(mono_usec / 1000000), (long)(mono_usec % 1000000) * 1000 };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

int
batch_run(board_t *b, const evtop_opts_t *o, apr_pool_t *p)
{
    int64_t step = (int64_t)(o->interval * 1e6);
    int64_t next = sample_mono_usec();
    apr_pool_t *pools[2];
    sample_t samples[2];
    const sample_t *prev = NULL;
    long n;

    apr_pool_create(&pools[0], p);
    apr_pool_create(&pools[1], p);
    for (n = 0; o->count == 0 || n < o->count; n++) {
        sample_t *cur = &samples[n & 1];
        sample_delta_t d;
        apr_status_t rv;

        if (n > 0) {
            putchar('\n');
            fflush(stdout);
            batch_sleep_until(next);
        }
        next = next + step > sample_mono_usec() ? next + step : sample_mono_usec() + step;
        rv = board_check(b);
        if (rv == APR_SUCCESS) {
            apr_pool_clear(pools[n & 1]);
            sample_take(cur, board_sb(b), board_epoch(b), 0, pools[n & 1]);
            sample_delta(prev, cur, &d);
            render_batch_frame(stdout, cur, &d);
            prev = cur;
        } else {
            char why[128];

            render_batch_waiting(stdout, sample_wall_usec(), board_path(b),
                                 board_strerror(rv, why, sizeof why));
            prev = NULL;
        }
        if (fflush(stdout) != 0 || ferror(stdout))
            return EVTOP_EXIT_FAIL;
    }
    return EVTOP_EXIT_OK;
}
