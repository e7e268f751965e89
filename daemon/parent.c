/*
 * parent.c — the parent's supervision loop: children, generations, the control socket.
 *
 * Who: the parent process, single-threaded. Signals arrive through a signalfd and
 * control requests through ctl_server, both in one poll loop, so no work happens in a
 * signal handler. Once a second it reaps children, performs spare-thread maintenance
 * and checks draining generations.
 *
 * Trust: the parent keeps its own table of children (pid, generation, start time). It
 * reads the scoreboard only as a hint (idle workers, open connections), clamped, and
 * never takes a pid, an index or a pointer from it (Apache's CVE-2019-0211).
 *
 * Spawning: StartServers at start; then 1, 2, 4 ... up to 32 children a second while
 * idle workers < MinSpareThreads (never more than the deficit needs), one child retired
 * gracefully (USR1) per second while idle > MaxSpareThreads, never beyond
 * MaxRequestWorkers / ServerLimit. A child that dies unexpectedly is replaced at once;
 * when children keep dying young the replacement backs off exponentially (up to 64 s).
 * A child exiting with EV_EXIT_CHILDFATAL stops the server.
 *
 * Generations: a graceful restart loads and checks the new configuration first (a
 * broken one changes nothing), then makes it generation N+1: its children start in free
 * scoreboard slots while those of generation N stop accepting, finish what is in flight
 * and exit. The listening sockets stay open throughout. Slot policy (see evhttpd(8)):
 * the restart is refused, naming the draining children, when fewer free slots remain
 * than the new generation's StartServers; afterwards, when the current generation needs
 * a slot that draining children hold, the oldest of them is told to stop at once (its
 * open connections are counted as closed early) — the current generation always gets
 * its capacity, and ServerLimit above MaxRequestWorkers / ThreadsPerChild is the
 * headroom that lets old children drain undisturbed.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "accesslog.h"
#include "ctl_server.h"
#include "ctlframe.h"
#include "log.h"
#include "notify.h"
#include "parent.h"
#include "parent_priv.h"

#define YOUNG_CHILD      apr_time_from_sec(10) /* dying earlier counts as a start failure */
#define MAX_BACKOFF_SECS 64
#define MAX_SPAWN_RATE   32
#define STOP_GRACE       apr_time_from_sec(3) /* stop now: SIGKILL after this */
#define POLL_MAX         300

const int parent_signal_list[PARENT_NSIGNALS] = { SIGTERM, SIGINT,  SIGCHLD, SIGHUP,
                                                  SIGUSR1, SIGUSR2, SIGWINCH };

/* ---- children ---- */

static int parent_idle_of(parent_t *P, unsigned slot);

/* Count the current generation's active children per listener bucket into
 * P->in_bucket; returns how many buckets have none. Retiring, hurried and quiescing
 * children do not count: they no longer accept. */
static int
parent_count_buckets(parent_t *P)
{
    int nb = P->cur->env.nbuckets, b, empty = 0;
    unsigned i;

    for (b = 0; b < nb; b++)
        P->in_bucket[b] = 0;
    for (i = 0; i < P->nslots; i++) {
        const parent_slot_t *s = &P->slots[i];
        if (s->pid && s->gen == P->cur && !s->retiring && !s->hurried && s->bucket >= 0 &&
            s->bucket < nb && (nb == 1 || parent_idle_of(P, i) >= 0))
            P->in_bucket[s->bucket]++;
    }
    for (b = 0; b < nb; b++)
        empty += P->in_bucket[b] == 0;
    return empty;
}

/* The bucket with the fewest children of the current generation (the lowest first),
 * so that every bucket has one before any has two. */
static int
parent_pick_bucket(parent_t *P)
{
    int nb = P->cur->env.nbuckets, b, best = 0;

    parent_count_buckets(P);
    for (b = 1; b < nb; b++)
        if (P->in_bucket[b] < P->in_bucket[best])
            best = b;
    return best;
}

static int
parent_spawn(parent_t *P, unsigned slot)
{
    generation_t *g = P->cur;
    int bucket = parent_pick_bucket(P);
    pid_t pid;

    sb_process_reset(P->sb, slot);
    pid = fork();
    if (pid < 0) {
        log_error(EV_LOG_ERR, errno, "EVH00401", "fork failed, backing off");
        P->backoff_until = apr_time_now() + apr_time_from_sec(1);
        return -1;
    }
    if (pid == 0) {
        sigset_t none;
        generation_t *o;

        for (o = g->older; o; o = o->older)
            generation_detach_logs(o);
        close(P->sigfd);
        if (P->ctl)
            ctl_server_forget(P->ctl);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        exit(child_main(&g->env, slot, g->id, bucket));
    }
    P->slots[slot] =
        (parent_slot_t){ .pid = pid, .gen = g, .started = apr_time_now(), .bucket = bucket };
    g->live++;
    return 0;
}

