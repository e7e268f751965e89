/*
 * lfstack.h — a lock-free LIFO of intrusive nodes (Treiber stack), C11 atomics.
 *
 * Any number of threads may push. Removal comes in two kinds, and a stack uses
 * one of two removal disciplines:
 *   - one thread removes, with lfstack_pop and/or lfstack_take_all: only that
 *     thread takes nodes off, so a head it has read cannot be removed and
 *     re-pushed behind its back, which makes pop free of ABA without tags;
 *   - any number of threads remove, with lfstack_take_all only (an exchange of
 *     the head, ABA-free by nature).
 * Mixing them (a pop on one thread while another thread may take_all) is not
 * allowed: the taker could re-push the popper's head and the pop would then
 * install a stale `next`.
 * Used for: recycled per-connection contexts (listener pops, workers push),
 * connection records, and the workers' hand-over of parked connections to the
 * listener (MPSC via take_all).
 * The stack never allocates or frees: the caller owns every node's storage and
 * must keep a node alive while it is on a stack.
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

/* lfstack_init: make `s` (caller's storage) empty. Not thread-safe: call before
 * the stack is shared. Never fails. */
void lfstack_init(lfstack_t *s);

/* lfstack_push: put `n` (not on any stack) on top. Any thread; lock-free. The
 * stack owns `n` until it is removed again. Writes made to the node before the
 * push are visible to the thread that removes it. Never fails. */
void lfstack_push(lfstack_t *s, lfstack_node_t *n);

/* lfstack_pop: remove the top node; the caller owns it again. Only the stack's
 * single remover may call it (see above). Returns NULL when empty. */
lfstack_node_t *lfstack_pop(lfstack_t *s);

/* lfstack_take_all: remove every node at once and return them as a NULL-terminated
 * list linked by `next`, most recently pushed first; the caller owns them. Any
 * thread, unless the stack also has a popper (then only that thread). Returns
 * NULL when empty. */
lfstack_node_t *lfstack_take_all(lfstack_t *s);

#endif
