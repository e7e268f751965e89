/*
 * expires.h — mod_expires' ExpiresByType: the expiry interval syntax, the media-type
 * pattern, and choosing the rule for a response's Content-Type.
 *
 * Pure functions: no I/O, no global state, no allocation, thread-safe. Rules are built
 * once per configuration and only read afterwards.
 */
#ifndef EV_EXPIRES_H
#define EV_EXPIRES_H

#include <apr.h>
#include <apr_tables.h>

/* The longest interval accepted, in seconds (2^31 - 1, about 68 years): mod_expires keeps
 * the interval in an int, and RFC 9111 1.2.2 lets caches cap max-age at 2^31. */
#define EXPIRES_MAX_SECONDS 2147483647

/* One ExpiresByType line, the element type of the rule list expires_rule_find searches. */
typedef struct {
    const char *type;    /* a pattern expires_type_check accepted */
    apr_int64_t seconds; /* from expires_parse: how long after the access it expires */
} expires_rule_t;

/*
 * expires_parse: ExpiresByType's interval, NUL-terminated, in either mod_expires syntax:
 *   - "A<seconds>": an upper-case A then decimal digits ("A2592000");
 *   - "access|now [plus] {<num> <unit>}": words separated by blanks, any case, "plus"
 *     optional; <num> decimal digits; <unit> one of years, months, weeks, days, hours,
 *     minutes, seconds, singular or plural (a month is 30 days and a year 365, as in
 *     mod_expires); pairs add up and a unit may repeat. "access" alone means 0.
 * Only the access time is a base: "M<seconds>" and "modification ..." are refused, as
 * evhttpd sends Expires relative to the request only. Stricter than mod_expires, which
 * reads numbers with atoi and keywords by their first letters: "1.5", "-1", "+1", "1day",
 * "fortnight", a number without a unit, or "plus" with nothing after it are refused.
 * Returns NULL and sets *seconds (0..EXPIRES_MAX_SECONDS), or a static reason phrased to
 * follow the quoted argument ("is ...", "has ...") and leaves *seconds alone.
 */
const char *expires_parse(const char *spec, apr_int64_t *seconds);

/*
 * expires_type_check: ExpiresByType's first argument: "type/subtype", both tokens
 * (RFC 9110 8.3.1), or a wildcard: a type, '/' and '*', for every subtype of the type.
 * The wildcard is an evhttpd extension (mod_expires matches the exact type only); a
 * configuration written for Apache never has one, so none changes meaning here. A '*'
 * type, a bare '*', parameters (";charset=...") and anything else are refused. Returns
 * NULL or a static reason phrased like expires_parse's.
 */
const char *expires_type_check(const char *pattern);

/*
 * expires_type_match: how `pattern` (as expires_type_check accepts) matches the media
 * type of `content_type` (a Content-Type value, NUL-terminated, or NULL): its parameters
 * after ';' and surrounding blanks are ignored and the comparison is ASCII
 * case-insensitive. Returns 2 for an exact match, 1 for a wildcard match, 0 for none
 * (also for a NULL or malformed content type).
 */
int expires_type_match(const char *pattern, const char *content_type);

/*
 * expires_rule_find: the rule of `rules` (expires_rule_t elements) that applies to
 * `content_type`: an exact match wins over a wildcard one; between equal matches the later
 * rule wins, as a later ExpiresByType for the same type replaces the earlier in
 * mod_expires. Returns a pointer into rules, or NULL when none matches.
 */
const expires_rule_t *expires_rule_find(const apr_array_header_t *rules, const char *content_type);

#endif
