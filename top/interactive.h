/*
 * interactive.h — evtop's interactive loop (curses).
 */
#ifndef EVTOP_INTERACTIVE_H
#define EVTOP_INTERACTIVE_H

#include <apr_pools.h>

#include "board.h"
#include "evtop.h"

/*
 * interactive_run: take the terminal, show the scoreboard `b` watches every o->interval
 * seconds and follow the keys until 'q', a quit signal, or o->count samples (when not 0)
 * have each been shown for an interval. While no scoreboard can be attached it shows
 * "waiting for evhttpd" and keeps trying. Samples live in subpools of `p`. Gives the
 * terminal back before returning. Returns EVTOP_EXIT_OK, or EVTOP_EXIT_FAIL (with a
 * message on stderr) when standard input/output is not a usable terminal.
 */
int interactive_run(board_t *b, const evtop_opts_t *o, apr_pool_t *p);

#endif
