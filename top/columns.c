/*
 * columns.c — the process table's columns (see columns.h).
 *
 * Widths fit the table in 80 columns: pids up to 7 digits (pid_max is 2^22), counts
 * exact up to 8 digits and scaled beyond (format_count), rates and bytes in the
 * format.h units that never exceed their column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "format.h"

const columns_def_t columns_defs[COLUMNS_N] = {
    [COL_SLOT] = { "SLOT", 4, 0, 0 },      [COL_PID] = { "PID", 7, 0, 0 },
    [COL_GEN] = { "GEN", 4, 0, 1 },        [COL_STATE] = { "STATE", 9, 1, 0 },
    [COL_THREADS] = { "THR", 4, 0, 1 },    [COL_BUSY] = { "BUSY", 4, 0, 1 },
    [COL_IDLE] = { "IDLE", 4, 0, 1 },      [COL_CONNS] = { "CONNS", 5, 0, 1 },
    [COL_KEEPALIVE] = { "KA", 5, 0, 1 },   [COL_REQS] = { "REQS", 8, 0, 1 },
    [COL_REQ_RATE] = { "REQ/S", 6, 0, 1 }, [COL_BYTE_RATE] = { "B/S", 6, 0, 1 },
};

void
columns_cell(const sample_t *s, const sample_proc_t *p, int col, char *buf, size_t size)
{
    const sb_process_snap_t *ps = &p->proc;
    int w;

    if (col < 0 || col >= COLUMNS_N) {
        snprintf(buf, size, "?");
        return;
    }
    w = columns_defs[col].width;
    switch (col) {
    case COL_SLOT:
        snprintf(buf, size, "%u", p->slot);
        break;
    case COL_PID:
        snprintf(buf, size, "%ld", (long)ps->pid);
        break;
    case COL_GEN:
        snprintf(buf, size, "%lu", (unsigned long)ps->generation);
        break;
    case COL_STATE:
        snprintf(buf, size, "%s", sample_state_name(sample_proc_state(s, p)));
        break;
    case COL_THREADS:
        format_count(buf, size, (uint64_t)ps->threads, w);
        break;
    case COL_BUSY:
        format_count(buf, size, (uint64_t)ps->busy_workers, w);
        break;
    case COL_IDLE:
        format_count(buf, size, (uint64_t)ps->idle_workers, w);
        break;
    case COL_CONNS:
        format_count(buf, size, (uint64_t)ps->connections, w);
        break;
    case COL_KEEPALIVE:
        format_count(buf, size, (uint64_t)ps->keepalive, w);
        break;
    case COL_REQS:
        format_count(buf, size, ps->requests, w);
        break;
    case COL_REQ_RATE:
        if (p->rates_known)
            format_rate(buf, size, p->req_rate);
        else
            snprintf(buf, size, "-");
        break;
    case COL_BYTE_RATE:
        if (p->rates_known)
            format_bytes(buf, size, p->byte_rate);
        else
            snprintf(buf, size, "-");
        break;
    default:
        break;
    }
}

/* Append `text` padded to column `col`'s width (and a separator unless it is the last). */
static size_t
columns_put(char *buf, size_t size, size_t len, int col, const char *text)
{
    const columns_def_t *c = &columns_defs[col];
    int n;

    if (len >= size)
        return len;
    n = snprintf(buf + len, size - len, c->left ? "%-*.*s%s" : "%*.*s%s", c->width, c->width, text,
                 col == COLUMNS_N - 1 ? "" : " ");
    if (n < 0)
        return len;
    return len + (size_t)n < size ? len + (size_t)n : size - 1;
}

size_t
columns_header(char *buf, size_t size)
{
    size_t len = 0;
    int col;

    buf[0] = '\0';
    for (col = 0; col < COLUMNS_N; col++)
        len = columns_put(buf, size, len, col, columns_defs[col].name);
    return len;
}

size_t
columns_row(const sample_t *s, const sample_proc_t *p, char *buf, size_t size)
{
    char cell[32];
    size_t len = 0;
    int col;

    buf[0] = '\0';
    for (col = 0; col < COLUMNS_N; col++) {
        columns_cell(s, p, col, cell, sizeof cell);
        len = columns_put(buf, size, len, col, cell);
    }
    return len;
}

int
columns_offset(int col)
{
    int x = 0, c;

    for (c = 0; c < col && c < COLUMNS_N; c++)
        x += columns_defs[c].width + 1;
    return x;
}

/* The sort key of a row in column `col`; STATE sorts by how far from serving it is. */
static double
columns_key(const sample_t *s, const sample_proc_t *p, int col)
{
    const sb_process_snap_t *ps = &p->proc;

    switch (col) {
    case COL_SLOT:
        return p->slot;
    case COL_PID:
        return ps->pid;
    case COL_GEN:
        return ps->generation;
    case COL_STATE:
        return sample_proc_state(s, p);
    case COL_THREADS:
        return ps->threads;
    case COL_BUSY:
        return ps->busy_workers;
    case COL_IDLE:
        return ps->idle_workers;
    case COL_CONNS:
        return (double)ps->connections;
    case COL_KEEPALIVE:
        return (double)ps->keepalive;
    case COL_REQS:
        return (double)ps->requests;
    case COL_REQ_RATE:
        return p->rates_known ? p->req_rate : -1;
    case COL_BYTE_RATE:
        return p->rates_known ? p->byte_rate : -1;
    default:
        return 0;
    }
}

typedef struct {
    const sample_t *s;
    int col;
    int sign; /* +1 ascending, -1 descending */
} columns_order_t;

static int
columns_compare(const void *a, const void *b, void *arg)
{
    const columns_order_t *o = arg;
    const sample_proc_t *pa = *(const sample_proc_t *const *)a;
    const sample_proc_t *pb = *(const sample_proc_t *const *)b;
    double ka = columns_key(o->s, pa, o->col), kb = columns_key(o->s, pb, o->col);

    if (ka != kb)
        return ka < kb ? -o->sign : o->sign;
    return pa->slot < pb->slot ? -1 : pa->slot > pb->slot;
}

void
columns_sort(const sample_t *s, const sample_proc_t **rows, int col, int reverse)
{
    columns_order_t o = { s, col, 1 };
    unsigned i;

    if (col < 0 || col >= COLUMNS_N)
        col = o.col = COL_SLOT;
    o.sign = (columns_defs[col].descending ? -1 : 1) * (reverse ? -1 : 1);
    for (i = 0; i < s->nprocs; i++)
        rows[i] = &s->procs[i];
    qsort_r(rows, s->nprocs, sizeof *rows, columns_compare, &o);
}
