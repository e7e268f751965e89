/*
 * sbdump — print a scoreboard as plain lines, for the integration tests.
 *
 *   sbdump SCOREBOARD
 *   header generation=G server_limit=S thread_limit=T version=V
 *   proc slot=N pid=P gen=G quiescing=Q not_accepting=A connections=C keepalive=K writing=W
 *        closing=L requests=R bytes=B accepted=X threads=T consistent=1 states=_RW...
 * Only slots with a pid are printed. Exit 1 with a message if the file cannot be
 * attached.
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>

#include "scoreboard.h"

static void
dump_slot(sb_t *sb, unsigned slot)
{
    sb_process_snap_t ps;
    char states[1024];
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
        states[t] = sb_snapshot_worker(sb, slot, t, &ws) == APR_SUCCESS ? (char)ws.state : '?';
    }
    states[n] = '\0';
    printf("proc slot=%u pid=%d gen=%u quiescing=%d not_accepting=%d connections=%lld "
           "keepalive=%lld writing=%lld closing=%lld requests=%llu bytes=%llu accepted=%llu "
           "threads=%d consistent=%d states=%s\n",
           slot, ps.pid, ps.generation, ps.quiescing, ps.not_accepting, (long long)ps.connections,
           (long long)ps.keepalive, (long long)ps.writing, (long long)ps.closing,
           (unsigned long long)ps.requests, (unsigned long long)ps.bytes,
           (unsigned long long)ps.accepted, ps.threads, ps.consistent, states);
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
    printf("header generation=%u server_limit=%u thread_limit=%u\n",
           (unsigned)atomic_load(&sb_header(sb)->generation), sb_server_limit(sb),
           sb_thread_limit(sb));
    for (slot = 0; slot < sb_server_limit(sb); slot++)
        dump_slot(sb, slot);
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