/* Spawn up to n children of the current generation into free slots. */
static int
parent_spawn_n(parent_t *P, int n)
{
    unsigned i;
    int spawned = 0;

    for (i = 0; i < P->nslots && spawned < n; i++) {
        if (P->slots[i].pid != 0)
            continue;
        if (parent_spawn(P, i) < 0)
            break;
        spawned++;
    }
    return spawned;
}

static void parent_generation_drained(parent_t *P, generation_t *g);

static void
parent_child_exited(parent_t *P, unsigned slot, int status)
{
    parent_slot_t *s = &P->slots[slot];
    generation_t *g = s->gen;
    apr_time_t now = apr_time_now();
    int young = now - s->started < YOUNG_CHILD;
    int crashed = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);

    if (s->hurried && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        crashed = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == EV_EXIT_CHILDFATAL) {
        log_error(EV_LOG_ALERT, 0, "EVH00402",
                  "child %ld exited with a fatal error, stopping the server", (long)s->pid);
        P->fatal = 1;
    } else if (WIFSIGNALED(status)) {
        /* Not an error when the parent sent the signal itself (parent_kill_stuck). */
        log_error(s->killed ? EV_LOG_INFO : EV_LOG_ERR, 0, "EVH00403",
                  "child %ld (slot %u) killed by signal %d%s", (long)s->pid, slot, WTERMSIG(status),
                  WCOREDUMP(status) ? ", core dumped" : "");
    } else if (crashed) {
        log_error(EV_LOG_ERR, 0, "EVH00404", "child %ld (slot %u) exited with status %d",
                  (long)s->pid, slot, WEXITSTATUS(status));
    } else {
        log_error(EV_LOG_DEBUG, 0, "EVH00405", "child %ld (slot %u, generation %u) exited",
                  (long)s->pid, slot, g->id);
    }
    if (crashed && P->stop == RUN && g == P->cur) {
        P->replace_now = 1;
        if (young || (WIFEXITED(status) && WEXITSTATUS(status) == EV_EXIT_CHILDSICK)) {
            int secs;
            P->fail_streak++;
            P->last_failure = now;
            secs = P->fail_streak <= 1 ? 0 : 1 << (P->fail_streak - 1 > 6 ? 6 : P->fail_streak - 1);
            if (secs > MAX_BACKOFF_SECS)
                secs = MAX_BACKOFF_SECS;
            if (secs) {
                P->backoff_until = now + apr_time_from_sec(secs);
                log_error(EV_LOG_WARN, 0, "EVH00406",
                          "children keep dying at start-up, waiting %d s before the next", secs);
            }
        } else {
            P->fail_streak = 0;
        }
    }
    memset(s, 0, sizeof(*s));
    sb_process_retire(P->sb, slot); /* its counts live on in the totals */
    if (--g->live == 0 && g != P->cur)
        parent_generation_drained(P, g);
}

static void
parent_reap(parent_t *P)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        unsigned i;
        for (i = 0; i < P->nslots; i++)
            if (P->slots[i].pid == pid)
                break;
        if (i < P->nslots)
            parent_child_exited(P, i, status);
    }
}

/* Open connections of a child, from the scoreboard: a hint, for reports only. */
static apr_uint64_t
parent_connections_of(parent_t *P, unsigned slot)
{
    sb_process_snap_t ps;

    if (sb_snapshot_process(P->sb, slot, &ps) != APR_SUCCESS || ps.pid != P->slots[slot].pid)
        return 0;
    return (apr_uint64_t)ps.connections;
}

/* Stop a draining child at once; what it still had open is "closed early" (added to
 * its generation's count and returned). parent_kill_stuck follows up. */
static apr_uint64_t
parent_hurry(parent_t *P, unsigned slot)
{
    parent_slot_t *s = &P->slots[slot];
    apr_uint64_t n;

    if (s->pid == 0 || s->hurried)
        return 0;
    n = parent_connections_of(P, slot);
    s->gen->closed_early += n;
    s->hurried = 1;
    s->hurried_at = apr_time_now();
    kill(s->pid, SIGTERM);
    return n;
}

/* A child told to stop at once that is still there STOP_GRACE later does not handle
 * signals any more: stopped (SIGSTOP, a debugger) or stuck. Its connections are lost
 * either way; SIGKILL frees its slot and lets a drain or a stop finish. */
