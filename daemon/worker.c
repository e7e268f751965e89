/*
 * worker.c — a worker thread: take the next ready connection from the queue and
 * serve it until it parks or closes, then come back for more.
 *
 * Who: ThreadsPerChild threads per child, started by child_main and joined by it
 * after the listener terminated the queue. A worker writes only its own scoreboard
 * record. It never blocks on a client: sockets are non-blocking and a connection that
 * would block goes back to the listener. Each worker has its own cache of small files
 * (filecache.h), bound to the thread for the static handler.
 */
#include "conn.h"
#include "filecache.h"
#include "reqlog.h"
#include "worker.h"

void
worker_set_state(child_t *c, int index, int state)
{
    sb_worker_t *w = sb_worker(c->env->sb, c->slot, (unsigned)index);

    if (w && w->state != state)
        sb_worker_set_state(w, state);
}

void *
worker_run(void *arg)
{
    worker_arg_t *wa = arg;
    child_t *c = wa->child;
    filecache_t *fc =
        filecache_create((size_t)c->conf->file_cache_size, (size_t)c->conf->file_cache_max_file,
                         (unsigned)c->conf->file_cache_fds);

    child_thread_policy(c);
    filecache_set_current(fc);
    for (;;) {
        void *item;

        /* Idle and busy counts are derived by readers from these state letters, which
         * keeps shared counters off the per-request path. */
        worker_set_state(c, wa->index, SB_READY);
        if (fdqueue_pop(c->queue, &item) != APR_SUCCESS)
            break;
        conn_process(item, wa->index);
    }
    worker_set_state(c, wa->index, SB_DEAD);
    reqlog_thread_done(c);
    response_thread_done();
    filecache_set_current(NULL);
    filecache_destroy(fc);
    return NULL;
}
