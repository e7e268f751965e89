/*
 * generation.h — one configuration generation: what its children inherit.
 *
 * Who: the parent, at start-up and on every restart. A generation owns its pool
 * (pconf: the configuration, the access logs, the MIME table); the pool lives until
 * the last child of the generation has exited. The listening sockets and the
 * scoreboard belong to the parent and outlive generations.
 */
#ifndef EV_GENERATION_H
#define EV_GENERATION_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "child.h"
#include "listen.h"

/* Where configurations come from: the command line, kept for every reload. */
typedef struct {
    const char *config_file;        /* -f */
    const apr_array_header_t *pre;  /* -C directives */
    const apr_array_header_t *post; /* -c directives */
} gen_source_t;

typedef struct generation_t {
    unsigned id;                /* the generation number, from 1 */
    apr_pool_t *pool;           /* pconf: everything below lives in it */
    ev_config_t *conf;          /* its configuration */
    child_env_t env;            /* what its children inherit */
    unsigned live;              /* its children still running (parent's count) */
    apr_time_t started;         /* when it became current */
    struct generation_t *older; /* the next older generation still draining, or NULL */
    /* Parent bookkeeping while the generation drains after a restart: */
    unsigned successor;                /* the generation that replaced it */
    apr_time_t drain_began;            /* when it was told to drain */
    apr_interval_time_t drain_timeout; /* how long it may drain (0: no limit) */
    unsigned drain_children;           /* its children at that moment */
    apr_uint64_t closed_early;         /* connections cut by GracefulRestartTimeout */
    apr_array_header_t *waiters;       /* ctl_client_t * waiting for it to drain (--wait) */
} generation_t;

/*
 * generation_load: read the configuration and prepare everything a child of it needs:
 * User/Group, MIME types, the listening sockets (reusing the set's, see
 * listen_set_apply), the access logs. ServerLimit and ThreadLimit are fixed by the
 * scoreboard `sb`: a different value is reported in msgs as needing a full restart
 * and the scoreboard's is kept (sb NULL: the first load, which sizes the scoreboard;
 * the caller then sets env.sb). Every error and warning goes to msgs (allocated from
 * the new pool) as the configuration layer words them ("file:line: message").
 * Returns APR_SUCCESS with *out, or an error status with *out NULL and the new pool
 * destroyed. Parent only.
 */
apr_status_t generation_load(generation_t **out, unsigned id, const gen_source_t *src,
                             listen_set_t *ls, sb_t *sb, apr_pool_t *parent_pool,
                             apr_array_header_t *msgs);

/* generation_detach_logs: in a child of a newer generation, forked while g drains, let
 * go of g's CustomLog and ErrorLog files it inherited (accesslog_detach). */
void generation_detach_logs(generation_t *g);

/* generation_destroy: free a generation none of whose children is left. */
void generation_destroy(generation_t *g);

#endif
