/*
 * sb.c — the scoreboard: create, attach, bounds-checked access, seq-guarded writes
 * and consistent snapshots.
 *
 * Who: the parent creates the file and resets a slot before each fork; a child's
 * threads write their own records through the mapping they inherited; the parent, the
 * status page and evtop read through snapshots. This code never logs and never exits.
 *
 * Why a file and not a named apr_shm segment: on Debian's APR 1.7 a named apr_shm is a
 * shm_open object in /dev/shm whose mode comes from the umask (request lines would be
 * readable by other local users), apr_shm_attach always maps read-write (evtop could
 * scribble on the server), and a segment a crash left behind makes the next create
 * fail with EEXIST. So the parent creates a regular file in DefaultRuntimeDir (a tmpfs
 * in production) afresh on every start: unlink what is at the path (a symlink is
 * removed, never followed), open O_EXCL|O_NOFOLLOW, fchmod 0640 to defeat the umask,
 * reserve its blocks with posix_fallocate (a full tmpfs then fails here with ENOSPC
 * instead of killing a writer with SIGBUS later) and map it MAP_SHARED. The kernel
 * hands out a new file zero-filled, so nothing is memset; every slot is then reset so
 * the workers read SB_DEAD. Plain open/mmap rather than apr_file_open + apr_mmap_create:
 * APR cannot express O_NOFOLLOW or an exact mode, and wrapping the descriptor in an
 * apr_file_t only to map it adds nothing. A pool cleanup munmaps; the descriptor is
 * closed as soon as the file is mapped, so a child inherits the mapping but no
 * descriptor it could ftruncate to make the parent fault. Readers open O_RDONLY and
 * map PROT_READ, after checking a private pread copy of the header.
 *
 * Trust: the segment is writable by every child. All indices are checked against the
 * limits in sb_t (this process's own copy), never against the header; readers clamp
 * what they copy.
 *
 * Atomics: C11 <stdatomic.h> and the __atomic builtins (ThreadSanitizer understands
 * them; it cannot see inside apr_atomic). Seq-guarded fields are plain in the layout
 * but only ever accessed atomically, text as 8-byte words, so a reader racing a writer
 * is well defined and TSan-clean; the sequence counter tells the reader whether its
 * copy is one instant (a seqlock):
 *   writer: s = seq; seq = s | 1; stores (release)...; seq = (s | 1) + 1 (release)
 *   reader: s1 = seq (acquire); loads (acquire)...; s2 = seq; ok iff s1 even == s2
 * The textbook form has relaxed field accesses between a release fence in the writer
 * and an acquire fence in the reader, but GCC rejects atomic_thread_fence under
 * -fsanitize=thread (-Wtsan, fatal with -Werror) and TSan would not model it anyway.
 * Ordering each field instead is the same guarantee by a route TSan follows: on
 * x86-64 release stores and acquire loads are the plain movs relaxed ones are; on
 * arm64 stlr/ldar, a few cycles per field. "s | 1" lets sb_process_reset recover a
 * counter a killed writer left odd. Readers retry a bounded number of times and then
 * return their last copy as inconsistent.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "scoreboard.h"

#define SB_FILE_MODE          0640
#define SB_SERVER_LIMIT_MAX   20000u
#define SB_THREAD_LIMIT_MAX   100000u
#define SB_READ_TRIES         100 /* copies a reader attempts before giving up */
#define SB_SPINS_BEFORE_YIELD 4   /* retries before a reader yields to a busy writer */

/* Any change of these sizes or offsets is a new SB_LAYOUT_VERSION. */
_Static_assert(sizeof(sb_header_t) == 320, "the header fills five cache lines");
_Static_assert(sizeof(sb_process_t) == 128, "a process record fills two cache lines");
_Static_assert(sizeof(sb_worker_t) == 448, "a worker record fills seven cache lines");
_Static_assert(sizeof(sb_header_t) % 64 == 0 && sizeof(sb_process_t) % 64 == 0 &&
                   sizeof(sb_worker_t) % 64 == 0,
               "records must keep every following record 64-byte aligned");
_Static_assert(offsetof(sb_header_t, server_version) + SB_VERSION_MAX <= sizeof(sb_header_t),
               "the header fits its record");
_Static_assert(offsetof(sb_worker_t, client) % 8 == 0 && offsetof(sb_worker_t, request) % 8 == 0 &&
                   SB_CLIENT_MAX % 8 == 0 && SB_REQUEST_MAX % 8 == 0,
               "worker text is copied as aligned 8-byte words");

