/*
 * render_curses.c — the interactive frame and the waiting screen (see render_curses.h).
 *
 * Layout, top to bottom: the five summary lines, a blank line, the table heading,
 * the body (process rows or worker rows, then the grid when it is on) and the footer
 * on the last line. Only the body scrolls. Lines wider than the terminal are clipped,
 * never wrapped, so a narrow terminal still shows every row.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "render_curses.h"
#include "summary.h"
#include "term.h"

#define RENDER_TABLE_ROW (SUMMARY_LINES + 1) /* screen row of the table heading */

int
render_curses_body_row(render_body_t *b)
{
    int n = b->line++;

    if (n < b->skip || n - b->skip >= b->rows)
        return -1;
    return b->top + n - b->skip;
}

void
render_curses_line(int y, const char *text, int attr, int fill)
{
    move(y, 0);
    clrtoeol();
    attron(attr);
    addnstr(text, COLS);
    if (fill) {
        int x = (int)strlen(text);

        for (; x < COLS; x++)
            addch(' ');
    }
    attroff(attr);
}

static void
render_curses_summary(const sample_t *s, const sample_delta_t *d)
{
    summary_t lines;
    int i;

    summary_format(s, d, lines);
    for (i = 0; i < SUMMARY_LINES; i++)
        render_curses_line(i, lines[i], i == 0 ? term_attr(TERM_TITLE) : (int)A_NORMAL, 0);
}

/* The process table heading, its sort column picked out. */
static void
render_curses_heading(const view_t *v)
{
    const columns_def_t *c = &columns_defs[v->sort];
    char line[256];
    int x = columns_offset(v->sort);

    columns_header(line, sizeof line);
    render_curses_line(RENDER_TABLE_ROW, line, term_attr(TERM_HEADING), 1);
    if (x < COLS) {
        attron(term_attr(TERM_SORTED));
        mvaddnstr(RENDER_TABLE_ROW, x, line + x, c->width < COLS - x ? c->width : COLS - x);
        attroff(term_attr(TERM_SORTED));
    }
}

static int
render_curses_row_attr(const sample_t *s, const sample_proc_t *p)
{
    switch (sample_proc_state(s, p)) {
    case SAMPLE_DRAINING:
        return term_attr(TERM_DRAINING);
    case SAMPLE_STOPPING:
        return term_attr(TERM_STOPPING);
    case SAMPLE_FULL:
        return term_attr(TERM_FULL);
    default:
        return A_NORMAL;
    }
}

static void
render_curses_procs(render_body_t *b, const sample_t *s, const sample_proc_t **rows, unsigned n)
{
    char line[256];
    unsigned i;

    for (i = 0; i < n; i++) {
        int y = render_curses_body_row(b);

        if (y < 0)
            continue;
        columns_row(s, rows[i], line, sizeof line);
        render_curses_line(y, line, render_curses_row_attr(s, rows[i]), 0);
    }
}

void
render_curses_footer(const view_t *v)
{
    const columns_def_t *c = &columns_defs[v->sort];
    int descending = c->descending ^ v->reverse;
    char line[512];

    snprintf(line, sizeof line,
             " Sort: %s (%s)  every %.*fs%s   h help  q quit  s/</> sort  r reverse  "
             "p pause  +/- interval  g grid  1 workers",
             c->name, descending ? "descending" : "ascending",
             v->interval < 0.1  ? 2
             : v->interval < 10 ? 1
                                : 0,
             v->interval, v->paused ? "  PAUSED" : "");
    render_curses_line(LINES - 1, line, term_attr(TERM_FOOTER), 1);
}

/* Draw the body (`rows`, n of them) from v->scroll; returns how many lines it has. */
static int
render_curses_body(const sample_t *s, const view_t *v, const sample_proc_t **rows, unsigned n)
{
    render_body_t b = { RENDER_TABLE_ROW + 1, LINES - RENDER_TABLE_ROW - 2, v->scroll, 0 };
    int y;

    if (b.rows < 1)
        return 0;
    for (y = b.top; y < b.top + b.rows; y++) {
        move(y, 0);
        clrtoeol();
    }
    if (v->workers)
        render_workers_table(&b, s, rows, n);
    else
        render_curses_procs(&b, s, rows, n);
    if (v->grid)
        render_workers_grid(&b, rows, n);
    return b.line;
}

void
render_curses_frame(const sample_t *s, const sample_delta_t *d, view_t *v)
{
    /* A failed allocation shows an empty table rather than nothing at all. */
    const sample_proc_t **rows = malloc((s->nprocs ? s->nprocs : 1) * sizeof *rows);
    unsigned n = rows != NULL ? s->nprocs : 0;
    int lines;

    if (n > 0)
        columns_sort(s, rows, v->sort, v->reverse);
    erase();
    render_curses_summary(s, d);
    if (v->workers)
        render_workers_heading(RENDER_TABLE_ROW);
    else
        render_curses_heading(v);
    v->page = LINES - RENDER_TABLE_ROW - 2;
    lines = render_curses_body(s, v, rows, n);
    if (v->page > 0 && v->scroll > 0 && v->scroll > lines - v->page) {
        v->scroll = lines > v->page ? lines - v->page : 0;
        render_curses_body(s, v, rows, n);
    }
    render_curses_footer(v);
    refresh();
    free(rows);
}

void
render_curses_waiting(int64_t wall_usec, const char *path, const char *reason, const view_t *v)
{
    char line[512];

    erase();
    summary_waiting(line, sizeof line, wall_usec, path, reason);
    render_curses_line(0, line, term_attr(TERM_WAITING), 0);
    render_curses_line(2, "evtop attaches again as soon as evhttpd creates its scoreboard.",
                       A_NORMAL, 0);
    render_curses_footer(v);
    refresh();
}
