/*
 * cmd_version.c — `evctl version`: evctl's own version and the daemon's. When the daemon
 * cannot be asked, evctl's version is still printed and the exit code says why the
 * daemon's is missing (3 when it is not running).
 */
#include "autoconfig.h"

#include <stdio.h>

#include "evctl.h"

#define CMD_VERSION_SELF "evctl/" PACKAGE_VERSION

/* The daemon's version: the snapshot's server_version, else the reply's message. */
static const char *
cmd_version_of(const Evhttpd__Ctl__Reply *reply)
{
    if (reply->snapshot != NULL && reply->snapshot->server_version[0] != '\0')
        return reply->snapshot->server_version;
    return reply->message[0] != '\0' ? reply->message : NULL;
}

static int
cmd_version_unreached(int code, const evctl_args_t *args)
{
    json_t j;

    if (!args->json) {
        printf("client: %s\n", CMD_VERSION_SELF);
        return code;
    }
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_string(&j, "command", "version");
    json_string(&j, "status",
                code == EVCTL_EXIT_UNREACHABLE ? "unreachable"
                : code == EVCTL_EXIT_DENIED    ? "denied"
                                               : "error");
    json_string(&j, "message", "");
    json_string(&j, "evctl_version", CMD_VERSION_SELF);
    json_null(&j, "server_version");
    return evctl_json_end(&j, code);
}

static int
cmd_version_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__Version v = EVHTTPD__CTL__VERSION__INIT;
    Evhttpd__Ctl__Reply *reply;
    const char *server;
    json_t j;
    int code;

    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_VERSION_CMD;
    req.version_cmd = &v;
    code = evctl_call(args, &req, &reply);
    if (code != EVCTL_EXIT_OK)
        return cmd_version_unreached(code, args);
    code = evctl_reply_exit(cmd, reply);
    server = code == EVCTL_EXIT_OK ? cmd_version_of(reply) : NULL;
    if (args->json) {
        evctl_json_begin(&j, cmd, reply);
        json_string(&j, "evctl_version", CMD_VERSION_SELF);
        json_string(&j, "server_version", server);
        code = evctl_json_end(&j, code);
    } else {
        printf("client: %s\n", CMD_VERSION_SELF);
        if (server != NULL)
            printf("server: %s\n", server);
    }
    evhttpd__ctl__reply__free_unpacked(reply, NULL);
    return code;
}

const evctl_cmd_t evctl_cmd_version = {
    .name = "version",
    .usage = "[--timeout S]",
    .summary = "print evctl's version and the daemon's",
    .options = EVCTL_OPT_CONNECT,
    .handler = cmd_version_exec,
};
