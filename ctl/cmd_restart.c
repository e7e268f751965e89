/*
 * cmd_restart.c — `evctl restart`: a hard restart. The daemon stops its children at
 * once (open connections are closed) and starts a new generation with the re-read
 * configuration. Needed when ServerLimit or ThreadLimit change.
 */
#include "evctl.h"
#include "restart_report.h"

static int
cmd_restart_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__Restart r = EVHTTPD__CTL__RESTART__INIT;
    Evhttpd__Ctl__Reply *reply;
    json_t j;
    int code;

    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_RESTART;
    req.restart = &r;
    code = evctl_call(args, &req, &reply);
    if (code != EVCTL_EXIT_OK)
        return code;
    /* the new configuration's errors or warnings: diagnostics here, so on stderr */
    if (!args->json)
        evctl_print_messages(stderr, reply);
    code = evctl_reply_exit(cmd, reply);
    if (args->json) {
        evctl_json_begin(&j, cmd, reply);
        restart_report_json(&j, reply);
        evctl_json_messages(&j, reply);
        code = evctl_json_end(&j, code);
    } else if (code == EVCTL_EXIT_OK) {
        restart_report_print(RESTART_REPORT_HARD, reply);
    }
    evhttpd__ctl__reply__free_unpacked(reply, NULL);
    return code;
}

const evctl_cmd_t evctl_cmd_restart = {
    .name = "restart",
    .usage = "[--timeout S]",
    .summary = "hard restart: stop the children at once, start a new generation",
    .options = EVCTL_OPT_CONNECT,
    .handler = cmd_restart_exec,
};
