/*
 * sbpath.h — where the scoreboard is: ScoreboardFile read from the configuration with
 * the daemon's own parser, so evtop and evhttpd never disagree on ServerRoot-relative
 * paths, Include or the DefaultRuntimeDir default.
 *
 * A library for evtop: prints nothing, never exits. Not thread-safe (APR pools).
 */
#ifndef EVTOP_SBPATH_H
#define EVTOP_SBPATH_H

#include <apr_pools.h>

/* The configuration evtop reads when given neither -s nor -f. */
#define SBPATH_DEFAULT_CONFIG SYSCONFDIR "/evhttpd/evhttpd.conf"

/*
 * sbpath_from_config: ScoreboardFile of `config_file` (SBPATH_DEFAULT_CONFIG when NULL).
 * On success *path is set (allocated from p) and APR_SUCCESS returned; otherwise
 * APR_EINVAL with *error a one-line explanation from p: the file's first error as
 * "file:line: message", with a count of the others. Needs apr_initialize.
 */
apr_status_t sbpath_from_config(const char **path, const char *config_file, apr_pool_t *p,
                                const char **error);

#endif
