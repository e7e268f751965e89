/*
 * test_fdqueue.c — the lock-free pieces of the listener/worker hand-off: lfstack
 * (Treiber stack) and fdqueue (MPMC ring + idle-worker accounting).
 *
 * The before-sleep hook: run by the worker itself, only when the ring is empty.
 *
 * Threads never call Check: they record what they saw and the test thread asserts.
 * Waiting for another thread is a bounded spin on an observable condition (with
 * sched_yield), never a sleep. The stress cases shrink under ThreadSanitizer.
 */
#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "fdqueue.h"
#include "lfstack.h"

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#ifdef TEST_TSAN
#define TEST_SCALE 2 /* divide stress iteration counts by this */
#else
#define TEST_SCALE 1
#endif

#define TEST_DEADLINE_S 30.0 /* bound of every wait for another thread */

#define TEST_ITEM(id) ((void *)((uintptr_t)(id) + 1))
#define TEST_ID(item) ((unsigned)((uintptr_t)(item)-1))

static apr_pool_t *pool;

static void
setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void
teardown(void)
{
    apr_pool_destroy(pool);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spin until the idle balance reaches `want`; 0 if it did not within the deadline.
 * The first rounds do not yield, so the caller acts within nanoseconds of the change
 * (which is what exposes a wake-up lost in a worker's way to sleep). */
static int
wait_idlers(const fdqueue_t *q, int want)
{
    double end = now_s() + TEST_DEADLINE_S;

    for (unsigned spin = 0; fdqueue_idlers(q) != want; spin++) {
        if (spin < 100000)
            continue;
        if (now_s() > end)
            return 0;
        sched_yield();
    }
    return 1;
}

/* An atomic's value, for assertions that print it readably. */
static int
load_int(atomic_int *v)
{
    return atomic_load(v);
}

/* Spin until *v reaches `want`; 0 if it did not within the deadline. */
static int
wait_int(atomic_int *v, int want)
{
    double end = now_s() + TEST_DEADLINE_S;

    while (load_int(v) != want) {
        if (now_s() > end)
            return 0;
        sched_yield();
    }
    return 1;
}

/* ---- lfstack ------------------------------------------------------------------ */

typedef struct {
    lfstack_node_t link; /* first: a node pointer converts to the test node */
    unsigned id;         /* unique over the test */
    unsigned owner;      /* index of the thread that pushes it */
    unsigned seq;        /* order of its pushes by that thread */
    atomic_int held;     /* 1 while some thread has it off every stack */
} test_node_t;

#define TEST_PUSHERS 8

typedef struct {
    lfstack_t *s;
    test_node_t *nodes; /* this pusher's nodes, pushed in index order */
    unsigned n;
    atomic_int *running; /* pushers not finished yet */
    pthread_t thread;
} pusher_t;

static void *
pusher_main(void *arg)
{
    pusher_t *p = arg;

    for (unsigned i = 0; i < p->n; i++)
        lfstack_push(p->s, &p->nodes[i].link);
    atomic_fetch_sub_explicit(p->running, 1, memory_order_release);
    return NULL;
}

static test_node_t *
make_nodes(unsigned pushers, unsigned per_pusher)
{
    test_node_t *nodes = apr_pcalloc(pool, sizeof(*nodes) * pushers * per_pusher);

    for (unsigned i = 0; i < pushers * per_pusher; i++) {
        nodes[i].id = i;
        nodes[i].owner = i / per_pusher;
        nodes[i].seq = i % per_pusher;
        atomic_init(&nodes[i].held, 0);
    }
    return nodes;
}

static void
start_pushers(pusher_t *ps, lfstack_t *s, test_node_t *nodes, unsigned per_pusher,
              atomic_int *running)
{
    atomic_init(running, TEST_PUSHERS);
    for (unsigned i = 0; i < TEST_PUSHERS; i++) {
        ps[i] = (pusher_t){
            .s = s, .nodes = nodes + i * per_pusher, .n = per_pusher, .running = running
        };
        ck_assert_int_eq(pthread_create(&ps[i].thread, NULL, pusher_main, &ps[i]), 0);
    }
}

START_TEST(test_lfstack_lifo)
{
    test_node_t *nodes = make_nodes(1, 3);
    lfstack_t s;
    lfstack_node_t *list;

    lfstack_init(&s);
    ck_assert_ptr_null(lfstack_pop(&s));
    ck_assert_ptr_null(lfstack_take_all(&s));
    for (unsigned i = 0; i < 3; i++)
        lfstack_push(&s, &nodes[i].link);
    for (unsigned i = 3; i-- > 0;)
        ck_assert_ptr_eq(lfstack_pop(&s), &nodes[i].link);
    ck_assert_ptr_null(lfstack_pop(&s));

    for (unsigned i = 0; i < 3; i++)
        lfstack_push(&s, &nodes[i].link);
    list = lfstack_take_all(&s);
    ck_assert_ptr_null(lfstack_pop(&s));
    for (unsigned i = 3; i-- > 0; list = list->next)
        ck_assert_ptr_eq(list, &nodes[i].link);
    ck_assert_ptr_null(list);
}
END_TEST

/* 8 pushers and the single popper at once: every node comes out exactly once. */
START_TEST(test_lfstack_stress_pop)
{
    const unsigned per = 50000 / TEST_SCALE, total = TEST_PUSHERS * per;
    test_node_t *nodes = make_nodes(TEST_PUSHERS, per);
    unsigned char *seen = apr_pcalloc(pool, total);
    pusher_t ps[TEST_PUSHERS];
    atomic_int running;
    unsigned got = 0;
    double end = now_s() + TEST_DEADLINE_S;
    lfstack_t s;

    lfstack_init(&s);
    start_pushers(ps, &s, nodes, per, &running);
    while (got < total && now_s() < end) {
        lfstack_node_t *n = lfstack_pop(&s);

        if (n == NULL) {
            sched_yield();
            continue;
        }
        seen[((test_node_t *)n)->id]++;
        got++;
    }
    for (unsigned i = 0; i < TEST_PUSHERS; i++)
        pthread_join(ps[i].thread, NULL);
    ck_assert_uint_eq(got, total);
    ck_assert_ptr_null(lfstack_pop(&s));
    for (unsigned i = 0; i < total; i++)
        ck_assert_msg(seen[i] == 1, "node %u popped %u times", i, seen[i]);
}
END_TEST

typedef struct {
    lfstack_t *s;
    atomic_int *running; /* pushers still pushing */
    atomic_int *seen;    /* per node id */
    unsigned got;        /* nodes taken */
    unsigned disorder;   /* nodes out of LIFO order, within or across batches */
    pthread_t thread;
} taker_t;

/* Per pusher, a batch lists its nodes newest first, and every node of a later batch
 * (of this taker) is newer than every node of an earlier one. */
static void
taker_check_batch(taker_t *t, lfstack_node_t *list, long *prev_max)
{
    long last[TEST_PUSHERS], first[TEST_PUSHERS];

    for (unsigned j = 0; j < TEST_PUSHERS; j++)
        last[j] = first[j] = -1;
    for (; list != NULL; list = list->next) {
        test_node_t *n = (test_node_t *)list;
        long seq = n->seq;

        if ((last[n->owner] >= 0 && seq >= last[n->owner]) || seq <= prev_max[n->owner])
            t->disorder++;
        if (first[n->owner] < 0)
            first[n->owner] = seq;
        last[n->owner] = seq;
        atomic_fetch_add_explicit(&t->seen[n->id], 1, memory_order_relaxed);
        t->got++;
    }
    for (unsigned j = 0; j < TEST_PUSHERS; j++)
        if (first[j] >= 0)
            prev_max[j] = first[j];
}

static void *
taker_main(void *arg)
{
    taker_t *t = arg;
    long prev_max[TEST_PUSHERS];

    for (unsigned j = 0; j < TEST_PUSHERS; j++)
        prev_max[j] = -1;
    for (;;) {
        int running = atomic_load_explicit(t->running, memory_order_acquire);
        lfstack_node_t *list = lfstack_take_all(t->s);

        if (list == NULL) {
            if (running == 0)
                return NULL;
            sched_yield();
            continue;
        }
        taker_check_batch(t, list, prev_max);
    }
}

/* 8 pushers against 2 threads taking everything: nothing lost, nothing twice, and
 * take_all hands out most recent first. */
START_TEST(test_lfstack_take_all_stress)
{
    const unsigned per = 50000 / TEST_SCALE, total = TEST_PUSHERS * per;
    test_node_t *nodes = make_nodes(TEST_PUSHERS, per);
    atomic_int *seen = apr_palloc(pool, sizeof(*seen) * total);
    pusher_t ps[TEST_PUSHERS];
    taker_t tk[2];
    atomic_int running;
    lfstack_t s;

    for (unsigned i = 0; i < total; i++)
        atomic_init(&seen[i], 0);
    lfstack_init(&s);
    start_pushers(ps, &s, nodes, per, &running);
    for (unsigned i = 0; i < 2; i++) {
        tk[i] = (taker_t){ .s = &s, .running = &running, .seen = seen };
        ck_assert_int_eq(pthread_create(&tk[i].thread, NULL, taker_main, &tk[i]), 0);
    }
    for (unsigned i = 0; i < TEST_PUSHERS; i++)
        pthread_join(ps[i].thread, NULL);
    for (unsigned i = 0; i < 2; i++)
        pthread_join(tk[i].thread, NULL);
    ck_assert_ptr_null(lfstack_take_all(&s));
    ck_assert_uint_eq(tk[0].got + tk[1].got, total);
    ck_assert_uint_eq(tk[0].disorder + tk[1].disorder, 0);
    for (unsigned i = 0; i < total; i++)
        ck_assert_msg(load_int(&seen[i]) == 1, "node %u taken %d times", i, load_int(&seen[i]));
}
END_TEST

#define RECYCLE_NODES     16
#define RECYCLE_RETURNERS 4

typedef struct {
    lfstack_t main;   /* one popper */
    lfstack_t back;   /* taken whole by the returners */
    atomic_int stop;  /* set by the popper when done */
    atomic_int twice; /* nodes found in two owners' hands at once */
    unsigned pops;    /* wanted pops */
    double end;       /* deadline */
} recycle_t;

/* Take a node off a stack: it must not be held by anyone else. */
static void
recycle_take(recycle_t *r, lfstack_node_t *n)
{
    if (atomic_exchange_explicit(&((test_node_t *)n)->held, 1, memory_order_relaxed) != 0)
        atomic_fetch_add_explicit(&r->twice, 1, memory_order_relaxed);
}

static void
recycle_give(lfstack_t *s, lfstack_node_t *n)
{
    atomic_store_explicit(&((test_node_t *)n)->held, 0, memory_order_relaxed);
    lfstack_push(s, n);
}

static void *
recycle_popper(void *arg)
{
    recycle_t *r = arg;
    unsigned done = 0;

    while (done < r->pops && now_s() < r->end) {
        lfstack_node_t *n = lfstack_pop(&r->main);

        if (n == NULL) {
            sched_yield();
            continue;
        }
        recycle_take(r, n);
        recycle_give(&r->back, n);
        done++;
    }
    atomic_store(&r->stop, 1);
    return NULL;
}

static void *
recycle_returner(void *arg)
{
    recycle_t *r = arg;

    while (!atomic_load(&r->stop)) {
        lfstack_node_t *n = lfstack_take_all(&r->back);

        if (n == NULL)
            sched_yield();
        while (n != NULL) {
            lfstack_node_t *next = n->next;

            recycle_take(r, n);
            recycle_give(&r->main, n);
            n = next;
        }
    }
    return NULL;
}

/* Count the nodes of a list into seen[], walking no more than `limit` links. */
static unsigned
count_list(lfstack_node_t *n, unsigned *seen, unsigned limit)
{
    unsigned k = 0;

    for (; n != NULL && k <= limit; n = n->next, k++)
        seen[((test_node_t *)n)->id]++;
    return k;
}

/* A few nodes cycle fast between a popped stack and a taken-whole stack: the
 * reuse that would expose ABA. Nodes are conserved and never held twice. */
START_TEST(test_lfstack_recycle)
{
    test_node_t *nodes = make_nodes(1, RECYCLE_NODES);
    recycle_t r = { .pops = 200000 / TEST_SCALE, .end = now_s() + TEST_DEADLINE_S };
    pthread_t popper, ret[RECYCLE_RETURNERS];
    unsigned seen[RECYCLE_NODES] = { 0 }, k;

    lfstack_init(&r.main);
    lfstack_init(&r.back);
    atomic_init(&r.stop, 0);
    atomic_init(&r.twice, 0);
    for (unsigned i = 0; i < RECYCLE_NODES; i++)
        lfstack_push(&r.main, &nodes[i].link);
    for (unsigned i = 0; i < RECYCLE_RETURNERS; i++)
        ck_assert_int_eq(pthread_create(&ret[i], NULL, recycle_returner, &r), 0);
    ck_assert_int_eq(pthread_create(&popper, NULL, recycle_popper, &r), 0);
    pthread_join(popper, NULL);
    for (unsigned i = 0; i < RECYCLE_RETURNERS; i++)
        pthread_join(ret[i], NULL);
    ck_assert(now_s() < r.end);
    ck_assert_int_eq(load_int(&r.twice), 0);
    k = count_list(lfstack_take_all(&r.main), seen, RECYCLE_NODES);
    k += count_list(lfstack_take_all(&r.back), seen, RECYCLE_NODES);
    ck_assert_uint_eq(k, RECYCLE_NODES);
    for (unsigned i = 0; i < RECYCLE_NODES; i++)
        ck_assert_uint_eq(seen[i], 1);
}
END_TEST

/* ---- fdqueue, one thread ------------------------------------------------------- */

static const struct {
    unsigned asked;
    unsigned holds;
} capacity_cases[] = {
    { 0, 2 }, { 1, 2 }, { 2, 2 }, { 3, 4 }, { 5, 8 }, { 64, 64 }, { 100, 128 },
};

/* Rounding, FIFO order, the full ring, and the balance of a failed push. */
START_TEST(test_fdqueue_capacity)
{
    const unsigned holds = capacity_cases[_i].holds;
    fdqueue_t *q;
    void *item;

    ck_assert_int_eq(fdqueue_create(&q, capacity_cases[_i].asked, NULL, NULL, pool), APR_SUCCESS);
    for (unsigned lap = 0; lap < 3; lap++) {
        for (unsigned i = 0; i < holds; i++)
            ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(i), 0), APR_SUCCESS);
        ck_assert_int_eq(fdqueue_idlers(q), -(int)holds);
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(holds), 0), APR_EAGAIN);
        ck_assert_int_eq(fdqueue_idlers(q), -(int)holds);
        ck_assert_int_eq(fdqueue_try_reserve(q), 0);
        for (unsigned i = 0; i < holds; i++) {
            ck_assert_int_eq(fdqueue_pop(q, &item), APR_SUCCESS);
            ck_assert_uint_eq(TEST_ID(item), i);
        }
        ck_assert_int_eq(fdqueue_idlers(q), 0);
    }
}
END_TEST

