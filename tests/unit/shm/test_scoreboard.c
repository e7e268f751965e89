/*
 * test_scoreboard.c — shm/sb.c: layout, create/attach and their checks, file mode and
 * ownership, the read-only mapping, bounds, the seqlock under a concurrent writer, a
 * writer killed mid-update, shared counters and the readers' clamping.
 *
 * Each test gets a fresh pool and a fresh directory under $TMPDIR (or /tmp); the
 * scoreboard file is <dir>/sb. Threads never call ck_assert: they count what they
 * saw and the test thread asserts on the counts.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "scoreboard.h"

static apr_pool_t *pool;
static char dir[PATH_MAX];
static char path[PATH_MAX + 8];

static void
setup(void)
{
    const char *tmp = getenv("TMPDIR");

    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    snprintf(dir, sizeof dir, "%s/test_sb.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sb", dir);
}

static void
teardown(void)
{
    DIR *d;
    struct dirent *e;
    char p[PATH_MAX + 260];

    apr_pool_destroy(pool);
    d = opendir(dir);
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                if (unlink(p) != 0) {
                    rmdir(p);
                }
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

static sb_t *
create(unsigned server_limit, unsigned thread_limit)
{
    sb_t *sb = NULL;

    ck_assert_int_eq(sb_create(&sb, path, server_limit, thread_limit, "evhttpd/test", pool),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(sb);
    return sb;
}

static apr_size_t
expected_size(unsigned server_limit, unsigned thread_limit)
{
    return 320 + (apr_size_t)server_limit * 128 + (apr_size_t)server_limit * thread_limit * 448;
}

static void
write_file(const char *p, const char *text, mode_t mode)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* ---- layout -------------------------------------------------------------------- */

START_TEST(test_layout)
{
    const unsigned sl = 3, tl = 5;
    sb_t *sb = create(sl, tl);
    char *base = (char *)sb_header(sb);
    sb_header_t *h = sb_header(sb);
    unsigned s, t;

    ck_assert_uint_eq(sizeof(sb_header_t), 320);
    ck_assert_uint_eq(sizeof(sb_process_t), 128);
    ck_assert_uint_eq(sizeof(sb_worker_t), 448);
    ck_assert_uint_eq(sb_size(sb), expected_size(sl, tl));
    ck_assert_uint_eq(sb_server_limit(sb), sl);
    ck_assert_uint_eq(sb_thread_limit(sb), tl);
    ck_assert_str_eq(sb_path(sb), path);
    ck_assert_uint_eq((uintptr_t)base % 64, 0);
    for (s = 0; s < sl; s++) {
        ck_assert_uint_eq((char *)sb_process(sb, s) - base, 320 + s * 128);
        for (t = 0; t < tl; t++) {
            char *w = (char *)sb_worker(sb, s, t);

            ck_assert_uint_eq(w - base, 320 + sl * 128 + (s * tl + t) * 448);
            ck_assert_uint_eq((uintptr_t)w % 64, 0);
        }
    }
    ck_assert_uint_eq(h->magic, SB_MAGIC);
    ck_assert_uint_eq(h->layout_version, SB_LAYOUT_VERSION);
    ck_assert_uint_eq(h->header_size, 320);
    ck_assert_uint_eq(h->process_size, 128);
    ck_assert_uint_eq(h->worker_size, 448);
    ck_assert_uint_eq(h->server_limit, sl);
    ck_assert_uint_eq(h->thread_limit, tl);
    ck_assert_int_eq(atomic_load(&h->parent_pid), getpid());
    ck_assert_int_gt(atomic_load(&h->start_time), 0);
    ck_assert_str_eq(h->server_version, "evhttpd/test");
}
END_TEST

/* Durations land in the right buckets; quantiles interpolate inside them; a retired
 * child's counts move into the totals instead of vanishing. */
