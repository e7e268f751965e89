/*
 * child.c — the life of a child process: drop privileges, open what the child
 * needs, start the listener and the workers, wait for a stop signal, and tear down.
 *
 * Who: the child's main thread (right after fork, or the only process with -X). It
 * blocks TERM/INT/USR1/HUP before any thread exists, so only it receives them, by
 * sigtimedwait: TERM and INT stop at once, USR1 stops gracefully. It owns pchild and
 * every thread; the listener ends the queue when it is done, and the workers then
 * return and are joined here.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <apr_strings.h>

#include "accesslog.h"
#include "child.h"
#include "conn.h"
#include "filecache.h"
#include "listener.h"
#include "reqlog.h"
#include "log.h"
#include "worker.h"

void
child_wake_listener(child_t *c)
{
    uint64_t one = 1;

    /* EAGAIN means a wake-up is already pending: good enough. */
    if (write(c->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_error(EV_LOG_ERR, errno, "EVH00301", "write to the wake-up eventfd failed");
}

/* fdqueue callback (a worker, or the listener giving a reservation back): one more
 * idle worker. The listener waits for one when it could not reserve a worker, and for
 * any when its connection limit (which grows with idle workers) stopped it. */
static void
child_on_idle(void *baton)
{
    child_t *c = baton;

    if (atomic_load(&c->listener_wait))
        child_wake_listener(c);
}

/* fdqueue callback: a worker with nothing to do is about to sleep, maybe for long.
 * What it buffered goes out, and its cached descriptors close: one of them may be a
 * file deleted since, whose space would stay taken while the worker sleeps. Under
 * load the running workers seldom sleep and keep theirs. */
static void
child_before_sleep(void *baton)
{
    child_t *c = baton;

    if (c->conf->buffered_logs)
        reqlog_flush(c);
    filecache_drop_descriptors(filecache_current());
}

static int
child_drop_privileges(const child_env_t *env)
{
    if (!env->drop_privileges)
        return 0;
    if (setgroups(1, &env->gid) < 0 || setgid(env->gid) < 0) {
        log_error(EV_LOG_ALERT, errno, "EVH00302", "cannot switch to group %lu",
                  (unsigned long)env->gid);
        return -1;
    }
    if (setuid(env->uid) < 0) {
        log_error(EV_LOG_ALERT, errno, "EVH00303", "cannot switch to user %lu",
                  (unsigned long)env->uid);
        return -1;
    }
    if (env->uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
        log_error(EV_LOG_ALERT, 0, "EVH00304", "could regain root after switching user, refusing");
        return -1;
    }
    return 0;
}

int
child_cpus(void)
{
    cpu_set_t set;
    long n;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The queue holds at most one entry per open connection; past 64 Ki entries (1 MiB)
 * the accept limit, not the descriptor limit, is what binds. */
static unsigned
child_queue_capacity(void)
{
    struct rlimit rl;
    rlim_t n = 4096;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        n = rl.rlim_cur;
    if (n < 1024)
        n = 1024;
    if (n > 1u << 16)
        n = 1u << 16;
    return (unsigned)n;
}

/* The targets of a site's Aliases (those of the main server only once): a directory
 * becomes a root to open beneath; a file, its directory and its name. */
static int
child_open_aliases(child_t *c, const ev_site_t *s)
{
    int i;

    for (i = 0; i < s->aliases->nelts; i++) {
        const ev_alias_t *a = APR_ARRAY_IDX(s->aliases, i, const ev_alias_t *);
        struct stat st;
        const char *slash;
        int fd;

        if (c->alias_fds[a->index] >= 0)
            continue;
        fd = open(a->path, O_PATH | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
            close(fd);
            slash = strrchr(a->path, '/');
            fd = open(slash == a->path
                          ? "/"
                          : apr_pstrndup(c->pool, a->path, (apr_size_t)(slash - a->path)),
                      O_PATH | O_DIRECTORY | O_CLOEXEC);
            c->alias_file[a->index] = apr_pstrdup(c->pool, slash);
        }
        if (fd < 0) {
            log_error(EV_LOG_ALERT, errno, "EVH00315", "Alias %s %s (%s) cannot be opened",
                      a->prefix, a->path, a->where);
            return -1;
        }
        c->alias_fds[a->index] = fd;
    }
    return 0;
}

static int
child_open(child_t *c)
{
    const ev_config_t *conf = c->conf;
    apr_status_t rv;
    int i;

    for (i = 0; i < conf->sites->nelts; i++) {
        const ev_site_t *s = APR_ARRAY_IDX(conf->sites, i, const ev_site_t *);

        c->site_fds[i] = open(s->document_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->site_fds[i] < 0) {
            log_error(EV_LOG_ALERT, errno, "EVH00305", "DocumentRoot %s%s%s cannot be opened",
                      s->document_root, s->where ? " of the <VirtualHost> at " : "",
                      s->where ? s->where : "");
            return EV_EXIT_CHILDFATAL;
        }
        if (child_open_aliases(c, s) < 0)
            return EV_EXIT_CHILDFATAL;
    }
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    c->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->epfd < 0 || c->wakefd < 0) {
        log_error(EV_LOG_CRIT, errno, "EVH00306", "epoll_create1 or eventfd failed");
        return EV_EXIT_CHILDSICK;
    }
    rv = fdqueue_create(&c->queue, child_queue_capacity(), child_on_idle, c, c->pool);
    if (rv != APR_SUCCESS) {
        log_error(EV_LOG_CRIT, rv, "EVH00307", "cannot create the worker queue");
        return EV_EXIT_CHILDSICK;
    }
    fdqueue_set_concurrency(c->queue, conf->threads_per_child, child_cpus());
    fdqueue_set_before_sleep(c->queue, child_before_sleep, c);
    return EV_EXIT_OK;
}

/* USR2 from the parent (evctl reopen-logs, logrotate): the error logs and the access
 * logs, virtual hosts' included, are opened again under their names; writers switch
 * without a lock. */
static void
child_reopen_logs(child_t *c)
{
    apr_status_t rv = log_reopen();
    int i;

    if (rv != APR_SUCCESS)
        log_error(EV_LOG_ERR, rv, "EVH00311", "cannot reopen the error log");
    for (i = 0; i < c->env->naccess_logs; i++)
        if ((rv = accesslog_reopen(c->env->access_logs[i])) != APR_SUCCESS)
            log_error(EV_LOG_ERR, rv, "EVH00312", "cannot reopen CustomLog %s",
                      accesslog_path(c->env->access_logs[i]));
    for (i = 0; i < c->env->nerror_logs; i++)
        if ((rv = log_file_reopen(c->env->error_logs[i])) != APR_SUCCESS)
            log_error(EV_LOG_ERR, rv, "EVH00603", "cannot reopen ErrorLog %s",
                      log_file_path(c->env->error_logs[i]));
}

/* Wait for a stop signal or for the listener to finish on its own. */
static void
child_wait(child_t *c, const sigset_t *set, _Atomic int *listener_done)
{
    struct timespec ts = { 0, 200 * 1000 * 1000 };

    while (!atomic_load(listener_done)) {
        int expect = EV_RUNNING;
        int sig = sigtimedwait(set, NULL, &ts);

        if (sig == SIGTERM || sig == SIGINT) {
            atomic_store(&c->stopping, EV_STOP_NOW);
            child_wake_listener(c);
        } else if (sig == SIGUSR1) {
            atomic_compare_exchange_strong(&c->stopping, &expect, EV_STOP_GRACEFUL);
            child_wake_listener(c);
        } else if (sig == SIGUSR2) {
            child_reopen_logs(c);
        }
    }
}

/*
 * Why SCHED_BATCH: a thread woken under SCHED_OTHER preempts the one running, so on a
 * busy CPU every epoll event that wakes the listener interrupts a worker in the middle
 * of its batch, and every worker the listener wakes interrupts the listener before it
 * has queued the rest: measured with one CPU, wrk -c50, 100 KiB files, 0.58 context
 * switches per request (0.28 of them preemptions) against 0.06 (0.001) as SCHED_BATCH,
 * and 27 % more requests per second. A batch thread still runs at once on an idle CPU
 * and keeps its nice level and share; it only waits for the running thread to block or
 * use up its slice instead of preempting it.
 */
void
child_thread_policy(const child_t *c)
{
    static _Atomic int reported;
    struct sched_param sp = { 0 };
    int policy, err;

    if (!c->conf->sched_batch || pthread_getschedparam(pthread_self(), &policy, &sp) != 0 ||
        policy != SCHED_OTHER)
        return;
    sp.sched_priority = 0;
    if ((err = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp)) != 0 &&
        !atomic_exchange(&reported, 1))
        log_error(EV_LOG_WARN, err, "EVH00313",
                  "SchedulingPolicy batch refused; threads keep their policy");
}

