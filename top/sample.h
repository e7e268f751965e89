/*
 * sample.h — one reading of the scoreboard and the rates between two readings.
 *
 * sample_take copies what evtop shows out of the shared segment (through the
 * scoreboard's consistent snapshots), so that everything after it (sorting,
 * deltas, drawing) works on private memory that no child can change under it.
 * sample_delta is pure: it only compares two samples, which keeps the rate and
 * latency arithmetic testable without a server.
 */
#ifndef EVTOP_SAMPLE_H
#define EVTOP_SAMPLE_H

#include <stdint.h>

#include <apr_pools.h>

#include "scoreboard.h"

/* One child process (a scoreboard slot with a pid). */
typedef struct {
    unsigned slot;              /* scoreboard slot */
    sb_process_snap_t proc;     /* its process record, clamped by sb_snapshot_process */
    char *states;               /* its workers' state letters, NUL-terminated */
    unsigned nworkers;          /* strlen(states): proc.threads, at most the thread limit */
    sb_worker_snap_t *workers;  /* nworkers records (text made printable), or NULL unless
                                 * the sample was taken with workers */
    int rates_known;            /* set by sample_delta: the rates below are meaningful */
    double req_rate, byte_rate; /* set by sample_delta: requests and bytes per second */
} sample_proc_t;

typedef struct {
    int64_t mono_usec;                          /* CLOCK_MONOTONIC when taken, for rates */
    int64_t wall_usec;                          /* wall clock when taken, for uptimes */
    uint64_t epoch;                             /* the attachment it was read from (board_epoch) */
    char version[SB_VERSION_MAX];               /* server version, printable ASCII */
    int32_t parent_pid;                         /* the parent's pid (display only) */
    uint32_t generation;                        /* the running generation */
    int64_t start_time;                         /* parent start, usec since the epoch */
    uint64_t requests, bytes;                   /* since the server started (sb_totals) */
    uint64_t hist[SB_HIST_BUCKETS];             /* request durations since the server started */
    sample_proc_t *procs;                       /* live slots, in slot order */
    unsigned nprocs;                            /* entries in procs */
    unsigned stopping;                          /* procs quiescing or of an older generation */
    int64_t busy, idle;                         /* workers, summed over procs */
    int64_t conns, keepalive, writing, closing; /* connections, summed over procs */
} sample_t;

/* What two consecutive samples say together. */
typedef struct {
    int rates_known;           /* 0 in the first frame or across a re-attachment */
    double seconds;            /* the interval between the samples when rates_known */
    double req_rate;           /* requests per second over the interval */
    double byte_rate;          /* response bytes per second over the interval */
    int latency_known;         /* 0 when the histogram used is empty */
    int latency_cumulative;    /* 1 when the latency is the whole run's (no interval yet) */
    double p50_usec, p99_usec; /* request duration quantiles, microseconds */
} sample_delta_t;

/* The process state evtop shows for a child (see sample_proc_state). */
typedef enum {
    SAMPLE_ACCEPTING, /* running and accepting connections */
    SAMPLE_FULL,      /* running, but its listener does not accept now */
    SAMPLE_STARTING,  /* no worker has reached a running state yet */
    SAMPLE_STOPPING,  /* quiescing: finishing its connections, then exiting */
    SAMPLE_DRAINING   /* of an older generation than the running one (graceful restart) */
} sample_state_t;

/* sample_mono_usec / sample_wall_usec: CLOCK_MONOTONIC / CLOCK_REALTIME in
 * microseconds. Thread-safe. */
int64_t sample_mono_usec(void);
int64_t sample_wall_usec(void);

/*
 * sample_take: read the scoreboard `sb` into *s, everything allocated from `p`
 * (clear p to drop the sample). `epoch` identifies the attachment (see board.h);
 * `with_workers` also keeps every worker's record (request line, client), else only
 * the state letters. Strings are copied with every byte outside printable ASCII
 * replaced by '?' since children can write anything into the segment. Rates are
 * left unknown until sample_delta. Not thread-safe for one `s`; never fails (a
 * record that cannot be read consistently is shown as last read).
 */
void sample_take(sample_t *s, sb_t *sb, uint64_t epoch, int with_workers, apr_pool_t *p);

/*
 * sample_delta: rates and latency of the interval from `prev` to `cur`. With prev
 * NULL, from another epoch, or not older than cur, rates are unknown and the latency
 * is the cumulative one. Also sets each cur->procs[i] rate: a slot whose pid was not
 * in prev counts from zero (its counters started with the child), a counter that went
 * backwards counts as 0. Pure: reads prev, writes only *d and the rate fields of cur.
 */
void sample_delta(const sample_t *prev, sample_t *cur, sample_delta_t *d);

/* sample_proc_state: what cur's child `p` is doing (draining wins over stopping, over
 * starting, over not accepting). Pure. */
sample_state_t sample_proc_state(const sample_t *s, const sample_proc_t *p);

/* sample_state_name: "accepting", "full", "starting", "stopping" or "draining". */
const char *sample_state_name(sample_state_t st);

#endif