START_TEST(test_fdqueue_create_invalid)
{
    fdqueue_t *q = NULL;

    ck_assert_int_eq(fdqueue_create(&q, (1u << 31) + 1, NULL, NULL, pool), APR_EINVAL);
    ck_assert_int_eq(fdqueue_create(&q, UINT_MAX, NULL, NULL, pool), APR_EINVAL);
    ck_assert_ptr_null(q);
}
END_TEST

/* Many laps of a 2-slot ring: the sequence arithmetic survives wrapping. */
START_TEST(test_fdqueue_wraparound)
{
    fdqueue_t *q;
    void *item;

    ck_assert_int_eq(fdqueue_create(&q, 2, NULL, NULL, pool), APR_SUCCESS);
    for (unsigned lap = 0; lap < 1000; lap++) {
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(2 * lap), 0), APR_SUCCESS);
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(2 * lap + 1), 0), APR_SUCCESS);
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(0), 0), APR_EAGAIN);
        ck_assert_int_eq(fdqueue_pop(q, &item), APR_SUCCESS);
        ck_assert_uint_eq(TEST_ID(item), 2 * lap);
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(7), 0), APR_SUCCESS);
        ck_assert_int_eq(fdqueue_pop(q, &item), APR_SUCCESS);
        ck_assert_uint_eq(TEST_ID(item), 2 * lap + 1);
        ck_assert_int_eq(fdqueue_pop(q, &item), APR_SUCCESS);
        ck_assert_uint_eq(TEST_ID(item), 7);
    }
    ck_assert_int_eq(fdqueue_idlers(q), 0);
}
END_TEST

