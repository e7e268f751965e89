/*
 * worker.h — the child's worker threads.
 */
#ifndef EV_WORKER_H
#define EV_WORKER_H

#include "child.h"

/* What a worker thread is started with (one per thread, owned by child_main). */
typedef struct {
    child_t *child; /* the child it serves */
    int index;      /* its scoreboard thread index, 0..ThreadsPerChild-1 */
} worker_arg_t;

/* worker_run: thread body: pop connections and serve them until the queue ends. */
void *worker_run(void *arg);

/* worker_set_state: publish the worker's state letter (SB_*) in the scoreboard;
 * cheap when the state does not change. Worker's own thread only. */
void worker_set_state(child_t *c, int index, int state);

#endif
