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

#include <stdint.h>
#include <stdatomic.h>
#include <apr_errno.h>
#include <apr_pools.h>

#define SB_MAGIC          0x42534845u /* "EHSB" little-endian */
#define SB_LAYOUT_VERSION 1u
#define SB_REQUEST_MAX    128 /* bytes of the request line kept per worker */
#define SB_CLIENT_MAX     48  /* bytes of the client address kept per worker */
#define SB_VERSION_MAX    32  /* bytes of the server version string */

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
    uint32_t magic;          /* SB_MAGIC */
    uint32_t layout_version; /* SB_LAYOUT_VERSION */
    uint32_t header_size;    /* sizeof(sb_header_t) */
    uint32_t process_size;   /* sizeof(sb_process_t) */
    uint32_t worker_size;    /* sizeof(sb_worker_t) */
    uint32_t server_limit;   /* process records */
    uint32_t thread_limit;   /* worker records per process */
    uint32_t reserved0;      /* zero */
    _Atomic uint32_t generation;  /* running generation (parent writes) */
    _Atomic int32_t parent_pid;   /* parent's pid, for display only */
    _Atomic int64_t start_time;   /* when the parent started, usec since epoch */
    _Atomic int64_t restart_time; /* last (re)start of a generation, usec since epoch */
    char server_version[SB_VERSION_MAX]; /* "evhttpd/0.1.0", NUL-terminated by the reader */
    char pad[48];
} sb_header_t;

typedef struct {
    _Atomic uint32_t seq;        /* odd while the identity fields below are being written */
    int32_t pid;                 /* the child's pid, 0 when the slot is free (display only) */
    uint32_t generation;         /* the child's generation */
    uint8_t quiescing;           /* 1 once the child is stopping */
    uint8_t not_accepting;       /* 1 while the listener does not accept */
    uint8_t pad0[2];
    int32_t threads;             /* ThreadsPerChild the child runs */
    _Atomic int64_t connections; /* open connections now */
    _Atomic int64_t keepalive;   /* connections parked in keep-alive now */
    _Atomic int64_t writing;     /* connections parked in write completion now */
    _Atomic int64_t closing;     /* connections in lingering close now */
    _Atomic uint64_t requests;   /* requests served since the child started */
    _Atomic uint64_t bytes;      /* response bytes sent since the child started */
    _Atomic uint64_t accepted;   /* connections accepted since the child started */
    _Atomic int32_t idle_workers; /* workers waiting for work now */
    _Atomic int32_t busy_workers; /* workers serving now */
    char pad[36];
} sb_process_t;

typedef struct {
    _Atomic uint32_t seq;   /* odd while the record is being written */
    uint8_t state;          /* SB_* letter */
    uint8_t pad0[3];
    uint32_t generation;    /* generation of the child that owns the thread */
    uint32_t conn_count;    /* requests on the current connection */
    uint64_t access_count;  /* requests served by this thread */
    uint64_t bytes;         /* bytes sent by this thread */
    int64_t last_used;      /* when the last request started, usec since epoch */
    int64_t duration;       /* last request's time to serve, usec */
    char client[SB_CLIENT_MAX];   /* client address, NUL-padded */
    char request[SB_REQUEST_MAX]; /* request line, NUL-padded, maybe truncated */
    char pad[16];
} sb_worker_t;

typedef struct sb_t sb_t;

/*
 * sb_create: create the scoreboard file at `path` (replacing one a crashed server
 * left), mode 0640, owner uid/gid (-1 to keep), sized for the limits, mapped shared
 * read-write; header filled in. Lives as long as `p`. Returns the failing call's status.
 */
apr_status_t sb_create(sb_t **sb, const char *path, unsigned server_limit, unsigned thread_limit,
                       const char *server_version, apr_pool_t *p);

/* sb_attach_readonly: map an existing scoreboard read-only (evtop, tests). Checks
 * magic, layout version, record sizes and that the file is as large as its header
 * claims: APR_EGENERAL on mismatch, APR_ENOENT if missing. */
apr_status_t sb_attach_readonly(sb_t **sb, const char *path, apr_pool_t *p);

/* sb_header / sb_process / sb_worker: the record, or NULL for an index out of range.
 * Indices are bounds-checked against the limits this process mapped with, never
 * against values read from the segment. */
sb_header_t *sb_header(sb_t *sb);
sb_process_t *sb_process(sb_t *sb, unsigned slot);
sb_worker_t *sb_worker(sb_t *sb, unsigned slot, unsigned thread);
unsigned sb_server_limit(const sb_t *sb);
unsigned sb_thread_limit(const sb_t *sb);

/* sb_process_reset: parent, before forking into `slot`: zero the record and the
 * slot's worker records (all SB_DEAD). */
void sb_process_reset(sb_t *sb, unsigned slot);

/* sb_process_set: the child's main thread publishes its identity (seq-guarded). */
void sb_process_set(sb_process_t *rec, int32_t pid, uint32_t generation, int32_t threads,
                    int quiescing, int not_accepting);

/* sb_worker_begin / sb_worker_end: a worker brackets writes to its record. */
void sb_worker_begin(sb_worker_t *w);
void sb_worker_end(sb_worker_t *w);

/* sb_worker_set_state: one-field update (begin; state; end). */
void sb_worker_set_state(sb_worker_t *w, int state);

/* Consistent copies for readers. */
typedef struct {
    int32_t pid;
    uint32_t generation;
    int quiescing, not_accepting;
    int32_t threads;
    int64_t connections, keepalive, writing, closing;
    uint64_t requests, bytes, accepted;
    int32_t idle_workers, busy_workers;
    int consistent; /* 0 if the identity fields could not be read consistently */
} sb_process_snap_t;

typedef struct {
    int state; /* SB_* letter; '?' for a value no state has */
    uint32_t generation;
    uint32_t conn_count;
    uint64_t access_count, bytes;
    int64_t last_used, duration;
    char client[SB_CLIENT_MAX];   /* NUL-terminated */
    char request[SB_REQUEST_MAX]; /* NUL-terminated */
    int consistent; /* 0 if a writer kept it busy past the retries (or died mid-write) */
} sb_worker_snap_t;

/* sb_snapshot_process / sb_snapshot_worker: copy one record; APR_EINVAL for an
 * index out of range. Counters are clamped to be >= 0. Bounded retries: a writer
 * killed mid-update leaves the record flagged inconsistent, never a hang. */
apr_status_t sb_snapshot_process(sb_t *sb, unsigned slot, sb_process_snap_t *out);
apr_status_t sb_snapshot_worker(sb_t *sb, unsigned slot, unsigned thread, sb_worker_snap_t *out);

#endif
