/*
 * render_batch.c — snapshots as plain text (see render_batch.h).
 *
 * Slot order, not a sort key: successive snapshots then list the children in the same
 * order, which is what a reader diffing them or a script picking a slot wants.
 */
#include "columns.h"
#include "render_batch.h"
#include "summary.h"

void
render_batch_frame(FILE *out, const sample_t *s, const sample_delta_t *d)
{
    summary_t lines;
    char row[256];
    unsigned i;

    summary_format(s, d, lines);
    for (i = 0; i < SUMMARY_LINES; i++)
        fprintf(out, "%s\n", lines[i]);
    columns_header(row, sizeof row);
    fprintf(out, "\n%s\n", row);
    for (i = 0; i < s->nprocs; i++) {
        columns_row(s, &s->procs[i], row, sizeof row);
        fprintf(out, "%s\n", row);
    }
}

void
render_batch_waiting(FILE *out, int64_t wall_usec, const char *path, const char *reason)
{
    char line[512];

    summary_waiting(line, sizeof line, wall_usec, path, reason);
    fprintf(out, "%s\n", line);
}
