/*
 * restart_report.h — how evctl prints the RestartReport that graceful, graceful-stop
 * and restart get back: one human line, or the report's fields in the JSON object.
 * Prints to stdout; single-threaded.
 */
#ifndef EV_RESTART_REPORT_H
#define EV_RESTART_REPORT_H

#include "evctl.h"

/* restart_report_json: old_generation, new_generation, children_drained, seconds and
 * connections_closed_early as members of the open object; null each when the reply
 * carries no report, so the set of fields never changes. */
void restart_report_json(json_t *j, const Evhttpd__Ctl__Reply *reply);

/* What the reply answers, for the human line. */
typedef enum {
    RESTART_REPORT_GRACEFUL,      /* graceful: the new generation has started */
    RESTART_REPORT_GRACEFUL_DONE, /* graceful --wait: and the old one has drained */
    RESTART_REPORT_STOP,          /* graceful-stop: the drain has begun */
    RESTART_REPORT_STOP_DONE,     /* graceful-stop --wait: and has finished */
    RESTART_REPORT_HARD           /* restart: old children stopped, new generation started */
} restart_report_kind_t;

/* restart_report_print: one line to stdout saying what happened, or the daemon's
 * message when the reply carries no report. */
void restart_report_print(restart_report_kind_t kind, const Evhttpd__Ctl__Reply *reply);

#endif
