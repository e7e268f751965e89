/*
 * fdqueue.c — listener-to-worker hand-off: a bounded MPMC ring and idle accounting.
 *
 * Who runs it: in a child, the listener pushes (and reserves), the workers pop;
 * any thread may push, so a worker can queue work too. What it owns: the ring of
 * cells and one semaphore, all in the pool given to fdqueue_create (a cleanup
 * destroys the semaphore). Shutdown: fdqueue_terminate sets a flag and wakes every
 * sleeper; workers drain the ring and get APR_EOF.
 *
 * The ring (Dmitry Vyukov's bounded MPMC queue). Cell i holds a sequence number:
 * `pos` when it is free for the push that claims ring position `pos` (pos & mask
 * == i), `pos + 1` once that push has stored its item, `pos + capacity` once the
 * pop at `pos` has copied the item out (free for the next lap). A push claims a
 * position by CAS on `tail` when the cell says "free for pos", stores the item and
 * publishes it by storing the sequence; a pop likewise claims by CAS on `head` when
 * the cell says "full for pos". The sequence store/load pair (release/acquire or
 * stronger) orders the plain `item` field between the two. A claimed position that
 * is not yet published makes the ring look empty (to pops) or a not yet vacated
 * cell makes it look full (to pushes) for that instant; both are retried by the
 * callers, never lost.
 *
 * Idle accounting: `idlers` (see fdqueue.h) is a plain atomic counter; every change
 * is a read-modify-write so that on_idle fires exactly on the steps up to a positive
 * count (idlers moves in steps of one, so 0 -> 1 is never skipped). All its
 * accesses are seq_cst (on x86 the same instructions as acq_rel) so that a listener
 * can pair them with its own "I am waiting" flag without losing an on_idle call
 * (the recipe is in fdqueue.h).
 *
 * Sleeping. A pop that finds the ring empty registers in `sleepers`, tries the ring
 * again and only then waits on a semaphore (glibc's sem_t: an atomic count, and a
 * futex call only when someone actually blocks or must be woken). A push, after
 * publishing, reads `sleepers` and, if some worker sleeps, takes one registration
 * back on that worker's behalf with a CAS and posts one token. So `sleepers` counts
 * exactly the workers asleep and not yet chosen, every wake-up is meant for one
 * worker, and nothing is held that a woken worker would have to fight for (a
 * mutex/condvar pair made each woken worker queue on the mutex the waker held).
 * Invariant: registered workers = sleepers + tokens not yet taken. A worker that
 * leaves the wait on its own (it found an item on its re-check, or termination)
 * gives back its registration if one is left, and otherwise takes the token that
 * was posted for it, so the invariant holds and a later sleeper at most wakes once
 * for nothing and finds the ring empty.
 *
 * Why no wake-up is lost: the publish (a store to the cell's sequence), the
 * registration (an RMW on `sleepers`), the worker's re-check (a load of a cell's
 * sequence) and the push's read of `sleepers` are all seq_cst, so they lie in one
 * total order S. A worker that decides to sleep has seen some position p whose item
 * it did not find in the cell; the publish of p therefore comes after that load,
 * hence after the registration, in S, and the read of `sleepers` that follows the
 * publish sees the registration. This is Dekker's pattern: of two threads that each
 * write one variable and then read the other's, under seq_cst at least one sees the
 * other's write. With several producers, positions can be published out of order: a
 * worker woken for p + 1 may find p still unpublished and sleep again; p's own
 * publish then wakes a worker, and a worker that took an item while another is
 * ready passes a wake-up on, so p + 1 is not left for a busy worker to come back to.
 *
 * How many workers run (fdqueue_set_concurrency). Waking a worker for every queued
 * item is right only while there are CPUs for them: on a machine (or an affinity
 * mask) with fewer CPUs than ready items, each extra wake-up buys a context switch,
 * not parallelism, while one running worker would take the next item from the ring
 * without sleeping at all. So once the caller has said how many workers exist and
 * how many may run, a push wakes a sleeper only while fewer than that many are
 * awake (awake = workers - sleepers: serving, or on their way back to the ring).
 * Progress does not depend on it: an awake worker always comes back to the ring
 * before it sleeps, and the one way it may not come back soon, a blocking disk read,
 * is covered by fdqueue_nudge, which the listener calls when the ring stands still.
 * Terminate sets a flag, takes every registration back and posts as many tokens;
 * a worker registering afterwards sees the flag on its re-check.
 */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "fdqueue.h"

