/*
 * columns.h — the process table: its columns, how a cell is printed and how rows sort.
 *
 * One descriptor table serves the batch and the interactive renderers alike, so both
 * print the same table and the sort keys cycle through exactly the columns shown.
 * Pure functions over a sample; thread-safe.
 */
#ifndef EVTOP_COLUMNS_H
#define EVTOP_COLUMNS_H

#include <stddef.h>

#include "sample.h"

typedef enum {
    COL_SLOT,      /* scoreboard slot */
    COL_PID,       /* child pid */
    COL_GEN,       /* the child's generation */
    COL_STATE,     /* sample_state_name() */
    COL_THREADS,   /* worker threads it runs (ThreadsPerChild) */
    COL_BUSY,      /* workers serving a connection */
    COL_IDLE,      /* workers waiting for one */
    COL_CONNS,     /* open connections */
    COL_KEEPALIVE, /* connections parked in keep-alive */
    COL_REQS,      /* requests since the child started */
    COL_REQ_RATE,  /* requests per second over the last interval */
    COL_BYTE_RATE, /* response bytes per second over the last interval */
    COLUMNS_N
} columns_id_t;

typedef struct {
    const char *name; /* header text, also shown as the sort key's name */
    int width;        /* characters */
    int left;         /* 1: left-aligned text, 0: right-aligned number */
    int descending;   /* 1: sorts largest first unless reversed */
} columns_def_t;

extern const columns_def_t columns_defs[COLUMNS_N];

/* columns_cell: column `col` of process `p` of sample `s`, unpadded ("-" for a rate not
 * known yet). */
void columns_cell(const sample_t *s, const sample_proc_t *p, int col, char *buf, size_t size);

/* columns_header / columns_row: the whole header line or one process's line, columns
 * padded to their widths and separated by one space; returns strlen. */
size_t columns_header(char *buf, size_t size);
size_t columns_row(const sample_t *s, const sample_proc_t *p, char *buf, size_t size);

/* columns_offset: where column `col` starts in those lines. */
int columns_offset(int col);

/* columns_sort: fill rows[0 .. s->nprocs) with the processes of s ordered by column `col`
 * (its natural direction, flipped by `reverse`); ties in slot order. */
void columns_sort(const sample_t *s, const sample_proc_t **rows, int col, int reverse);

#endif
