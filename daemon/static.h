/*
 * static.h — serving files beneath DocumentRoot.
 */
#ifndef EV_STATIC_H
#define EV_STATIC_H

#include "conn.h"

/* static_serve: answer a GET or HEAD for origin-form `target` (path and query) into
 * c->ctx->resp: the file (200, 206 or multipart 206), a 301 to a directory's slash,
 * a DirectoryIndex, 304/412 for conditionals, 416, or an error page. Worker thread. */
void static_serve(conn_t *c, ev_slice_t target);

/* static_serve_document: answer with status `status` and, as its body, the file at
 * `path` (normalized; Aliases apply, a directory gives its DirectoryIndex) of c's site
 * (ErrorDocument), `extra` header lines added. Returns 1, or 0 when the file cannot be
 * served (the caller answers with its own page). */
int static_serve_document(conn_t *c, int status, const char *path, const char *extra);

#endif