#define FDQUEUE_CACHELINE    64
#define FDQUEUE_MAX_CAPACITY (1u << 31)

typedef struct {
    _Atomic size_t seq; /* ring position this cell is ready for (see the top of the file) */
    void *item;         /* written by the push that claimed the cell, read by its pop */
} fdqueue_cell_t;

struct fdqueue_t {
    /* Read-only after fdqueue_create. */
    fdqueue_cell_t *cells;      /* capacity cells, from the pool */
    size_t mask;                /* capacity - 1; capacity is a power of two */
    fdqueue_on_idle_fn on_idle; /* may be NULL */
    void *baton;                /* passed to on_idle */

    /* Each index on its own line: producers and consumers do not false-share. */
    _Alignas(FDQUEUE_CACHELINE) _Atomic size_t tail; /* next position to push */
    _Alignas(FDQUEUE_CACHELINE) _Atomic size_t head; /* next position to pop */

    /* Touched together by every push and pop. */
    _Alignas(FDQUEUE_CACHELINE) _Atomic int idlers; /* idle workers - queued items */
    _Atomic int sleepers;                           /* asleep and not yet chosen to wake */
    _Atomic int workers;                            /* fdqueue_set_concurrency; 0: unknown */
    _Atomic int max_awake;                          /* ditto */
    _Atomic int terminated;                         /* set once by fdqueue_terminate */

    /* The slow path. */
    _Alignas(FDQUEUE_CACHELINE) sem_t wake; /* one token per chosen sleeper */

    void (*before_sleep)(void *); /* fdqueue_set_before_sleep; read-only afterwards */
    void *before_sleep_baton;

    /* fdqueue_nudge's memory; only its single caller touches these. */
    size_t nudge_head;      /* head when last seen moving */
    apr_time_t nudge_since; /* when that was */
};

static apr_status_t
fdqueue_cleanup(void *data)
{
    fdqueue_t *q = data;

    sem_destroy(&q->wake);
    return APR_SUCCESS;
}

apr_status_t
fdqueue_create(fdqueue_t **qp, unsigned capacity, fdqueue_on_idle_fn on_idle, void *baton,
               apr_pool_t *p)
{
    size_t cap = 2;
    char *raw;
    fdqueue_t *q;

    if (capacity > FDQUEUE_MAX_CAPACITY)
        return APR_EINVAL;
    while (cap < capacity)
        cap <<= 1;
    if (cap > SIZE_MAX / sizeof(fdqueue_cell_t))
        return APR_ENOMEM;

    /* Pools align to 8 bytes only; the struct asks for a cache line. */
    raw = apr_palloc(p, sizeof(*q) + FDQUEUE_CACHELINE - 1);
    if (raw == NULL)
        return APR_ENOMEM;
    q = (fdqueue_t *)(((uintptr_t)raw + FDQUEUE_CACHELINE - 1) &
                      ~(uintptr_t)(FDQUEUE_CACHELINE - 1));
    memset(q, 0, sizeof(*q));
    q->cells = apr_palloc(p, cap * sizeof(fdqueue_cell_t));
    if (q->cells == NULL)
        return APR_ENOMEM;
    for (size_t i = 0; i < cap; i++) {
        atomic_init(&q->cells[i].seq, i);
        q->cells[i].item = NULL;
    }
    q->mask = cap - 1;
    q->on_idle = on_idle;
    q->baton = baton;
    atomic_init(&q->tail, 0);
    atomic_init(&q->head, 0);
    atomic_init(&q->idlers, 0);
    atomic_init(&q->sleepers, 0);
    atomic_init(&q->workers, 0);
    atomic_init(&q->max_awake, 0);
    atomic_init(&q->terminated, 0);

    if (sem_init(&q->wake, 0, 0) < 0)
        return APR_FROM_OS_ERROR(errno);
    apr_pool_cleanup_register(p, q, fdqueue_cleanup, apr_pool_cleanup_null);
    *qp = q;
    return APR_SUCCESS;
}

