/*
 * cmd_configtest.c — `evctl configtest`: the daemon parses the configuration a restart
 * would load and reports every error and warning, changing nothing. Asking the daemon
 * (rather than parsing here) checks the file it will really load, with its own -C/-c
 * directives, with its permissions.
 */
#include <stdio.h>

#include "evctl.h"

static int
cmd_configtest_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__ConfigTest t = EVHTTPD__CTL__CONFIG_TEST__INIT;
    Evhttpd__Ctl__Reply *reply;
    json_t j;
    int code;

    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_CONFIGTEST;
    req.configtest = &t;
    code = evctl_call(args, &req, &reply);
    if (code != EVCTL_EXIT_OK)
        return code;
    if (args->json) {
        code = evctl_reply_exit(cmd, reply);
        evctl_json_begin(&j, cmd, reply);
        evctl_json_messages(&j, reply);
        code = evctl_json_end(&j, code);
    } else {
        /* the file's own messages are this command's output, as `evhttpd -t` prints
         * them, and come before the verdict */
        evctl_print_messages(stdout, reply);
        code = evctl_reply_exit(cmd, reply);
        if (code == EVCTL_EXIT_OK)
            puts("Syntax OK");
    }
    evhttpd__ctl__reply__free_unpacked(reply, NULL);
    return code;
}

const evctl_cmd_t evctl_cmd_configtest = {
    .name = "configtest",
    .usage = "[--timeout S]",
    .summary = "check the configuration file the daemon would reload",
    .options = EVCTL_OPT_CONNECT,
    .handler = cmd_configtest_exec,
};
