/*
 * parent_priv.h — the parent's state, shared by parent.c (children, generations, the
 * loop) and parent_ctl.c (the control requests). Parent process only, one thread.
 */
#ifndef EV_PARENT_PRIV_H
#define EV_PARENT_PRIV_H

#include <apr_tables.h>

#include "ctl_server.h"
#include "log.h"
#include "parent.h"

#define PARENT_NSIGNALS 7
extern const int parent_signal_list[PARENT_NSIGNALS]; /* what the signalfd takes */

enum { RUN = 0, STOP_NOW, STOP_GRACEFUL };

typedef struct {
    pid_t pid;         /* 0 when the slot is free */
    generation_t *gen; /* its generation */
    apr_time_t started;
    int retiring;          /* told to stop gracefully (surplus, or its generation drains) */
    int hurried;           /* told to stop at once */
    apr_time_t hurried_at; /* when (SIGTERM) */
    int killed;            /* sent SIGKILL since: it did not stop */
    int bucket;            /* the listener bucket it accepts from */
} parent_slot_t;

typedef struct {
    parent_env_t *penv;
    generation_t *cur; /* the current generation; cur->older... are draining */
    sb_t *sb;
    unsigned nslots;      /* ServerLimit */
    parent_slot_t *slots; /* private child table */
    unsigned *in_bucket;  /* scratch: the current generation's children per bucket (nslots) */
    int sigfd;
    ctl_server_t *ctl;
    int spawn_rate;
    int fail_streak;          /* children that died young in a row */
    apr_time_t last_failure;  /* when the last of them died */
    apr_time_t backoff_until; /* no spawning before this */
    int replace_now;          /* a child died unexpectedly: maintain at once */
    int fatal;                /* a child reported EV_EXIT_CHILDFATAL */
    int stop;                 /* RUN, STOP_NOW or STOP_GRACEFUL */
    apr_time_t stop_began;
    apr_time_t lame_duck_until;       /* graceful stop, GracefulStopDelay: drain from then on
                                       * (0: not in the lame-duck phase) */
    apr_array_header_t *stop_waiters; /* ctl clients waiting for graceful-stop --wait */
    unsigned stop_children;           /* children when the graceful stop began */
    apr_interval_time_t stop_timeout; /* graceful stop: cut what is left after this (0: never) */
    apr_uint64_t stop_closed_early;   /* connections cut by that */
    double last_restart_seconds;      /* hard restart: how long stopping took */
    unsigned last_restart_children;   /* ... how many children it stopped */
    apr_uint64_t last_restart_closed; /* ... and their open connections */
    apr_time_t started;
    log_ratelimit_t full_log;     /* "no free slot" warnings */
    unsigned ready_pending;       /* generation to announce READY=1 for once it serves, or 0 */
    apr_time_t next_status;       /* when the next STATUS= line is due */
    apr_uint64_t status_requests; /* requests at the last STATUS= line */
    apr_time_t status_time;       /* ... and when it was sent */
    apr_interval_time_t watchdog; /* WatchdogSec, 0 if none */
    apr_time_t next_watchdog;     /* when WATCHDOG=1 is due */
} parent_t;

/* Operations parent_ctl.c drives (parent.c). */
unsigned parent_live(const parent_t *P);
int parent_graceful(parent_t *P, apr_array_header_t *msgs, const char **why, apr_pool_t *p,
                    apr_interval_time_t drain_timeout);
int parent_hard_restart(parent_t *P, apr_array_header_t *msgs, const char **why);
void parent_graceful_stop(parent_t *P, apr_interval_time_t timeout);
void parent_reopen_logs(parent_t *P);
void parent_fill_report(const generation_t *g, Evhttpd__Ctl__RestartReport *rep, apr_time_t now);

/* The control socket (parent_ctl.c): open it from ControlSocket (failure is logged and
 * the server runs without it), and answer those still waiting when the parent stops. */
void parent_open_ctl(parent_t *P);
void parent_finish_ctl(parent_t *P);

#endif
