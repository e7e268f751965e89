/*
 * lfstack.h — a lock-free LIFO of intrusive nodes (Treiber stack), C11 atomics.
 *
 * Any number of threads may push; exactly ONE thread may pop (lfstack_pop), which
 * is what makes it free of ABA without tags: only the popper removes nodes, so a
 * head it has read cannot be removed and re-pushed behind its back. Any thread may
 * take the whole stack at once (lfstack_take_all), which is ABA-free by nature.
 * Used for: recycled per-connection contexts (listener pops, workers push),
 * connection records, and the workers' hand-over of parked connections to the
 * listener (MPSC via take_all).
 */
#ifndef EV_LFSTACK_H
#define EV_LFSTACK_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct lfstack_node_t {
    struct lfstack_node_t *next; /* owned by the stack while the node is on it */
} lfstack_node_t;

typedef struct {
    _Atomic(lfstack_node_t *) head; /* top of the stack, NULL when empty */
} lfstack_t;

/* lfstack_init: make `s` empty. */
void lfstack_init(lfstack_t *s);

/* lfstack_push: any thread. Never fails. */
void lfstack_push(lfstack_t *s, lfstack_node_t *n);

/* lfstack_pop: the single popper only. Returns NULL when empty. */
lfstack_node_t *lfstack_pop(lfstack_t *s);

/* lfstack_take_all: any thread; returns the whole list (most recent first) and
 * leaves the stack empty. */
lfstack_node_t *lfstack_take_all(lfstack_t *s);

#endif