static void
parent_kill_stuck(parent_t *P, apr_time_t now)
{
    unsigned i;

    for (i = 0; i < P->nslots; i++) {
        parent_slot_t *s = &P->slots[i];

        if (s->pid == 0 || !s->hurried || s->killed || now - s->hurried_at <= STOP_GRACE)
            continue;
        log_error(EV_LOG_WARN, 0, "EVH00429",
                  "child %ld (slot %u) did not stop within %d s of SIGTERM, killing it",
                  (long)s->pid, i, (int)apr_time_sec(STOP_GRACE));
        kill(s->pid, SIGKILL);
        s->killed = 1;
    }
}

/* Idle workers of a child, from its scoreboard records, clamped to ThreadsPerChild;
 * -1 for a child that says it is stopping on its own (MaxConnectionsPerChild). Both are
 * hints: at worst they make us spawn a child more or less, within MaxRequestWorkers. */
static int
parent_idle_of(parent_t *P, unsigned slot)
{
    sb_process_snap_t ps;
    int threads = P->cur->conf->threads_per_child;

    if (sb_snapshot_process(P->sb, slot, &ps) != APR_SUCCESS || ps.pid != P->slots[slot].pid)
        return threads; /* still starting: count it as idle, as Apache does */
    if (ps.quiescing)
        return -1;
    return ps.idle_workers < threads ? ps.idle_workers : threads;
}

static unsigned
parent_free_slots(const parent_t *P)
{
    unsigned i, n = 0;

    for (i = 0; i < P->nslots; i++)
        n += P->slots[i].pid == 0;
    return n;
}

/* The current generation needs `want` slots that draining children hold: stop the
 * oldest of them (policy in the design comment above). */
static void
parent_make_room(parent_t *P, int want)
{
    generation_t *g, *oldest = NULL;
    unsigned i;

    for (g = P->cur->older; g; g = g->older)
        oldest = g;
    if (oldest == NULL)
        return;
    for (i = 0; i < P->nslots && want > 0; i++) {
        if (P->slots[i].gen == oldest && P->slots[i].pid && !P->slots[i].hurried) {
            log_error(EV_LOG_WARN, 0, "EVH00415",
                      "no free scoreboard slot for generation %u: stopping child %ld of "
                      "draining generation %u now (raise ServerLimit for more headroom)",
                      P->cur->id, (long)P->slots[i].pid, oldest->id);
            parent_hurry(P, i);
            want--;
        }
    }
}

static void
parent_maintain(parent_t *P)
{
    const ev_config_t *conf = P->cur->conf;
    unsigned i, max_children = (unsigned)(conf->max_request_workers / conf->threads_per_child);
    unsigned active = 0;
    int idle = 0, n, spawned, replacing = P->replace_now, uncovered = parent_count_buckets(P);
    int retire = -1; /* the surplus child to retire, if any */
    apr_time_t now = apr_time_now();

    if (max_children > P->nslots)
        max_children = P->nslots;
    for (i = 0; i < P->nslots; i++) {
        int slot_idle;

        if (P->slots[i].pid == 0 || P->slots[i].retiring || P->slots[i].gen != P->cur)
            continue;
        /* A child that lived past YOUNG_CHILD since the last start-up failure shows
         * children can start again: forget the failures. */
        if (P->fail_streak && P->slots[i].started > P->last_failure &&
            now - P->slots[i].started > YOUNG_CHILD)
            P->fail_streak = 0;
        slot_idle = parent_idle_of(P, i);
        if (slot_idle < 0)
            continue; /* draining: neither active nor idle */
        active++;
        /* the last child whose bucket keeps another: a bucket never loses its last */
        if (P->in_bucket[P->slots[i].bucket] > 1)
            retire = (int)i;
        idle += slot_idle;
    }
    if (idle > conf->max_spare_threads && active > 1 && retire >= 0) {
        log_error(EV_LOG_DEBUG, 0, "EVH00407", "%d idle workers > MaxSpareThreads, retiring one",
                  idle);
        P->slots[retire].retiring = 1;
        kill(P->slots[retire].pid, SIGUSR1);
        P->spawn_rate = 1;
        return;
    }
    /* A bucket without a current child would leave its sockets' queues unserved. */
    if ((idle >= conf->min_spare_threads && !replacing && !uncovered) || now < P->backoff_until) {
        P->spawn_rate = 1;
        return;
    }
    P->replace_now = 0;
    /* The rate caps a second's spawning; no more children than the deficit needs
     * (Apache spawns the full rate and retires the surplus later). */
    n = (conf->min_spare_threads - idle + conf->threads_per_child - 1) / conf->threads_per_child;
    if (n > P->spawn_rate)
        n = P->spawn_rate;
    if (replacing && n < 1)
        n = 1;
    if (n < uncovered)
        n = uncovered;
    if ((unsigned)n > max_children - active)
        n = (int)(max_children - active);
    if (n <= 0)
        return;
    if (parent_free_slots(P) < (unsigned)n)
        parent_make_room(P, n - (int)parent_free_slots(P));
    spawned = parent_spawn_n(P, n);
    if (spawned < n) {
        apr_uint64_t suppressed;
        if (log_ratelimit(&P->full_log, now, &suppressed))
            log_error(EV_LOG_WARN, 0, "EVH00416",
                      "scoreboard full: %d more children wanted, every one of the %u slots "
                      "taken (draining children free theirs as they exit)",
                      n - spawned, P->nslots);
    }
    if (spawned && idle < conf->min_spare_threads && P->spawn_rate < MAX_SPAWN_RATE)
        P->spawn_rate *= 2;
    if (spawned)
        log_error(EV_LOG_INFO, 0, "EVH00408", "spawned %d %s (%d idle workers)", spawned,
                  spawned == 1 ? "child" : "children", idle);
}

