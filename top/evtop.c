/*
 * evtop.c — evtop's main: parse the command line, find and attach the scoreboard, run
 * the batch or the interactive loop.
 *
 * A quit signal in interactive mode ends the loop, and evtop then dies of that signal
 * once the terminal is restored and memory released (term.c), as a shell expects.
 *
 * The scoreboard must be attachable at start-up (exit 1 with the reason otherwise):
 * a mistyped -s path or a stopped daemon is then reported at once instead of turning
 * into an endless "waiting". Once running, evtop follows the file through daemon
 * restarts (board.c).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "autoconfig.h"
#include "batch.h"
#include "board.h"
#include "evtop.h"
#include "interactive.h"
#include "sbpath.h"
#include "term.h"

#define EVTOP_INTERVAL_MIN 0.01    /* seconds: below this a sample costs more than it shows */
#define EVTOP_INTERVAL_MAX 86400.0 /* a day */

static const char evtop_usage_text[] =
    "usage: evtop [-f CONFIG | -s SCOREBOARD] [-d SECONDS] [-b] [-n COUNT] [--no-color]\n"
    "  -f, --config FILE       read ScoreboardFile from FILE (default " SBPATH_DEFAULT_CONFIG ")\n"
    "  -s, --scoreboard FILE   the scoreboard file itself\n"
    "  -d, --delay SECONDS     seconds between refreshes, fractions allowed (default 1)\n"
    "  -b, --batch             plain-text snapshots on standard output, like top -b\n"
    "  -n, --iterations COUNT  stop after COUNT refreshes\n"
    "      --no-color          no colours (also when NO_COLOR is set)\n"
    "  -h, --help              this help;  -V, --version  the version\n";

static int
evtop_usage(const char *what, const char *arg)
{
    fprintf(stderr, "evtop: %s%s%s%s (see evtop --help)\n", what, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "");
    return EVTOP_EXIT_USAGE;
}

static int
evtop_parse_interval(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < EVTOP_INTERVAL_MIN ||
        v > EVTOP_INTERVAL_MAX)
        return -1;
    *out = v;
    return 0;
}

static int
evtop_parse_count(const char *s, long *out)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1)
        return -1;
    *out = v;
    return 0;
}

/* Returns -1 when parsing succeeded, else the exit code (help, version or usage). */
static int
evtop_parse(evtop_opts_t *o, int argc, char **argv)
{
    enum { OPT_NO_COLOR = 256 };
    static const struct option longs[] = {
        { "config", required_argument, NULL, 'f' },
        { "scoreboard", required_argument, NULL, 's' },
        { "delay", required_argument, NULL, 'd' },
        { "batch", no_argument, NULL, 'b' },
        { "iterations", required_argument, NULL, 'n' },
        { "no-color", no_argument, NULL, OPT_NO_COLOR },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(o, 0, sizeof *o);
    o->interval = 1.0;
    o->color = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:s:d:bn:hV", longs, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->config_file = optarg;
            break;
        case 's':
            o->scoreboard = optarg;
            break;
        case 'd':
            if (evtop_parse_interval(optarg, &o->interval) != 0)
                return evtop_usage("-d needs seconds from 0.01 to 86400, not", optarg);
            break;
        case 'b':
            o->batch = 1;
            break;
        case 'n':
            if (evtop_parse_count(optarg, &o->count) != 0)
                return evtop_usage("-n needs a count of at least 1, not", optarg);
            break;
        case OPT_NO_COLOR:
            o->color = 0;
            break;
        case 'h':
            fputs(evtop_usage_text, stdout);
            return EVTOP_EXIT_OK;
        case 'V':
            printf("evtop/%s\n", PACKAGE_VERSION);
            return EVTOP_EXIT_OK;
        case ':':
            return evtop_usage("missing value for", argv[optind - 1]);
        default:
            if (optopt != 0) {
                char opt[3] = { '-', (char)optopt, '\0' };

                return evtop_usage("unknown option", opt);
            }
            return evtop_usage("unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return evtop_usage("unexpected argument", argv[optind]);
    if (o->scoreboard != NULL && o->config_file != NULL)
        return evtop_usage("give -s or -f, not both", NULL);
    if ((o->scoreboard != NULL && o->scoreboard[0] == '\0') ||
        (o->config_file != NULL && o->config_file[0] == '\0'))
        return evtop_usage("an empty path", NULL);
    return -1;
}

/* Resolve and attach; prints the one-line reason and returns NULL on failure. */
static board_t *
evtop_attach(const evtop_opts_t *o, apr_pool_t *p)
{
    const char *path = o->scoreboard;
    const char *error;
    board_t *b;
    apr_status_t rv;
    char why[128];

    if (path == NULL && sbpath_from_config(&path, o->config_file, p, &error) != APR_SUCCESS) {
        fprintf(stderr, "evtop: %s\n", error);
        return NULL;
    }
    b = board_create(path, p);
    rv = board_check(b);
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "evtop: %s: %s%s\n", path, board_strerror(rv, why, sizeof why),
                APR_STATUS_IS_ENOENT(rv) ? " (is evhttpd running?)" : "");
        return NULL;
    }
    return b;
}

int
main(int argc, char **argv)
{
    evtop_opts_t o;
    apr_pool_t *pool;
    board_t *b;
    int code = evtop_parse(&o, argc, argv);

    if (code >= 0)
        return code;
    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "evtop: cannot initialise APR\n");
        return EVTOP_EXIT_FAIL;
    }
    atexit(apr_terminate);
    if (apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "evtop: out of memory\n");
        return EVTOP_EXIT_FAIL;
    }
    b = evtop_attach(&o, pool);
    if (b == NULL)
        code = EVTOP_EXIT_FAIL;
    else if (o.batch)
        code = batch_run(b, &o, pool);
    else
        code = interactive_run(b, &o, pool);
    apr_pool_destroy(pool);
    term_reraise();
    return code;
}
