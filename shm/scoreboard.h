/*
 * scoreboard.h — layout of the shared scoreboard and its API (library: never logs,
 * never exits; returns apr_status_t).
 *
 * One file-backed shared mapping (see sb.c for why not a named apr_shm segment):
 *   sb_header_t | server_limit x sb_process_t | server_limit x thread_limit x sb_worker_t
 * No pointers inside; every record is fixed-size and 64-byte aligned.
 *
 * Writers: the parent writes the header and, before fork, resets a slot; a child
 * writes only its own process record and its workers' records. A worker record has
 * one writer (its worker thread); a process record's counters are atomics that any
 * thread of its child updates; its identity fields have one writer (the child's
 * main thread). Identity fields and worker records are guarded by a sequence
 * counter (odd while a write is in progress) so that readers copy them consistently
 * without locks, with bounded retries.
 * Readers (parent, status page, evtop) never trust the contents: every value is
 * clamped before use, and the parent never uses it as a pid, index or pointer.
 */
#ifndef EV_SCOREBOARD_H
#define EV_SCOREBOARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <apr_errno.h>
#include <apr_pools.h>

#define SB_MAGIC          0x42534845u /* "EHSB" little-endian */
#define SB_LAYOUT_VERSION 2u
#define SB_REQUEST_MAX    128 /* bytes of the request line kept per worker */
#define SB_CLIENT_MAX     48  /* bytes of the client address kept per worker */
#define SB_VERSION_MAX    32  /* bytes of the server version string */
/* Request-duration histogram: bucket b < SB_HIST_BUCKETS-1 counts durations up to
 * 2^(b+5) microseconds (32 us, 64 us, ... 16.8 s); the last bucket the rest. Each
 * worker counts in its own record (one writer, no lock); readers sum. */
#define SB_HIST_BUCKETS 21

/* Worker states, as mod_status prints them. */
enum {
    SB_DEAD = '.',      /* no thread in this slot */
    SB_STARTING = 'S',  /* thread starting */
    SB_READY = '_',     /* idle, waiting for a connection */
    SB_READ = 'R',      /* reading a request */
    SB_WRITE = 'W',     /* sending a reply */
    SB_KEEPALIVE = 'K', /* (listener-side) connection kept alive */
    SB_LOGGING = 'L',   /* writing the access log */
    SB_CLOSING = 'C',   /* closing a connection */
    SB_GRACEFUL = 'G'   /* finishing gracefully */
};

typedef struct {
    uint32_t magic;                      /* SB_MAGIC */
    uint32_t layout_version;             /* SB_LAYOUT_VERSION */
    uint32_t header_size;                /* sizeof(sb_header_t) */
    uint32_t process_size;               /* sizeof(sb_process_t) */
    uint32_t worker_size;                /* sizeof(sb_worker_t) */
    uint32_t server_limit;               /* process records */
    uint32_t thread_limit;               /* worker records per process */
    _Atomic uint32_t lame_duck;          /* 1 during a graceful stop's GracefulStopDelay
                                          * (parent writes; children read per response) */
    _Atomic uint32_t generation;         /* running generation (parent writes) */
    _Atomic int32_t parent_pid;          /* parent's pid, for display only */
    _Atomic int64_t start_time;          /* when the parent started, usec since epoch */
    _Atomic int64_t restart_time;        /* last (re)start of a generation, usec since epoch */
    char server_version[SB_VERSION_MAX]; /* "evhttpd/0.1.0", NUL-terminated by the reader */
    /* What children that exited had counted (the parent adds them as it reaps), so
     * totals never go backwards when a child is replaced: */
    _Atomic uint32_t retire_seq;                    /* odd while the parent retires a slot */
    uint32_t pad1;                                  /* zero */
    _Atomic uint64_t retired_requests;              /* requests */
    _Atomic uint64_t retired_bytes;                 /* response bytes */
    _Atomic uint64_t retired_hist[SB_HIST_BUCKETS]; /* request durations */
    char pad[40];                                   /* to 320 bytes */
} sb_header_t;

