/*
 * range.h — byte Range requests (RFC 9110 section 14) and multipart/byteranges framing.
 *
 * range_parse turns a Range field value into a sorted, coalesced list of inclusive byte
 * spans of a representation of known size. The multipart helpers format the framing
 * around those spans so the caller can send memory parts with writev and file parts
 * with sendfile, and know the Content-Length before the first byte goes out.
 * Only GET has range semantics (section 14.2): the caller ignores Range for any other
 * method, and checks If-Range (cond_if_range) before honouring it.
 * All functions are pure: no allocation, no I/O, no shared state; thread-safe.
 */
#ifndef EV_RANGE_H
#define EV_RANGE_H

#include <stddef.h>
#include <stdint.h>
#include "slice.h"

/* Default cap on range-specs in one field: a field with more is ignored (200 with the
 * whole representation), as Apache does past MaxRanges. Apache's default is 200; 100
 * keeps a worst-case request's bookkeeping at 1.6 KiB of stack. */
#define EV_RANGE_MAX 100

/* Bytes for any Content-Range value from range_content_range, NUL included:
 * "bytes " + three 19-digit numbers + "-" + "/" + NUL. */
#define EV_RANGE_CONTENT_RANGE_LEN 66

/* Bytes for a boundary from range_boundary, NUL included (32 hex digits + 1). */
#define EV_RANGE_BOUNDARY_LEN 33

/* Outcome of range_parse. */
typedef enum {
    EV_RANGE_IGNORE = 0,   /* no usable Range: answer 200 with the whole representation */
    EV_RANGE_OK,           /* answer 206 with the returned spans */
    EV_RANGE_UNSATISFIABLE /* answer 416 with the Content-Range of range_content_range(NULL) */
} range_result_t;

/* One span of bytes, both ends inclusive, 0 <= first <= last < size. */
typedef struct {
    int64_t first; /* offset of the first byte */
    int64_t last;  /* offset of the last byte */
} range_t;

/*
 * range_parse: interpret the Range field value `v` for a representation of `size` bytes
 * (size >= 0). `out` is the caller's array of `max` entries (EV_RANGE_MAX is the
 * intended capacity). Returns:
 *   EV_RANGE_IGNORE when the value is not a valid ranges-specifier (wrong syntax, an
 *     empty set, last-pos < first-pos in any spec), the unit is not "bytes" (compared
 *     case-insensitively), or it holds more than `max` specs; *n is 0.
 *   EV_RANGE_UNSATISFIABLE when no spec is satisfiable: every first-pos >= size and
 *     every suffix-length is 0, or size is 0 (an empty representation has no byte to
 *     send); *n is 0.
 *   EV_RANGE_OK otherwise: out[0..*n) holds the satisfiable spans clipped to the size
 *     (last-pos beyond the end is cut, a suffix longer than the representation covers
 *     all of it), sorted ascending, with overlapping and adjacent spans merged (RFC 9110
 *     allows coalescing; it defeats "bytes=0-,0-,0-..." amplification). *n >= 1; the
 *     caller sends a single-part 206 when *n == 1, multipart/byteranges otherwise.
 * Numbers too large for int64_t saturate, so "bytes=99999999999999999999-" is a
 * syntactically valid, unsatisfiable spec. OWS around list elements and empty elements
 * are accepted as for any list field; OWS around "=" or "-" is not.
 */
range_result_t range_parse(ev_slice_t v, int64_t size, range_t *out, size_t max, size_t *n);

/*
 * range_content_range: format a Content-Range value into out[0..outsize): "bytes a-b/size"
 * for `r`, or, when `r` is NULL, the unsatisfied-range form a 416 carries: "bytes *"
 * immediately followed by "/size". Returns the length
 * the value needs, NUL excluded (snprintf's convention: the output is complete only when
 * the return is < outsize; EV_RANGE_CONTENT_RANGE_LEN bytes always suffice).
 */
size_t range_content_range(char *out, size_t outsize, const range_t *r, int64_t size);

/*
 * range_boundary: derive a multipart boundary (32 lowercase hex digits, NUL-terminated)
 * from `seed`; distinct seeds give distinct boundaries. Pass a per-process random value
 * mixed with a counter so a file's content cannot predict the boundary.
 */
void range_boundary(char out[EV_RANGE_BOUNDARY_LEN], uint64_t seed);

/*
 * range_part_header: format the delimiter and header that precede part `r` of a
 * multipart/byteranges body:
 *   "\r\n--BOUNDARY\r\nContent-Type: TYPE\r\nContent-Range: bytes a-b/size\r\n\r\n"
 * The Content-Type line is left out when `type` is NULL. Every part, the first included,
 * starts with CRLF (the first one then ends an empty preamble, as Apache sends it).
 * Returns the length needed, NUL excluded, with snprintf's convention; `out` may be NULL
 * when `outsize` is 0, to measure.
 */
size_t range_part_header(char *out, size_t outsize, const char *boundary, const char *type,
                         const range_t *r, int64_t size);

/*
 * range_closing: format the close delimiter "\r\n--BOUNDARY--\r\n" that ends the body.
 * Returns the length needed, NUL excluded, with snprintf's convention.
 */
size_t range_closing(char *out, size_t outsize, const char *boundary);

/*
 * range_multipart_length: the Content-Length of the whole multipart/byteranges body for
 * the spans r[0..n): every part header, every part's bytes and the close delimiter, as
 * range_part_header and range_closing format them with the same arguments.
 * The Content-Type of the response itself is "multipart/byteranges; boundary=BOUNDARY".
 */
int64_t range_multipart_length(const range_t *r, size_t n, const char *boundary, const char *type,
                               int64_t size);

#endif