/* What one push does to the balance. A reserved push's reservation was taken from
 * idlers earlier; here the caller holds a notional one so the give-back shows. */
static const struct {
    int reserved;
    int full;
    apr_status_t rv;
    int delta;
} push_cases[] = {
    { 0, 0, APR_SUCCESS, -1 },
    { 1, 0, APR_SUCCESS, 0 },
    { 0, 1, APR_EAGAIN, 0 },
    { 1, 1, APR_EAGAIN, +1 },
};

START_TEST(test_fdqueue_push_accounting)
{
    fdqueue_t *q;
    void *item;
    int before;

    ck_assert_int_eq(fdqueue_create(&q, 2, NULL, NULL, pool), APR_SUCCESS);
    if (push_cases[_i].full) {
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(0), 0), APR_SUCCESS);
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(1), 0), APR_SUCCESS);
    }
    before = fdqueue_idlers(q);
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(9), push_cases[_i].reserved), push_cases[_i].rv);
    ck_assert_int_eq(fdqueue_idlers(q), before + push_cases[_i].delta);
    ck_assert_int_eq(fdqueue_pop(q, &item), APR_SUCCESS);
    ck_assert_uint_eq(TEST_ID(item), push_cases[_i].full ? 0 : 9);
}
END_TEST

/* ---- fdqueue, with workers ----------------------------------------------------- */

