/*
 * http_parse.h — the HTTP/1.1 request-head parser (RFC 9112), no I/O, no allocation.
 *
 * The parser reads a request head from a caller's buffer and yields the request line
 * and fields as slices of that buffer. It is re-entrant and thread-safe (no state
 * outside its arguments). It never logs.
 *
 * Policy, stricter than nginx and Apache but refusing nothing a conforming client sends:
 * exactly one SP between the parts of the request line; a request-target of visible
 * ASCII without '#'; a version of exactly "HTTP/" DIGIT "." DIGIT; field names are
 * tokens followed at once by ':'; field values hold only HTAB, SP, VCHAR and obs-text;
 * obs-fold, whitespace before a colon and any other control byte are refused. Lines end
 * in CRLF or a bare LF (RFC 9112 section 2.2 allows LF); a CR not followed by LF is 400.
 * At most EV_HTTP_BLANK_LINES empty lines may precede the request line (RFC 9112 2.2).
 * A malformed byte or a line over its limit is answered as soon as it arrives, without
 * waiting for the end of the line (a TLS handshake on a plain port gets its 400 at once).
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
    ev_slice_t line;         /* the request line, CRLF excluded (for logs) */
    ev_slice_t method;       /* method token */
    http_method_t method_id; /* the method if known, else EV_M_OTHER */
    ev_slice_t target;       /* request-target as sent */
    int version;             /* 10 for HTTP/1.0, 11 for HTTP/1.1 (and other 1.x) */
    http_field_t *fields;    /* the caller's array, filled in order */
    size_t nfields;          /* number of entries filled */
} http_request_t;

/* Empty lines tolerated before the request line (Apache's DEFAULT_LIMIT_BLANK_LINES). */
#define EV_HTTP_BLANK_LINES 10

/* Return codes of http_parse_request besides a positive byte count. */
#define EV_PARSE_INCOMPLETE (-2)
#define EV_PARSE_INVALID    (-1)

/*
 * http_parse_request: parse one request head from buf[0..len).
 * Leading empty lines (CRLF or LF) before the request line are skipped.
 * `fields`/`max_fields` is the caller's storage (max_fields >= limits->fields; a smaller
 * max_fields bounds the number of fields instead, answered with 431 like the limit).
 * Returns the number of bytes consumed (the whole head, up to and including the
 * empty line), EV_PARSE_INCOMPLETE when more bytes are needed (and none of the
 * limits is yet exceeded), or EV_PARSE_INVALID with *status set to the HTTP status
 * to answer: 400 (malformed), 414 (request line over limit), 431 (a field or the
 * number of fields over limit), 505 (major version other than 1).
 * Bare LF line endings are accepted (RFC 9112 section 2.2 allows it); a bare CR is 400.
 * Every slice in *req and fields points into buf; buf is never read past len and
 * need not be NUL-terminated. *status is written only on EV_PARSE_INVALID. On failure
 * the rest of *req is unspecified, except that req->line is the request line when it
 * was read whole (a 431 or 505 can be logged with it) and empty otherwise.
 * Each call parses from the start: feeding a slow client's bytes one call per read
 * costs time quadratic in the head size; http_parse_request_resume avoids that.
 */
int http_parse_request(const char *buf, size_t len, const http_limits_t *limits,
                       http_request_t *req, http_field_t *fields, size_t max_fields, int *status);

/* Where a resumable parse stopped: always at the start of a line. Caller's storage. */
typedef struct {
    size_t next;    /* offset in buf of the first line not yet accepted */
    unsigned blank; /* empty lines skipped before the request line */
    int phase;      /* 0 before the request line, 1 in the fields, 2 head complete */
} http_parse_state_t;

/* http_parse_state_init: start a new head (also after the caller moves its buffer). */
void http_parse_state_init(http_parse_state_t *st);

/*
 * http_parse_request_resume: http_parse_request that keeps the lines already accepted
 * in *st, *req and fields between calls, so each call only re-reads the line that was
 * incomplete (work per call is bounded by limits->field or limits->line).
 * Between calls, buf must be the same memory with the same bytes (only len may grow),
 * and req, fields, max_fields and limits the same; after moving or compacting the
 * buffer, call http_parse_state_init and start over. Returns exactly what
 * http_parse_request would for the same bytes. After EV_PARSE_INVALID, *st is spent;
 * after a complete head, further calls return the same byte count.
 */
int http_parse_request_resume(http_parse_state_t *st, const char *buf, size_t len,
                              const http_limits_t *limits, http_request_t *req,
                              http_field_t *fields, size_t max_fields, int *status);

/* http_field_find: the first field named `name` (ASCII case-insensitive, NUL-terminated),
 * or NULL. The result points into req->fields. Thread-safe (reads only). */
const http_field_t *http_field_find(const http_request_t *req, const char *name);

/* http_field_count: how many fields are named `name` (as http_field_find matches). */
size_t http_field_count(const http_request_t *req, const char *name);

/* http_token_list_has: whether the comma-separated token list `value` contains `token`
 * (case-insensitive, OWS around elements ignored, empty elements skipped) — for
 * Connection: close. An element matches only whole ("closed" is not "close").
 * Returns 1 or 0. */
int http_token_list_has(ev_slice_t value, const char *token);

/*
 * http_content_length: parse a Content-Length value: digits only, no sign, no
 * inner spaces, no overflow past INT64_MAX. Returns 0 and sets *out, or -1.
 */
int http_content_length(ev_slice_t value, int64_t *out);

/*
 * http_host_valid: whether a Host field value is uri-host [ ":" port ] (RFC 9110 7.2,
 * RFC 3986 3.2.2): a reg-name (unreserved, pct-encoded, sub-delims; dotted IPv4
 * addresses are reg-names too), or "[" IPv6address or IPvFuture "]" (no zone id),
 * then optionally ':' and zero or more digits. The empty value is valid (RFC 9112 3.2:
 * the target has no authority); an empty host before a port (":80") is not, as an http
 * URI may not have an empty host (RFC 9110 4.2.1). This checks the grammar only: a
 * valid host may contain "..", "%2F" or a port over 65535, so never use it as a path
 * component or a number without further checks. Returns 1 valid, 0 invalid.
 */
int http_host_valid(ev_slice_t host);

#endif
