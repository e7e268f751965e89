/*
 * parent.c — the parent's supervision loop.
 *
 * Who: the parent process, single-threaded. It receives TERM, INT, CHLD (and, for
 * the control plane to come, HUP/USR1) through a signalfd, so no work happens in
 * signal handlers. Once a second it reaps children and performs spare-thread
 * maintenance.
 *
 * Trust: the parent keeps its own table of children (pid, generation, start time).
 * It reads the scoreboard only as a hint for how many workers are idle, clamped to
 * what each child can have, and never takes a pid, an index or a pointer from it
 * (Apache's CVE-2019-0211 came from trusting such values).
 *
 * Spawning: StartServers at start; then 1, 2, 4 ... up to 32 children a second while
 * idle workers < MinSpareThreads (never more than the deficit needs), one child retired gracefully
 * (USR1) per second while idle > MaxSpareThreads, never beyond MaxRequestWorkers / ServerLimit. A
 * child that dies unexpectedly is replaced at once; when children keep dying young the replacement
 * backs off exponentially (up to a minute), so a broken child cannot fork-bomb the machine. A child
 * exiting with EV_EXIT_CHILDFATAL stops the server.
 */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <apr_time.h>

#include "log.h"
#include "parent.h"

#define YOUNG_CHILD      apr_time_from_sec(10) /* dying earlier counts as a start failure */
#define MAX_BACKOFF_SECS 64
#define MAX_SPAWN_RATE   32
#define STOP_GRACE       apr_time_from_sec(3) /* stop now: SIGKILL after this */

typedef struct {
    pid_t pid; /* 0 when the slot is free */
    unsigned generation;
    apr_time_t started;
    int retiring; /* we asked it to stop gracefully */
} parent_slot_t;

typedef struct {
    child_env_t *env;
    const ev_config_t *conf;
    unsigned generation;
    unsigned nslots;      /* ServerLimit */
    parent_slot_t *slots; /* private child table */
    int sigfd;
    int spawn_rate;
    int fail_streak;          /* children that died young in a row */
    apr_time_t last_failure;  /* when the last of them died */
    apr_time_t backoff_until; /* no spawning before this */
    int replace_now;          /* a child died unexpectedly: maintain at once */
    int fatal;                /* a child reported EV_EXIT_CHILDFATAL */
    int stop;                 /* TERM/INT received */
} parent_t;

static int
parent_spawn(parent_t *P, unsigned slot)
{
    pid_t pid;

    sb_process_reset(P->env->sb, slot);
    pid = fork();
    if (pid < 0) {
        log_error(EV_LOG_ERR, errno, "EVH00401", "fork failed, backing off");
        P->backoff_until = apr_time_now() + apr_time_from_sec(1);
        return -1;
    }
    if (pid == 0) {
        sigset_t all;
        close(P->sigfd);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        exit(child_main(P->env, slot, P->generation));
    }
    P->slots[slot] =
        (parent_slot_t){ .pid = pid, .generation = P->generation, .started = apr_time_now() };
    return 0;
}

static void
parent_child_exited(parent_t *P, unsigned slot, int status)
{
    parent_slot_t *s = &P->slots[slot];
    apr_time_t now = apr_time_now();
    int young = now - s->started < YOUNG_CHILD;
    int crashed = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);

    if (WIFEXITED(status) && WEXITSTATUS(status) == EV_EXIT_CHILDFATAL) {
        log_error(EV_LOG_ALERT, 0, "EVH00402",
                  "child %ld exited with a fatal error, stopping the server", (long)s->pid);
        P->fatal = 1;
    } else if (WIFSIGNALED(status)) {
        log_error(EV_LOG_ERR, 0, "EVH00403", "child %ld (slot %u) killed by signal %d%s",
                  (long)s->pid, slot, WTERMSIG(status), WCOREDUMP(status) ? ", core dumped" : "");
    } else if (crashed) {
        log_error(EV_LOG_ERR, 0, "EVH00404", "child %ld (slot %u) exited with status %d",
                  (long)s->pid, slot, WEXITSTATUS(status));
    } else {
        log_error(EV_LOG_DEBUG, 0, "EVH00405", "child %ld (slot %u) exited", (long)s->pid, slot);
    }
    if (crashed && !P->stop) {
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
    s->pid = 0;
    s->retiring = 0;
    sb_process_reset(P->env->sb, slot);
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
        if (i == P->nslots)
            continue; /* not one of our children (e.g. a piped logger later) */
        parent_child_exited(P, i, status);
    }
}

/* Idle workers of a child, from its scoreboard records, clamped to ThreadsPerChild;
 * -1 for a child that says it is stopping on its own (MaxConnectionsPerChild). Both are
 * hints: at worst they make us spawn a child more or less, within MaxRequestWorkers. */
static int
parent_idle_of(parent_t *P, unsigned slot)
{
    sb_process_snap_t ps;
    int threads = P->conf->threads_per_child;

    if (sb_snapshot_process(P->env->sb, slot, &ps) != APR_SUCCESS || ps.pid != P->slots[slot].pid)
        return threads; /* still starting: count it as idle, as Apache does */
    if (ps.quiescing)
        return -1;
    return ps.idle_workers < threads ? ps.idle_workers : threads;
}