START_TEST(test_histogram_and_totals)
{
    sb_t *sb = create(2, 2);
    uint64_t hist[SB_HIST_BUCKETS], req, bytes;
    static const struct {
        int64_t usec;
        unsigned bucket;
    } rows[] = { { 0, 0 },         { 32, 0 },        { 33, 1 },        { 64, 1 },
                 { 65, 2 },        { 1000, 5 },      { 1024, 5 },      { 1025, 6 },
                 { 16777216, 19 }, { 16777217, 20 }, { INT64_MAX, 20 } };
    unsigned i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        ck_assert_msg(sb_hist_bucket(rows[i].usec) == rows[i].bucket, "%lld -> %u, want %u",
                      (long long)rows[i].usec, sb_hist_bucket(rows[i].usec), rows[i].bucket);
    ck_assert_int_eq(sb_hist_bound(0), 32);
    ck_assert_int_eq(sb_hist_bound(19), 16777216);
    ck_assert_int_eq(sb_hist_bound(20), -1);

    for (i = 0; i < 100; i++) /* 100 requests of 100 us..., 1 of 5 s */
        sb_worker_count(sb_worker(sb, 0, 1), 10, 100);
    sb_worker_count(sb_worker(sb, 1, 0), 7, 5000000);
    atomic_fetch_add(&sb_process(sb, 0)->requests, 100);
    atomic_fetch_add(&sb_process(sb, 1)->requests, 1);
    sb_totals(sb, &req, &bytes, hist);
    ck_assert_uint_eq(req, 101);
    ck_assert_uint_eq(hist[sb_hist_bucket(100)], 100);
    ck_assert_uint_eq(hist[sb_hist_bucket(5000000)], 1);
    /* p50 lies inside the 64..128 us bucket; p99.5 beyond it */
    ck_assert(sb_hist_quantile(hist, 0.5) > 64 && sb_hist_quantile(hist, 0.5) <= 128);
    ck_assert(sb_hist_quantile(hist, 0.999) > 4194304);

    sb_process_retire(sb, 0);
    ck_assert_uint_eq(sb_worker(sb, 0, 1)->hist[sb_hist_bucket(100)], 0);
    sb_totals(sb, &req, NULL, hist);
    ck_assert_uint_eq(req, 101);
    ck_assert_uint_eq(hist[sb_hist_bucket(100)], 100);
    memset(hist, 0, sizeof(hist));
    ck_assert(sb_hist_quantile(hist, 0.5) == 0);
}
END_TEST

START_TEST(test_fresh_slots_dead)
{
    sb_t *sb = create(2, 3);
    sb_worker_snap_t ws;
    sb_process_snap_t ps;
    unsigned s, t;

    for (s = 0; s < 2; s++) {
        ck_assert_int_eq(sb_snapshot_process(sb, s, &ps), APR_SUCCESS);
        ck_assert_int_eq(ps.consistent, 1);
        ck_assert_int_eq(ps.pid, 0);
        for (t = 0; t < 3; t++) {
            ck_assert_int_eq(sb_snapshot_worker(sb, s, t, &ws), APR_SUCCESS);
            ck_assert_int_eq(ws.consistent, 1);
            ck_assert_int_eq(ws.state, SB_DEAD);
            ck_assert_str_eq(ws.request, "");
            ck_assert_uint_eq(atomic_load(&sb_worker(sb, s, t)->seq) % 2, 0);
        }
    }
}
END_TEST

START_TEST(test_bounds)
{
    sb_t *sb = create(2, 3);
    sb_worker_snap_t ws;
    sb_process_snap_t ps;

    ck_assert_ptr_nonnull(sb_process(sb, 1));
    ck_assert_ptr_null(sb_process(sb, 2));
    ck_assert_ptr_null(sb_process(sb, UINT_MAX));
    ck_assert_ptr_nonnull(sb_worker(sb, 1, 2));
    ck_assert_ptr_null(sb_worker(sb, 2, 0));
    ck_assert_ptr_null(sb_worker(sb, 0, 3));
    ck_assert_ptr_null(sb_worker(sb, UINT_MAX, UINT_MAX));
    ck_assert_int_eq(sb_snapshot_process(sb, 2, &ps), APR_EINVAL);
    ck_assert_int_eq(sb_snapshot_worker(sb, 2, 0, &ws), APR_EINVAL);
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 3, &ws), APR_EINVAL);
    sb_process_reset(sb, 2); /* out of range: ignored */
}
END_TEST

/* Limits are checked against this process's copy, not the segment's: a child that
 * scribbles larger limits into the header widens nothing. */
START_TEST(test_bounds_ignore_segment)
{
    sb_t *sb = create(2, 3);

    sb_header(sb)->server_limit = 1000;
    sb_header(sb)->thread_limit = 1000;
    ck_assert_ptr_null(sb_process(sb, 2));
    ck_assert_ptr_null(sb_worker(sb, 0, 3));
}
END_TEST

static const struct {
    unsigned server_limit, thread_limit;
} bad_limits[] = { { 0, 1 }, { 1, 0 }, { 20001, 1 }, { 1, 100001 }, { UINT_MAX, UINT_MAX } };

START_TEST(test_create_bad_limits)
{
    sb_t *sb = NULL;
    struct stat st;

    ck_assert_int_eq(
        sb_create(&sb, path, bad_limits[_i].server_limit, bad_limits[_i].thread_limit, "x", pool),
        APR_EINVAL);
    ck_assert_ptr_null(sb);
    ck_assert_int_ne(lstat(path, &st), 0);
}
END_TEST

/* ---- create, attach ------------------------------------------------------------ */

