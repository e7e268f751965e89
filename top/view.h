/*
 * view.h — what the operator chose to see: the state the keys change and the
 * interactive renderer reads. Plain data in the caller's storage; one thread.
 */
#ifndef EVTOP_VIEW_H
#define EVTOP_VIEW_H

typedef struct {
    int sort;        /* the process table's sort column (columns_id_t) */
    int reverse;     /* 1: the opposite of the column's natural order */
    int paused;      /* 1: keep showing the last sample */
    int grid;        /* 1: show the worker-state grid under the table */
    int workers;     /* 1: one line per worker (request line, client) instead of per process */
    int help;        /* 1: the help screen is up */
    int color;       /* 1: colours allowed (--no-color and NO_COLOR say 0) */
    int scroll;      /* first body line shown; the renderer clamps it */
    int page;        /* body lines on screen (set by the renderer; PgUp/PgDn move this much) */
    double interval; /* seconds between samples */
} view_t;

#endif
