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

#endif
