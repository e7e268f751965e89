/*
 * slice.h — a view into a buffer owned by someone else (no NUL terminator).
 */
#ifndef EV_SLICE_H
#define EV_SLICE_H

#include <stddef.h>

typedef struct {
    const char *p; /* first byte, inside the owner's buffer */
    size_t len;    /* length in bytes */
} ev_slice_t;

#endif
