/*
 * render_help.c — the help screen: what evtop shows and the keys (see render_curses.h).
 *
 * Kept beside, not generated from, keys.c: the wording here explains, the switch there
 * dispatches; evtop(1) carries the same list.
 */
#include <curses.h>

#include "render_curses.h"
#include "term.h"

static const char *const render_help_lines[] = {
    "evtop - a live view of evhttpd's scoreboard",
    "",
    "  q            quit",
    "  h ?  F1      this help (any key returns)",
    "  s >  .       sort by the next column",
    "  <    ,       sort by the previous column",
    "  r            reverse the sort order",
    "  p    space   pause / resume sampling",
    "  +    -       longer / shorter interval",
    "  g            worker-state grid off / on",
    "  1            per-worker view (request line, client) on / off",
    "  arrows, j k, PgUp PgDn, Home End     scroll",
    "  ^L           redraw",
    "",
    "Process states: accepting, full (not accepting now), starting,",
    "  stopping (quiescing), draining (an older generation, after a graceful restart).",
    "Worker states: _ idle  S starting  R reading  W writing  K keep-alive",
    "  L logging  C closing  G finishing  . no thread",
    "",
    "Press any key to return.",
};

void
render_help_draw(const view_t *v)
{
    unsigned i;

    erase();
    for (i = 0; i < sizeof render_help_lines / sizeof render_help_lines[0]; i++) {
        if ((int)i >= LINES - 1)
            break;
        if (i == 0)
            attron(term_attr(TERM_TITLE));
        mvaddnstr((int)i, 0, render_help_lines[i], COLS);
        if (i == 0)
            attroff(term_attr(TERM_TITLE));
    }
    render_curses_footer(v);
    refresh();
}