unsigned
parent_live(const parent_t *P)
{
    unsigned i, n = 0;

    for (i = 0; i < P->nslots; i++)
        n += P->slots[i].pid != 0;
    return n;
}

/* ---- generations ---- */

void
parent_fill_report(const generation_t *g, Evhttpd__Ctl__RestartReport *rep, apr_time_t now)
{
    evhttpd__ctl__restart_report__init(rep);
    rep->old_generation = g->id;
    rep->new_generation = g->successor;
    rep->children_drained = g->drain_children;
    rep->seconds = (double)(now - g->drain_began) / APR_USEC_PER_SEC;
    rep->connections_closed_early = g->closed_early;
}

/* The last child of an old generation is gone: answer who waited, free it. */
static void
parent_generation_drained(parent_t *P, generation_t *g)
{
    generation_t **pp;
    apr_time_t now = apr_time_now();
    int i;

    log_error(EV_LOG_NOTICE, 0, "EVH00417",
              "generation %u drained: %u children in %.1f s, %llu connections closed early", g->id,
              g->drain_children, (double)(now - g->drain_began) / APR_USEC_PER_SEC,
              (unsigned long long)g->closed_early);
    for (i = 0; i < g->waiters->nelts; i++) {
        ctl_client_t *c = APR_ARRAY_IDX(g->waiters, i, ctl_client_t *);
        apr_pool_t *p = ctl_server_client_pool(c);
        Evhttpd__Ctl__Reply reply = EVHTTPD__CTL__REPLY__INIT;
        Evhttpd__Ctl__RestartReport *rep = apr_pcalloc(p, sizeof(*rep));

        parent_fill_report(g, rep, now);
        reply.version = CTLFRAME_PROTOCOL_VERSION;
        reply.message =
            apr_psprintf(p, "generation %u drained, generation %u serving", g->id, g->successor);
        reply.restart = rep;
        ctl_server_reply(P->ctl, c, &reply);
    }
    for (pp = &P->cur->older; *pp; pp = &(*pp)->older)
        if (*pp == g) {
            *pp = g->older;
            break;
        }
    generation_destroy(g);
}

/* Make `g` current; the previous current generation drains. */
static void parent_prepare_logs(const generation_t *g);

static void
parent_switch(parent_t *P, generation_t *g)
{
    generation_t *old = P->cur;
    apr_time_t now = apr_time_now();
    unsigned i;

    g->older = old;
    g->started = now;
    old->successor = g->id;
    old->drain_began = now;
    old->drain_children = old->live;
    old->drain_timeout = g->conf->graceful_restart_timeout;
    P->cur = g;
    parent_prepare_logs(g);
    atomic_store(&sb_header(P->sb)->generation, g->id);
    atomic_store(&sb_header(P->sb)->restart_time, now);
    log_set_generation(g->id);
    if (g->conf->log_level != old->conf->log_level)
        log_set_level(g->conf->log_level);
    for (i = 0; i < P->nslots; i++)
        if (P->slots[i].pid && P->slots[i].gen == old && !P->slots[i].retiring) {
            P->slots[i].retiring = 1;
            kill(P->slots[i].pid, SIGUSR1);
        }
    listen_set_commit(P->penv->listens);
    P->spawn_rate = 1;
    P->fail_streak = 0;
    P->backoff_until = 0;
    P->replace_now = 0; /* the new generation starts complete */
    parent_spawn_n(P, g->conf->start_servers);
    if (old->live == 0)
        parent_generation_drained(P, old); /* nothing to wait for (every child had died) */
}