static void
parent_maintain(parent_t *P)
{
    const ev_config_t *conf = P->conf;
    unsigned i, max_children = (unsigned)(conf->max_request_workers / conf->threads_per_child);
    unsigned active = 0, last_active = 0;
    int idle = 0, n, spawned = 0, replacing = P->replace_now;
    apr_time_t now = apr_time_now();

    if (max_children > P->nslots)
        max_children = P->nslots;
    for (i = 0; i < P->nslots; i++) {
        int slot_idle;

        if (P->slots[i].pid == 0 || P->slots[i].retiring)
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
        last_active = i;
        idle += slot_idle;
    }
    if (idle > conf->max_spare_threads && active > 1) {
        log_error(EV_LOG_DEBUG, 0, "EVH00407", "%d idle workers > MaxSpareThreads, retiring one",
                  idle);
        P->slots[last_active].retiring = 1;
        kill(P->slots[last_active].pid, SIGUSR1);
        P->spawn_rate = 1;
        return;
    }
    if ((idle >= conf->min_spare_threads && !replacing) || now < P->backoff_until) {
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
    for (i = 0; i < P->nslots && spawned < n && active < max_children; i++) {
        if (P->slots[i].pid != 0)
            continue;
        if (parent_spawn(P, i) < 0)
            break;
        spawned++;
        active++;
    }
    if (spawned && idle < conf->min_spare_threads && P->spawn_rate < MAX_SPAWN_RATE)
        P->spawn_rate *= 2;
    if (spawned)
        log_error(EV_LOG_INFO, 0, "EVH00408", "spawned %d %s (%d idle workers)", spawned,
                  spawned == 1 ? "child" : "children", idle);
}

static void
parent_signals(parent_t *P)
{
    struct signalfd_siginfo si;

    while (read(P->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            if (!P->stop)
                log_error(EV_LOG_NOTICE, 0, "EVH00409", "caught %s, shutting down",
                          si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            P->stop = 1;
            break;
        case SIGCHLD:
            parent_reap(P);
            break;
        default:
            break;
        }
    }
}

static unsigned
parent_live(const parent_t *P)
{
    unsigned i, n = 0;

    for (i = 0; i < P->nslots; i++)
        n += P->slots[i].pid != 0;
    return n;
}

/* Stop every child: TERM, a few seconds to exit, then KILL. */
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
        (void)poll(&pfd, 1, 100);
        parent_signals(P);
        parent_reap(P);
    }
    for (i = 0; i < P->nslots; i++) {
        if (P->slots[i].pid == 0)
            continue;
        log_error(EV_LOG_WARN, 0, "EVH00410", "child %ld did not stop in time, killing it",
                  (long)P->slots[i].pid);
        kill(P->slots[i].pid, SIGKILL);
        if (waitpid(P->slots[i].pid, NULL, 0) > 0) {
            P->slots[i].pid = 0;
            sb_process_reset(P->env->sb, i);
        }
    }
}

int
parent_run(child_env_t *env, unsigned generation)
{
    parent_t P;
    sigset_t set;
    int i;
    apr_time_t next_tick;

    memset(&P, 0, sizeof(P));
    log_set_generation(generation);
    P.env = env;
    P.conf = env->conf;
    P.generation = generation;
    P.nslots = (unsigned)env->conf->server_limit;
    P.spawn_rate = 1;
    P.slots = calloc(P.nslots, sizeof(*P.slots));
    if (P.slots == NULL)
        return 1;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    P.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (P.sigfd < 0) {
        log_error(EV_LOG_EMERG, errno, "EVH00411", "signalfd failed");
        free(P.slots);
        return 1;
    }
    for (i = 0; i < env->conf->start_servers && (unsigned)i < P.nslots; i++)
        parent_spawn(&P, (unsigned)i);
    log_error(EV_LOG_NOTICE, 0, "EVH00412",
              "%s/%s started: %d children of %d workers, generation %u", PACKAGE_NAME,
              PACKAGE_VERSION, env->conf->start_servers, env->conf->threads_per_child, generation);

    next_tick = apr_time_now() + apr_time_from_sec(1);
    while (!P.stop && !P.fatal) {
        apr_time_t now = apr_time_now();
        int wait_ms = next_tick > now ? (int)((next_tick - now + 999) / 1000) : 0;
        struct pollfd pfd = { .fd = P.sigfd, .events = POLLIN };

        if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR)
            log_error(EV_LOG_ERR, errno, "EVH00413", "poll failed");
        parent_signals(&P);
        if (P.stop || P.fatal)
            break;
        now = apr_time_now();
        if (now >= next_tick || (P.replace_now && now >= P.backoff_until)) {
            parent_reap(&P);
            parent_maintain(&P);
            if (now >= next_tick)
                next_tick = now + apr_time_from_sec(1);
        }
    }
    parent_stop_children(&P);
    close(P.sigfd);
    free(P.slots);
    log_error(EV_LOG_NOTICE, 0, "EVH00414", "stopped");
    return P.fatal ? 1 : 0;
}
