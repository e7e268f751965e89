/*
 * render_workers.c — the per-worker view and the worker-state grid (see render_curses.h).
 *
 * The per-worker view answers "what is every thread doing right now": one line per
 * worker that has a thread (state other than '.'), with the request line and client it
 * is serving or served last, as mod_status's extended table does. Workers are grouped by
 * process in the process table's sort order, so the sort keys still apply here.
 *
 * The grid is the compact form: a process's letters in one run, wrapped to the width.
 */
#include <curses.h>
#include <stdio.h>

#include "format.h"
#include "render_curses.h"
#include "term.h"

#define RENDER_GRID_PREFIX 14 /* "SLOT     PID  " before a process's letters */

static const char render_workers_legend[] =
    "_ idle  S starting  R reading  W writing  K keep-alive  L logging  C closing  "
    "G finishing  . no thread";

void
render_workers_heading(int y)
{
    char line[256];

    snprintf(line, sizeof line, "%4s %4s %7s %c %8s %5s %6s %-21s %s", "SLOT", "THR", "PID", 'M',
             "ACC", "LAST", "DUR", "CLIENT", "REQUEST");
    render_curses_line(y, line, term_attr(TERM_HEADING), 1);
}

static int
render_workers_state_attr(int state)
{
    switch (state) {
    case SB_READY:
        return term_attr(TERM_IDLE);
    case SB_READ:
    case SB_WRITE:
    case SB_LOGGING:
        return term_attr(TERM_BUSY);
    case SB_KEEPALIVE:
    case SB_CLOSING:
    case SB_GRACEFUL:
        return term_attr(TERM_KEEPALIVE);
    default:
        return term_attr(TERM_DEAD);
    }
}

/* Text from the cursor on, clipped at the right edge (curses would wrap it). */
static void
render_workers_clip(const char *text)
{
    int room = COLS - getcurx(stdscr);

    if (room > 0)
        addnstr(text, room);
}

static void
render_workers_line(int y, const sample_proc_t *p, unsigned t, int64_t now)
{
    const sb_worker_snap_t *w = &p->workers[t];
    char acc[16], last[16] = "-", dur[16] = "-", head[64], tail[512];

    format_count(acc, sizeof acc, w->access_count, 8);
    if (w->last_used > 0) {
        format_age(last, sizeof last, now - w->last_used);
        format_usec(dur, sizeof dur, (double)w->duration);
    }
    snprintf(head, sizeof head, "%4u %4u %7ld ", p->slot, t, (long)p->proc.pid);
    snprintf(tail, sizeof tail, " %8s %5s %6s %-21s %s", acc, last, dur,
             w->client[0] ? w->client : "-", w->request);
    move(y, 0);
    render_workers_clip(head);
    if (getcurx(stdscr) < COLS - 1)
        addch((chtype)(unsigned char)w->state | (chtype)render_workers_state_attr(w->state));
    render_workers_clip(tail);
}

void
render_workers_table(render_body_t *b, const sample_t *s, const sample_proc_t **rows, unsigned n)
{
    unsigned i, t;

    for (i = 0; i < n; i++) {
        const sample_proc_t *p = rows[i];

        if (p->workers == NULL)
            continue; /* sampled before the view was chosen; the next sample has them */
        for (t = 0; t < p->nworkers; t++) {
            int y;

            if (p->workers[t].state == SB_DEAD)
                continue;
            y = render_curses_body_row(b);
            if (y >= 0)
                render_workers_line(y, p, t, s->wall_usec);
        }
    }
}

void
render_workers_grid(render_body_t *b, const sample_proc_t **rows, unsigned n)
{
    int per_line = COLS - RENDER_GRID_PREFIX;
    unsigned i, t;
    int y;

    if (per_line < 8)
        return;
    render_curses_body_row(b); /* a blank line after the table */
    if ((y = render_curses_body_row(b)) >= 0)
        mvaddnstr(y, 0, render_workers_legend, COLS);
    for (i = 0; i < n; i++) {
        const sample_proc_t *p = rows[i];

        for (t = 0; t < p->nworkers || t == 0; t += (unsigned)per_line) {
            unsigned k;

            if ((y = render_curses_body_row(b)) < 0)
                continue;
            if (t == 0)
                mvprintw(y, 0, "%4u %7ld  ", p->slot, (long)p->proc.pid);
            move(y, RENDER_GRID_PREFIX);
            for (k = t; k < p->nworkers && k < t + (unsigned)per_line; k++)
                addch((chtype)(unsigned char)p->states[k] |
                      (chtype)render_workers_state_attr(p->states[k]));
        }
    }
}
