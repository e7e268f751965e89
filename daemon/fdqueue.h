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
 * Locks: none. A worker that finds the ring empty sleeps on a semaphore; a push
 * posts to it only when it chooses a sleeper to wake, and wakes no more workers
 * than may usefully run (fdqueue_set_concurrency). A worker that finds work queued
 * takes it without sleeping.
 * Shutdown: fdqueue_terminate wakes every sleeper; fdqueue_pop then returns
 * APR_EOF once the ring is empty (items queued before are still handed out).
 * The queue lives in its pool: destroy the pool only after every thread that
 * may call into the queue has been joined.
 */
#ifndef EV_FDQUEUE_H
#define EV_FDQUEUE_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

typedef struct fdqueue_t fdqueue_t;

/* Called whenever idlers rises to 1 or more, i.e. the listener may accept again (0 -> 1:
 * a worker to reserve; any rise: a higher connection limit, which grows with the idle
 * workers): from a worker entering fdqueue_pop, or from a thread giving a count back (a
 * failed fdqueue_push, fdqueue_unreserve). It runs once per request, so it should be
 * no more than a test of the listener's "waiting" flag. Any thread may therefore run it, the
 * listener included; it must not block and must be safe against the listener (e.g. write an
 * eventfd). Treat it as a hint to call fdqueue_try_reserve again, not a reservation.
 * A listener that stops accepting because fdqueue_try_reserve failed must not miss
 * this call: it sets its "waiting" flag (a seq_cst store, read by the callback with
 * seq_cst) and only then tries fdqueue_try_reserve once more. Every access to idlers
 * is seq_cst, so either that retry sees the new worker or the callback sees the flag. */
typedef void (*fdqueue_on_idle_fn)(void *baton);

/*
 * fdqueue_create: a queue holding up to `capacity` items (rounded up to a power of
 * two, at least 2), allocated from `p` (pchild); its semaphore is destroyed by a
 * cleanup on `p`. `on_idle` may be NULL. Not thread-safe (one creator).
 * Returns APR_SUCCESS, APR_EINVAL if `capacity` exceeds 2^31, APR_ENOMEM, or the
 * error of sem_init.
 */
apr_status_t fdqueue_create(fdqueue_t **q, unsigned capacity, fdqueue_on_idle_fn on_idle,
                            void *baton, apr_pool_t *p);

/* fdqueue_try_reserve: take one idle worker for an item about to be pushed with
 * reserved=1. Returns 1 on success, 0 if no worker is idle. Any thread; lock-free. */
int fdqueue_try_reserve(fdqueue_t *q);

/* fdqueue_reserve_asleep: when fdqueue_try_reserve finds no idle worker but workers
 * sleep only because fdqueue_set_concurrency keeps fewer awake (queued items wait for
 * the running ones, which clear them in moments), take a reservation anyway: idlers goes
 * below 0 as an unreserved push makes it. Without this, on a busy CPU the items queued
 * for keep-alive connections keep idlers at 0 and a new connection waits in the accept
 * backlog for as long as they keep coming. Returns 1 (a reservation to push with or give
 * back) or 0 (no concurrency limit, or no sleeper). Any thread; lock-free. */
int fdqueue_reserve_asleep(fdqueue_t *q);

/* fdqueue_idle: the workers that are idle: idlers, or the workers asleep when the
 * concurrency limit keeps them asleep behind queued items (idlers is then 0 or less).
 * Any thread; a hint while others push and pop. */
int fdqueue_idle(const fdqueue_t *q);

/* fdqueue_unreserve: give back a reservation from fdqueue_try_reserve that will not be
 * used (the accept it was for failed). Any thread; lock-free; may run on_idle in the
 * calling thread (the count can rise from 0 to 1). Never fails. */
void fdqueue_unreserve(fdqueue_t *q);

/* fdqueue_push: queue `item` (non-NULL; the queue does not own what it points to).
 * `reserved` says whether the caller holds a reservation from fdqueue_try_reserve.
 * Any thread; lock-free (waking a sleeper is one sem_post).
 * Returns APR_SUCCESS, or APR_EAGAIN if the ring is full (the item was not queued,
 * the idle count is as before the call, and a reservation, if any, is returned).
 * The ring can also report full for an instant while a worker is still copying an
 * item out of the slot it needs: retry. Pushes after fdqueue_terminate are queued
 * and handed to pops still made. */
apr_status_t fdqueue_push(fdqueue_t *q, void *item, int reserved);

/* fdqueue_pop: a worker asks for its next item: marks itself idle, takes an item,
 * sleeping while there is none. Any number of worker threads. Items come out in the
 * order their pushes claimed ring slots (FIFO for a single producer). Returns
 * APR_SUCCESS with *item set, or APR_EOF after fdqueue_terminate once the ring is
 * empty; a worker given APR_EOF no longer counts as idle. */
apr_status_t fdqueue_pop(fdqueue_t *q, void **item);

/* fdqueue_idlers: the current idle-worker balance (may be negative). Any thread; a
 * hint while others run, exact when the queue is quiet. A seq_cst load: writes a
 * worker made before entering fdqueue_pop are visible to a caller that sees its count. */
int fdqueue_idlers(const fdqueue_t *q);

/* fdqueue_set_concurrency: `workers` threads call fdqueue_pop, and at most
 * `max_awake` of them (at least 1) should run at once, e.g. the CPUs the process may
 * use: a push wakes a sleeping worker only while fewer are awake, and otherwise
 * leaves the item to an awake worker, who takes it on its way back without sleeping.
 * Until this is called (or with workers <= 0), every push wakes a sleeper. Call it
 * before the workers start, or at any time from one thread; lock-free. */
void fdqueue_set_concurrency(fdqueue_t *q, int workers, int max_awake);

/* fdqueue_nudge: the progress guard of fdqueue_set_concurrency. Items wait for an
 * awake worker; if one blocks (a disk read), they would wait for it. Call this from
 * ONE thread (the listener) regularly, with the current time: when the ring has held
 * items without its head moving for `stall`, it wakes one more sleeper regardless of
 * the limit. Returns 1 while items are queued (call again within `stall`), else 0. */
int fdqueue_nudge(fdqueue_t *q, apr_time_t now, apr_interval_time_t stall);

/* fdqueue_set_before_sleep: `fn(baton)` runs in a worker that found nothing to do,
 * before it sleeps (e.g. to flush what it buffered); items pushed meanwhile are
 * found afterwards. Set it before the workers start. */
void fdqueue_set_before_sleep(fdqueue_t *q, void (*fn)(void *), void *baton);

/* fdqueue_sleepers: how many workers sleep in fdqueue_pop, not yet chosen to wake.
 * Any thread; a hint while others run. */
int fdqueue_sleepers(const fdqueue_t *q);

/* fdqueue_terminate: wake all workers; pops return APR_EOF once the ring is empty.
 * Any thread; idempotent; never fails. */
void fdqueue_terminate(fdqueue_t *q);

#endif
