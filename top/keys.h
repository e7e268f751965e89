/*
 * keys.h — what a key press does to the view. Pure: no terminal I/O, so every binding
 * can be checked without a terminal. Key codes are curses' (KEY_RESIZE, KEY_UP, ...).
 */
#ifndef EVTOP_KEYS_H
#define EVTOP_KEYS_H

#include "view.h"

typedef enum {
    KEYS_NONE,     /* not a binding: nothing changed */
    KEYS_REDRAW,   /* the view changed: draw the last sample again */
    KEYS_RESAMPLE, /* the view needs fresh data (un-paused, per-worker view): sample now */
    KEYS_INTERVAL, /* the interval changed: reschedule the next sample */
    KEYS_QUIT      /* leave evtop */
} keys_action_t;

/* keys_apply: apply `key` to *v and say what the caller must do. While the help screen
 * is up, any key closes it (and does nothing else). */
keys_action_t keys_apply(view_t *v, int key);

#endif
