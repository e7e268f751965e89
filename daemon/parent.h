/*
 * parent.h — the parent process: keeps the children alive.
 */
#ifndef EV_PARENT_H
#define EV_PARENT_H

#include "child.h"

/* parent_run: fork StartServers children and supervise them until TERM/INT (or a
 * child reports a fatal configuration error). Stops every child before returning.
 * Returns the process exit code: 0 after a requested stop, 1 after a fatal error. */
int parent_run(child_env_t *env, unsigned generation);

#endif
