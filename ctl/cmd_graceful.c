/*
 * cmd_graceful.c — `evctl graceful` and `evctl graceful-stop`: the daemon re-reads its
 * configuration and starts a new generation while the old one drains (graceful), or
 * lets every child drain and exits (graceful-stop).
 *
 * Both take --wait (the daemon replies only when the old generation has drained, which
 * is what systemd's ExecReload needs; evctl then waits without limit unless --timeout
 * is given) and --drain-timeout (sent to the daemon: the bound on the drain, instead of
 * GracefulRestartTimeout). A drain that overran is reported by the daemon as an error.
 */
#include <stdio.h>

#include "evctl.h"
#include "restart_report.h"

static int
cmd_graceful_finish(const evctl_cmd_t *cmd, const evctl_args_t *args, Evhttpd__Ctl__Request *req,
                    restart_report_kind_t kind)
{
    Evhttpd__Ctl__Reply *reply;
    json_t j;
    int code = evctl_call(args, req, &reply);

    if (code != EVCTL_EXIT_OK)
        return code;
    /* the new configuration's errors or warnings: diagnostics here, so on stderr */
    if (!args->json)
        evctl_print_messages(stderr, reply);
    code = evctl_reply_exit(cmd, reply);
    if (args->json) {
        evctl_json_begin(&j, cmd, reply);
        json_bool(&j, "wait", args->wait);
        restart_report_json(&j, reply);
        evctl_json_messages(&j, reply);
        code = evctl_json_end(&j, code);
    } else if (code == EVCTL_EXIT_OK || reply->restart != NULL) {
        restart_report_print(kind, reply);
    }
    evhttpd__ctl__reply__free_unpacked(reply, NULL);
    return code;
}

static int
cmd_graceful_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__Graceful g = EVHTTPD__CTL__GRACEFUL__INIT;

    g.wait = args->wait;
    g.timeout_seconds = args->drain_seconds;
    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL;
    req.graceful = &g;
    return cmd_graceful_finish(cmd, args, &req,
                               args->wait ? RESTART_REPORT_GRACEFUL_DONE : RESTART_REPORT_GRACEFUL);
}

static int
cmd_graceful_stop_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__GracefulStop g = EVHTTPD__CTL__GRACEFUL_STOP__INIT;

    g.wait = args->wait;
    g.timeout_seconds = args->drain_seconds;
    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL_STOP;
    req.graceful_stop = &g;
    return cmd_graceful_finish(cmd, args, &req,
                               args->wait ? RESTART_REPORT_STOP_DONE : RESTART_REPORT_STOP);
}

const evctl_cmd_t evctl_cmd_graceful = {
    .name = "graceful",
    .usage = "[--wait] [--timeout S] [--drain-timeout S]",
    .summary = "reload the configuration: start a new generation, drain the old one",
    .options = EVCTL_OPT_CONNECT | EVCTL_OPT_WAIT | EVCTL_OPT_DRAIN,
    .handler = cmd_graceful_exec,
};

const evctl_cmd_t evctl_cmd_graceful_stop = {
    .name = "graceful-stop",
    .usage = "[--wait] [--timeout S] [--drain-timeout S]",
    .summary = "stop accepting, let the children drain, then exit",
    .options = EVCTL_OPT_CONNECT | EVCTL_OPT_WAIT | EVCTL_OPT_DRAIN,
    .handler = cmd_graceful_stop_exec,
};
