/*
 * static_log.h — the error log lines of a file request that was refused.
 */
#ifndef EV_STATIC_LOG_H
#define EV_STATIC_LOG_H

#include "conn.h"

/* static_log_refusal: after static.c refused `url` (normalized) with `status`, write
 * the line Apache writes for it to the site's ErrorLog (log_request): a file that does
 * not exist (info, as AH00128), a directory with no DirectoryIndex file and no Options
 * Indexes (error, as AH01276), a file or a path the server may not read (error, as
 * AH00132 / AH00035). `root` is the descriptor `rel` was looked up beneath (-1 when
 * the URL was not mapped), `no_index` static.c's verdict on a directory. Other
 * statuses write nothing. Worker thread, on the connection it owns; allocates from
 * the request pool only when the line is written. */
void static_log_refusal(conn_t *c, int status, int root, const char *rel, const char *url,
                        int no_index);

#endif
