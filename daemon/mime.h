/*
 * mime.h — media types by file-name extension, from a mime.types file (TypesConfig).
 *
 * The table is built once per configuration generation and is read-only afterwards, so
 * any number of threads may look types up concurrently without locks.
 */
#ifndef EV_MIME_H
#define EV_MIME_H

#include <apr_errno.h>
#include <apr_pools.h>

/* The type of a file whose extension is unknown or absent. */
#define EV_MIME_DEFAULT "application/octet-stream"

/* Extensions longer than this many bytes are never looked up (they get the default). */
#define EV_MIME_EXT_MAX 63

/* An extension-to-type table; opaque, allocated in the pool given to mime_load. */
typedef struct mime_t mime_t;

/*
 * mime_load: read `path` in the /etc/mime.types format: one "type ext ext..." per line,
 * fields separated by spaces or tabs, "#" starting a comment that runs to the end of the
 * line, lines with a type and no extension allowed. Extensions are stored lowercased and
 * matched case-insensitively; an extension listed twice maps to its LAST type (as
 * Apache's mod_mime does). A line whose first field has no '/' is skipped, as are
 * extensions longer than EV_MIME_EXT_MAX. Types are served as written, with no charset
 * parameter added.
 * *out is ALWAYS set to a usable table, allocated from `p` (pconf), so a server can start
 * with a warning when the file is missing: on failure the table is empty and every
 * lookup returns EV_MIME_DEFAULT.
 * Returns APR_SUCCESS, the open/read error (APR_ENOENT, APR_EACCES, ...), or
 * APR_FROM_OS_ERROR(EFBIG) for a file over 16 MiB. Not thread-safe while loading.
 */
apr_status_t mime_load(mime_t **out, const char *path, apr_pool_t *p);

/*
 * mime_type: the media type for `path` (a URL path or file name, NUL-terminated), chosen
 * by the text after the last '.' of its last '/'-separated component. A component whose
 * only '.' is its first byte (".bashrc") or its last ("name.") has no extension;
 * "a.tar.gz" is looked up as "gz". Returns a string owned by the table (valid for the
 * pool's lifetime), EV_MIME_DEFAULT when nothing matches. Thread-safe; never fails.
 */
const char *mime_type(const mime_t *m, const char *path);

#endif
