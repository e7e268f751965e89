/*
 * cmd_help.c — `evctl help [COMMAND]` and `evctl --help`: the commands from the
 * descriptor table, the options and the exit codes, so the help can never list a
 * command that does not exist.
 */
#include <stdio.h>

#include "evctl.h"
#include "sockpath.h"

static void
cmd_help_commands(void)
{
    const evctl_cmd_t *const *c;

    puts("Commands:");
    for (c = evctl_commands; *c != NULL; c++)
        printf("  %-14s %s\n                 %s\n", (*c)->name, (*c)->summary, (*c)->usage);
}

void
evctl_print_help(const evctl_cmd_t *cmd)
{
    if (cmd != NULL) {
        printf("usage: evctl [-s SOCKET | -f CONFIG] [--json] %s %s\n  %s\n", cmd->name, cmd->usage,
               cmd->summary);
        return;
    }
    puts("usage: evctl [-s SOCKET | -f CONFIG] [--json] [--timeout S] COMMAND [OPTIONS]\n"
         "\n"
         "Control a running evhttpd through its control socket.\n");
    cmd_help_commands();
    printf("\nOptions (before or after the command):\n"
           "  -s SOCKET          the control socket to use\n"
           "  -f CONFIG          read ControlSocket from CONFIG (default: %s)\n"
           "  --json             print one JSON object (fields: evctl(8))\n"
           "  --timeout S        wait at most S seconds for the reply (default 30,\n"
           "                     no limit with --wait; 0: no limit)\n"
           "  --wait             graceful, graceful-stop: reply when the old generation\n"
           "                     has drained\n"
           "  --drain-timeout S  graceful, graceful-stop: the daemon bounds the drain to\n"
           "                     S seconds (default: GracefulRestartTimeout)\n"
           "  -h, --help         this help\n"
           "\n"
           "Exit status:\n"
           "  0  done\n"
           "  1  refused or failed (also a broken config or an expired --timeout)\n"
           "  2  usage error\n"
           "  3  the daemon is not reachable (no socket, or nobody listening)\n"
           "  4  permission denied\n",
           SOCKPATH_DEFAULT_CONFIG);
}

static int
cmd_help_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    const evctl_cmd_t *topic = NULL;

    if (args->topic != NULL) {
        topic = evctl_find_command(args->topic);
        if (topic == NULL) {
            fprintf(stderr, "evctl: help: unknown command '%s'\n", args->topic);
            return EVCTL_EXIT_USAGE;
        }
    }
    evctl_print_help(topic);
    return EVCTL_EXIT_OK;
}

const evctl_cmd_t evctl_cmd_help = {
    .name = "help",
    .usage = "[COMMAND]",
    .summary = "list the commands, options and exit codes",
    .options = 0,
    .handler = cmd_help_exec,
};
