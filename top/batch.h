/*
 * batch.h — evtop -b: the batch loop.
 */
#ifndef EVTOP_BATCH_H
#define EVTOP_BATCH_H

#include <apr_pools.h>

#include "board.h"
#include "evtop.h"

/*
 * batch_run: print o->count snapshots (forever when 0) of the scoreboard `b` watches to
 * standard output, o->interval seconds apart, separated by a blank line; never touches
 * the terminal. While no scoreboard can be attached a snapshot is one "waiting for
 * evhttpd" line. Samples are allocated in subpools of `p`. Returns EVTOP_EXIT_OK, or
 * EVTOP_EXIT_FAIL when standard output fails (e.g. the reader of a pipe went away).
 */
int batch_run(board_t *b, const evtop_opts_t *o, apr_pool_t *p);

#endif