/* One word of seq-guarded text; may_alias because it is accessed inside char arrays. */
typedef uint64_t sb_word_t __attribute__((may_alias));

/* Seq-guarded field access (see the ordering argument above). */
#define SB_LOAD(field)       __atomic_load_n(&(field), __ATOMIC_ACQUIRE)
#define SB_STORE(field, val) __atomic_store_n(&(field), (val), __ATOMIC_RELEASE)

struct sb_t {
    char *base;            /* the mapping */
    apr_size_t size;       /* bytes mapped */
    apr_size_t worker_off; /* offset of the first worker record */
    unsigned server_limit; /* process records: every slot index is checked against this */
    unsigned thread_limit; /* workers per process: every thread index is checked against this */
    int readonly;          /* mapped PROT_READ by sb_attach_readonly */
    const char *path;      /* the file, for sb_chown and sb_path */
    dev_t dev;             /* identity of the file sb_create made, for sb_chown */
    ino_t ino;
};

static int
sb_limits_ok(uint32_t server_limit, uint32_t thread_limit)
{
    return server_limit >= 1 && server_limit <= SB_SERVER_LIMIT_MAX && thread_limit >= 1 &&
           thread_limit <= SB_THREAD_LIMIT_MAX;
}

/* The file's size for these limits; APR_EINVAL past SIZE_MAX / 2, which also keeps it
 * representable as an off_t for posix_fallocate. */
static apr_status_t
sb_layout_size(unsigned server_limit, unsigned thread_limit, apr_size_t *size)
{
    apr_size_t procs, workers, total;

    if (__builtin_mul_overflow((apr_size_t)server_limit, sizeof(sb_process_t), &procs) ||
        __builtin_mul_overflow((apr_size_t)server_limit, (apr_size_t)thread_limit, &workers) ||
        __builtin_mul_overflow(workers, sizeof(sb_worker_t), &workers) ||
        __builtin_add_overflow(sizeof(sb_header_t), procs, &total) ||
        __builtin_add_overflow(total, workers, &total) || total > SIZE_MAX / 2) {
        return APR_EINVAL;
    }
    *size = total;
    return APR_SUCCESS;
}

static apr_status_t
sb_cleanup(void *data)
{
    sb_t *sb = data;

    munmap(sb->base, sb->size);
    return APR_SUCCESS;
}

static void
sb_set_layout(sb_t *sb, unsigned server_limit, unsigned thread_limit, apr_size_t size)
{
    sb->size = size;
    sb->server_limit = server_limit;
    sb->thread_limit = thread_limit;
    sb->worker_off = sizeof(sb_header_t) + (apr_size_t)server_limit * sizeof(sb_process_t);
}

/* ---- the sequence bracket ------------------------------------------------------ */

static void
sb_seq_enter(_Atomic uint32_t *seq)
{
    uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

    atomic_store_explicit(seq, s | 1u, memory_order_relaxed);
}

static void
sb_seq_leave(_Atomic uint32_t *seq)
{
    uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

    atomic_store_explicit(seq, s + 1u, memory_order_release);
}

typedef void (*sb_copy_fn)(const void *rec, void *out);

/* Copy `rec` into `out` until a copy overlapped no write; 0 if none did in time.
 * While the counter is odd no copy is made, except the last one, so that a record a
 * killed writer left behind still yields its contents. */
static int
sb_seq_read(const _Atomic uint32_t *seq, sb_copy_fn copy, const void *rec, void *out)
{
    int attempt;

    for (attempt = 1;; attempt++) {
        uint32_t s1 = atomic_load_explicit(seq, memory_order_acquire);

        if (!(s1 & 1u) || attempt == SB_READ_TRIES) {
            copy(rec, out);
            if (!(s1 & 1u) && atomic_load_explicit(seq, memory_order_relaxed) == s1) {
                return 1;
            }
        }
        if (attempt == SB_READ_TRIES) {
            return 0;
        }
        if (attempt >= SB_SPINS_BEFORE_YIELD) {
            sched_yield();
        }
    }
}

/* ---- text fields --------------------------------------------------------------- */

/* Store `len` bytes of `src` (at most cap - 1) as the text in `dst`, followed by NULs
 * up to where the previous text ended. The record's only writer reads its own text,
 * so strnlen needs no atomics. */
