/*
 * cmd_stop.c — `evctl stop`: the daemon stops its children at once and exits. The
 * reply comes when the stop has begun, not when the daemon is gone.
 */
#include "evctl.h"

static int
cmd_stop_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__Stop s = EVHTTPD__CTL__STOP__INIT;

    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_STOP;
    req.stop = &s;
    return evctl_run_simple(cmd, args, &req, "stop: begun");
}

const evctl_cmd_t evctl_cmd_stop = {
    .name = "stop",
    .usage = "[--timeout S]",
    .summary = "stop at once: close every connection and exit",
    .options = EVCTL_OPT_CONNECT,
    .handler = cmd_stop_exec,
};
