/*
 * json.h — a small streaming JSON writer for evctl's --json output.
 *
 * Writes compact JSON to a stdio stream as the calls come, keeping only the nesting
 * state (no tree, no allocation). Strings are escaped as RFC 8259 requires: `"` and
 * `\` with a backslash, every control character as \u00XX; well-formed UTF-8 passes
 * through unchanged and each byte of an ill-formed sequence becomes \ufffd, so the
 * output is always valid JSON whatever bytes the daemon sent. Numbers that JSON
 * cannot hold (NaN, infinities) are written as null.
 *
 * Every value call takes `key`: the member name inside an object, NULL inside an array
 * or for the top-level value. Misuse (a key inside an array, nesting deeper than
 * JSON_MAX_DEPTH, closing what is not open) is recorded, not written, and reported by
 * json_finish. A json_t belongs to one thread.
 */
#ifndef EV_JSON_H
#define EV_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

typedef struct {
    FILE *out;                               /* where the text goes (not owned) */
    int depth;                               /* containers open */
    unsigned char is_array[JSON_MAX_DEPTH];  /* per open container: 1 array, 0 object */
    unsigned char has_items[JSON_MAX_DEPTH]; /* per open container: a comma is due */
    int misuse;                              /* a call broke the nesting rules */
} json_t;

/* json_init: a writer on `out`, nothing written yet. */
void json_init(json_t *j, FILE *out);

void json_object_begin(json_t *j, const char *key);
void json_object_end(json_t *j);
void json_array_begin(json_t *j, const char *key);
void json_array_end(json_t *j);

/* json_string: `s` escaped as above; NULL writes null. */
void json_string(json_t *j, const char *key, const char *s);
void json_uint(json_t *j, const char *key, uint64_t v);
void json_int(json_t *j, const char *key, int64_t v);
void json_double(json_t *j, const char *key, double v);
void json_bool(json_t *j, const char *key, int v);
void json_null(json_t *j, const char *key);

/* json_finish: end the document with a newline and flush. Returns 0, or -1 when the
 * calls were unbalanced or misused, or the stream reported an error. */
int json_finish(json_t *j);

/* json_write_escaped: write `s` as a quoted JSON string to `out` (used by json_string,
 * exported for the tests and for callers that build JSON by hand). */
void json_write_escaped(FILE *out, const char *s);

#endif
