/*
 * board.h — evtop's attachment to the scoreboard file, kept across daemon restarts.
 *
 * The daemon creates the file afresh on every start and unlinks it when it stops, so
 * the file a name points at changes over evtop's life. A board remembers the path,
 * maps whatever evhttpd scoreboard is there now (read-only, sb_attach_readonly), and
 * notices when the file disappears or is replaced (another inode), dropping the old
 * mapping and attaching to the new file. Not thread-safe; evtop has one thread.
 */
#ifndef EVTOP_BOARD_H
#define EVTOP_BOARD_H

#include <stdint.h>

#include <apr_pools.h>

#include "scoreboard.h"

typedef struct board_t board_t;

/* board_create: a detached board for `path` (copied), allocated from `p`; mappings are
 * made in subpools of p and live until they are replaced or p is destroyed. Never fails
 * (APR aborts on allocation failure). */
board_t *board_create(const char *path, apr_pool_t *p);

/*
 * board_check: make the board match the file at its path now. Keeps the current mapping
 * while the path names the same file; otherwise drops it and attaches to what is there.
 * Returns APR_SUCCESS when attached (see board_sb), else why not: APR_ENOENT (no file),
 * APR_EGENERAL (not a scoreboard of this layout, or a file that is still being
 * created), APR_EAGAIN (the file changed while it was being attached; try again), or
 * the errno of the failing stat/open/mmap.
 */
apr_status_t board_check(board_t *b);

/* board_sb: the current mapping, or NULL while detached. Valid until the next board_check. */
sb_t *board_sb(const board_t *b);

/* board_epoch: a number that changes with every new attachment, so that deltas are
 * never taken between two different files (0 before the first one). */
uint64_t board_epoch(const board_t *b);

/* board_path: the path it watches. */
const char *board_path(const board_t *b);

/* board_strerror: a one-line reason for a board_check status, e.g. "No such file or
 * directory" or "not an evhttpd scoreboard (or another version)"; written to buf. */
const char *board_strerror(apr_status_t rv, char *buf, apr_size_t size);

#endif
