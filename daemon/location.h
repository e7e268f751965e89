/*
 * location.h — <Location> sections: Require and SetHandler as written, and the
 * per-site table of merged sections a request is looked up in.
 *
 * A request's settings are those of every section whose prefix its path starts with,
 * merged shorter prefix first so the longest wins; all the sections a path can match
 * are prefixes of the longest one it matches, so merging each prefix's ancestors once,
 * at load, makes a request's lookup a single location_table_lookup.
 *
 * Who: configuration time (single-threaded) but for location_require_granted, which
 * worker threads call. Pure: no I/O, no logging.
 */
#ifndef EV_LOCATION_H
#define EV_LOCATION_H

#include <sys/socket.h>

#include <apr_pools.h>

#include "config.h"

/*
 * location_require_parse: add one Require directive's arguments (argv[0] is the
 * provider: "all granted", "all denied", "ip NET...", "local") to *r, whose nets array
 * exists. `Require all denied` adds nothing: a section with only it grants nobody.
 * Returns NULL, or the reason it is refused (static or from p); *r is then unchanged.
 */
const char *location_require_parse(int argc, char **argv, ev_require_t *r, apr_pool_t *p);

/* location_require_granted: whether the client at `sa` may have what a section with
 * Require `r` holds. Thread-safe, no allocation. */
int location_require_granted(const ev_require_t *r, const struct sockaddr *sa);

/* location_handler_parse: a SetHandler name into *handler (EV_HANDLER_*). Returns NULL
 * or the reason. */
const char *location_handler_parse(const char *name, int *handler);

/*
 * location_build: site s's table of merged sections (s->location_table), from the main
 * server's sections (`m`; NULL or s itself when s is the main server) followed by s's
 * own; NULL when neither has any. Each prefix starts from the site's own Header and
 * ErrorDocument (s->headers, s->error_documents: call it once those are merged with
 * the main server's). Allocates from p. Returns APR_SUCCESS, or an APR error when the
 * table refuses a prefix (config.c normalized them, so only on a bug).
 */
apr_status_t location_build(ev_site_t *s, const ev_site_t *m, apr_pool_t *p);

#endif