typedef struct {
    _Atomic uint32_t seq;  /* odd while the identity fields below are being written */
    int32_t pid;           /* the child's pid, 0 when the slot is free (display only) */
    uint32_t generation;   /* the child's generation */
    uint8_t quiescing;     /* 1 once the child is stopping */
    uint8_t not_accepting; /* 1 while the listener does not accept */
    uint8_t pad0[2];
    int32_t threads;             /* ThreadsPerChild the child runs */
    uint8_t pad1[4];             /* explicit: aligns the counters below */
    _Atomic int64_t connections; /* open connections now */
    _Atomic int64_t keepalive;   /* connections parked in keep-alive now */
    _Atomic int64_t writing;     /* connections parked in write completion now */
    _Atomic int64_t closing;     /* connections in lingering close now */
    _Atomic uint64_t requests;   /* requests served since the child started */
    _Atomic uint64_t bytes;      /* response bytes sent since the child started */
    _Atomic uint64_t accepted;   /* connections accepted since the child started */
    char pad[48];                /* to 128 bytes */
} sb_process_t;

typedef struct {
    _Atomic uint32_t seq; /* odd while the record is being written */
    uint8_t state;        /* SB_* letter */
    uint8_t pad0[3];
    uint32_t generation;            /* generation of the child that owns the thread */
    uint32_t conn_count;            /* requests on the current connection */
    uint64_t access_count;          /* requests served by this thread */
    uint64_t bytes;                 /* bytes sent by this thread */
    int64_t last_used;              /* when the last request started, usec since epoch */
    int64_t duration;               /* last request's time to serve, usec */
    char client[SB_CLIENT_MAX];     /* client address, NUL-padded */
    char request[SB_REQUEST_MAX];   /* request line, NUL-padded, maybe truncated */
    uint64_t hist[SB_HIST_BUCKETS]; /* request durations served by this thread */
    char pad[56];                   /* to 448 bytes */
} sb_worker_t;

/*
 * sb_t: one process's view of the scoreboard (opaque): the mapping and the limits it
 * was created or attached with. Allocated from, and unmapped with, the pool given to
 * sb_create / sb_attach_readonly; children inherit the parent's mapping across fork.
 * The accessors below only read sb_t and are safe from any thread.
 */
typedef struct sb_t sb_t;

/*
 * sb_create: create the scoreboard file at `path`, replacing whatever a crashed server
 * left there (a stale file or symlink is unlinked, never followed), mode exactly 0640
 * whatever the umask, owned by the caller (see sb_chown); sized for the limits (server
 * 1..20000, thread 1..100000, else APR_EINVAL), its blocks reserved up front (a full
 * tmpfs fails here with ENOSPC, not later with SIGBUS) and mapped shared read-write.
 * The header is filled in (parent_pid = getpid(), start_time = restart_time = now,
 * generation 0; the parent later updates those atomics with atomic_store) and every
 * slot reset (all workers SB_DEAD). The mapping
 * lives until `p` is cleared; the file stays (the caller unlinks it at shutdown).
 * No descriptor stays open: a child that inherits the mapping cannot resize the file.
 * Not thread-safe with another sb_create on the same path. Returns the failing call's
 * status (the file is removed again on failure).
 */
apr_status_t sb_create(sb_t **sb, const char *path, unsigned server_limit, unsigned thread_limit,
                       const char *server_version, apr_pool_t *p);

/*
 * sb_attach_readonly: map an existing scoreboard PROT_READ (evtop, tests): a write
 * through it faults. Validated from a private copy of the header: magic, layout
 * version, header/process/worker sizes equal to this build's, limits in the ranges
 * sb_create accepts, a regular file at least as large as the header implies; any
 * mismatch is APR_EGENERAL. A missing file is APR_ENOENT (APR_STATUS_IS_ENOENT); other
 * open/read/map failures return their errno. Lives as long as `p`.
 */
apr_status_t sb_attach_readonly(sb_t **sb, const char *path, apr_pool_t *p);