typedef struct {
    fdqueue_t *q;
    int once;              /* pop one item, else pop until APR_EOF */
    atomic_int *counts;    /* deliveries per item id, or NULL */
    unsigned per_producer; /* ids per producer, for the order check; 0: no check */
    apr_status_t rv;       /* status of the last pop */
    void *item;            /* item of the last successful pop */
    unsigned got;          /* items received */
    unsigned disorder;     /* items of one producer received out of push order */
    pthread_t thread;
} worker_t;

#define TEST_MAX_PRODUCERS 4

static void *
worker_main(void *arg)
{
    worker_t *w = arg;
    long last[TEST_MAX_PRODUCERS] = { -1, -1, -1, -1 };

    while ((w->rv = fdqueue_pop(w->q, &w->item)) == APR_SUCCESS) {
        unsigned id = TEST_ID(w->item);

        w->got++;
        if (w->counts != NULL)
            atomic_fetch_add_explicit(&w->counts[id], 1, memory_order_relaxed);
        if (w->per_producer != 0) {
            unsigned p = id / w->per_producer;
            long seq = id % w->per_producer;

            if (p >= TEST_MAX_PRODUCERS || seq <= last[p])
                w->disorder++;
            else
                last[p] = seq;
        }
        if (w->once)
            break;
    }
    return NULL;
}

static void
start_workers(worker_t *ws, unsigned n, const worker_t *proto)
{
    for (unsigned i = 0; i < n; i++) {
        ws[i] = *proto;
        ck_assert_int_eq(pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]), 0);
    }
}

static void
join_workers(worker_t *ws, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        ck_assert_int_eq(pthread_join(ws[i].thread, NULL), 0);
}

static atomic_int *
make_counts(unsigned n)
{
    atomic_int *c = apr_palloc(pool, sizeof(*c) * n);

    for (unsigned i = 0; i < n; i++)
        atomic_init(&c[i], 0);
    return c;
}

/* A reservation needs a waiting worker, and a reserved push leaves idlers alone. */
START_TEST(test_fdqueue_reserve)
{
    fdqueue_t *q;
    worker_t w;

    ck_assert_int_eq(fdqueue_create(&q, 4, NULL, NULL, pool), APR_SUCCESS);
    ck_assert_int_eq(fdqueue_try_reserve(q), 0);
    ck_assert_int_eq(fdqueue_idlers(q), 0);

    start_workers(&w, 1, &(worker_t){ .q = q, .once = 1 });
    ck_assert(wait_idlers(q, 1));
    ck_assert_int_eq(fdqueue_try_reserve(q), 1);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
    ck_assert_int_eq(fdqueue_try_reserve(q), 0);
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(42), 1), APR_SUCCESS);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
    join_workers(&w, 1);
    ck_assert_int_eq(w.rv, APR_SUCCESS);
    ck_assert_uint_eq(TEST_ID(w.item), 42);

    /* A backlog (negative balance) refuses reservations too. */
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(1), 0), APR_SUCCESS);
    ck_assert_int_eq(fdqueue_idlers(q), -1);
    ck_assert_int_eq(fdqueue_try_reserve(q), 0);
    ck_assert_int_eq(fdqueue_idlers(q), -1);
}
END_TEST

static void
count_idle(void *baton)
{
    atomic_fetch_add((atomic_int *)baton, 1);
}

/* on_idle fires on each rise to a positive count: not for a worker that meets a
 * backlog. */
START_TEST(test_fdqueue_on_idle)
{
    atomic_int fired;
    fdqueue_t *q;
    worker_t w;
    void *item;

    atomic_init(&fired, 0);
    ck_assert_int_eq(fdqueue_create(&q, 4, count_idle, &fired, pool), APR_SUCCESS);
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(1), 0), APR_SUCCESS);
    ck_assert_int_eq(fdqueue_pop(q, &item), APR_SUCCESS); /* -1 -> 0 */
    ck_assert_int_eq(load_int(&fired), 0);

    /* The callback runs after the count rises: wait for the callback. */
    start_workers(&w, 1, &(worker_t){ .q = q, .once = 1 });
    ck_assert(wait_int(&fired, 1));
    ck_assert_int_eq(fdqueue_idlers(q), 1);
    ck_assert_int_eq(fdqueue_try_reserve(q), 1);
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(2), 1), APR_SUCCESS);
    join_workers(&w, 1);
    ck_assert_uint_eq(TEST_ID(w.item), 2);
    ck_assert_int_eq(load_int(&fired), 1);

    start_workers(&w, 1, &(worker_t){ .q = q, .once = 1 });
    ck_assert(wait_int(&fired, 2));
    ck_assert_int_eq(fdqueue_idlers(q), 1);
    fdqueue_terminate(q);
    join_workers(&w, 1);
    ck_assert_int_eq(w.rv, APR_EOF);
    ck_assert_int_eq(load_int(&fired), 2);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
}
END_TEST

/* Every worker that becomes idle fires on_idle, the second as well as the first: the
 * listener's connection limit grows with each. */
START_TEST(test_fdqueue_on_idle_every_rise)
{
    enum { N = 3 };
    atomic_int fired;
    fdqueue_t *q;
    worker_t ws[N];

    atomic_init(&fired, 0);
    ck_assert_int_eq(fdqueue_create(&q, 4, count_idle, &fired, pool), APR_SUCCESS);
    start_workers(ws, N, &(worker_t){ .q = q, .once = 1 });
    ck_assert(wait_idlers(q, N));
    ck_assert(wait_int(&fired, N));
    fdqueue_terminate(q);
    join_workers(ws, N);
    ck_assert_int_eq(load_int(&fired), N);
}
END_TEST

/* A reservation given back restores the count, and its 0 -> 1 step tells the
 * listener, as a worker's arrival would. */
