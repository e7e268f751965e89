/*
 * evctl.c — evctl's main: parse the command line, pick the command from the table and
 * run it; the command's handler returns the exit code.
 *
 * Options may come before or after the command (`evctl status --json` and `evctl --json
 * status` are the same), because operators type both. Every option is parsed here, then
 * checked against what the chosen command accepts, so a misplaced --wait is a usage
 * error rather than silently ignored.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evctl.h"

#define EVCTL_MAX_TIMEOUT_S 1e7 /* about 115 days: beyond that, say 0 */

const evctl_cmd_t *const evctl_commands[] = {
    &evctl_cmd_status,        &evctl_cmd_graceful,
    &evctl_cmd_graceful_stop, &evctl_cmd_stop,
    &evctl_cmd_restart,       &evctl_cmd_configtest,
    &evctl_cmd_reopen_logs,   &evctl_cmd_version,
    &evctl_cmd_help,          NULL,
};

const evctl_cmd_t *
evctl_find_command(const char *name)
{
    const evctl_cmd_t *const *c;

    for (c = evctl_commands; *c != NULL; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

static int
evctl_usage(const char *what, const char *arg)
{
    fprintf(stderr, "evctl: %s%s%s%s (see evctl --help)\n", what, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "");
    return EVCTL_EXIT_USAGE;
}

/* --timeout S: seconds, fractions allowed, 0 for no limit. */
static int
evctl_parse_timeout(const char *s, long *ms)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 || v > EVCTL_MAX_TIMEOUT_S)
        return -1;
    *ms = (long)ceil(v * 1000.0);
    return 0;
}

/* --drain-timeout S: whole seconds for the daemon. */
static int
evctl_parse_seconds(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* The value of option argv[*i] (`-s X`, `-sX`, `--socket X` or `--socket=X`), or NULL
 * when it is missing. `name_len` is the length of the option name as matched. */
static const char *
evctl_option_value(int argc, char **argv, int *i, size_t name_len)
{
    const char *a = argv[*i];

    if (a[name_len] == '=')
        return a + name_len + 1;
    if (a[name_len] != '\0')
        return a + name_len; /* -sPATH */
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* Does argv option `a` name `opt` (exactly, or followed by `=`; short options may be
 * followed by their value)? Returns the name's length or 0. */
static size_t
evctl_option_is(const char *a, const char *opt)
{
    size_t n = strlen(opt);

    if (strncmp(a, opt, n) != 0)
        return 0;
    if (a[n] == '\0' || a[n] == '=' || (opt[1] != '-'))
        return n;
    return 0;
}

typedef struct {
    evctl_args_t args;
    const char *command; /* the command word, or NULL */
    unsigned given;      /* EVCTL_OPT_* bits the command line used */
    int help;            /* -h or --help */
} evctl_cmdline_t;

/* One option at argv[*i]; returns 0 or a usage exit code. */
static int
evctl_parse_option(evctl_cmdline_t *cl, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v;
    size_t n;

    if (strcmp(a, "--json") == 0) {
        cl->args.json = 1;
    } else if (strcmp(a, "--wait") == 0) {
        cl->args.wait = 1;
        cl->given |= EVCTL_OPT_WAIT;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        cl->help = 1;
    } else if ((n = evctl_option_is(a, "-s")) || (n = evctl_option_is(a, "--socket"))) {
        if ((v = evctl_option_value(argc, argv, i, n)) == NULL || *v == '\0')
            return evctl_usage("-s needs a socket path", NULL);
        cl->args.socket_path = v;
        cl->given |= EVCTL_OPT_CONNECT;
    } else if ((n = evctl_option_is(a, "-f")) || (n = evctl_option_is(a, "--config"))) {
        if ((v = evctl_option_value(argc, argv, i, n)) == NULL || *v == '\0')
            return evctl_usage("-f needs a config file", NULL);
        cl->args.config_file = v;
        cl->given |= EVCTL_OPT_CONNECT;
    } else if ((n = evctl_option_is(a, "--timeout"))) {
        v = evctl_option_value(argc, argv, i, n);
        if (v == NULL || evctl_parse_timeout(v, &cl->args.timeout_ms) != 0)
            return evctl_usage("--timeout needs seconds (0: no limit), not", v ? v : "");
        cl->given |= EVCTL_OPT_CONNECT;
    } else if ((n = evctl_option_is(a, "--drain-timeout"))) {
        v = evctl_option_value(argc, argv, i, n);
        if (v == NULL || evctl_parse_seconds(v, &cl->args.drain_seconds) != 0)
            return evctl_usage("--drain-timeout needs whole seconds, not", v ? v : "");
        cl->given |= EVCTL_OPT_DRAIN;
    } else {
        return evctl_usage("unknown option", a);
    }
    return 0;
}

static int
evctl_parse(evctl_cmdline_t *cl, int argc, char **argv)
{
    int options_done = 0;
    int i, rc;

    memset(cl, 0, sizeof(*cl));
    cl->args.timeout_ms = -1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            if ((rc = evctl_parse_option(cl, argc, argv, &i)) != 0)
                return rc;
        } else if (cl->command == NULL) {
            cl->command = a;
        } else if (strcmp(cl->command, "help") == 0 && cl->args.topic == NULL) {
            cl->args.topic = a;
        } else {
            return evctl_usage("unexpected argument", a);
        }
    }
    if (cl->args.socket_path != NULL && cl->args.config_file != NULL)
        return evctl_usage("give -s or -f, not both", NULL);
    return 0;
}

int
main(int argc, char **argv)
{
    evctl_cmdline_t cl;
    const evctl_cmd_t *cmd = NULL;
    unsigned bad;
    int code = evctl_parse(&cl, argc, argv);

    if (code != 0)
        return code;
    if (cl.command != NULL && (cmd = evctl_find_command(cl.command)) == NULL)
        return evctl_usage("unknown command", cl.command);
    if (cl.help) {
        evctl_print_help(cmd == &evctl_cmd_help ? NULL : cmd);
        return EVCTL_EXIT_OK;
    }
    if (cmd == NULL)
        return evctl_usage("no command given", NULL);
    if ((bad = cl.given & ~cmd->options) != 0)
        return evctl_usage(bad & EVCTL_OPT_WAIT    ? "--wait does not apply to"
                           : bad & EVCTL_OPT_DRAIN ? "--drain-timeout does not apply to"
                                                   : "-s, -f and --timeout do not apply to",
                           cmd->name);
    code = cmd->handler(cmd, &cl.args);
    if (fflush(stdout) != 0 && code == EVCTL_EXIT_OK) {
        fprintf(stderr, "evctl: write standard output: %s\n", strerror(errno));
        code = EVCTL_EXIT_FAIL;
    }
    return code;
}