/*
 * sb_chown: give the file to uid/gid ((uid_t)-1 / (gid_t)-1 keep one), e.g. the parent
 * sets group ControlGroup so evtop users may attach. Reopens `path` without following
 * symlinks and fchown()s it only if it is still the file sb_create made (else
 * APR_EGENERAL). APR_EINVAL on a read-only attachment; otherwise the open/fchown error.
 */
apr_status_t sb_chown(sb_t *sb, uid_t uid, gid_t gid);

/* sb_path / sb_size: the file's path (allocated in the sb's pool) and the bytes mapped. */
const char *sb_path(const sb_t *sb);
apr_size_t sb_size(const sb_t *sb);

/* sb_header / sb_process / sb_worker: the record, or NULL for an index out of range.
 * Indices are bounds-checked against the limits this process mapped with, never
 * against values read from the segment. Through a read-only attachment the records
 * may only be read (use the snapshots below). */
sb_header_t *sb_header(sb_t *sb);
sb_process_t *sb_process(sb_t *sb, unsigned slot);
sb_worker_t *sb_worker(sb_t *sb, unsigned slot, unsigned thread);
unsigned sb_server_limit(const sb_t *sb);
unsigned sb_thread_limit(const sb_t *sb);

/* sb_process_reset: parent, before forking into `slot`: zero the record and the
 * slot's worker records (all SB_DEAD), leaving every sequence counter even again
 * (a child killed mid-update left it odd). Ignores an out-of-range slot. Writes the
 * records like their own writers do, so readers in other threads stay race-free. */
void sb_process_reset(sb_t *sb, unsigned slot);

/*
 * sb_process_set: the child's main thread publishes its identity (seq-guarded). Only
 * that thread may call it for its record.
 *
 * The process counters (connections ... accepted) are not seq-guarded: any thread
 * of the child updates them with
 *     atomic_fetch_add_explicit(&rec->requests, 1, memory_order_relaxed);
 * (gauges with +1 / -1). Readers see each counter exact on its own; no set of counters
 * is read as one instant.
 */
void sb_process_set(sb_process_t *rec, int32_t pid, uint32_t generation, int32_t threads,
                    int quiescing, int not_accepting);

/*
 * Worker record writers. Only the worker thread that owns the record calls these (one
 * writer per record); each call is one sequence bracket, a handful of plain stores on
 * x86 (atomic stores, so ThreadSanitizer sees no race with readers), no syscalls, no
 * locks. Do not write the record's fields directly. A request's life, as Apache shows it:
 *     sb_worker_set_state(w, SB_READ);                         connection handed over
 *     sb_worker_set_request(w, line, len, client, n, now);     request line parsed (-> SB_WRITE)
 *     sb_worker_count(w, bytes, duration);                     response done
 *     sb_worker_set_state(w, SB_KEEPALIVE or SB_READY ...);    connection parked or closed
 */

/* sb_worker_set_state: state <- `state` (an SB_* letter). */
void sb_worker_set_state(sb_worker_t *w, int state);

/* sb_worker_set_request: a request starts: the request line (`len` bytes, need not be
 * NUL-terminated, truncated to SB_REQUEST_MAX-1), the client address (a C string,
 * truncated to SB_CLIENT_MAX-1; NULL keeps the current one), conn_count <- `conn_count`
 * (the request's number on its connection, which the connection counts anyway),
 * last_used <- `now` (usec since epoch) and state <- SB_WRITE. Only the bytes the new
 * or the previous text used are rewritten: the text is followed by NULs up to where
 * the old one ended, so no stale tail of an older request survives in the segment. */
void sb_worker_set_request(sb_worker_t *w, const char *line, size_t len, const char *client,
                           uint32_t conn_count, int64_t now);

/* sb_worker_count: a request finished: access_count += 1, bytes += `bytes`,
 * duration <- `duration` (usec), and the histogram bucket of `duration` += 1. The
 * state is left alone. */
void sb_worker_count(sb_worker_t *w, uint64_t bytes, int64_t duration);

