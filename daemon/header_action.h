/*
 * header_action.h — mod_headers' response Header directive: set, append, add, unset and
 * setifempty, parsed from configuration and applied to a response's header list.
 *
 * Pure functions: no I/O, no global state. Parsed actions are read-only afterwards, so
 * any number of threads may apply the same actions, each to its own header list.
 */
#ifndef EV_HEADER_ACTION_H
#define EV_HEADER_ACTION_H

#include <apr_pools.h>
#include <apr_tables.h>

/* What an action does to the fields named like it (names compare ASCII case-insensitively). */
typedef enum {
    HEADER_ACTION_SET = 1,    /* replace every field of the name with one */
    HEADER_ACTION_APPEND,     /* join ", value" to the first one, or add it if absent */
    HEADER_ACTION_ADD,        /* add one more field line, whatever exists */
    HEADER_ACTION_UNSET,      /* remove every field of the name */
    HEADER_ACTION_SETIFEMPTY, /* add the field only when none of the name exists */
} header_action_op_t;

/* One Header directive. */
typedef struct {
    int always;            /* 1: "Header always" (error responses too); 0: onsuccess */
    header_action_op_t op; /* what to do */
    const char *name;      /* the field name, a token, as written (a final ':' dropped) */
    const char *value;     /* the value to send ("%%" and "\t" decoded); NULL for unset */
} header_action_t;

/* One response header field, the element type of the lists header_actions_apply edits. */
typedef struct {
    const char *name;  /* field name, NUL-terminated */
    const char *value; /* field value, NUL-terminated, no CR or LF */
} header_field_t;

/*
 * header_action_parse: Header's arguments argv[0..argc):
 *     [always|onsuccess] set|append|add|unset|setifempty NAME [VALUE]
 * Keywords are case-insensitive. NAME may end in ':' (mod_headers drops it) and must
 * otherwise be a token (RFC 9110 5.6.2). unset takes no VALUE; the others need one.
 * VALUE is decoded as mod_headers decodes its literal text: "%%" is '%', "\t" is a TAB,
 * "\\" is a backslash, any other backslash stays as it is.
 * Refused, each with its own reason:
 *   - echo, edit, edit*, merge, note (not supported) and unknown actions;
 *   - conditions and modes after the value: env=..., expr=..., early; a VALUE written
 *     as expr=...;
 *   - any other '%' in VALUE: format specifiers (%t, %D, %{NAME}e, ...) are not
 *     supported, and a lone '%' is refused so that one never turns into a specifier;
 *   - any argument holding a control byte other than TAB (checked first, so reasons can
 *     quote arguments safely), and a VALUE holding the escapes "\n" or "\r";
 *   - fields the server writes itself and that frame the message or the connection:
 *     Content-Length, Transfer-Encoding, Content-Range, Connection, Keep-Alive, Trailer,
 *     Upgrade, Date (any action, unset included);
 *   - append to Set-Cookie, whose values cannot be joined with commas (RFC 9110 5.3):
 *     use add.
 * On success returns NULL and fills *out (strings allocated from p). On failure returns a
 * reason from p (or static), without the directive's name, and *out is unspecified.
 * Thread-safe.
 */
const char *header_action_parse(int argc, char **argv, header_action_t *out, apr_pool_t *p);

/*
 * header_actions_apply: run `actions` (header_action_t elements) in order over `headers`
 * (header_field_t elements, in sending order): set replaces the first field of the name
 * in place and removes the others (or adds one at the end); append joins ", " VALUE to
 * the first field of the name (taking VALUE alone when that field is empty) or adds one
 * at the end; add appends a field at the end; unset removes every field of the name;
 * setifempty adds one at the end only when the name is absent. Names compare ASCII
 * case-insensitively; the order of the other fields is kept.
 * mod_headers keeps two tables (onsuccess and always) and drops the onsuccess one on
 * responses the server generates for a non-2xx status; evhttpd keeps one list in
 * configuration order instead: with is_error 0 every action applies, with is_error 1 only
 * the `always` ones do. Pass is_error 1 for error pages and for redirects the server
 * itself answers (Redirect), as Apache does.
 * Joined values come from p; new elements from the array's own pool. Fields not
 * touched keep their strings. Not thread-safe for one `headers` list; `actions` is only
 * read. Never fails.
 */
void header_actions_apply(const apr_array_header_t *actions, apr_array_header_t *headers,
                          int is_error, apr_pool_t *p);

#endif