START_TEST(test_roundtrip)
{
    sb_t *sb = create(2, 4), *ro = NULL;
    sb_worker_snap_t ws;
    sb_process_snap_t ps;

    sb_process_set(sb_process(sb, 1), 4242, 7, 4, 0, 1);
    atomic_fetch_add(&sb_process(sb, 1)->requests, 9);
    sb_worker_set_request(sb_worker(sb, 1, 3), "GET / HTTP/1.1", 14, "192.0.2.1", 2, 1234);
    sb_worker_count(sb_worker(sb, 1, 3), 512, 77);

    ck_assert_int_eq(sb_attach_readonly(&ro, path, pool), APR_SUCCESS);
    ck_assert_uint_eq(sb_server_limit(ro), 2);
    ck_assert_uint_eq(sb_thread_limit(ro), 4);
    ck_assert_uint_eq(sb_size(ro), sb_size(sb));
    ck_assert_str_eq(sb_header(ro)->server_version, "evhttpd/test");

    ck_assert_int_eq(sb_snapshot_process(ro, 1, &ps), APR_SUCCESS);
    ck_assert_int_eq(ps.consistent, 1);
    ck_assert_int_eq(ps.pid, 4242);
    ck_assert_uint_eq(ps.generation, 7);
    ck_assert_int_eq(ps.threads, 4);
    ck_assert_int_eq(ps.quiescing, 0);
    ck_assert_int_eq(ps.not_accepting, 1);
    ck_assert_uint_eq(ps.requests, 9);

    ck_assert_int_eq(sb_snapshot_worker(ro, 1, 3, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.consistent, 1);
    ck_assert_int_eq(ws.state, SB_WRITE);
    ck_assert_str_eq(ws.request, "GET / HTTP/1.1");
    ck_assert_str_eq(ws.client, "192.0.2.1");
    ck_assert_uint_eq(ws.conn_count, 2);
    ck_assert_int_eq(ws.last_used, 1234);
    ck_assert_uint_eq(ws.access_count, 1);
    ck_assert_uint_eq(ws.bytes, 512);
    ck_assert_int_eq(ws.duration, 77);

    /* Writes through the creator's mapping show through the reader's. */
    sb_worker_set_state(sb_worker(sb, 1, 3), SB_KEEPALIVE);
    ck_assert_int_eq(sb_snapshot_worker(ro, 1, 3, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.state, SB_KEEPALIVE);
}
END_TEST

enum {
    SPOIL_POKE,
    SPOIL_TRUNC_TO,
    SPOIL_TRUNC_BY,
    SPOIL_UNLINK,
    SPOIL_SYMLINK,
    SPOIL_DIR,
    SPOIL_FIFO
};

static const struct {
    const char *name;
    int how;
    off_t at;       /* SPOIL_POKE: offset of the uint32 to overwrite; TRUNC_*: size */
    uint32_t value; /* SPOIL_POKE: the value */
    apr_status_t expect;
} spoils[] = {
    { "bad magic", SPOIL_POKE, offsetof(sb_header_t, magic), SB_MAGIC ^ 1, APR_EGENERAL },
    { "wrong version", SPOIL_POKE, offsetof(sb_header_t, layout_version), SB_LAYOUT_VERSION + 1,
      APR_EGENERAL },
    { "header size", SPOIL_POKE, offsetof(sb_header_t, header_size), 64, APR_EGENERAL },
    { "process size", SPOIL_POKE, offsetof(sb_header_t, process_size), 192, APR_EGENERAL },
    { "worker size", SPOIL_POKE, offsetof(sb_header_t, worker_size), 128, APR_EGENERAL },
    { "server limit 0", SPOIL_POKE, offsetof(sb_header_t, server_limit), 0, APR_EGENERAL },
    { "thread limit huge", SPOIL_POKE, offsetof(sb_header_t, thread_limit), 100001, APR_EGENERAL },
    { "claims more slots", SPOIL_POKE, offsetof(sb_header_t, server_limit), 3, APR_EGENERAL },
    { "claims more threads", SPOIL_POKE, offsetof(sb_header_t, thread_limit), 5, APR_EGENERAL },
    { "empty", SPOIL_TRUNC_TO, 0, 0, APR_EGENERAL },
    { "shorter than header", SPOIL_TRUNC_TO, 64, 0, APR_EGENERAL },
    { "one byte short", SPOIL_TRUNC_BY, 1, 0, APR_EGENERAL },
    { "missing", SPOIL_UNLINK, 0, 0, APR_ENOENT },
    { "symlink", SPOIL_SYMLINK, 0, 0, APR_FROM_OS_ERROR(ELOOP) },
    { "directory", SPOIL_DIR, 0, 0, APR_EGENERAL },
    { "fifo", SPOIL_FIFO, 0, 0, APR_EGENERAL },
};

START_TEST(test_attach_rejects)
{
    sb_t *sb = create(2, 4), *ro = NULL;
    char other[PATH_MAX + 16];
    int fd;

    switch (spoils[_i].how) {
    case SPOIL_POKE:
        fd = open(path, O_WRONLY);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(pwrite(fd, &spoils[_i].value, 4, spoils[_i].at), 4);
        close(fd);
        break;
    case SPOIL_TRUNC_TO:
        ck_assert_int_eq(truncate(path, spoils[_i].at), 0);
        break;
    case SPOIL_TRUNC_BY:
        ck_assert_int_eq(truncate(path, (off_t)sb_size(sb) - spoils[_i].at), 0);
        break;
    case SPOIL_UNLINK:
        ck_assert_int_eq(unlink(path), 0);
        break;
    case SPOIL_SYMLINK:
        snprintf(other, sizeof other, "%s.real", path);
        ck_assert_int_eq(rename(path, other), 0);
        ck_assert_int_eq(symlink(other, path), 0);
        break;
    case SPOIL_DIR:
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(mkdir(path, 0700), 0);
        break;
    case SPOIL_FIFO:
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(mkfifo(path, 0600), 0);
        break;
    }
    ck_assert_msg(sb_attach_readonly(&ro, path, pool) == spoils[_i].expect, "%s", spoils[_i].name);
    ck_assert_ptr_null(ro);
}
END_TEST

START_TEST(test_stale_file_replaced)
{
    sb_t *sb, *ro = NULL;
    struct stat st;

    write_file(path, "left behind by a crash", 0666);
    ck_assert_int_eq(chmod(path, 0666), 0);
    sb = create(2, 2);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(st.st_size, (off_t)sb_size(sb));
    ck_assert_int_eq(sb_attach_readonly(&ro, path, pool), APR_SUCCESS);

    /* A second start replaces a live one's file too; the old mapping stays valid. */
    ck_assert_ptr_nonnull(create(1, 1));
    sb_worker_set_state(sb_worker(sb, 1, 1), SB_READY);
}
END_TEST

/* A symlink planted at the path is removed, never followed: its target survives. */
START_TEST(test_stale_symlink_not_followed)
{
    char target[PATH_MAX + 16];
    char buf[32] = "";
    struct stat st;
    int fd;

    snprintf(target, sizeof target, "%s.target", path);
    write_file(target, "keep me", 0600);
    ck_assert_int_eq(symlink(target, path), 0);
    create(1, 1);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    fd = open(target, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, buf, sizeof buf - 1), 7);
    close(fd);
    ck_assert_str_eq(buf, "keep me");
}
END_TEST

static const mode_t umasks[] = { 0, 022, 077, 0777 };

START_TEST(test_mode_ignores_umask)
{
    mode_t old = umask(umasks[_i]);
    struct stat st;

    create(1, 1);
    umask(old);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640);
}
END_TEST

