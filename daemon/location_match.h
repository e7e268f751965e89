/*
 * location_match.h — which <Location> section a request path falls in: longest prefix wins.
 *
 * A table of URL-path prefixes, filled at configuration time, frozen, then read-only:
 * any number of threads may look paths up concurrently, without locks and without
 * allocating. It never logs.
 *
 * Matching is Apache's <Location> string-prefix rule, byte for byte (case-sensitive, no
 * notion of path segments): "/foo" matches "/foo", "/foo/x" and "/foobar"; "/foo/"
 * matches "/foo/" and "/foo/x" but not "/foo". Where Apache applies every matching
 * section in turn, this table answers only the longest; a caller that wants Apache's
 * merged result merges along the way when it builds the sections' values.
 */
#ifndef EV_LOCATION_MATCH_H
#define EV_LOCATION_MATCH_H

#include <stddef.h>

#include <apr_errno.h>
#include <apr_pools.h>

/* The prefixes of one set of <Location> sections; opaque, allocated in a caller's pool. */
typedef struct location_table_t location_table_t;

/*
 * location_table_create: an empty table allocated from `p` (pconf: the table, its
 * prefixes and its lookup structure live as long as the configuration generation).
 * Returns APR_SUCCESS; allocation failure goes to the pool's abort function.
 */
apr_status_t location_table_create(location_table_t **t, apr_pool_t *p);

/*
 * location_table_add: map `prefix` (NUL-terminated, copied) to `value` (kept, never
 * dereferenced). The prefix is a URL path normalized as requests are (the caller's job:
 * http_path_normalize's rules) and starts with '/'; a trailing '/' is kept and
 * significant. Adding a prefix again replaces its value (the later section wins).
 * Returns APR_SUCCESS, or APR_EINVAL (the table unchanged) for a NULL or empty prefix,
 * one not starting with '/', a NULL value, or a call after location_table_freeze.
 * Not thread-safe: configuration time only.
 */
apr_status_t location_table_add(location_table_t *t, const char *prefix, void *value);

/*
 * location_table_freeze: after the last add, build the lookup structure (from the table's
 * pool: about 150 bytes per prefix besides its copy). Calling it again does
 * nothing. Not thread-safe: configuration time only.
 */
void location_table_freeze(location_table_t *t);

/*
 * location_table_lookup: the value of the longest prefix that path[0..len) starts with
 * (a normalized path without the query; need not be NUL-terminated). Costs
 * O(len) byte compares plus one binary search of at most 256 bytes per branch taken,
 * whatever the number of prefixes.
 * Returns the value given to location_table_add, or NULL when no prefix matches (also for
 * a NULL path or len 0, and on a table not yet frozen).
 * Thread-safe after location_table_freeze (reads only); never allocates.
 */
void *location_table_lookup(const location_table_t *t, const char *path, size_t len);

#endif
