/*
 * render_batch.h — evtop -b: snapshots as plain text, for pipes and scripts.
 *
 * No terminal control of any kind: only the summary lines, a blank line and the
 * process table (header, then one line per child in slot order). Write errors are left
 * to the caller (ferror on `out`). Not thread-safe for one FILE.
 */
#ifndef EVTOP_RENDER_BATCH_H
#define EVTOP_RENDER_BATCH_H

#include <stdio.h>

#include "sample.h"

/* render_batch_frame: one snapshot of sample `s` with the rates `d`. */
void render_batch_frame(FILE *out, const sample_t *s, const sample_delta_t *d);

/* render_batch_waiting: the snapshot printed while no scoreboard can be attached. */
void render_batch_waiting(FILE *out, int64_t wall_usec, const char *path, const char *reason);

#endif