/* sb_worker_begin / sb_worker_end: the sequence bracket the writers above use (seq odd
 * in between). Never call a writer above inside a bracket. Exported for tests and
 * tools that need to leave a record mid-update (as a killed writer does). */
void sb_worker_begin(sb_worker_t *w);
void sb_worker_end(sb_worker_t *w);

/* The largest gauge (connections, keep-alive, writing, closing) a snapshot reports. */
#define SB_GAUGE_MAX INT64_C(2147483647)

/* Consistent copies for readers. */
typedef struct {
    int32_t pid;                                      /* >= 0; display only, never signal it */
    uint32_t generation;                              /* the child's generation */
    int quiescing, not_accepting;                     /* 0 or 1 */
    int32_t threads;                                  /* >= 0 */
    int64_t connections, keepalive, writing, closing; /* >= 0 */
    uint64_t requests, bytes, accepted;               /* since the child started */
    int32_t idle_workers; /* workers in state _ among the first `threads` records */
    int32_t busy_workers; /* workers in R W K L C G among them (derived from the states
                           * so no shared counter sits on the per-request path) */
    int consistent;       /* 0 if the identity fields could not be read consistently */
} sb_process_snap_t;

typedef struct {
    int state; /* SB_* letter; '?' for a value no state has */
    uint32_t generation;
    uint32_t conn_count;
    uint64_t access_count, bytes;
    int64_t last_used, duration;
    char client[SB_CLIENT_MAX];   /* NUL-terminated, NUL-padded */
    char request[SB_REQUEST_MAX]; /* NUL-terminated, NUL-padded */
    int consistent; /* 0 if a writer kept it busy past the retries (or died mid-write) */
} sb_worker_snap_t;

/*
 * sb_snapshot_process / sb_snapshot_worker: copy one record into caller storage;
 * APR_EINVAL (and *out untouched) for an index out of range, else APR_SUCCESS.
 * Gauges are clamped to 0..SB_GAUGE_MAX (so that a reader's sums over every process
 * cannot overflow), strings NUL-terminated, unknown states '?'. Bounded
 * retries (about 100, yielding the CPU after the first few): a writer killed
 * mid-update leaves the last copy flagged consistent = 0, never a hang. Thread-safe;
 * work on read-only and read-write mappings alike.
 */
apr_status_t sb_snapshot_process(sb_t *sb, unsigned slot, sb_process_snap_t *out);
apr_status_t sb_snapshot_worker(sb_t *sb, unsigned slot, unsigned thread, sb_worker_snap_t *out);

/* sb_hist_bucket: the histogram bucket of a duration in microseconds. */
unsigned sb_hist_bucket(int64_t usec);

/* sb_hist_bound: the upper bound of bucket b in microseconds; -1 for the last
 * (unbounded) bucket and for b out of range. */
int64_t sb_hist_bound(unsigned b);

/* sb_hist_quantile: the q-quantile (0 < q < 1) of histogram h in microseconds,
 * interpolated linearly inside its bucket (the last bucket reports its lower bound);
 * 0 when h is empty. */
double sb_hist_quantile(const uint64_t h[SB_HIST_BUCKETS], double q);

/*
 * sb_totals: everything the server has counted since it started: requests, response
 * bytes and the request-duration histogram of the children alive now (every slot) plus
 * those that exited (the header's retired counters). Reads with relaxed atomics: each
 * value exact on its own, not one instant. Any pointer may be NULL. Any thread/process.
 */
void sb_totals(sb_t *sb, uint64_t *requests, uint64_t *bytes, uint64_t hist[SB_HIST_BUCKETS]);

/* sb_slot_hist: the histogram of one slot's workers (out zeroed first); APR_EINVAL for a
 * slot out of range. */
apr_status_t sb_slot_hist(sb_t *sb, unsigned slot, uint64_t out[SB_HIST_BUCKETS]);

/* sb_process_retire: parent, when a child has exited: add its counts to the header's
 * retired totals, then sb_process_reset. The values come from the child's records and
 * are only as trustworthy as the child was; they feed display counters, nothing else. */
void sb_process_retire(sb_t *sb, unsigned slot);

#endif