static void
sb_text_store(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    size_t end = strnlen(dst, cap);
    size_t off;

    end = (end > n ? end : n) + 1;
    if (end > cap) {
        end = cap;
    }
    for (off = 0; off < end; off += sizeof(sb_word_t)) {
        sb_word_t word = 0;

        if (off < n) {
            memcpy(&word, src + off, n - off < sizeof word ? n - off : sizeof word);
        }
        __atomic_store_n((sb_word_t *)(dst + off), word, __ATOMIC_RELEASE);
    }
}

static void
sb_text_clear(char *dst, size_t cap)
{
    size_t off;

    for (off = 0; off < cap; off += sizeof(sb_word_t)) {
        __atomic_store_n((sb_word_t *)(dst + off), 0, __ATOMIC_RELEASE);
    }
}

static void
sb_text_load(char *dst, const char *src, size_t cap)
{
    size_t off;

    for (off = 0; off < cap; off += sizeof(sb_word_t)) {
        sb_word_t word = __atomic_load_n((const sb_word_t *)(src + off), __ATOMIC_ACQUIRE);

        memcpy(dst + off, &word, sizeof word);
    }
}

/* Terminate a copied text and clear whatever followed its first NUL. */
static void
sb_text_seal(char *text, size_t cap)
{
    size_t n = strnlen(text, cap - 1);

    memset(text + n, 0, cap - n);
}

/* ---- create, attach ------------------------------------------------------------ */

static apr_status_t
sb_create_map(sb_t *sb, int fd, apr_size_t size)
{
    struct stat st;
    void *base;
    int err;

    if (fchmod(fd, SB_FILE_MODE) != 0 || fstat(fd, &st) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    do {
        err = posix_fallocate(fd, 0, (off_t)size);
    } while (err == EINTR);
    if (err != 0) {
        return APR_FROM_OS_ERROR(err);
    }
    base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        return APR_FROM_OS_ERROR(errno);
    }
    sb->base = base;
    sb->dev = st.st_dev;
    sb->ino = st.st_ino;
    return APR_SUCCESS;
}

/* Fill the header; the magic goes last so a reader never accepts a half-written one. */
static void
sb_header_init(sb_t *sb, const char *server_version)
{
    sb_header_t *h = sb_header(sb);
    apr_time_t now = apr_time_now();

    h->layout_version = SB_LAYOUT_VERSION;
    h->header_size = sizeof(sb_header_t);
    h->process_size = sizeof(sb_process_t);
    h->worker_size = sizeof(sb_worker_t);
    h->server_limit = sb->server_limit;
    h->thread_limit = sb->thread_limit;
    atomic_store_explicit(&h->parent_pid, (int32_t)getpid(), memory_order_relaxed);
    atomic_store_explicit(&h->start_time, now, memory_order_relaxed);
    atomic_store_explicit(&h->restart_time, now, memory_order_relaxed);
    if (server_version) {
        apr_cpystrn(h->server_version, server_version, sizeof h->server_version);
    }
    __atomic_store_n(&h->magic, SB_MAGIC, __ATOMIC_RELEASE);
}

apr_status_t
sb_create(sb_t **out, const char *path, unsigned server_limit, unsigned thread_limit,
          const char *server_version, apr_pool_t *p)
{
    sb_t *sb;
    apr_size_t size;
    apr_status_t rv;
    unsigned slot;
    int fd;

    if (path == NULL || !sb_limits_ok(server_limit, thread_limit) ||
        sb_layout_size(server_limit, thread_limit, &size) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        return APR_FROM_OS_ERROR(errno);
    }
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, SB_FILE_MODE);
    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    sb = apr_pcalloc(p, sizeof *sb);
    rv = sb_create_map(sb, fd, size);
    close(fd);
    if (rv != APR_SUCCESS) {
        unlink(path);
        return rv;
    }
    sb_set_layout(sb, server_limit, thread_limit, size);
    sb->path = apr_pstrdup(p, path);
    apr_pool_cleanup_register(p, sb, sb_cleanup, apr_pool_cleanup_null);
    for (slot = 0; slot < server_limit; slot++) {
        sb_process_reset(sb, slot);
    }
    sb_header_init(sb, server_version);
    *out = sb;
    return APR_SUCCESS;
}

