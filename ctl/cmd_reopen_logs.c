/*
 * cmd_reopen_logs.c — `evctl reopen-logs`: the daemon reopens ErrorLog and every
 * CustomLog (after logrotate has moved them) without restarting anything.
 */
#include "evctl.h"

static int
cmd_reopen_logs_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__ReopenLogs r = EVHTTPD__CTL__REOPEN_LOGS__INIT;

    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_REOPEN_LOGS;
    req.reopen_logs = &r;
    return evctl_run_simple(cmd, args, &req, "reopen-logs: done");
}

const evctl_cmd_t evctl_cmd_reopen_logs = {
    .name = "reopen-logs",
    .usage = "[--timeout S]",
    .summary = "reopen the error and access logs (after rotation)",
    .options = EVCTL_OPT_CONNECT,
    .handler = cmd_reopen_logs_exec,
};
