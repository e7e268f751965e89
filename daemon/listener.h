/*
 * listener.h — the child's listener thread.
 */
#ifndef EV_LISTENER_H
#define EV_LISTENER_H

#include "child.h"
#include "conn.h"

/* listener_run: the listener thread's body; returns when the child stops and every
 * connection it owns is closed (graceful) or at once (stop now). Terminates the
 * worker queue on its way out. */
void *listener_run(void *child);

/* listener_park: a worker hands `c` (state already set) back to the listener and
 * re-arms it in epoll. The caller must not touch `c` afterwards, whatever happens. */
void listener_park(conn_t *c);

#endif
