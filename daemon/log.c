/*
 * log.c — the error logs.
 *
 * Who: every thread of the parent and of the children. log_error formats one line on
 * the caller's stack and hands it to the kernel with a single write(2) on an O_APPEND
 * descriptor: the kernel appends each write whole, so threads and processes sharing the
 * file never interleave within a line, and the logging path takes no lock.
 *
 * Owns: the process-wide destination. Writers load `g_fd` (an atomic); it is either 2
 * (stderr) or `g_own`, a descriptor number this module opened once and keeps for the
 * life of the process. Opening another file dup3()s it onto `g_own` instead of closing
 * the old descriptor: a writer that loaded the number a moment earlier can then reach
 * only the old or the new log file, never a socket that accept() gave the freed number.
 *
 * Locks and atomics: `g_open_lock` serializes log_open/log_reopen (rare, never on the
 * logging path). Level, generation and descriptor are relaxed atomics: a line formatted
 * with a value that changed a moment ago is harmless. The thread id is cached per thread
 * and tagged with the pid that read it, so a forked child notices its copy is stale.
 *
 * A virtual host's ErrorLog is a log_file_t the parent opens with each generation,
 * in the generation's pool, and children inherit; it is reopened the same way (dup3
 * onto the number writers use) by whoever holds it. log_request picks the file of
 * the request's site through the child's table and formats exactly as log_error does.
 *
 * Shutdown: nothing to release; exit closes the descriptor. Children inherit it by fork.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "child.h"
#include "conn.h"
#include "log.h"
#include "logfd.h"

#define LOG_ELLIPSIS "..."

static _Atomic int g_fd = 2;
static _Atomic int g_level = EV_LOG_WARN;
static _Atomic unsigned g_generation;
static _Atomic int g_journal; /* stderr is systemd's journal: prefix lines with <priority> */

static pthread_mutex_t g_open_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_own = -1;        /* our descriptor number once a file was opened (g_open_lock) */
static char g_path[PATH_MAX]; /* path of the current file, "" for stderr (g_open_lock) */

static _Thread_local pid_t t_pid; /* process that filled t_tid */
static _Thread_local pid_t t_tid; /* kernel thread id, read once per thread */

static const char *const log_level_names[] = { "emerg", "alert",  "crit", "error",
                                               "warn",  "notice", "info", "debug" };

/* A line under construction; `cap` leaves room for the ellipsis and the newline. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
    int truncated;
} log_buf_t;

static void log_vappendf(log_buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
log_vappendf(log_buf_t *b, const char *fmt, va_list ap)
{
    int n;

    if (b->truncated) {
        return;
    }
    /* The NUL vsnprintf adds lands in the tail room, never past the buffer. */
    n = vsnprintf(b->p + b->len, b->cap - b->len + 1, fmt, ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n > b->cap - b->len) {
        b->len = b->cap;
        b->truncated = 1;
    } else {
        b->len += (size_t)n;
    }
}

static void log_appendf(log_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
log_appendf(log_buf_t *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vappendf(b, fmt, ap);
    va_end(ap);
}

static const char *
log_level_name(int level)
{
    if (level < EV_LOG_EMERG) {
        level = EV_LOG_EMERG;
    }
    if (level > EV_LOG_DEBUG) {
        level = EV_LOG_DEBUG;
    }
    return log_level_names[level];
}

static pid_t
log_thread_id(pid_t pid)
{
    if (t_pid != pid) {
        t_pid = pid;
        t_tid = (pid_t)syscall(SYS_gettid);
    }
    return t_tid;
}

/* "[Thu Nov 26 19:57:36.123456 2026] [error] [pid 1234:tid 5678] [gen 3] " */
static void
log_prefix(log_buf_t *b, int level, int main_log)
{
    apr_time_exp_t tm;
    pid_t pid = getpid();

    apr_time_exp_lt(&tm, apr_time_now());
    /* sd-daemon(3)'s "<N>" prefix: the journal then knows each line's priority (our levels
     * are syslog's: emerg 0 ... debug 7). A virtual host's own file never goes there. */
    if (main_log && atomic_load_explicit(&g_journal, memory_order_relaxed))
        log_appendf(b, "<%d>",
                    level < EV_LOG_EMERG   ? EV_LOG_EMERG
                    : level > EV_LOG_DEBUG ? EV_LOG_DEBUG
                                           : level);
    log_appendf(b, "[%s %s %02d %02d:%02d:%02d.%06d %d] [%s] [pid %ld:tid %ld] [gen %u] ",
                apr_day_snames[tm.tm_wday], apr_month_snames[tm.tm_mon], tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, tm.tm_usec, tm.tm_year + 1900, log_level_name(level),
                (long)pid, (long)log_thread_id(pid),
                atomic_load_explicit(&g_generation, memory_order_relaxed));
}

/* ": (24)Too many open files" */
static void
log_append_status(log_buf_t *b, apr_status_t status)
{
    char text[256];

    apr_strerror(status, text, sizeof(text));
    log_appendf(b, ": (%d)%s", (int)status, text);
}

/* One message must stay one line whatever the caller passed (request data, file
 * names): CR, LF and every other control byte become a space. */
static void
log_neutralize(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            s[i] = ' ';
        }
    }
}

