/*
 * alias_match.h — mod_alias's URL-prefix matching, shared by Alias and Redirect, and the
 * parsing and target building of Redirect.
 *
 * Pure functions: no I/O, no global state, thread-safe. What they allocate comes from the
 * pool passed in. Matching is byte-exact and case-sensitive, as in mod_alias: a prefix is
 * compared with the DECODED, normalized path (http_path_normalize's output), so "%20" in a
 * prefix matches the three bytes "%20", never a space.
 */
#ifndef EV_ALIAS_MATCH_H
#define EV_ALIAS_MATCH_H

#include <stddef.h>

#include <apr_pools.h>

/* Redirect's default status (mod_alias's "temp"). */
#define ALIAS_REDIRECT_DEFAULT 302

/*
 * alias_match: whether path[0..len) (normalized, no query, need not be NUL-terminated)
 * falls under `prefix` (NUL-terminated) as mod_alias decides:
 *   - bytes other than '/' compare literally;
 *   - a run of '/' in the prefix matches a run of one or more '/' in the path;
 *   - the match must end on a segment boundary: a prefix not ending in '/' matches only
 *     when the path ends there or continues with '/' ("/one" matches "/one" and
 *     "/one/two", not "/onetwo"); a prefix ending in '/' needs that '/' in the path
 *     ("/one/" matches "/one/" and "/one/two", not "/one").
 * Returns how many bytes of path the match consumed (more than strlen(prefix) when runs of
 * '/' were merged; the '/' run after a prefix ending in '/' is consumed too), or 0 for no
 * match. An empty prefix never matches. Thread-safe; never allocates.
 */
size_t alias_match(const char *prefix, const char *path, size_t len);

/*
 * alias_redirect_target: the Location for a Redirect whose prefix consumed `consumed`
 * bytes of path[0..len): `target` as configured, then the rest of the path percent-encoded
 * (every byte but RFC 3986 unreserved, sub-delims, ':', '@' and '/' becomes %XX, so a
 * decoded space, '%', '?', '#', '"', '<', '>', control or non-ASCII byte cannot change the
 * URL's meaning), then '?' and the request's query when `query` is not NULL and `target`
 * has no '?' of its own (mod_alias's rule). query[0..qlen) is appended as received: the
 * request parser admits only visible ASCII there. A non-NULL empty query still appends
 * "?", as mod_alias does for "/old?". The rest is joined without adding or removing a '/':
 * "Redirect /a http://h/b/" sends "/a/x" to "http://h/b//x", as mod_alias does; match
 * the prefix's and the target's trailing slashes.
 * A target starting with '/' stays relative: the caller may send it as is (RFC 9110
 * 10.2.2 allows a relative Location) or prefix the scheme and authority.
 * Requires consumed <= len. Returns a NUL-terminated string from p; never fails
 * (allocation failure aborts, as APR pools do). Thread-safe.
 */
const char *alias_redirect_target(const char *target, const char *path, size_t len, size_t consumed,
                                  const char *query, size_t qlen, apr_pool_t *p);

/*
 * alias_redirect_parse: Redirect's arguments argv[0..argc): [status] URL-path [URL].
 * status is permanent (301), temp (302, the default), seeother (303), gone (410), any
 * case, or a decimal number: 300-399 needs a URL, 410 takes none; any other number is
 * refused. With two arguments, a first one that is a status makes the second the
 * URL-path ("Redirect gone /old"); otherwise they are URL-path and URL.
 * No argument may hold a control byte (checked first, so reasons can quote arguments
 * safely). URL-path must start with '/'.
 * URL must be an absolute URL (scheme "://" authority ...) or start with a single '/' (a
 * path on this server, which mod_alias makes absolute later; see alias_redirect_target),
 * and hold only visible ASCII (percent-encode the rest). "//host/..." is refused: a
 * browser would read it as another host, where mod_alias means a local path.
 * On success returns NULL and sets *status, *prefix and *target (NULL for 410), copied
 * into p. On failure returns a reason allocated from p (or static), without the
 * directive's name, and leaves the outputs alone. Thread-safe.
 */
const char *alias_redirect_parse(int argc, char **argv, int *status, const char **prefix,
                                 const char **target, apr_pool_t *p);

#endif
