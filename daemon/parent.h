/*
 * parent.h — the parent process: keeps the children alive, drives restarts by
 * generation and serves the control socket.
 */
#ifndef EV_PARENT_H
#define EV_PARENT_H

#include "generation.h"

struct ctl_server_t;

/* What the parent runs with (all built by main before it detaches). */
typedef struct {
    gen_source_t src;      /* where configurations are read from */
    apr_pool_t *pool;      /* process lifetime */
    listen_set_t *listens; /* the listening sockets, across generations */
    sb_t *sb;              /* the scoreboard */
    generation_t *first;   /* generation 1, loaded */
    gid_t control_gid;     /* ControlGroup, or (gid_t)-1 */
} parent_env_t;

/* parent_run: start generation 1 and supervise until a stop (TERM/INT, evctl stop or
 * graceful-stop, or a child's fatal configuration error). Stops every child before
 * returning. Returns the process exit code: 0 after a requested stop, 1 after a fatal
 * error. */
int parent_run(parent_env_t *penv);

#endif
