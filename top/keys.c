/*
 * keys.c — the key bindings (see keys.h and the KEYS section of evtop(1)).
 *
 * Bindings follow top and htop where they have one (q, h/?, < >, space to pause,
 * arrows and pages to scroll); the help screen in render_help.c lists the same keys.
 * '+' lengthens the interval and '-' shortens it, through the steps operators pick
 * anyway; a -d value between two steps moves to the neighbouring one.
 */
#include <curses.h>

#include "columns.h"
#include "keys.h"

static const double keys_steps[] = { 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 15, 30, 60, 300, 900, 3600 };
#define KEYS_NSTEPS (sizeof keys_steps / sizeof keys_steps[0])

static keys_action_t
keys_sort(view_t *v, int step)
{
    v->sort = (v->sort + step + COLUMNS_N) % COLUMNS_N;
    v->reverse = 0;
    return KEYS_REDRAW;
}

static keys_action_t
keys_interval(view_t *v, int shorter)
{
    double next = v->interval;
    unsigned i;

    if (shorter) {
        for (i = KEYS_NSTEPS; i-- > 0;)
            if (keys_steps[i] < v->interval - 1e-9) {
                next = keys_steps[i];
                break;
            }
    } else {
        for (i = 0; i < KEYS_NSTEPS; i++)
            if (keys_steps[i] > v->interval + 1e-9) {
                next = keys_steps[i];
                break;
            }
    }
    if (next == v->interval)
        return KEYS_NONE;
    v->interval = next;
    return KEYS_INTERVAL;
}

static keys_action_t
keys_scroll(view_t *v, int lines)
{
    v->scroll += lines;
    if (v->scroll < 0)
        v->scroll = 0;
    return KEYS_REDRAW;
}

static keys_action_t
keys_toggle(int *flag)
{
    *flag = !*flag;
    return KEYS_REDRAW;
}

keys_action_t
keys_apply(view_t *v, int key)
{
    int page = v->page > 1 ? v->page - 1 : 1;

    if (v->help && key != KEY_RESIZE) {
        v->help = 0;
        return KEYS_REDRAW;
    }
    switch (key) {
    case 'q':
    case 'Q':
        return KEYS_QUIT;
    case 'h':
    case '?':
    case KEY_F(1):
        v->help = 1;
        return KEYS_REDRAW;
    case '>':
    case '.':
    case 's':
        return keys_sort(v, 1);
    case '<':
    case ',':
        return keys_sort(v, -1);
    case 'r':
        return keys_toggle(&v->reverse);
    case 'p':
    case ' ':
        v->paused = !v->paused;
        return v->paused ? KEYS_REDRAW : KEYS_RESAMPLE;
    case '+':
    case '=':
        return keys_interval(v, 0);
    case '-':
    case '_':
        return keys_interval(v, 1);
    case 'g':
        return keys_toggle(&v->grid);
    case '1':
        v->workers = !v->workers;
        v->scroll = 0;
        return v->workers ? KEYS_RESAMPLE : KEYS_REDRAW;
    case KEY_UP:
    case 'k':
        return keys_scroll(v, -1);
    case KEY_DOWN:
    case 'j':
        return keys_scroll(v, 1);
    case KEY_PPAGE:
        return keys_scroll(v, -page);
    case KEY_NPAGE:
        return keys_scroll(v, page);
    case KEY_HOME:
        v->scroll = 0;
        return KEYS_REDRAW;
    case KEY_END:
        v->scroll = 1 << 30;
        return KEYS_REDRAW;
    case KEY_RESIZE:
    case 12: /* ^L */
        return KEYS_REDRAW;
    default:
        return KEYS_NONE;
    }
}
