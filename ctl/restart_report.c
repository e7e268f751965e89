/*
 * restart_report.c — printing a RestartReport (see restart_report.h).
 *
 * The human line differs with --wait because the numbers mean different things: after
 * a drain they are final; without --wait the old generation is still draining and
 * only the generations are worth saying. The JSON fields never change with the kind:
 * scripts read the numbers and know what they asked for.
 */
#include "restart_report.h"

#include <inttypes.h>
#include <stdio.h>

void
restart_report_json(json_t *j, const Evhttpd__Ctl__Reply *reply)
{
    const Evhttpd__Ctl__RestartReport *rr = reply->restart;

    if (rr == NULL) {
        json_null(j, "old_generation");
        json_null(j, "new_generation");
        json_null(j, "children_drained");
        json_null(j, "seconds");
        json_null(j, "connections_closed_early");
        return;
    }
    json_uint(j, "old_generation", rr->old_generation);
    json_uint(j, "new_generation", rr->new_generation);
    json_uint(j, "children_drained", rr->children_drained);
    json_double(j, "seconds", rr->seconds);
    json_uint(j, "connections_closed_early", rr->connections_closed_early);
}

static const char *
restart_report_what(restart_report_kind_t kind)
{
    switch (kind) {
    case RESTART_REPORT_GRACEFUL:
    case RESTART_REPORT_GRACEFUL_DONE:
        return "graceful restart";
    case RESTART_REPORT_STOP:
    case RESTART_REPORT_STOP_DONE:
        return "graceful stop";
    default:
        return "restart";
    }
}

void
restart_report_print(restart_report_kind_t kind, const Evhttpd__Ctl__Reply *reply)
{
    const Evhttpd__Ctl__RestartReport *rr = reply->restart;

    if (rr == NULL) {
        /* the daemon's message says it all; it names the action itself */
        if (reply->message[0] != '\0')
            puts(reply->message);
        else
            printf("%s: done\n", restart_report_what(kind));
        return;
    }
    printf("%s: ", restart_report_what(kind));
    switch (kind) {
    case RESTART_REPORT_STOP:
        printf("generation %" PRIu32 " draining", rr->old_generation);
        break;
    case RESTART_REPORT_STOP_DONE:
        printf("generation %" PRIu32 " drained, %" PRIu32 " children in %.1f s", rr->old_generation,
               rr->children_drained, rr->seconds);
        break;
    case RESTART_REPORT_GRACEFUL:
        printf("generation %" PRIu32 " -> %" PRIu32 ", generation %" PRIu32 " draining",
               rr->old_generation, rr->new_generation, rr->old_generation);
        break;
    case RESTART_REPORT_GRACEFUL_DONE:
        printf("generation %" PRIu32 " -> %" PRIu32 ", %" PRIu32 " children drained in %.1f s",
               rr->old_generation, rr->new_generation, rr->children_drained, rr->seconds);
        break;
    default:
        printf("generation %" PRIu32 " -> %" PRIu32, rr->old_generation, rr->new_generation);
        break;
    }
    if (rr->connections_closed_early > 0)
        printf(", %" PRIu64 " connections closed early", rr->connections_closed_early);
    putchar('\n');
}