START_TEST(test_chown)
{
    sb_t *sb = create(1, 1);
    uid_t uid = geteuid() == 0 ? 12345 : geteuid();
    gid_t gid = geteuid() == 0 ? 54321 : getegid();
    struct stat st;

    ck_assert_int_eq(sb_chown(sb, (uid_t)-1, (gid_t)-1), APR_SUCCESS);
    ck_assert_int_eq(sb_chown(sb, uid, gid), APR_SUCCESS);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_uid, uid);
    ck_assert_uint_eq(st.st_gid, gid);
    ck_assert_int_eq(st.st_mode & 07777, 0640);

    /* Another file at the path now: not ours to chown. */
    ck_assert_int_eq(unlink(path), 0);
    write_file(path, "someone else's", 0600);
    ck_assert_int_eq(sb_chown(sb, uid, gid), APR_EGENERAL);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(sb_chown(sb, uid, gid), APR_ENOENT);
}
END_TEST

/* A write through the read-only mapping must fault: a child tries and must die of
 * SIGSEGV (the default action is restored first so a sanitizer's handler cannot turn
 * the fault into an ordinary exit). */
START_TEST(test_readonly_mapping_faults)
{
    sb_t *ro = NULL;
    pid_t pid;
    int status;

    create(1, 1);
    ck_assert_int_eq(sb_attach_readonly(&ro, path, pool), APR_SUCCESS);
    ck_assert_int_eq(sb_chown(ro, (uid_t)-1, (gid_t)-1), APR_EINVAL);
    sb_process_reset(ro, 0); /* a no-op on a read-only attachment, not a fault */

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        *(volatile uint8_t *)&sb_worker(ro, 0, 0)->state = SB_READY;
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x", status);
}
END_TEST

/* ---- writers and clamping ------------------------------------------------------ */