START_TEST(test_fdqueue_unreserve)
{
    atomic_int fired;
    fdqueue_t *q;
    worker_t w;

    atomic_init(&fired, 0);
    ck_assert_int_eq(fdqueue_create(&q, 4, count_idle, &fired, pool), APR_SUCCESS);
    start_workers(&w, 1, &(worker_t){ .q = q, .once = 1 });
    ck_assert(wait_int(&fired, 1));
    ck_assert_int_eq(fdqueue_try_reserve(q), 1);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
    fdqueue_unreserve(q);
    ck_assert_int_eq(fdqueue_idlers(q), 1);
    ck_assert_int_eq(load_int(&fired), 2);
    ck_assert_int_eq(fdqueue_try_reserve(q), 1);
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(3), 1), APR_SUCCESS);
    join_workers(&w, 1);
    ck_assert_uint_eq(TEST_ID(w.item), 3);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
    ck_assert_int_eq(load_int(&fired), 2);
}
END_TEST

/* Workers asleep in pop wake on terminate and get APR_EOF. */
START_TEST(test_fdqueue_terminate_wakes)
{
    enum { N = 4 };
    fdqueue_t *q;
    worker_t ws[N];
    void *item;

    ck_assert_int_eq(fdqueue_create(&q, 8, NULL, NULL, pool), APR_SUCCESS);
    start_workers(ws, N, &(worker_t){ .q = q });
    ck_assert(wait_idlers(q, N));
    fdqueue_terminate(q);
    join_workers(ws, N);
    for (unsigned i = 0; i < N; i++) {
        ck_assert_int_eq(ws[i].rv, APR_EOF);
        ck_assert_uint_eq(ws[i].got, 0);
    }
    ck_assert_int_eq(fdqueue_idlers(q), 0);
    ck_assert_int_eq(fdqueue_pop(q, &item), APR_EOF);
    fdqueue_terminate(q);
    ck_assert_int_eq(fdqueue_pop(q, &item), APR_EOF);
}
END_TEST

/* Items queued before terminate are still handed out, once each, then APR_EOF. */
START_TEST(test_fdqueue_terminate_drains)
{
    enum { N = 2, ITEMS = 5 };
    atomic_int *counts = make_counts(ITEMS);
    fdqueue_t *q;
    worker_t ws[N];

    ck_assert_int_eq(fdqueue_create(&q, 8, NULL, NULL, pool), APR_SUCCESS);
    for (unsigned i = 0; i < ITEMS; i++)
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(i), 0), APR_SUCCESS);
    fdqueue_terminate(q);
    start_workers(ws, N, &(worker_t){ .q = q, .counts = counts, .per_producer = ITEMS });
    join_workers(ws, N);
    ck_assert_uint_eq(ws[0].got + ws[1].got, ITEMS);
    ck_assert_uint_eq(ws[0].disorder + ws[1].disorder, 0);
    for (unsigned i = 0; i < N; i++)
        ck_assert_int_eq(ws[i].rv, APR_EOF);
    for (unsigned i = 0; i < ITEMS; i++)
        ck_assert_int_eq(load_int(&counts[i]), 1);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
}
END_TEST

/* The listener's protocol against one worker: whenever it waits, a reservation
 * succeeds and the reserved item reaches it, in order. */
START_TEST(test_fdqueue_handoff)
{
    const unsigned items = 20000 / TEST_SCALE;
    atomic_int *counts = make_counts(items);
    fdqueue_t *q;
    worker_t w;

    ck_assert_int_eq(fdqueue_create(&q, 2, NULL, NULL, pool), APR_SUCCESS);
    start_workers(&w, 1, &(worker_t){ .q = q, .counts = counts, .per_producer = items });
    for (unsigned i = 0; i < items; i++) {
        ck_assert(wait_idlers(q, 1));
        ck_assert_int_eq(fdqueue_try_reserve(q), 1);
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(i), 1), APR_SUCCESS);
    }
    ck_assert(wait_idlers(q, 1));
    fdqueue_terminate(q);
    join_workers(&w, 1);
    ck_assert_int_eq(w.rv, APR_EOF);
    ck_assert_uint_eq(w.got, items);
    ck_assert_uint_eq(w.disorder, 0);
    for (unsigned i = 0; i < items; i++)
        ck_assert_int_eq(load_int(&counts[i]), 1);
}
END_TEST

/* ---- how many workers a push wakes --------------------------------------------- */

/* A worker that holds each item until the gate opens: it stays awake, as a worker
 * serving a request does. */
typedef struct {
    fdqueue_t *q;
    atomic_int *gate;  /* 0: hold the item, 1: go on */
    atomic_int *taken; /* items taken by all gated workers */
    unsigned got;
    apr_status_t rv;
    pthread_t thread;
} gated_t;

static void *
gated_main(void *arg)
{
    gated_t *g = arg;
    void *item;

    while ((g->rv = fdqueue_pop(g->q, &item)) == APR_SUCCESS) {
        g->got++;
        atomic_fetch_add(g->taken, 1);
        while (atomic_load(g->gate) == 0)
            sched_yield();
    }
    return NULL;
}

/* Spin until `n` workers sleep in the queue; 0 if they did not within the deadline. */
static int
wait_sleepers(const fdqueue_t *q, int n)
{
    double end = now_s() + TEST_DEADLINE_S;

    while (fdqueue_sleepers(q) != n) {
        if (now_s() > end)
            return 0;
        sched_yield();
    }
    return 1;
}

/* limit: max_awake, or 0 for a queue never told (every push wakes a sleeper). */
static const int wake_cases[] = { 0, 1, 2 };

/* A push decides at once whether it wakes someone (the waker takes the registration
 * back itself), so the sleeper count right after each push tells whom it woke. With
 * a limit, no more than `limit` run and the rest of the items wait for them, until
 * the guard sees the ring stand still. */
