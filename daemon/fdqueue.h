/*
 * fdqueue.h — the hand-off between a child's listener thread and its workers.
 *
 * A bounded ring of work items (Vyukov's MPMC ring on C11 atomics: one CAS per
 * push and per pop) plus a count of idle workers that the listener can reserve
 * with a CAS before it accepts a connection, as Apache's event MPM does.
 *
 * `idlers` = idle workers - queued items. A worker adds 1 when it comes for work;
 * every push takes 1 away: fdqueue_try_reserve only succeeds while idlers > 0 (an
 * accepted connection always finds a worker at once), fdqueue_push(…, reserved=0)
 * (a parked connection became ready) takes 1 unconditionally and may drive it
 * negative (a backlog that workers take in order).
 *
 * Locks: none on the hot path. A worker that finds the ring empty sleeps on a
 * mutex/condvar pair; a push takes that mutex only when some worker is asleep.
 * A worker that finds work queued takes it without sleeping.
 * Shutdown: fdqueue_terminate wakes every sleeper; fdqueue_pop then returns
 * APR_EOF once the ring is empty (items queued before are still handed out).
 */
#ifndef EV_FDQUEUE_H
#define EV_FDQUEUE_H

#include <apr_errno.h>
#include <apr_pools.h>

typedef struct fdqueue_t fdqueue_t;

/* Called (from a worker thread) when idlers rises from <= 0 to 1, i.e. the listener
 * may accept again. Must be async-safe w.r.t. the listener (e.g. write an eventfd). */
typedef void (*fdqueue_on_idle_fn)(void *baton);

/*
 * fdqueue_create: a queue holding up to `capacity` items (rounded up to a power of
 * two), allocated from `p` (pchild); destroyed with the pool. `on_idle` may be NULL.
 * Returns APR_SUCCESS or APR_ENOMEM / the mutex error.
 */
apr_status_t fdqueue_create(fdqueue_t **q, unsigned capacity, fdqueue_on_idle_fn on_idle,
                            void *baton, apr_pool_t *p);

/* fdqueue_try_reserve: take one idle worker for an item about to be pushed with
 * reserved=1. Returns 1 on success, 0 if no worker is idle. Any thread. */
int fdqueue_try_reserve(fdqueue_t *q);

/* fdqueue_push: queue `item` (non-NULL). `reserved` says whether the caller holds a
 * reservation from fdqueue_try_reserve. Returns APR_SUCCESS, or APR_EAGAIN if the
 * ring is full (the item was not queued and a reservation, if any, is returned). */
apr_status_t fdqueue_push(fdqueue_t *q, void *item, int reserved);

/* fdqueue_pop: a worker asks for its next item: marks itself idle, takes an item,
 * sleeping while there is none. Returns APR_SUCCESS with *item set, or APR_EOF after
 * fdqueue_terminate once the ring is empty. */
apr_status_t fdqueue_pop(fdqueue_t *q, void **item);

/* fdqueue_idlers: the current idle-worker balance (may be negative); a hint. */
int fdqueue_idlers(const fdqueue_t *q);

/* fdqueue_terminate: wake all workers; pops return APR_EOF once the ring is empty. */
void fdqueue_terminate(fdqueue_t *q);

#endif
