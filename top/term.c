/*
 * term.c — curses set-up and the paths that give the terminal back (see term.h).
 *
 * Quit signals only set a flag: endwin is not async-signal-safe, and the main loop
 * wakes at least every 100 ms (interactive.c), so it leaves through the same endwin as
 * 'q' does. Crash signals cannot wait for the loop, so their handler calls endwin itself
 * (a process that is dying anyway risks little by it; a terminal left in raw mode on
 * the alternate screen is the certain alternative), then re-raises the signal with the
 * default action so the exit status and any core dump are the real ones.
 *
 * Colours follow https://no-color.org: a non-empty NO_COLOR disables them, as does
 * --no-color; without colours the roles fall back to bold, reverse and dim.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "term.h"

static SCREEN *term_screen;
static volatile sig_atomic_t term_active;
static int term_colors;
static volatile sig_atomic_t term_quit; /* the quit signal caught, 0 if none */

static void
term_on_quit(int sig)
{
    term_quit = sig;
}

static void
term_on_crash(int sig)
{
    if (term_active)
        endwin();
    term_active = 0;
    raise(sig); /* SA_RESETHAND: now the default action */
}

static void
term_signals(void)
{
    static const int quit[] = { SIGTERM, SIGINT, SIGHUP };
    static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = term_on_quit;
    for (i = 0; i < sizeof quit / sizeof quit[0]; i++)
        sigaction(quit[i], &sa, NULL);
    sa.sa_handler = term_on_crash;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    for (i = 0; i < sizeof crash / sizeof crash[0]; i++)
        sigaction(crash[i], &sa, NULL);
}

static void
term_init_colors(int color)
{
    const char *no_color = getenv("NO_COLOR");
    short fg = COLOR_WHITE, bg = COLOR_BLACK;

    term_colors = 0;
    if (!color || (no_color != NULL && no_color[0] != '\0') || !has_colors())
        return;
    if (start_color() != OK)
        return;
    /* the terminal's own colours where it can keep them, else white on black */
    if (use_default_colors() == OK)
        fg = bg = -1;
    init_pair(1 + TERM_TITLE, COLOR_CYAN, bg);
    init_pair(1 + TERM_HEADING, COLOR_BLACK, COLOR_GREEN);
    init_pair(1 + TERM_SORTED, COLOR_BLACK, COLOR_CYAN);
    init_pair(1 + TERM_FOOTER, COLOR_BLACK, COLOR_CYAN);
    init_pair(1 + TERM_WAITING, COLOR_YELLOW, bg);
    init_pair(1 + TERM_DRAINING, COLOR_YELLOW, bg);
    init_pair(1 + TERM_STOPPING, COLOR_MAGENTA, bg);
    init_pair(1 + TERM_FULL, COLOR_RED, bg);
    init_pair(1 + TERM_IDLE, COLOR_GREEN, bg);
    init_pair(1 + TERM_BUSY, COLOR_RED, bg);
    init_pair(1 + TERM_KEEPALIVE, COLOR_BLUE, bg);
    init_pair(1 + TERM_DEAD, fg, bg);
    term_colors = 1;
}

int
term_start(int color)
{
    static int hooked;

    if (term_active)
        return 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return -1;
    term_screen = newterm(NULL, stdout, stdin);
    if (term_screen == NULL)
        return -1;
    set_term(term_screen);
    term_active = 1;
    if (!hooked && atexit(term_stop) == 0)
        hooked = 1;
    term_signals();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    term_init_colors(color);
    return 0;
}

void
term_stop(void)
{
    if (!term_active)
        return;
    term_active = 0;
    endwin();
    delscreen(term_screen);
    term_screen = NULL;
}

int
term_quit_requested(void)
{
    return term_quit != 0;
}

void
term_reraise(void)
{
    int sig = term_quit;

    if (sig == 0 || term_active)
        return;
    signal(sig, SIG_DFL);
    raise(sig);
}

int
term_attr(term_role_t role)
{
    static const int plain[TERM_NROLES] = {
        [TERM_TITLE] = A_BOLD,
        [TERM_HEADING] = A_REVERSE,
        [TERM_SORTED] = A_REVERSE | A_BOLD | A_UNDERLINE,
        [TERM_FOOTER] = A_REVERSE,
        [TERM_WAITING] = A_BOLD,
        [TERM_DRAINING] = A_DIM,
        [TERM_STOPPING] = A_DIM,
        [TERM_FULL] = A_BOLD,
        [TERM_IDLE] = A_NORMAL,
        [TERM_BUSY] = A_BOLD,
        [TERM_KEEPALIVE] = A_NORMAL,
        [TERM_DEAD] = A_DIM,
    };

    if ((unsigned)role >= TERM_NROLES)
        return A_NORMAL;
    if (!term_colors)
        return plain[role];
    return (int)COLOR_PAIR(1 + role) | (role == TERM_TITLE || role == TERM_SORTED ? A_BOLD : 0);
}
