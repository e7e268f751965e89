/*
 * sockpath.h — where the daemon's control socket is: -s, or ControlSocket read from the
 * configuration with the daemon's own parser (so evctl and evhttpd never disagree on
 * defaults, ServerRoot-relative paths or Include).
 *
 * A library for evctl: prints nothing, never exits. Not thread-safe (APR pools).
 */
#ifndef EV_SOCKPATH_H
#define EV_SOCKPATH_H

/* The configuration evctl reads when given neither -s nor -f. */
#define SOCKPATH_DEFAULT_CONFIG SYSCONFDIR "/evhttpd/evhttpd.conf"

/*
 * sockpath_resolve: `socket_path` when not NULL, else ControlSocket from `config_file`
 * (SOCKPATH_DEFAULT_CONFIG when NULL). Returns a malloc'd path (caller frees), or NULL
 * with *error set to a malloc'd one-line explanation (caller frees): the config file's
 * first error as "file:line: message", with a count of the others.
 */
char *sockpath_resolve(const char *socket_path, const char *config_file, char **error);

#endif