static void
log_finish(log_buf_t *b)
{
    if (b->truncated) {
        memcpy(b->p + b->len, LOG_ELLIPSIS, sizeof(LOG_ELLIPSIS) - 1);
        b->len += sizeof(LOG_ELLIPSIS) - 1;
    }
    b->p[b->len++] = '\n';
}

struct log_file_t {
    int fd;           /* the descriptor writers use; its number never changes */
    const char *path; /* as given to log_file_open (pool copy) */
};

static void log_vwrite(int fd, int level, const char *client, apr_status_t status, const char *id,
                       const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

/* One line to `fd` (-1: the main error log); `client` is "ADDR:PORT" or NULL. */
static void
log_vwrite(int fd, int level, const char *client, apr_status_t status, const char *id,
           const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    log_buf_t b = { line, 0, sizeof(line) - (sizeof(LOG_ELLIPSIS) - 1) - 1, 0 };
    int saved_errno = errno;
    size_t body;
    ssize_t n;

    log_prefix(&b, level, fd < 0);
    body = b.len;
    if (client != NULL) {
        log_appendf(&b, "[client %s] ", client);
    }
    if (id != NULL) {
        log_appendf(&b, "%s: ", id);
    }
    log_vappendf(&b, fmt, ap);
    if (status != APR_SUCCESS) {
        log_append_status(&b, status);
    }
    log_neutralize(line + body, b.len - body);
    log_finish(&b);

    /* A short or failed write has nowhere to be reported; only EINTR is worth a retry. */
    if (fd < 0) {
        fd = atomic_load_explicit(&g_fd, memory_order_relaxed);
    }
    do {
        n = write(fd, line, b.len);
    } while (n < 0 && errno == EINTR);
    errno = saved_errno;
}

void
log_error(int level, apr_status_t status, const char *id, const char *fmt, ...)
{
    va_list ap;

    if (!log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    log_vwrite(-1, level, NULL, status, id, fmt, ap);
    va_end(ap);
}

void
log_request(const conn_t *c, int level, apr_status_t status, const char *id, const char *fmt, ...)
{
    const conn_ctx_t *x = c->ctx;
    /* Apache's choice for a request that could not be read: the default server of the
     * address it came to. */
    const ev_site_t *site = x && x->site ? x->site : c->group->dflt;
    const log_file_t *lf =
        site->error_log_id >= 0 ? c->child->env->error_logs[site->error_log_id] : NULL;
    char client[sizeof(x->client_ip) + 8];
    unsigned port;
    va_list ap;

    if (!log_enabled(level)) {
        return;
    }
    /* the worker's text of the peer: the PROXY header's client where one was applied */
    port = ntohs(c->peer.sa.sa_family == AF_INET6 ? c->peer.sin6.sin6_port : c->peer.sin.sin_port);
    snprintf(client, sizeof(client), "%s:%u", x && x->client_ip[0] ? x->client_ip : "-", port);
    va_start(ap, fmt);
    log_vwrite(lf ? lf->fd : -1, level, client, status, id, fmt, ap);
    va_end(ap);
}

int
log_enabled(int level)
{
    return level <= atomic_load_explicit(&g_level, memory_order_relaxed);
}

void
log_set_level(int level)
{
    atomic_store_explicit(&g_level, level, memory_order_relaxed);
}

void
log_set_generation(unsigned generation)
{
    atomic_store_explicit(&g_generation, generation, memory_order_relaxed);
}

int
log_fd(void)
{
    return atomic_load_explicit(&g_fd, memory_order_relaxed);
}

/* Point the log at `path` (NULL: stderr). Called with g_open_lock held. */
static apr_status_t
log_switch(const char *path)
{
    size_t len;

    if (path == NULL) {
        /* g_own stays open on the old file so its number cannot be reused under a
         * writer that loaded it just before this store. */
        atomic_store_explicit(&g_fd, 2, memory_order_relaxed);
        g_path[0] = '\0';
        return APR_SUCCESS;
    }
    len = strlen(path);
    if (len >= sizeof(g_path)) {
        return APR_ENAMETOOLONG;
    }
    if (g_own < 0) {
        if ((g_own = logfd_open(path)) < 0) {
            return APR_FROM_OS_ERROR(errno);
        }
    } else {
        apr_status_t rv = logfd_reopen(g_own, path);

        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    memmove(g_path, path, len + 1);
    atomic_store_explicit(&g_fd, g_own, memory_order_relaxed);
    return APR_SUCCESS;
}

/* systemd sets JOURNAL_STREAM=dev:inode of the stream it connected to stderr. */
static int
log_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

apr_status_t
log_open(const char *path, int level)
{
    apr_status_t rv;

    pthread_mutex_lock(&g_open_lock);
    rv = log_switch(path);
    pthread_mutex_unlock(&g_open_lock);
    if (rv == APR_SUCCESS) {
        log_set_level(level);
        atomic_store_explicit(&g_journal, path == NULL && log_stderr_is_journal(),
                              memory_order_relaxed);
    }
    return rv;
}

apr_status_t
log_reopen(void)
{
    apr_status_t rv = APR_SUCCESS;

    pthread_mutex_lock(&g_open_lock);
    if (g_path[0] != '\0') {
        rv = log_switch(g_path);
    }
    pthread_mutex_unlock(&g_open_lock);
    return rv;
}

int
log_ratelimit(log_ratelimit_t *rl, apr_time_t now, apr_uint64_t *suppressed)
{
    apr_time_t next = atomic_load_explicit(&rl->next, memory_order_relaxed);

    /* Losing the CAS means another caller passed for this interval. */
    if ((now < next && next - now <= LOG_RATELIMIT_INTERVAL) ||
        !atomic_compare_exchange_strong_explicit(&rl->next, &next, now + LOG_RATELIMIT_INTERVAL,
                                                 memory_order_relaxed, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&rl->suppressed, 1, memory_order_relaxed);
        return 0;
    }
    apr_uint64_t held = atomic_exchange_explicit(&rl->suppressed, 0, memory_order_relaxed);
    if (suppressed != NULL) {
        *suppressed = held;
    }
    return 1;
}

static apr_status_t
log_file_cleanup(void *data)
{
    log_file_t *lf = data;

    close(lf->fd);
    return APR_SUCCESS;
}

apr_status_t
log_file_open(log_file_t **out, const char *path, apr_pool_t *p)
{
    log_file_t *lf;
    int fd = logfd_open(path);

    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    lf = apr_pcalloc(p, sizeof(*lf));
    lf->fd = fd;
    lf->path = apr_pstrdup(p, path);
    apr_pool_cleanup_register(p, lf, log_file_cleanup, apr_pool_cleanup_null);
    *out = lf;
    return APR_SUCCESS;
}

apr_status_t
log_file_reopen(log_file_t *lf)
{
    return logfd_reopen(lf->fd, lf->path);
}

const char *
log_file_path(const log_file_t *lf)
{
    return lf->path;
}

void
log_file_detach(log_file_t *lf)
{
    logfd_detach(lf->fd);
}