START_TEST(test_fdqueue_wake_limit)
{
    enum { N = 4, ITEMS = 3 };
    const int limit = wake_cases[_i];
    atomic_int gate, taken;
    gated_t gs[N];
    fdqueue_t *q;
    int awake = 0;

    atomic_init(&gate, 0);
    atomic_init(&taken, 0);
    ck_assert_int_eq(fdqueue_create(&q, 8, NULL, NULL, pool), APR_SUCCESS);
    if (limit > 0)
        fdqueue_set_concurrency(q, N, limit);
    for (unsigned i = 0; i < N; i++) {
        gs[i] = (gated_t){ .q = q, .gate = &gate, .taken = &taken };
        ck_assert_int_eq(pthread_create(&gs[i].thread, NULL, gated_main, &gs[i]), 0);
    }
    ck_assert(wait_sleepers(q, N));
    for (int i = 0; i < ITEMS; i++) {
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(i), 0), APR_SUCCESS);
        if (limit == 0 || awake < limit)
            awake++;
        if (limit > 0)
            ck_assert_int_eq(fdqueue_sleepers(q), N - awake);
        else /* a woken worker that sees more queued passes a wake-up on */
            ck_assert_int_le(fdqueue_sleepers(q), N - awake);
    }
    /* Every woken worker takes an item and holds it; the rest stay queued. */
    ck_assert(wait_int(&taken, awake));
    if (awake < ITEMS) {
        const apr_time_t stall = apr_time_from_msec(5), t0 = apr_time_from_sec(1000);

        ck_assert_int_eq(fdqueue_nudge(q, t0, stall), 1);
        ck_assert_int_eq(fdqueue_sleepers(q), N - awake); /* not stalled yet */
        ck_assert_int_eq(fdqueue_nudge(q, t0 + stall - 1, stall), 1);
        ck_assert_int_eq(fdqueue_sleepers(q), N - awake);
        ck_assert_int_eq(fdqueue_nudge(q, t0 + stall, stall), 1);
        ck_assert_int_eq(fdqueue_sleepers(q), N - awake - 1); /* the guard woke one */
        awake++;
        ck_assert(wait_int(&taken, awake));
    }
    ck_assert_int_eq(fdqueue_nudge(q, 0, 0), awake < ITEMS);
    atomic_store(&gate, 1);
    ck_assert(wait_int(&taken, ITEMS));
    ck_assert(wait_idlers(q, N));
    ck_assert_int_eq(fdqueue_nudge(q, 0, 0), 0);
    fdqueue_terminate(q);
    for (unsigned i = 0; i < N; i++) {
        ck_assert_int_eq(pthread_join(gs[i].thread, NULL), 0);
        ck_assert_int_eq(gs[i].rv, APR_EOF);
    }
    ck_assert_int_eq(gs[0].got + gs[1].got + gs[2].got + gs[3].got, ITEMS);
    ck_assert_int_eq(fdqueue_sleepers(q), 0);
}
END_TEST

/* A worker kept asleep by the concurrency limit can be reserved although idlers is 0;
 * with no limit, or nobody asleep, it cannot. */
START_TEST(test_fdqueue_reserve_asleep)
{
    enum { N = 2 };
    atomic_int gate, taken;
    gated_t gs[N];
    fdqueue_t *q, *plain;

    ck_assert_int_eq(fdqueue_create(&plain, 8, NULL, NULL, pool), APR_SUCCESS);
    ck_assert_int_eq(fdqueue_reserve_asleep(plain), 0); /* no concurrency limit */
    fdqueue_set_concurrency(plain, N, 1);
    ck_assert_int_eq(fdqueue_reserve_asleep(plain), 0); /* nobody asleep */
    ck_assert_int_eq(fdqueue_idlers(plain), 0);
    ck_assert_int_eq(fdqueue_idle(plain), 0);

    atomic_init(&gate, 0);
    atomic_init(&taken, 0);
    ck_assert_int_eq(fdqueue_create(&q, 8, NULL, NULL, pool), APR_SUCCESS);
    fdqueue_set_concurrency(q, N, 1);
    for (unsigned i = 0; i < N; i++) {
        gs[i] = (gated_t){ .q = q, .gate = &gate, .taken = &taken };
        ck_assert_int_eq(pthread_create(&gs[i].thread, NULL, gated_main, &gs[i]), 0);
    }
    ck_assert(wait_sleepers(q, N));
    /* two items: one worker wakes and holds the first, the limit keeps the other asleep */
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(0), 0), APR_SUCCESS);
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(1), 0), APR_SUCCESS);
    ck_assert(wait_int(&taken, 1));
    ck_assert_int_eq(fdqueue_sleepers(q), 1);
    ck_assert_int_le(fdqueue_idlers(q), 0);
    ck_assert_int_eq(fdqueue_idle(q), 1); /* the sleeper */
    ck_assert_int_eq(fdqueue_try_reserve(q), 0);
    ck_assert_int_eq(fdqueue_reserve_asleep(q), 1);
    ck_assert_int_lt(fdqueue_idlers(q), 0);
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(2), 1), APR_SUCCESS); /* with it */
    atomic_store(&gate, 1);
    ck_assert(wait_int(&taken, 3));
    ck_assert(wait_idlers(q, N)); /* every count came back */
    fdqueue_terminate(q);
    for (unsigned i = 0; i < N; i++)
        ck_assert_int_eq(pthread_join(gs[i].thread, NULL), 0);
}
END_TEST

/* ---- the before-sleep hook ----------------------------------------------------- */

#define HOOK_MAX 16

/* What the hook saw, each call in order; written by the worker's own thread only,
 * published by the seq_cst increment of `calls` that follows. */
typedef struct {
    fdqueue_t *q;
    atomic_int calls;           /* hook calls so far */
    atomic_int got;             /* items the worker took */
    pthread_t thread[HOOK_MAX]; /* pthread_self() in each call */
    int got_at[HOOK_MAX];       /* items taken before each call */
    int idlers_at[HOOK_MAX];    /* fdqueue_idlers() in each call */
    int push_in_call;           /* 1-based call that pushes item 1000 itself, or 0 */
    apr_status_t rv;
    pthread_t worker;
} hooked_t;

static void
record_hook(void *baton)
{
    hooked_t *h = baton;
    int n = load_int(&h->calls);

    if (n < HOOK_MAX) {
        h->thread[n] = pthread_self();
        h->got_at[n] = load_int(&h->got);
        h->idlers_at[n] = fdqueue_idlers(h->q);
    }
    /* An item queued while the hook runs: no sleeper is registered to wake. */
    if (n + 1 == h->push_in_call)
        fdqueue_push(h->q, TEST_ITEM(1000), 0);
    atomic_fetch_add(&h->calls, 1);
}