START_TEST(test_request_truncated_and_cleared)
{
    sb_t *sb = create(1, 1);
    sb_worker_t *w = sb_worker(sb, 0, 0);
    sb_worker_snap_t ws;
    char longline[300], longclient[100];
    size_t i;

    memset(longline, 'L', sizeof longline);
    memset(longclient, 'c', sizeof longclient - 1);
    longclient[sizeof longclient - 1] = '\0';

    sb_worker_set_request(w, longline, sizeof longline, longclient, 1, 10);
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 0, &ws), APR_SUCCESS);
    ck_assert_uint_eq(strlen(ws.request), SB_REQUEST_MAX - 1);
    ck_assert_uint_eq(strlen(ws.client), SB_CLIENT_MAX - 1);
    ck_assert_int_eq(w->request[SB_REQUEST_MAX - 1], '\0');

    /* A shorter line leaves no stale tail in the segment; NULL keeps the client;
     * `len` bounds the copy, not a NUL. */
    sb_worker_set_request(w, "GET /x HTTP/1.1 trailing junk", 15, NULL, 2, 20);
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 0, &ws), APR_SUCCESS);
    ck_assert_str_eq(ws.request, "GET /x HTTP/1.1");
    ck_assert_uint_eq(strlen(ws.client), SB_CLIENT_MAX - 1);
    for (i = 15; i < SB_REQUEST_MAX; i++) {
        ck_assert_int_eq(w->request[i], '\0');
    }
    ck_assert_uint_eq(ws.conn_count, 2);
    ck_assert_int_eq(ws.last_used, 20);

    sb_worker_set_request(w, "", 0, "", 3, 30);
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 0, &ws), APR_SUCCESS);
    ck_assert_str_eq(ws.request, "");
    ck_assert_str_eq(ws.client, "");
    for (i = 0; i < SB_CLIENT_MAX; i++) {
        ck_assert_int_eq(w->client[i], '\0');
    }
}
END_TEST

START_TEST(test_worker_count_and_state)
{
    sb_t *sb = create(1, 2);
    sb_worker_t *w = sb_worker(sb, 0, 1);
    sb_worker_snap_t ws;
    uint32_t seq = atomic_load(&w->seq);

    sb_worker_set_state(w, SB_READ);
    sb_worker_count(w, 100, 5);
    sb_worker_count(w, 23, 9);
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 1, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.state, SB_READ);
    ck_assert_uint_eq(ws.access_count, 2);
    ck_assert_uint_eq(ws.bytes, 123);
    ck_assert_int_eq(ws.duration, 9);
    ck_assert_uint_eq(atomic_load(&w->seq), seq + 6); /* one even-to-even bracket each */
}
END_TEST

/* Idle and busy counts come from the state letters of the child's own threads only. */
START_TEST(test_idle_busy_from_states)
{
    sb_t *sb = create(1, 6);
    static const int states[6] = { SB_READY, SB_READ, SB_WRITE, SB_READY, SB_KEEPALIVE, SB_READY };
    sb_process_snap_t ps;
    unsigned t;

    for (t = 0; t < 6; t++)
        sb_worker_set_state(sb_worker(sb, 0, t), states[t]);
    sb_process_set(sb_process(sb, 0), 42, 1, 5, 0, 0); /* thread 5 is not one of its 5 */
    ck_assert_int_eq(sb_snapshot_process(sb, 0, &ps), APR_SUCCESS);
    ck_assert_int_eq(ps.idle_workers, 2);
    ck_assert_int_eq(ps.busy_workers, 3);
    sb_worker_set_state(sb_worker(sb, 0, 1), 'Z');        /* garbage counts as neither */
    sb_process_set(sb_process(sb, 0), 42, 1, 1000, 0, 0); /* clamped to the thread limit */
    ck_assert_int_eq(sb_snapshot_process(sb, 0, &ps), APR_SUCCESS);
    ck_assert_int_eq(ps.idle_workers, 3);
    ck_assert_int_eq(ps.busy_workers, 2);
}
END_TEST

START_TEST(test_snapshot_clamps)
{
    sb_t *sb = create(1, 1);
    sb_process_t *rec = sb_process(sb, 0);
    sb_worker_t *w = sb_worker(sb, 0, 0);
    sb_process_snap_t ps;
    sb_worker_snap_t ws;

    sb_process_set(rec, -5, 3, -1, 7, 9);
    atomic_store(&rec->connections, -1);
    atomic_store(&rec->keepalive, INT64_MIN);
    atomic_store(&rec->writing, -2);
    atomic_store(&rec->closing, -3);
    ck_assert_int_eq(sb_snapshot_process(sb, 0, &ps), APR_SUCCESS);
    ck_assert_int_eq(ps.consistent, 1);
    ck_assert_int_eq(ps.pid, 0);
    ck_assert_int_eq(ps.threads, 0);
    ck_assert_int_eq(ps.quiescing, 1);
    ck_assert_int_eq(ps.not_accepting, 1);
    ck_assert_int_eq(ps.connections, 0);
    ck_assert_int_eq(ps.keepalive, 0);
    ck_assert_int_eq(ps.writing, 0);
    ck_assert_int_eq(ps.closing, 0);
    ck_assert_int_eq(ps.idle_workers, 0);
    ck_assert_int_eq(ps.busy_workers, 0);

    /* A child scribbling its record directly: garbage in, bounded values out. */
    w->state = 'Z';
    w->last_used = -1;
    w->duration = -1;
    memset(w->request, 'A', sizeof w->request);
    memset(w->client, 'B', sizeof w->client);
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 0, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.state, '?');
    ck_assert_int_eq(ws.last_used, 0);
    ck_assert_int_eq(ws.duration, 0);
    ck_assert_uint_eq(strlen(ws.request), SB_REQUEST_MAX - 1);
    ck_assert_uint_eq(strlen(ws.client), SB_CLIENT_MAX - 1);
    w->state = 0;
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 0, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.state, '?');
}
END_TEST