/* Load the next generation; on failure copy the messages into `p` for the reply. */
static generation_t *
parent_load(parent_t *P, apr_array_header_t *msgs)
{
    generation_t *g;

    if (generation_load(&g, P->cur->id + 1, &P->penv->src, P->penv->listens, P->sb, P->penv->pool,
                        msgs) != APR_SUCCESS)
        return NULL;
    g->env.sb = P->sb;
    return g;
}

static void
parent_log_msgs(const apr_array_header_t *msgs, int level)
{
    int i;

    for (i = 0; i < msgs->nelts; i++)
        log_error(level, 0, "EVH00418", "%s", APR_ARRAY_IDX(msgs, i, const char *));
}

/* Graceful restart: returns 0 and the new generation, or -1 with why in *why. */
int
parent_graceful(parent_t *P, apr_array_header_t *msgs, const char **why, apr_pool_t *p,
                apr_interval_time_t drain_timeout)
{
    generation_t *g;
    unsigned free_slots = parent_free_slots(P), i;

    if (P->stop != RUN || P->lame_duck_until) {
        *why = "the server is stopping";
        return -1;
    }
    g = parent_load(P, msgs);
    if (g == NULL) {
        *why = "the new configuration has errors; the running generation is unchanged";
        parent_log_msgs(msgs, EV_LOG_ERR);
        return -1;
    }
    if (free_slots < (unsigned)g->conf->start_servers) {
        const char *who = "";
        for (i = 0; i < P->nslots; i++)
            if (P->slots[i].pid && P->slots[i].gen != P->cur)
                who = apr_psprintf(p, "%s%s%ld (generation %u)", who, *who ? ", " : "",
                                   (long)P->slots[i].pid, P->slots[i].gen->id);
        *why = apr_psprintf(p,
                            "restart refused: the new generation needs %d free scoreboard "
                            "slots (StartServers), %u are free of ServerLimit %u; still "
                            "draining: %s",
                            g->conf->start_servers, free_slots, P->nslots,
                            *who ? who : "none (the current generation holds them)");
        generation_destroy(g);
        log_error(EV_LOG_ERR, 0, "EVH00419", "%s", *why);
        return -1;
    }
    parent_log_msgs(msgs, EV_LOG_WARN);
    log_error(EV_LOG_NOTICE, 0, "EVH00420", "graceful restart: generation %u -> %u", P->cur->id,
              g->id);
    notify_reloading();
    parent_switch(P, g);
    P->ready_pending = g->id;
    if (drain_timeout > 0 && g->older)
        g->older->drain_timeout = drain_timeout; /* evctl graceful --drain-timeout */
    return 0;
}

