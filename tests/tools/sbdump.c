/*
 * sbdump — print a scoreboard as plain lines, for the integration tests.
 *
 *   sbdump SCOREBOARD
 *   header generation=G server_limit=S thread_limit=T lame_duck=D
 *   proc slot=N pid=P gen=G quiescing=Q not_accepting=A connections=C keepalive=K writing=W
 *        closing=L requests=R bytes=B accepted=X threads=T consistent=1 states=_RW...
 *        clients=ADDR,ADDR...   (the last client of each worker, each once; "-" for none)
 * Only slots with a pid are printed. Exit 1 with a message if the file cannot be
 * attached.
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>

#include "scoreboard.h"

/* Whether `client` is one of the comma-separated entries of `list`. */
static int
dump_listed(const char *list, const char *client)
{
    size_t n = strlen(client);
    const char *p = list;

    while ((p = strstr(p, client)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

static void
dump_slot(sb_t *sb, unsigned slot)
{
    sb_process_snap_t ps;
    char states[1024], clients[4096] = "";
    size_t used = 0;
    unsigned t, n;

    if (sb_snapshot_process(sb, slot, &ps) != APR_SUCCESS || ps.pid == 0)
        return;
    n = (unsigned)ps.threads;
    if (n > sb_thread_limit(sb))
        n = sb_thread_limit(sb);
    if (n > sizeof(states) - 1)
        n = sizeof(states) - 1;
    for (t = 0; t < n; t++) {
        sb_worker_snap_t ws;
        if (sb_snapshot_worker(sb, slot, t, &ws) != APR_SUCCESS) {
            states[t] = '?';
            continue;
        }
        states[t] = (char)ws.state;
        if (ws.client[0] && !dump_listed(clients, ws.client) &&
            used + strlen(ws.client) + 2 < sizeof(clients))
            used += (size_t)sprintf(clients + used, "%s%s", used ? "," : "", ws.client);
    }
    states[n] = '\0';
    printf("proc slot=%u pid=%d gen=%u quiescing=%d not_accepting=%d connections=%lld "
           "keepalive=%lld writing=%lld closing=%lld requests=%llu bytes=%llu accepted=%llu "
           "threads=%d consistent=%d states=%s clients=%s\n",
           slot, ps.pid, ps.generation, ps.quiescing, ps.not_accepting, (long long)ps.connections,
           (long long)ps.keepalive, (long long)ps.writing, (long long)ps.closing,
           (unsigned long long)ps.requests, (unsigned long long)ps.bytes,
           (unsigned long long)ps.accepted, ps.threads, ps.consistent, states,
           used ? clients : "-");
}

int
main(int argc, char **argv)
{
    apr_pool_t *p;
    sb_t *sb;
    apr_status_t rv;
    unsigned slot;
    char err[128];

    if (argc != 2) {
        fprintf(stderr, "usage: sbdump SCOREBOARD\n");
        return 2;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    rv = sb_attach_readonly(&sb, argv[1], p);
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "sbdump: %s: %s\n", argv[1], apr_strerror(rv, err, sizeof(err)));
        return 1;
    }
    printf("header generation=%u server_limit=%u thread_limit=%u lame_duck=%u\n",
           (unsigned)atomic_load(&sb_header(sb)->generation), sb_server_limit(sb),
           sb_thread_limit(sb), (unsigned)atomic_load(&sb_header(sb)->lame_duck));
    for (slot = 0; slot < sb_server_limit(sb); slot++)
        dump_slot(sb, slot);
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