static void *
hooked_main(void *arg)
{
    hooked_t *h = arg;
    void *item;

    while ((h->rv = fdqueue_pop(h->q, &item)) == APR_SUCCESS)
        atomic_fetch_add(&h->got, 1);
    return NULL;
}

static void
hooked_start(hooked_t *h, fdqueue_t *q, int push_in_call)
{
    memset(h, 0, sizeof(*h));
    h->q = q;
    h->push_in_call = push_in_call;
    atomic_init(&h->calls, 0);
    atomic_init(&h->got, 0);
    fdqueue_set_before_sleep(q, record_hook, h);
}

/* The hook runs in the worker, once it has nothing left to take and before it sleeps:
 * not while items are queued (five pushed before it starts are all taken first), once
 * per trip to sleep, and an item pushed after it is still received. */
START_TEST(test_fdqueue_before_sleep)
{
    enum { FIRST = 5 };
    fdqueue_t *q;
    hooked_t h;

    ck_assert_int_eq(fdqueue_create(&q, 8, NULL, NULL, pool), APR_SUCCESS);
    hooked_start(&h, q, 0);
    for (unsigned i = 0; i < FIRST; i++)
        ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(i), 0), APR_SUCCESS);
    ck_assert_int_eq(pthread_create(&h.worker, NULL, hooked_main, &h), 0);

    /* Asleep: the hook ran exactly once, after the last queued item was taken. */
    ck_assert(wait_sleepers(q, 1));
    ck_assert_int_eq(load_int(&h.calls), 1);
    ck_assert(pthread_equal(h.thread[0], h.worker));
    ck_assert_int_eq(h.got_at[0], FIRST);
    ck_assert_int_eq(h.idlers_at[0], 1); /* the ring was empty: one idle worker */
    ck_assert_int_eq(load_int(&h.got), FIRST);

    /* Woken for one item: taken, then the hook again before the next sleep. */
    ck_assert_int_eq(fdqueue_push(q, TEST_ITEM(FIRST), 0), APR_SUCCESS);
    ck_assert(wait_int(&h.got, FIRST + 1));
    ck_assert(wait_int(&h.calls, 2));
    ck_assert(wait_sleepers(q, 1));
    ck_assert_int_eq(load_int(&h.calls), 2);
    ck_assert(pthread_equal(h.thread[1], h.worker));
    ck_assert_int_eq(h.got_at[1], FIRST + 1);
    ck_assert_int_eq(h.idlers_at[1], 1);

    /* Terminate wakes it for good; a worker leaving does not run the hook. */
    fdqueue_terminate(q);
    ck_assert_int_eq(pthread_join(h.worker, NULL), 0);
    ck_assert_int_eq(h.rv, APR_EOF);
    ck_assert_int_eq(load_int(&h.calls), 2);
    ck_assert_int_eq(load_int(&h.got), FIRST + 1);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
}
END_TEST

/* An item pushed while the hook runs (no sleeper registered yet, so the push wakes
 * nobody) is found by the worker right after the hook, not left until the next push. */
START_TEST(test_fdqueue_before_sleep_push_during_hook)
{
    fdqueue_t *q;
    hooked_t h;

    ck_assert_int_eq(fdqueue_create(&q, 8, NULL, NULL, pool), APR_SUCCESS);
    fdqueue_set_concurrency(q, 1, 1);
    hooked_start(&h, q, 1);
    ck_assert_int_eq(pthread_create(&h.worker, NULL, hooked_main, &h), 0);
    ck_assert(wait_int(&h.got, 1));
    ck_assert(wait_sleepers(q, 1));
    ck_assert_int_eq(load_int(&h.calls), 2);
    ck_assert_int_eq(h.got_at[0], 0);
    ck_assert_int_eq(h.got_at[1], 1);
    fdqueue_terminate(q);
    ck_assert_int_eq(pthread_join(h.worker, NULL), 0);
    ck_assert_int_eq(h.rv, APR_EOF);
    ck_assert_int_eq(load_int(&h.got), 1);
}
END_TEST

/* The hook of several workers: which threads ran it. */
typedef struct {
    atomic_int calls;
    pthread_t thread[HOOK_MAX];
} thread_log_t;

static void
log_thread(void *baton)
{
    thread_log_t *l = baton;
    int n = atomic_fetch_add(&l->calls, 1);

    if (n < HOOK_MAX)
        l->thread[n] = pthread_self();
}

/* Several workers: each runs the hook in its own thread before its first sleep. */
START_TEST(test_fdqueue_before_sleep_each_worker)
{
    enum { N = 3 };
    thread_log_t l;
    worker_t ws[N];
    fdqueue_t *q;

    ck_assert_int_eq(fdqueue_create(&q, 8, NULL, NULL, pool), APR_SUCCESS);
    atomic_init(&l.calls, 0);
    fdqueue_set_before_sleep(q, log_thread, &l);
    start_workers(ws, N, &(worker_t){ .q = q });
    ck_assert(wait_sleepers(q, N));
    ck_assert_int_eq(load_int(&l.calls), N);
    for (unsigned i = 0; i < N; i++) {
        int found = 0;

        for (unsigned k = 0; k < N; k++)
            found += pthread_equal(l.thread[k], ws[i].thread) != 0;
        ck_assert_msg(found == 1, "worker %u ran the hook %d times", i, found);
    }
    fdqueue_terminate(q);
    join_workers(ws, N);
    ck_assert_int_eq(load_int(&l.calls), N);
}
END_TEST

/* ---- fdqueue stress ------------------------------------------------------------ */

#define STRESS_PRODUCERS 2
#define STRESS_WORKERS   8
#define STRESS_CAPACITY  64

typedef struct {
    fdqueue_t *q;
    unsigned first, n; /* ids first .. first + n - 1, pushed in order */
    unsigned reserved; /* pushes made with a reservation */
    unsigned full;     /* APR_EAGAIN answers */
    pthread_t thread;
} producer_t;

