/*
 * dirindex.h — the HTML listing of a directory (Options Indexes), as mod_autoindex
 * gives it in its plain form: name, last modification, size.
 *
 * Who: worker threads; memory from the caller's pool. No shared state.
 */
#ifndef EV_DIRINDEX_H
#define EV_DIRINDEX_H

#include <stddef.h>
#include <apr_pools.h>

/*
 * dirindex_html: the listing of the directory open on `dir_fd` (read with
 * fdopendir; the descriptor is consumed, closed whatever happens) for the decoded,
 * normalized URL path `url`, which ends with '/'. Entries are sorted by name (byte
 * order); names starting with '.' are left out, as Apache's default IndexIgnore does;
 * a subdirectory ends with '/'; a symbolic link is listed as itself (never followed,
 * so nothing outside the document root is described). Links are percent-encoded,
 * text is HTML-escaped, times are UTC. Returns the page (NUL-terminated, *len bytes),
 * or NULL with errno set when the directory cannot be read.
 */
char *dirindex_html(int dir_fd, const char *url, size_t *len, apr_pool_t *p);

#endif
