/*
 * lfstack.c — Treiber stack on C11 atomics.
 *
 * Runs in whichever threads share a stack (in a child: the listener and the
 * workers). Owns nothing: nodes are the callers' storage. Touches one atomic,
 * the head; no locks. Nothing to shut down.
 *
 * Ordering: a push publishes the node's `next` (and whatever the caller wrote into
 * the enclosing object) with a release CAS; pop and take_all read the head with
 * acquire, so the remover sees those writes. Pushes are read-modify-writes on the
 * head, so they continue each other's release sequences: an acquire that reads the
 * newest head synchronizes with every push below it, not only the last one.
 *
 * Why pop needs no ABA tag: the classic ABA is "the popper reads head A and
 * A->next B; meanwhile A and B are popped and A is pushed again on top of something
 * else; the popper's CAS still sees A and installs the stale B". Here the only
 * thread that removes nodes is the popper itself, so between its load of A and its
 * CAS, A cannot leave the stack. While A is on the stack nobody writes A->next
 * (a push writes only the `next` of the node it pushes, before publishing it), and
 * nodes pushed on top of A make the CAS fail and retry. So a successful CAS found A
 * still on top with the very `next` it read. This is also why a pop may not run
 * while another thread may take_all (see lfstack.h).
 */
#include "lfstack.h"

void
lfstack_init(lfstack_t *s)
{
    atomic_init(&s->head, NULL);
}

void
lfstack_push(lfstack_t *s, lfstack_node_t *n)
{
    lfstack_node_t *top = atomic_load_explicit(&s->head, memory_order_relaxed);

    do {
        n->next = top;
    } while (!atomic_compare_exchange_weak_explicit(&s->head, &top, n, memory_order_release,
                                                    memory_order_relaxed));
}

lfstack_node_t *
lfstack_pop(lfstack_t *s)
{
    lfstack_node_t *top = atomic_load_explicit(&s->head, memory_order_acquire);

    while (top != NULL &&
           !atomic_compare_exchange_weak_explicit(&s->head, &top, top->next, memory_order_acquire,
                                                  memory_order_acquire))
        ;
    return top;
}

lfstack_node_t *
lfstack_take_all(lfstack_t *s)
{
    return atomic_exchange_explicit(&s->head, NULL, memory_order_acquire);
}