/* Reserve when a worker is idle (as the listener does for a new connection), else
 * push unreserved (as for a parked one); on a full ring, yield and try again. */
static void *
producer_main(void *arg)
{
    producer_t *p = arg;

    for (unsigned i = 0; i < p->n; i++) {
        int r = fdqueue_try_reserve(p->q);

        while (fdqueue_push(p->q, TEST_ITEM(p->first + i), r) == APR_EAGAIN) {
            p->full++;
            sched_yield();
            r = fdqueue_try_reserve(p->q);
        }
        p->reserved += (unsigned)r;
    }
    return NULL;
}

static const int stress_limits[] = { 0, 1 };

START_TEST(test_fdqueue_stress)
{
    const unsigned per = 200000 / TEST_SCALE, total = STRESS_PRODUCERS * per;
    atomic_int *counts = make_counts(total);
    producer_t ps[STRESS_PRODUCERS];
    worker_t ws[STRESS_WORKERS];
    unsigned got = 0, disorder = 0, reserved = 0, full = 0;
    double t0, t1;
    fdqueue_t *q;

    ck_assert_int_eq(fdqueue_create(&q, STRESS_CAPACITY, NULL, NULL, pool), APR_SUCCESS);
    /* Also with one worker awake at a time: items wait for it, never forever. */
    if (stress_limits[_i] > 0)
        fdqueue_set_concurrency(q, STRESS_WORKERS, stress_limits[_i]);
    start_workers(ws, STRESS_WORKERS, &(worker_t){ .q = q, .counts = counts, .per_producer = per });
    t0 = now_s();
    for (unsigned i = 0; i < STRESS_PRODUCERS; i++) {
        ps[i] = (producer_t){ .q = q, .first = i * per, .n = per };
        ck_assert_int_eq(pthread_create(&ps[i].thread, NULL, producer_main, &ps[i]), 0);
    }
    for (unsigned i = 0; i < STRESS_PRODUCERS; i++) {
        ck_assert_int_eq(pthread_join(ps[i].thread, NULL), 0);
        reserved += ps[i].reserved;
        full += ps[i].full;
    }
    /* Balance = workers in pop - queued items: all workers back and waiting, ring
     * empty. A lost wake-up or a miscount never gets here. */
    ck_assert_msg(wait_idlers(q, STRESS_WORKERS), "idlers stuck at %d", fdqueue_idlers(q));
    t1 = now_s();
    for (unsigned i = 0; i < total; i++)
        ck_assert_msg(load_int(&counts[i]) == 1, "item %u delivered %d times", i,
                      load_int(&counts[i]));

    fdqueue_terminate(q);
    join_workers(ws, STRESS_WORKERS);
    for (unsigned i = 0; i < STRESS_WORKERS; i++) {
        ck_assert_int_eq(ws[i].rv, APR_EOF);
        got += ws[i].got;
        disorder += ws[i].disorder;
    }
    ck_assert_uint_eq(got, total);
    ck_assert_uint_eq(disorder, 0);
    ck_assert_int_eq(fdqueue_idlers(q), 0);
    printf("fdqueue stress: %u items, %d producers, %d workers, ring %d: %.3f s, %.0f items/s; "
           "%u reserved pushes, %u full answers\n",
           total, STRESS_PRODUCERS, STRESS_WORKERS, STRESS_CAPACITY, t1 - t0,
           (double)total / (t1 - t0), reserved, full);
}
END_TEST

static Suite *
fdqueue_suite(void)
{
    Suite *s = suite_create("fdqueue");
    TCase *tc_stack = tcase_create("lfstack");
    TCase *tc_ring = tcase_create("ring");
    TCase *tc_workers = tcase_create("workers");

    tcase_add_checked_fixture(tc_stack, setup, teardown);
    tcase_set_timeout(tc_stack, 60);
    tcase_add_test(tc_stack, test_lfstack_lifo);
    tcase_add_test(tc_stack, test_lfstack_stress_pop);
    tcase_add_test(tc_stack, test_lfstack_take_all_stress);
    tcase_add_test(tc_stack, test_lfstack_recycle);
    suite_add_tcase(s, tc_stack);

    tcase_add_checked_fixture(tc_ring, setup, teardown);
    tcase_add_loop_test(tc_ring, test_fdqueue_capacity, 0,
                        sizeof(capacity_cases) / sizeof(capacity_cases[0]));
    tcase_add_test(tc_ring, test_fdqueue_create_invalid);
    tcase_add_test(tc_ring, test_fdqueue_wraparound);
    tcase_add_loop_test(tc_ring, test_fdqueue_push_accounting, 0,
                        sizeof(push_cases) / sizeof(push_cases[0]));
    suite_add_tcase(s, tc_ring);

    tcase_add_checked_fixture(tc_workers, setup, teardown);
    tcase_set_timeout(tc_workers, 60);
    tcase_add_test(tc_workers, test_fdqueue_reserve);
    tcase_add_test(tc_workers, test_fdqueue_on_idle);
    tcase_add_test(tc_workers, test_fdqueue_on_idle_every_rise);
    tcase_add_test(tc_workers, test_fdqueue_unreserve);
    tcase_add_test(tc_workers, test_fdqueue_terminate_wakes);
    tcase_add_test(tc_workers, test_fdqueue_terminate_drains);
    tcase_add_test(tc_workers, test_fdqueue_handoff);
    tcase_add_loop_test(tc_workers, test_fdqueue_wake_limit, 0,
                        sizeof(wake_cases) / sizeof(wake_cases[0]));
    tcase_add_test(tc_workers, test_fdqueue_reserve_asleep);
    tcase_add_test(tc_workers, test_fdqueue_before_sleep);
    tcase_add_test(tc_workers, test_fdqueue_before_sleep_push_during_hook);
    tcase_add_test(tc_workers, test_fdqueue_before_sleep_each_worker);
    tcase_add_loop_test(tc_workers, test_fdqueue_stress, 0,
                        sizeof(stress_limits) / sizeof(stress_limits[0]));
    suite_add_tcase(s, tc_workers);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(fdqueue_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? 0 : 1;
}
