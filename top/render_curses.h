/*
 * render_curses.h — the interactive screens, drawn with curses on the terminal term.c
 * set up: the frame (summary, process table or per-worker table, optional worker-state
 * grid, footer), the "waiting for evhttpd" screen and the help screen.
 *
 * Each call draws the whole screen and refreshes it. Call only between term_start and
 * term_stop, from the one thread.
 */
#ifndef EVTOP_RENDER_CURSES_H
#define EVTOP_RENDER_CURSES_H

#include "sample.h"
#include "view.h"

/* render_curses_frame: sample `s` with rates `d` as view `v` asks. Sets v->page to the
 * body's height and clamps v->scroll to the lines there are. */
void render_curses_frame(const sample_t *s, const sample_delta_t *d, view_t *v);

/* render_curses_waiting: no scoreboard at `path` (`reason`); evtop keeps trying. */
void render_curses_waiting(int64_t wall_usec, const char *path, const char *reason,
                           const view_t *v);

/* render_help_draw: the key bindings (render_help.c). */
void render_help_draw(const view_t *v);

/* ---- shared by the frame's parts ----------------------------------------------- */

/* The scrolling area between the table heading and the footer. */
typedef struct {
    int top;  /* first screen row of the area */
    int rows; /* its height */
    int skip; /* body lines scrolled off above */
    int line; /* body lines produced so far (shown or not) */
} render_body_t;

/* render_curses_body_row: the screen row of the next body line, or -1 when it is
 * scrolled out of view (the line still counts). */
int render_curses_body_row(render_body_t *b);

/* render_curses_line: `text` at row y, clipped to the width, the rest of the row cleared;
 * with `fill` the attributes `attr` cover the whole row (headings, footer). */
void render_curses_line(int y, const char *text, int attr, int fill);

/* render_curses_footer: the last line: sort key, interval, pause and key hints. */
void render_curses_footer(const view_t *v);

/* render_workers_heading / render_workers_table: the per-worker view (render_workers.c):
 * every worker that is not '.' of the processes in `rows` (n of them), in that order. */
void render_workers_heading(int y);
void render_workers_table(render_body_t *b, const sample_t *s, const sample_proc_t **rows,
                          unsigned n);

/* render_workers_grid: a legend, then each process's worker-state letters, wrapped. */
void render_workers_grid(render_body_t *b, const sample_proc_t **rows, unsigned n);

#endif
