/*
 * child.h — one child process: its listener thread, its worker threads and what
 * they share.
 *
 * Who: created by the child's main thread right after fork (or by -X in the
 * parent's place); the listener and workers receive a pointer to it. Fields
 * written after start are atomics or owned by one thread, as noted per field.
 * Shutdown: the main thread waits for TERM (stop now) or USR1 (stop gracefully),
 * sets `stopping` and wakes the listener, which drains and then terminates the
 * queue so the workers return.
 */
#ifndef EV_CHILD_H
#define EV_CHILD_H

#include <stdatomic.h>
#include <apr_pools.h>

#include "config.h"
#include "fdqueue.h"
#include "lfstack.h"
#include "listen.h"
#include "site.h"
#include "scoreboard.h"

struct accesslog_t;
struct log_file_t;
struct mime_t;

/* Exit codes a child uses to tell the parent why it left. */
#define EV_EXIT_OK         0  /* stopped as asked */
#define EV_EXIT_CHILDSICK  3  /* failed at start-up: back off before respawning */
#define EV_EXIT_CHILDFATAL 15 /* configuration can never work: the parent stops the server */

/* What the parent hands to a child (inherited across fork). */
typedef struct {
    const ev_config_t *conf;          /* the generation's configuration (read-only) */
    int *listen_fds;                  /* bound, listening, non-blocking sockets */
    listen_info_t *listen_info;       /* port and protocol of each listen_fds entry */
    int nlisten;                      /* entries in listen_fds */
    int nbuckets;                     /* listener buckets (1: every child polls every socket) */
    const site_group_t *groups;       /* one per Listen: the sites its requests go to */
    sb_t *sb;                         /* the scoreboard mapping */
    struct accesslog_t **access_logs; /* CustomLog writers, opened by the parent, by index
                                       * in conf->custom_logs (every site's) */
    int naccess_logs;                 /* entries in access_logs */
    struct log_file_t **error_logs;   /* virtual hosts' ErrorLogs, opened by the parent, by
                                       * ev_site_t.error_log_id */
    int nerror_logs;                  /* entries in error_logs */
    struct mime_t *mime;              /* TypesConfig table (read-only) */
    uid_t uid;                        /* User to switch to, or (uid_t)-1 to stay */
    gid_t gid;                        /* Group to switch to */
    int drop_privileges;              /* 1 when started as root */
} child_env_t;

enum { EV_RUNNING = 0, EV_STOP_GRACEFUL = 1, EV_STOP_NOW = 2 };

typedef struct child_t {
    apr_pool_t *pool;            /* pchild: lives as long as the process */
    const ev_config_t *conf;     /* the configuration (read-only) */
    const child_env_t *env;      /* what the parent handed over (read-only) */
    unsigned slot;               /* our scoreboard slot */
    unsigned generation;         /* our generation */
    int bucket;                  /* the listener bucket we accept from, or -1 for all */
    sb_process_t *proc;          /* our process record (counters: atomics) */
    int epfd;                    /* the listener's epoll instance (workers re-arm in it) */
    int wakefd;                  /* eventfd that wakes the listener */
    int *site_fds;               /* each site's DocumentRoot opened O_PATH|O_DIRECTORY, by
                                  * ev_site_t.index (-1 until opened) */
    int *alias_fds;              /* each Alias target's directory, by ev_alias_t.index */
    const char **alias_file;     /* "/name" for an Alias of a single file, else NULL */
    fdqueue_t *queue;            /* listener -> workers */
    lfstack_t free_ctx;          /* recycled connection contexts: workers push, listener pops */
    lfstack_t free_conns;        /* recycled connection records: anyone pushes, listener pops */
    lfstack_t parked;            /* connections a worker parks: workers push, listener takes all */
    _Atomic int stopping;        /* EV_RUNNING, EV_STOP_GRACEFUL or EV_STOP_NOW */
    _Atomic long connections;    /* open connections in this child */
    _Atomic int listener_wait;   /* 1 while the listener paused accepting for want of a worker */
    _Atomic uint32_t *lame_duck; /* the scoreboard header's flag (parent writes) */
    char server_header[64];      /* "evhttpd/x.y.z" */
} child_t;

/* child_main: run a child in this process until it is told to stop; returns the exit
 * code (EV_EXIT_*). Called right after fork, or directly with -X. It accepts from the
 * sockets of listener bucket `bucket` only, or from all with -1. */
int child_main(const child_env_t *env, unsigned slot, unsigned generation, int bucket);

/* child_cpus: the CPUs this process may run on (its affinity mask, as taskset or
 * systemd's CPUAffinity= set it; children inherit the parent's): more workers running
 * at once than that only take turns, and the parent sizes listener buckets by it. */
int child_cpus(void);

/* child_thread_policy: SchedulingPolicy for the calling thread (the listener and every
 * worker call it first): SCHED_BATCH unless the configuration says `other`, and only
 * over SCHED_OTHER (a policy the service manager chose, real-time or idle, stays).
 * A refusal is logged once per process and the thread runs on as it was. */
void child_thread_policy(const child_t *c);

/* child_wake_listener: make the listener's epoll_wait return (any thread). */
void child_wake_listener(child_t *c);

#endif