/* A writer killed inside its bracket leaves seq odd forever: the reader returns its
 * last copy flagged inconsistent (bounded, no hang); the parent's reset heals it. */
START_TEST(test_killed_writer)
{
    sb_t *sb = create(2, 2);
    sb_worker_t *w = sb_worker(sb, 1, 0);
    sb_process_t *rec = sb_process(sb, 1);
    sb_worker_snap_t ws;
    sb_process_snap_t ps;

    sb_worker_set_request(w, "GET /dying", 10, "198.51.100.7", 1, 1);
    sb_worker_begin(w);
    ck_assert_uint_eq(atomic_load(&w->seq) % 2, 1);
    ck_assert_int_eq(sb_snapshot_worker(sb, 1, 0, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.consistent, 0);
    ck_assert_str_eq(ws.request, "GET /dying");

    sb_process_set(rec, 99, 1, 2, 0, 0);
    atomic_store(&rec->seq, atomic_load(&rec->seq) + 1);
    atomic_fetch_add(&rec->requests, 4);
    ck_assert_int_eq(sb_snapshot_process(sb, 1, &ps), APR_SUCCESS);
    ck_assert_int_eq(ps.consistent, 0);
    ck_assert_int_eq(ps.pid, 99);
    ck_assert_uint_eq(ps.requests, 4); /* counters are read regardless */

    /* The other slot is untouched by either. */
    ck_assert_int_eq(sb_snapshot_worker(sb, 0, 0, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.consistent, 1);

    sb_process_reset(sb, 1);
    ck_assert_int_eq(sb_snapshot_worker(sb, 1, 0, &ws), APR_SUCCESS);
    ck_assert_int_eq(ws.consistent, 1);
    ck_assert_int_eq(ws.state, SB_DEAD);
    ck_assert_str_eq(ws.request, "");
    ck_assert_str_eq(ws.client, "");
    ck_assert_uint_eq(ws.conn_count, 0);
    ck_assert_int_eq(sb_snapshot_process(sb, 1, &ps), APR_SUCCESS);
    ck_assert_int_eq(ps.consistent, 1);
    ck_assert_int_eq(ps.pid, 0);
    ck_assert_uint_eq(ps.requests, 0);
}
END_TEST

/* ---- concurrency --------------------------------------------------------------- */

#define COUNTER_THREADS 8
#define COUNTER_ADDS    100000

static void *
counter_thread(void *arg)
{
    sb_process_t *rec = arg;
    int i;

    for (i = 0; i < COUNTER_ADDS; i++) {
        atomic_fetch_add_explicit(&rec->requests, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&rec->bytes, 3, memory_order_relaxed);
        atomic_fetch_add_explicit(&rec->connections, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&rec->connections, -1, memory_order_relaxed);
    }
    return NULL;
}

START_TEST(test_counters_add_up)
{
    sb_t *sb = create(1, 1);
    pthread_t tids[COUNTER_THREADS];
    sb_process_snap_t ps;
    int i;

    for (i = 0; i < COUNTER_THREADS; i++) {
        ck_assert_int_eq(pthread_create(&tids[i], NULL, counter_thread, sb_process(sb, 0)), 0);
    }
    for (i = 0; i < COUNTER_THREADS; i++) {
        ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
    }
    ck_assert_int_eq(sb_snapshot_process(sb, 0, &ps), APR_SUCCESS);
    ck_assert_uint_eq(ps.requests, (uint64_t)COUNTER_THREADS * COUNTER_ADDS);
    ck_assert_uint_eq(ps.bytes, 3 * (uint64_t)COUNTER_THREADS * COUNTER_ADDS);
    ck_assert_int_eq(ps.connections, 0);
}
END_TEST

/*
 * Seqlock: a writer thread publishes records whose every field derives from one
 * counter v; a reader thread takes snapshots and checks that each consistent one is
 * coherent. Lengths vary with v (past the truncation limits), so a stale tail or a
 * torn copy shows up as a wrong string. The reader goes on past READER_SNAPSHOTS until
 * the writer has published WRITER_MIN values, so the two really overlap even when the
 * writer thread is scheduled late; both loops are bounded.
 */
#define READER_SNAPSHOTS 100000
#define READER_MAX       (50 * READER_SNAPSHOTS)
#define WRITER_MIN       1000u
#define WRITER_MAX       20000000u

typedef struct {
    sb_t *sb;
    pthread_barrier_t start;
    atomic_int stop;       /* the reader is done */
    atomic_uint written;   /* last v the writer published */
    long snapshots;        /* reader: snapshots taken */
    long consistent, torn; /* reader: consistent snapshots; and those incoherent */
    long inconsistent;     /* reader: snapshots flagged inconsistent */
    char first_torn[256];  /* reader: description of the first incoherent snapshot */
} race_t;

static size_t
race_line(unsigned v, char *buf)
{
    int n = snprintf(buf, 64, "%u GET /", v);
    size_t k = (v * 37u) % 160;

    memset(buf + n, 'x', k);
    return (size_t)n + k;
}

static void
race_client(unsigned v, char *buf)
{
    int n = snprintf(buf, 64, "%u:", v);
    size_t k = (v * 13u) % 60;

    memset(buf + n, 'c', k);
    buf[n + k] = '\0';
}

static void
race_worker_write(sb_t *sb, unsigned v)
{
    sb_worker_t *w = sb_worker(sb, 0, 0);
    char line[256], client[128];

    race_client(v, client);
    sb_worker_set_request(w, line, race_line(v, line), client, v, v);
    sb_worker_count(w, v, v);
}

/* Expected text for v, truncated as the scoreboard keeps it, compared to what was read. */
static int
race_text_ok(const char *got, const char *want, size_t want_len, size_t cap)
{
    size_t n = want_len < cap - 1 ? want_len : cap - 1;

    return strlen(got) == n && memcmp(got, want, n) == 0;
}

static int
race_worker_check(sb_t *sb, char *why, size_t whylen)
{
    sb_worker_snap_t s;
    char line[256], client[128];
    unsigned v;
    uint64_t a;

    if (sb_snapshot_worker(sb, 0, 0, &s) != APR_SUCCESS) {
        snprintf(why, whylen, "snapshot failed");
        return -1;
    }
    if (!s.consistent) {
        return 0;
    }
    v = s.conn_count;
    a = s.access_count;
    if (v == 0) { /* before the first write: the fresh record */
        if (s.state != SB_DEAD || a != 0 || s.request[0] || s.client[0]) {
            snprintf(why, whylen, "v=0 state=%c a=%llu", s.state, (unsigned long long)a);
            return -1;
        }
        return 1;
    }
    race_client(v, client);
    if (s.state != SB_WRITE || s.last_used != (int64_t)v || (a != v && a + 1 != v) ||
        s.duration != (int64_t)a || s.bytes != a * (a + 1) / 2 ||
        !race_text_ok(s.request, line, race_line(v, line), SB_REQUEST_MAX) ||
        !race_text_ok(s.client, client, strlen(client), SB_CLIENT_MAX)) {
        snprintf(why, whylen,
                 "v=%u a=%llu last_used=%lld bytes=%llu request='%.40s' client='%.20s'", v,
                 (unsigned long long)a, (long long)s.last_used, (unsigned long long)s.bytes,
                 s.request, s.client);
        return -1;
    }
    return 1;
}

static void
race_process_write(sb_t *sb, unsigned v)
{
    sb_process_set(sb_process(sb, 0), (int32_t)(v & 0x7fffffff), v, (int32_t)(v & 0x7fffffff),
                   (int)(v & 1), (int)((v >> 1) & 1));
}

static int
race_process_check(sb_t *sb, char *why, size_t whylen)
{
    sb_process_snap_t s;

    if (sb_snapshot_process(sb, 0, &s) != APR_SUCCESS) {
        snprintf(why, whylen, "snapshot failed");
        return -1;
    }
    if (!s.consistent) {
        return 0;
    }
    if ((uint32_t)s.pid != s.generation || s.threads != s.pid || s.quiescing != (s.pid & 1) ||
        s.not_accepting != ((s.pid >> 1) & 1)) {
        snprintf(why, whylen, "pid=%d gen=%u threads=%d q=%d na=%d", s.pid, s.generation, s.threads,
                 s.quiescing, s.not_accepting);
        return -1;
    }
    return 1;
}

static const struct {
    const char *name;
    void (*write)(sb_t *sb, unsigned v);
    int (*check)(sb_t *sb, char *why, size_t whylen);
} races[] = {
    { "worker record", race_worker_write, race_worker_check },
    { "process identity", race_process_write, race_process_check },
};

static int race_kind;

static void *
race_writer(void *arg)
{
    race_t *r = arg;
    unsigned v;

    races[race_kind].write(r->sb, 1);
    atomic_store_explicit(&r->written, 1, memory_order_relaxed);
    pthread_barrier_wait(&r->start);
    for (v = 2; v <= WRITER_MAX && !atomic_load_explicit(&r->stop, memory_order_relaxed); v++) {
        races[race_kind].write(r->sb, v);
        atomic_store_explicit(&r->written, v, memory_order_relaxed);
    }
    return NULL;
}

static void *
race_reader(void *arg)
{
    race_t *r = arg;
    char why[200];
    long i;
    int rc;

    pthread_barrier_wait(&r->start);
    for (i = 0; i < READER_MAX; i++) {
        if (i >= READER_SNAPSHOTS &&
            atomic_load_explicit(&r->written, memory_order_relaxed) >= WRITER_MIN) {
            break;
        }
        r->snapshots++;
        rc = races[race_kind].check(r->sb, why, sizeof why);
        if (rc > 0) {
            r->consistent++;
        } else if (rc == 0) {
            r->inconsistent++;
        } else {
            r->consistent++;
            if (r->torn++ == 0) {
                snprintf(r->first_torn, sizeof r->first_torn, "%s", why);
            }
        }
    }
    atomic_store(&r->stop, 1);
    return NULL;
}

START_TEST(test_snapshot_consistent_under_writer)
{
    race_t r = { 0 };
    pthread_t writer, reader;

    race_kind = _i;
    r.sb = create(1, 1);
    ck_assert_int_eq(pthread_barrier_init(&r.start, NULL, 2), 0);
    ck_assert_int_eq(pthread_create(&writer, NULL, race_writer, &r), 0);
    ck_assert_int_eq(pthread_create(&reader, NULL, race_reader, &r), 0);
    ck_assert_int_eq(pthread_join(reader, NULL), 0);
    ck_assert_int_eq(pthread_join(writer, NULL), 0);
    pthread_barrier_destroy(&r.start);

    ck_assert_msg(r.torn == 0, "%s: %ld of %ld consistent snapshots incoherent, first: %s",
                  races[_i].name, r.torn, r.consistent, r.first_torn);
    ck_assert_int_gt(r.consistent, 0);
    ck_assert_int_eq(r.consistent + r.inconsistent, r.snapshots);
    ck_assert_msg(atomic_load(&r.written) >= WRITER_MIN, "writer starved: %u writes in %ld reads",
                  atomic_load(&r.written), r.snapshots);
    /* After the writer stopped, the record reads consistently and shows its last value. */
    ck_assert_int_gt(races[_i].check(r.sb, r.first_torn, sizeof r.first_torn), 0);
}
END_TEST

static Suite *
scoreboard_suite(void)
{
    Suite *s = suite_create("scoreboard");
    TCase *tc = tcase_create("layout");
    TCase *files = tcase_create("files");
    TCase *rw = tcase_create("records");
    TCase *conc = tcase_create("concurrency");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_fresh_slots_dead);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_bounds_ignore_segment);
    tcase_add_loop_test(tc, test_create_bad_limits, 0, sizeof bad_limits / sizeof bad_limits[0]);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(files, setup, teardown);
    tcase_add_test(files, test_roundtrip);
    tcase_add_loop_test(files, test_attach_rejects, 0, sizeof spoils / sizeof spoils[0]);
    tcase_add_test(files, test_stale_file_replaced);
    tcase_add_test(files, test_stale_symlink_not_followed);
    tcase_add_loop_test(files, test_mode_ignores_umask, 0, sizeof umasks / sizeof umasks[0]);
    tcase_add_test(files, test_chown);
    tcase_add_test(files, test_readonly_mapping_faults);
    suite_add_tcase(s, files);

    tcase_add_checked_fixture(rw, setup, teardown);
    tcase_add_test(rw, test_request_truncated_and_cleared);
    tcase_add_test(rw, test_worker_count_and_state);
    tcase_add_test(rw, test_snapshot_clamps);
    tcase_add_test(rw, test_idle_busy_from_states);
    tcase_add_test(rw, test_histogram_and_totals);
    tcase_add_test(rw, test_killed_writer);
    suite_add_tcase(s, rw);

    tcase_add_checked_fixture(conc, setup, teardown);
    tcase_set_timeout(conc, 120);
    tcase_add_test(conc, test_counters_add_up);
    tcase_add_loop_test(conc, test_snapshot_consistent_under_writer, 0,
                        sizeof races / sizeof races[0]);
    suite_add_tcase(s, conc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    if (apr_initialize() != APR_SUCCESS) {
        return 99;
    }
    sr = srunner_create(scoreboard_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? 0 : 1;
}
