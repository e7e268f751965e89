/*
 * vhost_match.h — choosing a name-based virtual host by the request's host, as Apache does.
 *
 * One table serves one address group: the <VirtualHost> sections that share the listening
 * address a connection came in on. The table is filled in configuration order at load
 * time, frozen, and from then on read-only: any number of threads may look hosts up
 * concurrently, without locks and without allocating. It never logs.
 *
 * Names are ASCII and compared case-insensitively. The bytes a name may hold:
 *   outside brackets  letters, digits, '-', '_', and '.' between non-empty labels
 *   inside "[...]"    an IPv6 literal: hex digits, ':' and '.' (for an embedded IPv4)
 *   patterns only     '*' (any run of bytes, dots included, possibly empty) and '?'
 *                     (exactly one byte), anywhere, as Apache's ServerAlias has them
 * Either kind may end in ":port" (digits, possibly none), which is not part of the name,
 * and a name outside brackets may end in one '.', which is ignored ("example.com." is
 * "example.com").
 */
#ifndef EV_VHOST_MATCH_H
#define EV_VHOST_MATCH_H

#include <stddef.h>

#include <apr_errno.h>
#include <apr_pools.h>

/* Longest pattern accepted by vhost_table_add, and longest host name (port and trailing
 * dot excluded) that vhost_table_lookup can match, in bytes (a DNS name has at most 253). */
#define EV_VHOST_PATTERN_MAX 255

/* The names of one address group's virtual hosts; opaque, allocated in a caller's pool. */
typedef struct vhost_table_t vhost_table_t;

/*
 * vhost_table_create: an empty table allocated from `p` (pconf: the table, its names and
 * its lookup structures live as long as the configuration generation). Returns
 * APR_SUCCESS; allocation failure goes to the pool's abort function, as everywhere in APR.
 */
apr_status_t vhost_table_create(vhost_table_t **t, apr_pool_t *p);

/*
 * vhost_table_add: add the name pattern `pattern` (NUL-terminated, copied) for `value`
 * (a virtual host; kept, never dereferenced). Call in configuration order: for each
 * virtual host its ServerName, then its ServerAliases, so that the order of the calls is
 * the order of the hosts; a name added twice keeps its first value.
 * A pattern without '*' or '?' is an exact name. The ":port" of "ServerName host:port"
 * is dropped (names match whatever the port). An unbracketed pattern with two or more
 * ':' is taken as a bare IPv6 literal and bracketed ("::1" matches the Host "[::1]"),
 * since a request can only send one in brackets. IPv6 literals compare as text, like
 * names: "[::1]" is not "[0::1]".
 * Returns APR_SUCCESS, or APR_EINVAL (the table unchanged) for a NULL `value`, an empty
 * name, a byte outside the set above, an empty label ("a..b", ".a"), a stray bracket or
 * colon, an IPv6 literal without wildcards that inet_pton(3) refuses, a pattern over
 * EV_VHOST_PATTERN_MAX bytes, or a call after vhost_table_freeze.
 * Not thread-safe: configuration time only.
 */
apr_status_t vhost_table_add(vhost_table_t *t, const char *pattern, void *value);

/*
 * vhost_table_freeze: after the last add, build the lookup structures (from the table's
 * pool). Calling it again does nothing. Not thread-safe: configuration time only.
 */
void vhost_table_freeze(vhost_table_t *t);

/*
 * vhost_table_lookup: the virtual host for a request's host as sent, host[0..len) (the
 * Host field value or the authority of an absolute-form target; need not be
 * NUL-terminated). A ":port" suffix and one trailing '.' are ignored, and letters
 * compare case-insensitively.
 * Apache's rule decides: the FIRST host in configuration order with any matching name or
 * pattern wins, so an exact name of a later host loses to an earlier host's wildcard.
 * Cost: one hash probe for the exact names, then a scan of only those patterns added
 * before the exact hit (all of them when there is none).
 * Returns the value given to vhost_table_add, or NULL when nothing matches (the caller
 * then serves the group's default, its first host): also for a NULL or empty host (an
 * HTTP/1.0 request without Host), a host that is not a valid name by the rules above
 * (any other byte, an empty label, a non-digit port, a name over EV_VHOST_PATTERN_MAX
 * bytes), and on a table not yet frozen.
 * Thread-safe after vhost_table_freeze (reads only); never allocates.
 */
void *vhost_table_lookup(const vhost_table_t *t, const char *host, size_t len);

#endif