typedef struct {
    child_t *c;
    _Atomic int done;
} listener_arg_t;

static void *
child_listener_thread(void *arg)
{
    listener_arg_t *la = arg;

    child_thread_policy(la->c);
    listener_run(la->c);
    atomic_store(&la->done, 1);
    return NULL;
}

/* Close whatever workers parked after the listener left (stop now). */
static void
child_close_leftovers(child_t *c)
{
    lfstack_node_t *n = lfstack_take_all(&c->parked);

    while (n) {
        conn_t *conn = (conn_t *)n;
        n = n->next;
        conn_close(conn);
    }
}

static int
child_run_threads(child_t *c)
{
    int nthreads = c->conf->threads_per_child, i, started = 0, rc = EV_EXIT_OK;
    pthread_t *tids = apr_pcalloc(c->pool, sizeof(*tids) * (size_t)nthreads);
    worker_arg_t *wargs = apr_pcalloc(c->pool, sizeof(*wargs) * (size_t)nthreads);
    listener_arg_t la = { .c = c };
    pthread_t ltid;
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    for (i = 0; i < nthreads; i++) {
        wargs[i].child = c;
        wargs[i].index = i;
        int err = pthread_create(&tids[i], NULL, worker_run, &wargs[i]);
        if (err != 0) {
            log_error(EV_LOG_ALERT, err, "EVH00308", "cannot start worker thread %d", i);
            rc = EV_EXIT_CHILDSICK;
            break;
        }
        started++;
    }
    if (rc == EV_EXIT_OK && (i = pthread_create(&ltid, NULL, child_listener_thread, &la)) != 0) {
        log_error(EV_LOG_ALERT, i, "EVH00309", "cannot start the listener thread");
        rc = EV_EXIT_CHILDSICK;
    }
    if (rc == EV_EXIT_OK) {
        child_wait(c, &set, &la.done);
        pthread_join(ltid, NULL);
    } else {
        fdqueue_terminate(c->queue);
    }
    for (i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    child_close_leftovers(c);
    return rc;
}

int
child_main(const child_env_t *env, unsigned slot, unsigned generation, int bucket)
{
    apr_pool_t *pchild;
    child_t *c;
    sigset_t set;
    int rc;

    log_set_generation(generation);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (child_drop_privileges(env) < 0)
        return EV_EXIT_CHILDFATAL;
    if (apr_pool_create(&pchild, NULL) != APR_SUCCESS)
        return EV_EXIT_CHILDSICK;
    c = apr_pcalloc(pchild, sizeof(*c));
    c->pool = pchild;
    c->conf = env->conf;
    c->env = env;
    c->slot = slot;
    c->generation = generation;
    c->bucket = env->nbuckets > 1 ? bucket : -1;
    c->proc = sb_process(env->sb, slot);
    c->lame_duck = &sb_header(env->sb)->lame_duck;
    c->epfd = c->wakefd = -1;
    c->site_fds = apr_palloc(pchild, sizeof(int) * (size_t)env->conf->sites->nelts);
    for (int i = 0; i < env->conf->sites->nelts; i++)
        c->site_fds[i] = -1;
    c->alias_fds = apr_palloc(pchild, sizeof(int) * (size_t)(env->conf->naliases + 1));
    c->alias_file = apr_pcalloc(pchild, sizeof(char *) * (size_t)(env->conf->naliases + 1));
    for (int i = 0; i < env->conf->naliases; i++)
        c->alias_fds[i] = -1;
    snprintf(c->server_header, sizeof(c->server_header), "%s/%s", PACKAGE_NAME, PACKAGE_VERSION);
    lfstack_init(&c->free_ctx);
    lfstack_init(&c->free_conns);
    lfstack_init(&c->parked);
    if (c->proc == NULL) {
        apr_pool_destroy(pchild);
        return EV_EXIT_CHILDFATAL;
    }
    sb_process_set(c->proc, (int32_t)getpid(), generation, env->conf->threads_per_child, 0, 0);
    rc = child_open(c);
    if (rc == EV_EXIT_OK) {
        log_error(EV_LOG_DEBUG, 0, "EVH00310", "child started in slot %u with %d workers%s", slot,
                  env->conf->threads_per_child,
                  c->bucket >= 0 ? apr_psprintf(pchild, ", listener bucket %d", c->bucket) : "");
        rc = child_run_threads(c);
    }
    conn_free_all(c);
    if (c->epfd >= 0)
        close(c->epfd);
    if (c->wakefd >= 0)
        close(c->wakefd);
    for (int i = 0; i < env->conf->sites->nelts; i++)
        if (c->site_fds[i] >= 0)
            close(c->site_fds[i]);
    for (int i = 0; i < env->conf->naliases; i++)
        if (c->alias_fds[i] >= 0)
            close(c->alias_fds[i]);
    sb_process_set(c->proc, 0, generation, 0, 1, 1);
    apr_pool_destroy(pchild);
    return rc;
}
