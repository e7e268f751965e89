/*
 * cmd_status.c — `evctl status`: the daemon's snapshot, as a compact table in the
 * manner of `apachectl status` (totals, then one line per child process) or as one
 * JSON object whose field names evctl(8) documents.
 *
 * The totals come from the daemon, not from adding up the process lines: the daemon
 * may count things (its own connections, children that just exited) that no line
 * shows, and evctl should not second-guess it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "evctl.h"

/* "3d 4h 5m 6s", leading zero units left out. */
static void
cmd_status_uptime(char *buf, size_t size, uint64_t s)
{
    uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

    if (d > 0)
        snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", d, h, m, s % 60);
    else if (h > 0)
        snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m, s % 60);
    else if (m > 0)
        snprintf(buf, size, "%" PRIu64 "m %" PRIu64 "s", m, s % 60);
    else
        snprintf(buf, size, "%" PRIu64 "s", s);
}

/* "512 B", "1.5 KiB", "12.3 MiB", ... */
static void
cmd_status_bytes(char *buf, size_t size, uint64_t n)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)n;
    int u = -1;

    if (n < 1024) {
        snprintf(buf, size, "%" PRIu64 " B", n);
        return;
    }
    do {
        v /= 1024.0;
        u++;
    } while (v >= 1024.0 && u < 5);
    snprintf(buf, size, "%.1f %s", v, units[u]);
}

static void
cmd_status_print(const Evhttpd__Ctl__StatusSnapshot *s)
{
    char up[64], bytes[32];
    size_t i;

    cmd_status_uptime(up, sizeof(up), s->uptime_seconds);
    cmd_status_bytes(bytes, sizeof(bytes), s->bytes);
    printf("%s  parent pid %" PRId32 "  generation %" PRIu32 "  up %s%s\n", s->server_version,
           s->parent_pid, s->generation, up,
           s->restarting ? "  (restarting: an old generation is draining)" : "");
    printf("requests:    %" PRIu64 " (%s sent)\n", s->requests, bytes);
    printf("workers:     %" PRIu32 " busy, %" PRIu32 " idle\n", s->busy_workers, s->idle_workers);
    printf("connections: %" PRIu64 " total, %" PRIu64 " keepalive, %" PRIu64 " writing, %" PRIu64
           " closing\n",
           s->connections, s->keepalive, s->writing, s->closing);
    if (s->n_processes == 0)
        return;
    printf("\n%4s %8s %5s %-9s %3s %5s %5s %6s %6s %6s %6s %10s %10s\n", "SLOT", "PID", "GEN",
           "STATE", "ACC", "BUSY", "IDLE", "CONNS", "KA", "WRITE", "CLOSE", "REQUESTS", "BYTES");
    for (i = 0; i < s->n_processes; i++) {
        const Evhttpd__Ctl__ProcessInfo *p = s->processes[i];

        cmd_status_bytes(bytes, sizeof(bytes), p->bytes);
        printf("%4" PRIu32 " %8" PRId32 " %5" PRIu32 " %-9s %3s %5" PRIu32 " %5" PRIu32 " %6" PRIu64
               " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %10" PRIu64 " %10s\n",
               p->slot, p->pid, p->generation, p->state[0] ? p->state : "-",
               p->accepting ? "yes" : "no", p->busy_workers, p->idle_workers, p->connections,
               p->keepalive, p->writing, p->closing, p->requests, bytes);
    }
}

static void
cmd_status_process_json(json_t *j, const Evhttpd__Ctl__ProcessInfo *p)
{
    json_object_begin(j, NULL);
    json_int(j, "pid", p->pid);
    json_uint(j, "slot", p->slot);
    json_uint(j, "generation", p->generation);
    json_string(j, "state", p->state);
    json_bool(j, "accepting", p->accepting);
    json_bool(j, "quiescing", p->quiescing);
    json_uint(j, "connections", p->connections);
    json_uint(j, "keepalive", p->keepalive);
    json_uint(j, "writing", p->writing);
    json_uint(j, "closing", p->closing);
    json_uint(j, "workers_busy", p->busy_workers);
    json_uint(j, "workers_idle", p->idle_workers);
    json_uint(j, "requests", p->requests);
    json_uint(j, "bytes", p->bytes);
    json_object_end(j);
}

static void
cmd_status_json(json_t *j, const Evhttpd__Ctl__StatusSnapshot *s)
{
    size_t i;

    json_string(j, "server_version", s->server_version);
    json_int(j, "parent_pid", s->parent_pid);
    json_uint(j, "generation", s->generation);
    json_uint(j, "uptime_seconds", s->uptime_seconds);
    json_bool(j, "restarting", s->restarting);
    json_uint(j, "server_limit", s->server_limit);
    json_uint(j, "thread_limit", s->thread_limit);
    json_uint(j, "requests", s->requests);
    json_uint(j, "bytes", s->bytes);
    json_object_begin(j, "workers");
    json_uint(j, "busy", s->busy_workers);
    json_uint(j, "idle", s->idle_workers);
    json_object_end(j);
    json_object_begin(j, "connections");
    json_uint(j, "total", s->connections);
    json_uint(j, "keepalive", s->keepalive);
    json_uint(j, "writing", s->writing);
    json_uint(j, "closing", s->closing);
    json_object_end(j);
    json_array_begin(j, "processes");
    for (i = 0; i < s->n_processes; i++)
        cmd_status_process_json(j, s->processes[i]);
    json_array_end(j);
}

static int
cmd_status_exec(const evctl_cmd_t *cmd, const evctl_args_t *args)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__Status st = EVHTTPD__CTL__STATUS__INIT;
    Evhttpd__Ctl__Reply *reply;
    json_t j;
    int code;

    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_STATUS;
    req.status = &st;
    code = evctl_call(args, &req, &reply);
    if (code != EVCTL_EXIT_OK)
        return code;
    code = evctl_reply_exit(cmd, reply);
    if (code == EVCTL_EXIT_OK && reply->snapshot == NULL) {
        fprintf(stderr, "evctl: status: the daemon's reply holds no status\n");
        code = EVCTL_EXIT_FAIL;
    } else if (args->json) {
        evctl_json_begin(&j, cmd, reply);
        if (reply->snapshot != NULL)
            cmd_status_json(&j, reply->snapshot);
        code = evctl_json_end(&j, code);
    } else if (code == EVCTL_EXIT_OK) {
        cmd_status_print(reply->snapshot);
    }
    evhttpd__ctl__reply__free_unpacked(reply, NULL);
    return code;
}

const evctl_cmd_t evctl_cmd_status = {
    .name = "status",
    .usage = "[--timeout S]",
    .summary = "generation, uptime, workers, connections, one line per process",
    .options = EVCTL_OPT_CONNECT,
    .handler = cmd_status_exec,
};