/* Claim the tail position and publish `item` there; 0 if the ring is full. */
static int
fdqueue_ring_push(fdqueue_t *q, void *item)
{
    size_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    fdqueue_cell_t *cell;

    for (;;) {
        cell = &q->cells[pos & q->mask];
        size_t seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)(seq - pos);

        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (dif < 0) {
            return 0; /* the cell still holds the item of the previous lap */
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
    cell->item = item;
    /* seq_cst, not just release: one side of the lost-wake-up argument. */
    atomic_store_explicit(&cell->seq, pos + 1, memory_order_seq_cst);
    return 1;
}

/* Claim the head position and take its item; 0 if the ring looks empty. */
static int
fdqueue_ring_pop(fdqueue_t *q, void **item)
{
    size_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    fdqueue_cell_t *cell;

    for (;;) {
        cell = &q->cells[pos & q->mask];
        /* seq_cst: the other side of the lost-wake-up argument. */
        size_t seq = atomic_load_explicit(&cell->seq, memory_order_seq_cst);
        intptr_t dif = (intptr_t)(seq - (pos + 1));

        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (dif < 0) {
            return 0; /* position pos is not published yet */
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
    *item = cell->item;
    atomic_store_explicit(&cell->seq, pos + q->mask + 1, memory_order_release);
    return 1;
}

/* Whether the head position holds a published item; a hint. */
static int
fdqueue_ring_ready(fdqueue_t *q)
{
    size_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);

    return atomic_load_explicit(&q->cells[pos & q->mask].seq, memory_order_acquire) == pos + 1;
}

/* Add one to idlers, telling the listener when a worker becomes available. */
static void
fdqueue_add_idler(fdqueue_t *q)
{
    if (atomic_fetch_add(&q->idlers, 1) >= 0 && q->on_idle != NULL)
        q->on_idle(q->baton);
}

int
fdqueue_try_reserve(fdqueue_t *q)
{
    int n = atomic_load(&q->idlers);

    while (n > 0) {
        if (atomic_compare_exchange_weak(&q->idlers, &n, n - 1))
            return 1;
    }
    return 0;
}

int
fdqueue_reserve_asleep(fdqueue_t *q)
{
    if (atomic_load_explicit(&q->workers, memory_order_relaxed) <= 0 ||
        atomic_load_explicit(&q->sleepers, memory_order_seq_cst) <= 0)
        return 0;
    atomic_fetch_sub(&q->idlers, 1);
    return 1;
}

int
fdqueue_idle(const fdqueue_t *q)
{
    int idle = atomic_load(&q->idlers), asleep = atomic_load(&q->sleepers);

    return idle > asleep ? idle : asleep;
}

void
fdqueue_unreserve(fdqueue_t *q)
{
    fdqueue_add_idler(q);
}

/* Take one registration out of `sleepers`, if any is left; `limited`: only while
 * fewer than max_awake workers are awake. Returns 1 if one was taken. */
static int
fdqueue_take_sleeper(fdqueue_t *q, int limited)
{
    int n = atomic_load_explicit(&q->sleepers, memory_order_seq_cst);

    while (n > 0) {
        if (limited) {
            int workers = atomic_load_explicit(&q->workers, memory_order_relaxed);
            int max_awake = atomic_load_explicit(&q->max_awake, memory_order_relaxed);

            if (workers > 0 && workers - n >= max_awake)
                return 0;
        }
        if (atomic_compare_exchange_weak_explicit(&q->sleepers, &n, n - 1, memory_order_seq_cst,
                                                  memory_order_seq_cst))
            return 1;
    }
    return 0;
}

/* Choose one sleeper and wake it: take its registration back, post its token.
 * Returns 1 if a sleeper was chosen. */
static int
fdqueue_wake_one(fdqueue_t *q, int limited)
{
    if (!fdqueue_take_sleeper(q, limited))
        return 0;
    sem_post(&q->wake);
    return 1;
}

apr_status_t
fdqueue_push(fdqueue_t *q, void *item, int reserved)
{
    if (!reserved)
        atomic_fetch_sub(&q->idlers, 1);
    if (!fdqueue_ring_push(q, item)) {
        fdqueue_add_idler(q); /* our own take, or the caller's reservation */
        return APR_EAGAIN;
    }
    fdqueue_wake_one(q, 1);
    return APR_SUCCESS;
}

static void
fdqueue_sem_wait(fdqueue_t *q)
{
    while (sem_wait(&q->wake) < 0 && errno == EINTR)
        ;
}

/* A worker leaves the wait without having been chosen, or chosen just now: give
 * back its registration, or take the token posted for it (see the top of the file). */
static void
fdqueue_unregister(fdqueue_t *q)
{
    if (fdqueue_take_sleeper(q, 0))
        return;
    fdqueue_sem_wait(q);
}

/* The slow path of fdqueue_pop: wait until an item or termination. */
static apr_status_t
fdqueue_wait(fdqueue_t *q, void **item)
{
    if (q->before_sleep != NULL) {
        q->before_sleep(q->before_sleep_baton);
        if (fdqueue_ring_pop(q, item))
            return APR_SUCCESS;
    }
    for (;;) {
        atomic_fetch_add_explicit(&q->sleepers, 1, memory_order_seq_cst);
        if (fdqueue_ring_pop(q, item)) {
            fdqueue_unregister(q);
            break;
        }
        if (atomic_load_explicit(&q->terminated, memory_order_seq_cst)) {
            fdqueue_unregister(q);
            return APR_EOF;
        }
        fdqueue_sem_wait(q);
        /* Chosen: the waker took the registration back. */
        if (fdqueue_ring_pop(q, item))
            break;
    }
    if (fdqueue_ring_ready(q))
        fdqueue_wake_one(q, 1);
    return APR_SUCCESS;
}

apr_status_t
fdqueue_pop(fdqueue_t *q, void **item)
{
    apr_status_t rv;

    fdqueue_add_idler(q);
    if (fdqueue_ring_pop(q, item))
        return APR_SUCCESS;
    rv = fdqueue_wait(q, item);
    if (rv == APR_EOF)
        atomic_fetch_sub(&q->idlers, 1);
    return rv;
}

void
fdqueue_set_concurrency(fdqueue_t *q, int workers, int max_awake)
{
    atomic_store_explicit(&q->max_awake, max_awake > 0 ? max_awake : 1, memory_order_relaxed);
    atomic_store_explicit(&q->workers, workers > 0 ? workers : 0, memory_order_relaxed);
}

int
fdqueue_nudge(fdqueue_t *q, apr_time_t now, apr_interval_time_t stall)
{
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);

    if (!fdqueue_ring_ready(q)) {
        q->nudge_head = head;
        q->nudge_since = now;
        return 0;
    }
    if (head != q->nudge_head) {
        q->nudge_head = head;
        q->nudge_since = now;
    } else if (now - q->nudge_since >= stall && fdqueue_wake_one(q, 0)) {
        q->nudge_since = now;
    }
    return 1;
}

int
fdqueue_idlers(const fdqueue_t *q)
{
    return atomic_load(&q->idlers);
}

void
fdqueue_set_before_sleep(fdqueue_t *q, void (*fn)(void *), void *baton)
{
    q->before_sleep = fn;
    q->before_sleep_baton = baton;
}

int
fdqueue_sleepers(const fdqueue_t *q)
{
    return atomic_load(&q->sleepers);
}

void
fdqueue_terminate(fdqueue_t *q)
{
    int n;

    atomic_store_explicit(&q->terminated, 1, memory_order_seq_cst);
    n = atomic_exchange_explicit(&q->sleepers, 0, memory_order_seq_cst);
    while (n-- > 0)
        sem_post(&q->wake);
}
