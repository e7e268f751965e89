/*
 * http_date.h — HTTP-date (RFC 9110 section 5.6.7) formatting and parsing.
 *
 * Formatting always produces the preferred IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT");
 * parsing also accepts the obsolete RFC 850 and asctime forms, as recipients must.
 * No allocation, no locks, never logs.
 */
#ifndef EV_HTTP_DATE_H
#define EV_HTTP_DATE_H

#include <apr_time.h>
#include "slice.h"

/* Bytes needed to hold an IMF-fixdate and its NUL (29 + 1; equals APR_RFC822_DATE_LEN). */
#define EV_HTTP_DATE_LEN 30

/*
 * http_date_format: write the IMF-fixdate of `t` (microseconds since the epoch; the
 * sub-second part is dropped) into `out`, NUL-terminated. Times before the epoch are
 * clamped to the epoch and times past 9999-12-31T23:59:59Z to that instant, because the
 * format has a four-digit year. Thread-safe; never fails.
 */
void http_date_format(apr_time_t t, char out[EV_HTTP_DATE_LEN]);

/*
 * http_date_now: write the IMF-fixdate of the current second into `out` and return that
 * second as an apr_time_t (a whole number of seconds, in microseconds), so the caller
 * can use the same instant for the Date field and for validator decisions (cond.h).
 * The string is formatted at most once per second per thread: each thread keeps its
 * own cache keyed by the second, so no lock and no shared write is involved.
 * Thread-safe; async-signal-unsafe; never fails.
 */
apr_time_t http_date_now(char out[EV_HTTP_DATE_LEN]);

/*
 * http_date_parse: parse an HTTP-date in any of the three forms RFC 9110 allows
 * (IMF-fixdate, RFC 850, asctime), as found in If-Modified-Since and friends.
 * `v` need not be NUL-terminated; surrounding whitespace is ignored. Returns the time
 * in microseconds, or APR_DATE_BAD (0) for a value that is not a valid date (including
 * one longer than any date could be). The epoch itself is therefore indistinguishable
 * from an invalid date, which only means a validator of exactly 1970-01-01T00:00:00Z
 * is ignored. Thread-safe.
 */
apr_time_t http_date_parse(ev_slice_t v);

#endif
