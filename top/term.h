/*
 * term.h — the terminal's life in interactive mode: curses set up, colours, and the
 * guarantee that the terminal is given back (normal screen, echo, cursor) however evtop
 * ends: a normal return, exit() from anywhere (atexit), SIGTERM/SIGINT/SIGHUP (a flag
 * the main loop polls, then the normal path), or a crash (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGABRT: endwin in the handler, then the default action).
 *
 * Batch mode never calls any of this. One thread; not reentrant.
 */
#ifndef EVTOP_TERM_H
#define EVTOP_TERM_H

/* What is drawn, for term_attr. */
typedef enum {
    TERM_TITLE,     /* the first summary line */
    TERM_HEADING,   /* the table's column header */
    TERM_SORTED,    /* the sort column in the header */
    TERM_FOOTER,    /* the key hints on the last line */
    TERM_WAITING,   /* "waiting for evhttpd" */
    TERM_DRAINING,  /* a child of an older generation */
    TERM_STOPPING,  /* a quiescing child */
    TERM_FULL,      /* a child not accepting */
    TERM_IDLE,      /* worker letter _ */
    TERM_BUSY,      /* worker letters R W L */
    TERM_KEEPALIVE, /* worker letters K C G */
    TERM_DEAD,      /* worker letters . S ? */
    TERM_NROLES
} term_role_t;

/*
 * term_start: take the terminal (stdin/stdout must be one): curses screen, no echo,
 * keypad keys, hidden cursor; colours when `color` is set and the terminal has them.
 * Installs the signal handlers and the atexit hook described above. Returns 0, or -1
 * with nothing changed when stdin/stdout is not a terminal or curses cannot use it.
 */
int term_start(int color);

/* term_stop: give the terminal back (endwin). Idempotent; safe before term_start. */
void term_stop(void);

/* term_quit_requested: a SIGTERM, SIGINT or SIGHUP arrived since term_start. */
int term_quit_requested(void);

/* term_reraise: after term_stop, if a quit signal ended evtop, die of that signal (its
 * default action) so the parent sees how evtop ended, as it would without the handler;
 * otherwise return. */
void term_reraise(void);

/* term_attr: the curses attributes for `role` (colour pair, or bold/reverse/dim when
 * colours are off). */
int term_attr(term_role_t role);

#endif