static int
sb_header_ok(const sb_header_t *h)
{
    return h->magic == SB_MAGIC && h->layout_version == SB_LAYOUT_VERSION &&
           h->header_size == sizeof(sb_header_t) && h->process_size == sizeof(sb_process_t) &&
           h->worker_size == sizeof(sb_worker_t) && sb_limits_ok(h->server_limit, h->thread_limit);
}

/* Validate the open file from a private copy of its header; the size to map on success. */
static apr_status_t
sb_attach_check(int fd, sb_header_t *h, apr_size_t *size)
{
    struct stat st;
    ssize_t n;

    if (fstat(fd, &st) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof *h) {
        return APR_EGENERAL;
    }
    n = pread(fd, h, sizeof *h, 0);
    if (n < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if ((size_t)n != sizeof *h || !sb_header_ok(h) ||
        sb_layout_size(h->server_limit, h->thread_limit, size) != APR_SUCCESS ||
        (uintmax_t)st.st_size < (uintmax_t)*size) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t
sb_attach_readonly(sb_t **out, const char *path, apr_pool_t *p)
{
    sb_header_t h = { 0 }; /* the analyzer allows a failed fstat to leave errno 0 */
    apr_size_t size = 0;
    apr_status_t rv;
    void *base = MAP_FAILED;
    sb_t *sb;
    int fd;

    if (path == NULL) {
        return APR_EINVAL;
    }
    /* O_NONBLOCK: a FIFO planted at the path must not hang the reader in open. */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    rv = sb_attach_check(fd, &h, &size);
    if (rv == APR_SUCCESS) {
        base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) {
            rv = APR_FROM_OS_ERROR(errno);
        }
    }
    close(fd);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    sb = apr_pcalloc(p, sizeof *sb);
    sb->base = base;
    sb->readonly = 1;
    sb_set_layout(sb, h.server_limit, h.thread_limit, size);
    sb->path = apr_pstrdup(p, path);
    apr_pool_cleanup_register(p, sb, sb_cleanup, apr_pool_cleanup_null);
    *out = sb;
    return APR_SUCCESS;
}

apr_status_t
sb_chown(sb_t *sb, uid_t uid, gid_t gid)
{
    struct stat st;
    apr_status_t rv = APR_SUCCESS;
    int fd;

    if (sb->readonly) {
        return APR_EINVAL;
    }
    fd = open(sb->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (fstat(fd, &st) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
    } else if (st.st_dev != sb->dev || st.st_ino != sb->ino) {
        rv = APR_EGENERAL;
    } else if (fchown(fd, uid, gid) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
    }
    close(fd);
    return rv;
}

/* ---- accessors ----------------------------------------------------------------- */

const char *
sb_path(const sb_t *sb)
{
    return sb->path;
}

apr_size_t
sb_size(const sb_t *sb)
{
    return sb->size;
}

unsigned
sb_server_limit(const sb_t *sb)
{
    return sb->server_limit;
}

unsigned
sb_thread_limit(const sb_t *sb)
{
    return sb->thread_limit;
}

sb_header_t *
sb_header(sb_t *sb)
{
    return (sb_header_t *)sb->base;
}

sb_process_t *
sb_process(sb_t *sb, unsigned slot)
{
    if (slot >= sb->server_limit) {
        return NULL;
    }
    return (sb_process_t *)(sb->base + sizeof(sb_header_t) +
                            (apr_size_t)slot * sizeof(sb_process_t));
}

sb_worker_t *
sb_worker(sb_t *sb, unsigned slot, unsigned thread)
{
    apr_size_t index;

    if (slot >= sb->server_limit || thread >= sb->thread_limit) {
        return NULL;
    }
    index = (apr_size_t)slot * sb->thread_limit + thread;
    return (sb_worker_t *)(sb->base + sb->worker_off + index * sizeof(sb_worker_t));
}

/* ---- writers ------------------------------------------------------------------- */

static void
sb_worker_clear(sb_worker_t *w)
{
    sb_seq_enter(&w->seq);
    SB_STORE(w->state, (uint8_t)SB_DEAD);
    SB_STORE(w->generation, 0);
    SB_STORE(w->conn_count, 0);
    SB_STORE(w->access_count, 0);
    SB_STORE(w->bytes, 0);
    SB_STORE(w->last_used, 0);
    SB_STORE(w->duration, 0);
    {
        unsigned b;
        for (b = 0; b < SB_HIST_BUCKETS; b++)
            SB_STORE(w->hist[b], 0);
    }
    sb_text_clear(w->client, sizeof w->client);
    sb_text_clear(w->request, sizeof w->request);
    sb_seq_leave(&w->seq);
}

apr_status_t
sb_slot_hist(sb_t *sb, unsigned slot, uint64_t out[SB_HIST_BUCKETS])
{
    unsigned t, b;

    memset(out, 0, sizeof(uint64_t) * SB_HIST_BUCKETS);
    if (sb_process(sb, slot) == NULL)
        return APR_EINVAL;
    for (t = 0; t < sb->thread_limit; t++) {
        const sb_worker_t *w = sb_worker(sb, slot, t);
        for (b = 0; b < SB_HIST_BUCKETS; b++)
            out[b] += SB_LOAD(w->hist[b]);
    }
    return APR_SUCCESS;
}

/* One pass of sb_totals (see below for the retry around it). */
static void
sb_totals_once(sb_t *sb, uint64_t *requests, uint64_t *bytes, uint64_t hist[SB_HIST_BUCKETS])
{
    sb_header_t *h = sb_header(sb);
    uint64_t slot_hist[SB_HIST_BUCKETS];
    uint64_t req = atomic_load_explicit(&h->retired_requests, memory_order_relaxed);
    uint64_t byt = atomic_load_explicit(&h->retired_bytes, memory_order_relaxed);
    unsigned slot, b;

    if (hist)
        for (b = 0; b < SB_HIST_BUCKETS; b++)
            hist[b] = atomic_load_explicit(&h->retired_hist[b], memory_order_relaxed);
    for (slot = 0; slot < sb->server_limit; slot++) {
        const sb_process_t *rec = sb_process(sb, slot);
        req += atomic_load_explicit(&rec->requests, memory_order_relaxed);
        byt += atomic_load_explicit(&rec->bytes, memory_order_relaxed);
        if (hist) {
            sb_slot_hist(sb, slot, slot_hist);
            for (b = 0; b < SB_HIST_BUCKETS; b++)
                hist[b] += slot_hist[b];
        }
    }
    if (requests)
        *requests = req;
    if (bytes)
        *bytes = byt;
}

/* A slot being retired moves its counts into the header: a pass that overlaps it could
 * count them twice or not at all, so it is repeated (a few times at most) until no
 * retirement ran during it. */
void
sb_totals(sb_t *sb, uint64_t *requests, uint64_t *bytes, uint64_t hist[SB_HIST_BUCKETS])
{
    sb_header_t *h = sb_header(sb);
    int tries;

    for (tries = 0; tries < 8; tries++) {
        uint32_t s1 = atomic_load_explicit(&h->retire_seq, memory_order_acquire), s2;
        sb_totals_once(sb, requests, bytes, hist);
        s2 = atomic_load_explicit(&h->retire_seq, memory_order_acquire);
        if (s1 == s2 && (s1 & 1) == 0)
            return;
        sched_yield();
    }
}

void
sb_process_retire(sb_t *sb, unsigned slot)
{
    sb_process_t *rec = sb_process(sb, slot);
    sb_header_t *h = sb_header(sb);
    uint64_t hist[SB_HIST_BUCKETS];
    unsigned b;

    if (rec == NULL || sb->readonly)
        return;
    atomic_fetch_add_explicit(&h->retire_seq, 1, memory_order_acq_rel);
    atomic_fetch_add_explicit(&h->retired_requests,
                              atomic_load_explicit(&rec->requests, memory_order_relaxed),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&h->retired_bytes,
                              atomic_load_explicit(&rec->bytes, memory_order_relaxed),
                              memory_order_relaxed);
    sb_slot_hist(sb, slot, hist);
    for (b = 0; b < SB_HIST_BUCKETS; b++)
        atomic_fetch_add_explicit(&h->retired_hist[b], hist[b], memory_order_relaxed);
    sb_process_reset(sb, slot);
    atomic_fetch_add_explicit(&h->retire_seq, 1, memory_order_release);
}

void
sb_process_reset(sb_t *sb, unsigned slot)
{
    sb_process_t *rec = sb_process(sb, slot);
    unsigned thread;

    if (rec == NULL || sb->readonly) {
        return;
    }
    sb_process_set(rec, 0, 0, 0, 0, 0);
    atomic_store_explicit(&rec->connections, 0, memory_order_relaxed);
    atomic_store_explicit(&rec->keepalive, 0, memory_order_relaxed);
    atomic_store_explicit(&rec->writing, 0, memory_order_relaxed);
    atomic_store_explicit(&rec->closing, 0, memory_order_relaxed);
    atomic_store_explicit(&rec->requests, 0, memory_order_relaxed);
    atomic_store_explicit(&rec->bytes, 0, memory_order_relaxed);
    atomic_store_explicit(&rec->accepted, 0, memory_order_relaxed);
    for (thread = 0; thread < sb->thread_limit; thread++) {
        sb_worker_clear(sb_worker(sb, slot, thread));
    }
}

void
sb_process_set(sb_process_t *rec, int32_t pid, uint32_t generation, int32_t threads, int quiescing,
               int not_accepting)
{
    sb_seq_enter(&rec->seq);
    SB_STORE(rec->pid, pid);
    SB_STORE(rec->generation, generation);
    SB_STORE(rec->threads, threads);
    SB_STORE(rec->quiescing, (uint8_t)(quiescing != 0));
    SB_STORE(rec->not_accepting, (uint8_t)(not_accepting != 0));
    sb_seq_leave(&rec->seq);
}

void
sb_worker_begin(sb_worker_t *w)
{
    sb_seq_enter(&w->seq);
}

void
sb_worker_end(sb_worker_t *w)
{
    sb_seq_leave(&w->seq);
}

void
sb_worker_set_state(sb_worker_t *w, int state)
{
    sb_seq_enter(&w->seq);
    SB_STORE(w->state, (uint8_t)state);
    sb_seq_leave(&w->seq);
}

void
sb_worker_set_request(sb_worker_t *w, const char *line, size_t len, const char *client,
                      uint32_t conn_count, int64_t now)
{
    sb_seq_enter(&w->seq);
    sb_text_store(w->request, sizeof w->request, line, len);
    if (client != NULL) {
        sb_text_store(w->client, sizeof w->client, client, strnlen(client, sizeof w->client));
    }
    SB_STORE(w->conn_count, conn_count);
    SB_STORE(w->last_used, now);
    SB_STORE(w->state, (uint8_t)SB_WRITE);
    sb_seq_leave(&w->seq);
}

void
sb_worker_count(sb_worker_t *w, uint64_t bytes, int64_t duration)
{
    sb_seq_enter(&w->seq);
    SB_STORE(w->access_count, SB_LOAD(w->access_count) + 1);
    SB_STORE(w->bytes, SB_LOAD(w->bytes) + bytes);
    SB_STORE(w->duration, duration);
    {
        unsigned b = sb_hist_bucket(duration);
        SB_STORE(w->hist[b], SB_LOAD(w->hist[b]) + 1);
    }
    sb_seq_leave(&w->seq);
}

unsigned
sb_hist_bucket(int64_t usec)
{
    unsigned b = 0;

    while (b < SB_HIST_BUCKETS - 1 && usec > ((int64_t)1 << (b + 5)))
        b++;
    return b;
}

int64_t
sb_hist_bound(unsigned b)
{
    return b < SB_HIST_BUCKETS - 1 ? (int64_t)1 << (b + 5) : -1;
}

double
sb_hist_quantile(const uint64_t h[SB_HIST_BUCKETS], double q)
{
    uint64_t total = 0, seen = 0;
    double rank;
    unsigned b;

    for (b = 0; b < SB_HIST_BUCKETS; b++)
        total += h[b];
    if (total == 0)
        return 0;
    rank = q * (double)total;
    for (b = 0; b < SB_HIST_BUCKETS; b++) {
        double lo = b == 0 ? 0 : (double)sb_hist_bound(b - 1);
        if (h[b] == 0 || (double)(seen + h[b]) < rank) {
            seen += h[b];
            continue;
        }
        if (b == SB_HIST_BUCKETS - 1)
            return lo;
        return lo + ((double)sb_hist_bound(b) - lo) * (rank - (double)seen) / (double)h[b];
    }
    return (double)sb_hist_bound(SB_HIST_BUCKETS - 2);
}

/* ---- readers ------------------------------------------------------------------- */

static int64_t
sb_clamp64(int64_t v)
{
    return v < 0 ? 0 : v;
}

/* A gauge read from shared memory: never negative, and small enough that summing
 * every process's cannot overflow a reader's int64_t. */
static int64_t
sb_clamp_gauge(int64_t v)
{
    return v < 0 ? 0 : v > SB_GAUGE_MAX ? SB_GAUGE_MAX : v;
}

static int32_t
sb_clamp32(int32_t v)
{
    return v < 0 ? 0 : v;
}

static int
sb_state_known(int state)
{
    switch (state) {
    case SB_DEAD:
    case SB_STARTING:
    case SB_READY:
    case SB_READ:
    case SB_WRITE:
    case SB_KEEPALIVE:
    case SB_LOGGING:
    case SB_CLOSING:
    case SB_GRACEFUL:
        return state;
    default:
        return '?';
    }
}

static void
sb_process_copy(const void *rec, void *out)
{
    const sb_process_t *r = rec;
    sb_process_snap_t *o = out;

    o->pid = SB_LOAD(r->pid);
    o->generation = SB_LOAD(r->generation);
    o->threads = SB_LOAD(r->threads);
    o->quiescing = SB_LOAD(r->quiescing);
    o->not_accepting = SB_LOAD(r->not_accepting);
}

/* Idle and busy workers of a slot, from the state letters of its first `threads`
 * records (clamped to the mapping's thread limit). */
static void
sb_count_workers(sb_t *sb, unsigned slot, sb_process_snap_t *out)
{
    unsigned t, n = out->threads > 0 ? (unsigned)out->threads : 0;

    out->idle_workers = out->busy_workers = 0;
    if (n > sb_thread_limit(sb))
        n = sb_thread_limit(sb);
    for (t = 0; t < n; t++) {
        const sb_worker_t *w = sb_worker(sb, slot, t);
        switch (sb_state_known(SB_LOAD(w->state))) {
        case SB_READY:
            out->idle_workers++;
            break;
        case SB_READ:
        case SB_WRITE:
        case SB_KEEPALIVE:
        case SB_LOGGING:
        case SB_CLOSING:
        case SB_GRACEFUL:
            out->busy_workers++;
            break;
        default:
            break;
        }
    }
}

apr_status_t
sb_snapshot_process(sb_t *sb, unsigned slot, sb_process_snap_t *out)
{
    const sb_process_t *r = sb_process(sb, slot);

    if (r == NULL) {
        return APR_EINVAL;
    }
    out->consistent = sb_seq_read(&r->seq, sb_process_copy, r, out);
    out->pid = sb_clamp32(out->pid);
    out->threads = sb_clamp32(out->threads);
    out->quiescing = out->quiescing != 0;
    out->not_accepting = out->not_accepting != 0;
    out->connections = sb_clamp_gauge(atomic_load_explicit(&r->connections, memory_order_relaxed));
    out->keepalive = sb_clamp_gauge(atomic_load_explicit(&r->keepalive, memory_order_relaxed));
    out->writing = sb_clamp_gauge(atomic_load_explicit(&r->writing, memory_order_relaxed));
    out->closing = sb_clamp_gauge(atomic_load_explicit(&r->closing, memory_order_relaxed));
    out->requests = atomic_load_explicit(&r->requests, memory_order_relaxed);
    out->bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
    out->accepted = atomic_load_explicit(&r->accepted, memory_order_relaxed);
    sb_count_workers(sb, slot, out);
    return APR_SUCCESS;
}

static void
sb_worker_copy(const void *rec, void *out)
{
    const sb_worker_t *w = rec;
    sb_worker_snap_t *o = out;

    o->state = SB_LOAD(w->state);
    o->generation = SB_LOAD(w->generation);
    o->conn_count = SB_LOAD(w->conn_count);
    o->access_count = SB_LOAD(w->access_count);
    o->bytes = SB_LOAD(w->bytes);
    o->last_used = SB_LOAD(w->last_used);
    o->duration = SB_LOAD(w->duration);
    sb_text_load(o->client, w->client, sizeof o->client);
    sb_text_load(o->request, w->request, sizeof o->request);
}

apr_status_t
sb_snapshot_worker(sb_t *sb, unsigned slot, unsigned thread, sb_worker_snap_t *out)
{
    const sb_worker_t *w = sb_worker(sb, slot, thread);

    if (w == NULL) {
        return APR_EINVAL;
    }
    out->consistent = sb_seq_read(&w->seq, sb_worker_copy, w, out);
    out->state = sb_state_known(out->state);
    out->last_used = sb_clamp64(out->last_used);
    out->duration = sb_clamp64(out->duration);
    sb_text_seal(out->client, sizeof out->client);
    sb_text_seal(out->request, sizeof out->request);
    return APR_SUCCESS;
}
