/*
 * interactive.c — the interactive loop (see interactive.h).
 *
 * One thread, one loop: sample when due, draw when something changed, then wait for a
 * key for at most 100 ms (or until the next sample is due). The short wait is what lets
 * a quit signal, which only sets a flag (term.c), end evtop promptly through the normal
 * path that restores the terminal. Terminal resizes arrive as KEY_RESIZE from curses'
 * own SIGWINCH handling and simply cause a redraw.
 *
 * Two pools alternate between the current and the previous sample, as in batch.c. A
 * sample remembers the board's epoch, so no rate is ever computed across two different
 * scoreboard files (a daemon restarted while evtop waited).
 */
#include <curses.h>
#include <stdio.h>

#include "columns.h"
#include "interactive.h"
#include "keys.h"
#include "render_curses.h"
#include "sample.h"
#include "term.h"

#define INTERACTIVE_TICK_MS 100 /* the longest a key wait lasts */

typedef struct {
    board_t *board;       /* the scoreboard watched */
    apr_pool_t *pools[2]; /* samples[i] lives in pools[i] */
    sample_t samples[2];  /* the last two samples */
    int cur;              /* index of the newest sample, -1 before the first */
    sample_delta_t delta; /* between them */
    apr_status_t state;   /* the last board_check: APR_SUCCESS while attached */
    int64_t last_sample;  /* monotonic usec of the last sample attempt */
} interactive_t;

static void
interactive_sample(interactive_t *it, const view_t *v)
{
    int next = it->cur < 0 ? 0 : !it->cur;
    const sample_t *prev = it->cur >= 0 ? &it->samples[it->cur] : NULL;

    it->last_sample = sample_mono_usec();
    it->state = board_check(it->board);
    if (it->state != APR_SUCCESS)
        return;
    apr_pool_clear(it->pools[next]);
    sample_take(&it->samples[next], board_sb(it->board), board_epoch(it->board), v->workers,
                it->pools[next]);
    sample_delta(prev, &it->samples[next], &it->delta);
    it->cur = next;
}

static void
interactive_draw(interactive_t *it, view_t *v)
{
    char why[128];

    if (v->help)
        render_help_draw(v);
    else if (it->state != APR_SUCCESS)
        render_curses_waiting(sample_wall_usec(), board_path(it->board),
                              board_strerror(it->state, why, sizeof why), v);
    else if (it->cur >= 0)
        render_curses_frame(&it->samples[it->cur], &it->delta, v);
}

/* How long to wait for a key: until the next sample is due, at most a tick. */
static int
interactive_wait_ms(const view_t *v, int64_t next)
{
    int64_t ms = (next - sample_mono_usec() + 999) / 1000;

    if (v->paused || ms > INTERACTIVE_TICK_MS)
        return INTERACTIVE_TICK_MS;
    return ms < 0 ? 0 : (int)ms;
}

int
interactive_run(board_t *b, const evtop_opts_t *o, apr_pool_t *p)
{
    view_t v = {
        .sort = COL_SLOT, .grid = 1, .interval = o->interval, .color = o->color, .page = 1
    };
    interactive_t it = { .board = b, .cur = -1 };
    int64_t next = sample_mono_usec();
    long frames = 0;
    int dirty = 0;

    apr_pool_create(&it.pools[0], p);
    apr_pool_create(&it.pools[1], p);
    if (term_start(o->color) != 0) {
        fprintf(stderr, "evtop: standard input and output must be a terminal (or use -b)\n");
        return EVTOP_EXIT_FAIL;
    }
    while (!term_quit_requested()) {
        int key;

        if (!v.paused && sample_mono_usec() >= next) {
            if (o->count > 0 && frames >= o->count)
                break;
            interactive_sample(&it, &v);
            frames++;
            next = it.last_sample + (int64_t)(v.interval * 1e6);
            dirty = 1;
        }
        if (dirty)
            interactive_draw(&it, &v);
        dirty = 0;
        timeout(interactive_wait_ms(&v, next));
        key = getch();
        if (key == ERR)
            continue;
        switch (keys_apply(&v, key)) {
        case KEYS_QUIT:
            term_stop();
            return EVTOP_EXIT_OK;
        case KEYS_RESAMPLE:
            next = sample_mono_usec();
            dirty = 1;
            break;
        case KEYS_INTERVAL:
            next = it.last_sample + (int64_t)(v.interval * 1e6);
            dirty = 1;
            break;
        case KEYS_REDRAW:
            dirty = 1;
            break;
        case KEYS_NONE:
            break;
        }
    }
    term_stop();
    return EVTOP_EXIT_OK;
}