/* Stop every child now: TERM, STOP_GRACE to exit, then KILL. */
static void
parent_stop_children(parent_t *P)
{
    apr_time_t deadline = apr_time_now() + STOP_GRACE;
    unsigned i;

    for (i = 0; i < P->nslots; i++)
        if (P->slots[i].pid)
            kill(P->slots[i].pid, SIGTERM);
    while (parent_live(P) && apr_time_now() < deadline) {
        struct pollfd pfd = { .fd = P->sigfd, .events = POLLIN };
        struct signalfd_siginfo si;
        (void)poll(&pfd, 1, 50);
        while (read(P->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            ;
        parent_reap(P);
    }
    for (i = 0; i < P->nslots; i++) {
        if (P->slots[i].pid == 0)
            continue;
        log_error(EV_LOG_WARN, 0, "EVH00410", "child %ld did not stop in time, killing it",
                  (long)P->slots[i].pid);
        kill(P->slots[i].pid, SIGKILL);
        if (waitpid(P->slots[i].pid, NULL, 0) > 0)
            parent_child_exited(P, i, SIGKILL);
    }
}

/* Hard restart: every child stopped at once, then the new generation. */
int
parent_hard_restart(parent_t *P, apr_array_header_t *msgs, const char **why)
{
    generation_t *g, *old;

    if (P->stop != RUN || P->lame_duck_until) {
        *why = "the server is stopping";
        return -1;
    }
    if ((g = parent_load(P, msgs)) == NULL) {
        *why = "the new configuration has errors; the running generation is unchanged";
        parent_log_msgs(msgs, EV_LOG_ERR);
        return -1;
    }
    log_error(EV_LOG_NOTICE, 0, "EVH00421", "restart: generation %u -> %u", P->cur->id, g->id);
    notify_reloading();
    P->ready_pending = g->id;
    {
        unsigned i;
        apr_time_t t0 = apr_time_now();
        old = P->cur;
        old->drain_children = parent_live(P);
        old->drain_began = t0;
        for (i = 0; i < P->nslots; i++)
            if (P->slots[i].pid)
                old->closed_early += parent_connections_of(P, i);
    }
    parent_stop_children(P); /* every generation; drained ones are freed as they go */
    P->last_restart_seconds = (double)(apr_time_now() - old->drain_began) / APR_USEC_PER_SEC;
    P->last_restart_children = old->drain_children;
    P->last_restart_closed = old->closed_early;
    P->cur = g;
    parent_prepare_logs(g);
    old->successor = g->id;
    g->older = NULL;
    atomic_store(&sb_header(P->sb)->generation, g->id);
    atomic_store(&sb_header(P->sb)->restart_time, apr_time_now());
    log_set_generation(g->id);
    log_set_level(g->conf->log_level);
    listen_set_commit(P->penv->listens);
    generation_destroy(old);
    P->spawn_rate = 1;
    P->fail_streak = 0;
    P->backoff_until = 0;
    P->replace_now = 0; /* the new generation starts complete */
    parent_spawn_n(P, g->conf->start_servers);
    return 0;
}

/* GracefulStopDelay: the children keep accepting and serving while the health location
 * answers 503 and every response closes its connection, so that load balancers move
 * clients away before the listening sockets close. Restarts are refused meanwhile. */
static void
parent_lame_duck(parent_t *P, apr_interval_time_t delay, apr_interval_time_t timeout)
{
    P->lame_duck_until = apr_time_now() + delay;
    P->stop_timeout = timeout;
    atomic_store(&sb_header(P->sb)->lame_duck, 1);
    log_error(EV_LOG_NOTICE, 0, "EVH00431",
              "graceful stop: lame duck for %.1f s (health checks fail, connections close after "
              "each response), then draining",
              (double)delay / APR_USEC_PER_SEC);
    notify_stopping();
}

/* Tell every child to finish what it has and exit. */
static void
parent_drain_all(parent_t *P, apr_interval_time_t timeout)
{
    unsigned i;

    P->stop_children = parent_live(P);
    P->stop_timeout = timeout;
    log_error(EV_LOG_NOTICE, 0, "EVH00422", "graceful stop: draining %u children", parent_live(P));
    P->stop = STOP_GRACEFUL;
    P->stop_began = apr_time_now();
    notify_stopping();
    for (i = 0; i < P->nslots; i++)
        if (P->slots[i].pid && !P->slots[i].retiring) {
            P->slots[i].retiring = 1;
            kill(P->slots[i].pid, SIGUSR1);
        }
}

void
parent_graceful_stop(parent_t *P, apr_interval_time_t timeout)
{
    if (P->stop != RUN || P->lame_duck_until)
        return;
    if (P->cur->conf->graceful_stop_delay > 0)
        parent_lame_duck(P, P->cur->conf->graceful_stop_delay, timeout);
    else
        parent_drain_all(P, timeout);
}

/* Children reopen their logs by name after they have given up root, so a file that
 * logrotate moved away must exist again, owned by User, before they try (nginx does the
 * same). The parent creates each one and hands it over: when a generation starts, so
 * that the files have one owner from the beginning, and before every reopen. */
static void
parent_prepare_logs(const generation_t *g)
{
    const ev_config_t *conf = g->conf;
    int i, n = conf->custom_logs->nelts, nerr = conf->error_logs->nelts;

    if (!g->env.drop_privileges)
        return;
    /* the main ErrorLog, the CustomLogs, then the virtual hosts' ErrorLogs */
    for (i = -1; i < n + nerr; i++) {
        const char *path = i < 0   ? conf->error_log
                           : i < n ? APR_ARRAY_IDX(conf->custom_logs, i, ev_customlog_t).path
                                   : APR_ARRAY_IDX(conf->error_logs, i - n, const char *);
        struct stat st;
        int fd;

        if (path == NULL)
            continue;
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        /* A device such as /dev/stderr is not the parent's to give away. */
        if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
            close(fd);
            continue;
        }
        if (fd < 0 || fchown(fd, g->env.uid, (gid_t)-1) < 0)
            log_error(EV_LOG_ERR, errno, "EVH00428", "cannot prepare %s for the children", path);
        if (fd >= 0)
            close(fd);
    }
}

void
parent_reopen_logs(parent_t *P)
{
    apr_status_t rv = log_reopen();
    generation_t *g;
    unsigned i;

    if (rv != APR_SUCCESS)
        log_error(EV_LOG_ERR, rv, "EVH00423", "cannot reopen the error log");
    for (g = P->cur; g; g = g->older) {
        int l;

        parent_prepare_logs(g);
        /* The parent's own descriptors too: a child started from now on inherits
         * them and would otherwise write to the rotated file. */
        for (l = 0; l < g->env.naccess_logs; l++)
            if ((rv = accesslog_reopen(g->env.access_logs[l])) != APR_SUCCESS)
                log_error(EV_LOG_ERR, rv, "EVH00430", "cannot reopen CustomLog %s",
                          accesslog_path(g->env.access_logs[l]));
        for (l = 0; l < g->env.nerror_logs; l++)
            if ((rv = log_file_reopen(g->env.error_logs[l])) != APR_SUCCESS)
                log_error(EV_LOG_ERR, rv, "EVH00604", "cannot reopen ErrorLog %s",
                          log_file_path(g->env.error_logs[l]));
    }
    for (i = 0; i < P->nslots; i++)
        if (P->slots[i].pid)
            kill(P->slots[i].pid, SIGUSR2);
    log_error(EV_LOG_NOTICE, 0, "EVH00424", "logs reopened");
}

/* GracefulRestartTimeout: a generation that drains too long is stopped. */
static void
parent_check_drains(parent_t *P, apr_time_t now)
{
    generation_t *g;
    unsigned i;

    for (g = P->cur->older; g; g = g->older) {
        if (g->drain_timeout <= 0 || now - g->drain_began <= g->drain_timeout)
            continue;
        for (i = 0; i < P->nslots; i++)
            if (P->slots[i].pid && P->slots[i].gen == g && !P->slots[i].hurried) {
                log_error(EV_LOG_WARN, 0, "EVH00425",
                          "GracefulRestartTimeout: stopping child %ld of generation %u now",
                          (long)P->slots[i].pid, g->id);
                parent_hurry(P, i);
            }
    }
}

static void
parent_signals(parent_t *P)
{
    struct signalfd_siginfo si;
    apr_array_header_t *msgs;
    apr_pool_t *tmp;
    const char *why;

    while (read(P->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            if (P->stop != STOP_NOW)
                log_error(EV_LOG_NOTICE, 0, "EVH00409", "caught %s, shutting down",
                          si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            P->stop = STOP_NOW;
            break;
        case SIGCHLD:
            parent_reap(P);
            break;
        case SIGHUP:
        case SIGUSR1:
            apr_pool_create(&tmp, P->penv->pool);
            msgs = apr_array_make(tmp, 4, sizeof(const char *));
            if ((si.ssi_signo == SIGHUP ? parent_hard_restart(P, msgs, &why)
                                        : parent_graceful(P, msgs, &why, tmp, 0)) < 0)
                log_error(EV_LOG_ERR, 0, "EVH00426", "%s", why);
            apr_pool_destroy(tmp);
            break;
        case SIGWINCH:
            parent_graceful_stop(P, 0);
            break;
        case SIGUSR2:
            parent_reopen_logs(P);
            break;
        default:
            break;
        }
    }
}

/* Whether a child of generation `id` has its workers up (scoreboard hint). */
static int
parent_serving(parent_t *P, unsigned id)
{
    unsigned i;

    for (i = 0; i < P->nslots; i++) {
        sb_process_snap_t ps;
        if (P->slots[i].pid && P->slots[i].gen->id == id &&
            sb_snapshot_process(P->sb, i, &ps) == APR_SUCCESS && ps.pid == P->slots[i].pid &&
            ps.idle_workers > 0)
            return 1;
    }
    return 0;
}

/* systemd: READY=1 once the generation serves, a STATUS= line every few seconds, and
 * WATCHDOG=1 while the loop runs and some child of the current generation is alive. */
static void
parent_notify_tick(parent_t *P, apr_time_t now)
{
    if (P->ready_pending && parent_serving(P, P->ready_pending)) {
        notify_ready(P->ready_pending);
        P->ready_pending = 0;
    }
    if (now >= P->next_status) {
        apr_uint64_t req = 0;
        sb_totals(P->sb, &req, NULL, NULL);
        if (P->status_time)
            notify_status("generation %u, %u children, %.0f requests/s", P->cur->id, parent_live(P),
                          (double)(req - P->status_requests) * APR_USEC_PER_SEC /
                              (double)(now - P->status_time));
        P->status_requests = req;
        P->status_time = now;
        P->next_status = now + apr_time_from_sec(5);
    }
    if (P->watchdog && now >= P->next_watchdog && P->cur->live > 0) {
        notify_watchdog();
        P->next_watchdog = now + P->watchdog / 2;
    }
}

static void
parent_loop(parent_t *P)
{
    apr_time_t next_tick = apr_time_now() + apr_time_from_sec(1);

    while (P->stop != STOP_NOW && !P->fatal) {
        struct pollfd pfds[POLL_MAX];
        apr_time_t now = apr_time_now();
        int wait_ms = next_tick > now ? (int)((next_tick - now + 999) / 1000) : 0, n = 1, nctl = 0;

        pfds[0] = (struct pollfd){ .fd = P->sigfd, .events = POLLIN };
        if (P->ctl) {
            nctl = ctl_server_pollfds(P->ctl, pfds + 1, POLL_MAX - 1);
            wait_ms = ctl_server_wait_ms(P->ctl, wait_ms);
        }
        n += nctl;
        if (P->ready_pending && wait_ms > 20)
            wait_ms = 20; /* READY=1 soon after the children serve */
        if (P->lame_duck_until && (P->lame_duck_until - now) / 1000 < wait_ms)
            wait_ms = P->lame_duck_until > now ? (int)((P->lame_duck_until - now + 999) / 1000) : 0;
        if (poll(pfds, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
            log_error(EV_LOG_ERR, errno, "EVH00413", "poll failed");
        parent_signals(P);
        if (P->ctl)
            ctl_server_dispatch(P->ctl, pfds + 1, nctl);
        if (P->stop == STOP_NOW || P->fatal)
            break;
        parent_notify_tick(P, apr_time_now());
        if (P->lame_duck_until && apr_time_now() >= P->lame_duck_until) {
            apr_interval_time_t timeout = P->stop_timeout;

            P->lame_duck_until = 0;
            parent_drain_all(P, timeout);
        }
        if (P->stop == STOP_GRACEFUL) {
            unsigned i;
            parent_reap(P);
            if (parent_live(P) == 0)
                break;
            /* evctl graceful-stop --drain-timeout: then the rest is cut */
            if (P->stop_timeout > 0 && apr_time_now() - P->stop_began > P->stop_timeout)
                for (i = 0; i < P->nslots; i++)
                    P->stop_closed_early += parent_hurry(P, i);
            parent_kill_stuck(P, apr_time_now());
            continue;
        }
        now = apr_time_now();
        if (now >= next_tick || (P->replace_now && now >= P->backoff_until)) {
            parent_reap(P);
            parent_check_drains(P, now);
            parent_kill_stuck(P, now);
            parent_maintain(P);
            if (now >= next_tick)
                next_tick = now + apr_time_from_sec(1);
        }
    }
}

int
parent_run(parent_env_t *penv)
{
    parent_t P;
    sigset_t set;
    int i;

    memset(&P, 0, sizeof(P));
    P.penv = penv;
    P.cur = penv->first;
    parent_prepare_logs(P.cur);
    P.sb = penv->sb;
    P.nslots = sb_server_limit(penv->sb);
    P.spawn_rate = 1;
    P.started = apr_time_now();
    P.stop_waiters = apr_array_make(penv->pool, 2, sizeof(void *));
    log_set_generation(P.cur->id);
    P.slots = calloc(P.nslots, sizeof(*P.slots));
    /* buckets <= MaxRequestWorkers / ThreadsPerChild <= ServerLimit (generation.c) */
    P.in_bucket = apr_pcalloc(penv->pool, P.nslots * sizeof(*P.in_bucket));
    if (P.slots == NULL)
        return 1;
    sigemptyset(&set);
    for (i = 0; i < PARENT_NSIGNALS; i++)
        sigaddset(&set, parent_signal_list[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    P.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (P.sigfd < 0) {
        log_error(EV_LOG_EMERG, errno, "EVH00411", "signalfd failed");
        free(P.slots);
        return 1;
    }
    parent_open_ctl(&P);
    P.ready_pending = P.cur->id;
    P.watchdog = (apr_interval_time_t)notify_watchdog_usec();
    atomic_store(&sb_header(P.sb)->generation, P.cur->id);
    parent_spawn_n(&P, P.cur->conf->start_servers);
    log_error(EV_LOG_NOTICE, 0, "EVH00412",
              "%s/%s started: %d children of %d workers, generation %u", PACKAGE_NAME,
              PACKAGE_VERSION, P.cur->conf->start_servers, P.cur->conf->threads_per_child,
              P.cur->id);
    parent_loop(&P);
    if (P.stop != STOP_GRACEFUL)
        notify_stopping();
    parent_stop_children(&P);
    parent_finish_ctl(&P);
    close(P.sigfd);
    free(P.slots);
    log_error(EV_LOG_NOTICE, 0, "EVH00414", "stopped");
    return P.fatal ? 1 : 0;
}
