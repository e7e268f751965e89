/*
 * http_parse.h — the HTTP/1.1 request-head parser (RFC 9112), no I/O, no allocation.
 *
 * The parser reads a request head from a caller's buffer and yields the request line
 * and fields as slices of that buffer. It is re-entrant and thread-safe (no state
 * outside its arguments). It never logs.
 */
#ifndef EV_HTTP_PARSE_H
#define EV_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "slice.h"

/* Methods we know. Anything else that is a valid token is EV_M_OTHER (501 later). */
typedef enum {
    EV_M_OTHER = 0,
    EV_M_GET,
    EV_M_HEAD,
    EV_M_POST,
    EV_M_PUT,
    EV_M_DELETE,
    EV_M_OPTIONS,
    EV_M_TRACE,
    EV_M_PATCH,
    EV_M_CONNECT
} http_method_t;

typedef struct {
    ev_slice_t name;  /* field name as sent (case preserved) */
    ev_slice_t value; /* value with leading and trailing OWS removed */
} http_field_t;

typedef struct {
    int line;   /* LimitRequestLine: max bytes of the request line, CRLF excluded */
    int field;  /* LimitRequestFieldSize: max bytes of one field line, CRLF excluded */
    int fields; /* LimitRequestFields: max number of field lines */
} http_limits_t;

typedef struct {
    ev_slice_t line;        /* the request line, CRLF excluded (for logs) */
    ev_slice_t method;      /* method token */
    http_method_t method_id;
    ev_slice_t target;      /* request-target as sent */
    int version;            /* 10 for HTTP/1.0, 11 for HTTP/1.1 (and other 1.x) */
    http_field_t *fields;   /* the caller's array, filled in order */
    size_t nfields;         /* number of entries filled */
} http_request_t;

/* Return codes of http_parse_request besides a positive byte count. */
#define EV_PARSE_INCOMPLETE (-2)
#define EV_PARSE_INVALID    (-1)

/*
 * http_parse_request: parse one request head from buf[0..len).
 * Leading empty lines (CRLF or LF) before the request line are skipped.
 * `fields`/`max_fields` is the caller's storage (max_fields >= limits->fields).
 * Returns the number of bytes consumed (the whole head, up to and including the
 * empty line), EV_PARSE_INCOMPLETE when more bytes are needed (and none of the
 * limits is yet exceeded), or EV_PARSE_INVALID with *status set to the HTTP status
 * to answer: 400 (malformed), 414 (request line over limit), 431 (a field or the
 * number of fields over limit), 505 (major version other than 1).
 * Bare LF line endings are accepted (RFC 9112 section 2.2 allows it); a bare CR is 400.
 */
int http_parse_request(const char *buf, size_t len, const http_limits_t *limits,
                       http_request_t *req, http_field_t *fields, size_t max_fields,
                       int *status);

/* http_field_find: the first field named `name` (ASCII case-insensitive), or NULL. */
const http_field_t *http_field_find(const http_request_t *req, const char *name);

/* http_field_count: how many fields are named `name`. */
size_t http_field_count(const http_request_t *req, const char *name);

/* http_token_list_has: whether the comma-separated token list `value` contains `token`
 * (case-insensitive, OWS around elements ignored) — for Connection: close. */
int http_token_list_has(ev_slice_t value, const char *token);

/*
 * http_content_length: parse a Content-Length value: digits only, no sign, no
 * inner spaces, no overflow past INT64_MAX. Returns 0 and sets *out, or -1.
 */
int http_content_length(ev_slice_t value, int64_t *out);

#endif
