/*
 * cond.h — validators and conditional requests for static files (RFC 9110 sections
 * 8.8 and 13).
 *
 * The validators of a file are derived from its struct stat alone:
 *   ETag          "<mtime in ns, hex>-<size, hex>", always strong. The order follows
 *                 nginx (mtime-size); nanoseconds (not nginx's seconds) make a rewrite of
 *                 the same size within one second change the tag. The inode is left out,
 *                 as Apache's default FileETag does since 2.4, so replicas of a docroot
 *                 on several hosts agree. A content-coded representation served from a
 *                 variant file (x.css.gz) has the variant's tag with "-<coding>" inside
 *                 the quotes, as mod_deflate marks its own: no two codings share a tag.
 *   Last-Modified the mtime in whole seconds, never later than the response's Date.
 * All functions are pure: no allocation, no I/O, no shared state; thread-safe.
 * Header fields are read from an http_request_t built by the parser (or by hand):
 * every field line with the name counts, so list fields split over several lines
 * (If-Match, If-None-Match) are combined as RFC 9110 section 5.3 requires.
 */
#ifndef EV_COND_H
#define EV_COND_H

#include <sys/stat.h>

#include <apr_time.h>
#include "http_parse.h"

/* Bytes needed for an ETag from cond_etag, quotes and NUL included (1+16+1+16+1+1). */
#define EV_ETAG_LEN 40

/*
 * cond_etag: write the strong entity-tag of the file described by `st`, with its double
 * quotes (ready for an ETag field), NUL-terminated, into `out`. Never fails.
 */
void cond_etag(const struct stat *st, char out[EV_ETAG_LEN]);

/* Bytes needed for an ETag from cond_etag_coded: cond_etag's, '-' and a coding name of
 * at most 6 bytes. */
#define EV_ETAG_CODED_LEN (EV_ETAG_LEN + 7)

/*
 * cond_etag_coded: write the strong entity-tag of the `coding` ("gzip", "br"; at most 6
 * bytes, longer is cut) representation stored in the file described by `st` into `out`,
 * NUL-terminated: cond_etag's with "-<coding>" before the closing quote. Never fails.
 */
void cond_etag_coded(const struct stat *st, const char *coding, char out[EV_ETAG_CODED_LEN]);

/*
 * cond_last_modified: the Last-Modified time of the file described by `st`: its mtime
 * truncated to the second, or `now` when the mtime is in the future (RFC 9110 section
 * 8.8.2.1). `now` is the Date of the response (http_date_now's return value).
 * Format it with http_date_format. Never fails.
 */
apr_time_t cond_last_modified(const struct stat *st, apr_time_t now);

/*
 * cond_evaluate: evaluate If-Match, If-Unmodified-Since, If-None-Match and
 * If-Modified-Since in the order of RFC 9110 section 13.2.2 against the selected
 * representation, whose validators are `etag` (as produced by cond_etag, quotes
 * included; a W/ prefix marks it weak) and `last_modified` (cond_last_modified).
 * `now` is the response's Date; an If-Modified-Since later than it is ignored.
 * The request's method_id decides between 304 and 412 for If-None-Match, and
 * If-Modified-Since is only honoured for GET and HEAD.
 * Rules applied:
 *   - If-Match: strong comparison; "*" matches (the representation exists). No match,
 *     a malformed list or an empty one: 412.
 *   - If-Unmodified-Since (only without If-Match): 412 when last_modified is later.
 *   - If-None-Match: weak comparison; "*" matches. A match gives 304 for GET/HEAD and
 *     412 otherwise. A malformed list matches nothing.
 *   - If-Modified-Since (only without If-None-Match, only GET/HEAD): 304 when
 *     last_modified is not later.
 *   - A date field that is not a valid HTTP-date, or that appears on more than one
 *     line, is ignored.
 * The caller evaluates only when the response would otherwise be 2xx (section 13.2.1).
 * Returns 0 (proceed), 304 or 412.
 */
int cond_evaluate(const http_request_t *req, const char *etag, apr_time_t last_modified,
                  apr_time_t now);

/*
 * cond_if_range: whether a Range field may be honoured given If-Range (RFC 9110 section
 * 13.1.5). Call it only for a request that has a Range field to honour.
 * Returns 1 when there is no If-Range, or when its validator matches: an entity-tag
 * equal to `etag` under strong comparison (a weak tag on either side never matches),
 * or an HTTP-date equal to `last_modified` to the second, provided last_modified is at
 * least one second before `now` (only then is a date a strong validator, section
 * 8.8.2.2). `last_modified` 0 says the date is no strong validator at all (files that
 * share it with other representations of the resource: precompressed variants): then
 * only an entity-tag matches. Returns 0 otherwise, including for a malformed value or
 * one that appears on more than one line: the caller then ignores Range and sends the
 * whole representation.
 */
int cond_if_range(const http_request_t *req, const char *etag, apr_time_t last_modified,
                  apr_time_t now);

#endif
