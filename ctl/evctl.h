/*
 * evctl.h — what evctl's command files share: the exit codes, the parsed command line,
 * the command descriptor (tmux style: one file per command, each exporting a table
 * entry) and the helpers every command uses to talk to the daemon and print.
 *
 * evctl is single-threaded; nothing here is thread-safe or needs to be.
 */
#ifndef EV_EVCTL_H
#define EV_EVCTL_H

#include <stdint.h>
#include <stdio.h>

#include "evctl.pb-c.h"
#include "json.h"

/* Exit codes (documented in evctl(8) and `evctl --help`). */
enum {
    EVCTL_EXIT_OK = 0,          /* done */
    EVCTL_EXIT_FAIL = 1,        /* refused or failed, broken config, --timeout expired */
    EVCTL_EXIT_USAGE = 2,       /* bad command line */
    EVCTL_EXIT_UNREACHABLE = 3, /* no daemon behind the socket (ENOENT, ECONNREFUSED) */
    EVCTL_EXIT_DENIED = 4       /* EACCES/EPERM on connect, or STATUS_DENIED */
};

/* Options a command accepts besides the global ones (bits of evctl_cmd_t.options). */
#define EVCTL_OPT_WAIT    0x1u /* --wait */
#define EVCTL_OPT_DRAIN   0x2u /* --drain-timeout S */
#define EVCTL_OPT_CONNECT 0x4u /* talks to the daemon: -s, -f and --timeout apply */

#define EVCTL_DEFAULT_TIMEOUT_MS 30000 /* --timeout when neither given nor --wait */

/* The command line, parsed. Strings point into argv. */
typedef struct {
    const char *socket_path; /* -s SOCKET, or NULL */
    const char *config_file; /* -f CONFIG, or NULL (then the default config) */
    int json;                /* --json */
    int wait;                /* --wait */
    long timeout_ms;         /* --timeout S in ms; -1 when not given, 0 for no limit */
    uint32_t drain_seconds;  /* --drain-timeout S, sent to the daemon; 0 when not given */
    const char *topic;       /* `evctl help COMMAND`: the command asked about, or NULL */
} evctl_args_t;

typedef struct evctl_cmd evctl_cmd_t;

/* One command. The handler builds the request, calls evctl_call and prints; it returns
 * an exit code. */
struct evctl_cmd {
    const char *name;    /* as typed: "graceful-stop" */
    const char *usage;   /* its options, for help: "[--wait] [--timeout S]" */
    const char *summary; /* one line for help */
    unsigned options;    /* EVCTL_OPT_* it accepts */
    int (*handler)(const evctl_cmd_t *cmd, const evctl_args_t *args);
};

/* The commands, one per cmd_*.c file (graceful and graceful-stop share one). */
extern const evctl_cmd_t evctl_cmd_status;
extern const evctl_cmd_t evctl_cmd_graceful;
extern const evctl_cmd_t evctl_cmd_graceful_stop;
extern const evctl_cmd_t evctl_cmd_stop;
extern const evctl_cmd_t evctl_cmd_restart;
extern const evctl_cmd_t evctl_cmd_configtest;
extern const evctl_cmd_t evctl_cmd_reopen_logs;
extern const evctl_cmd_t evctl_cmd_version;
extern const evctl_cmd_t evctl_cmd_help;

/* evctl_commands: the NULL-terminated table, in the order help lists them. */
extern const evctl_cmd_t *const evctl_commands[];

/* evctl_find_command: the command named `name`, or NULL. */
const evctl_cmd_t *evctl_find_command(const char *name);

/* evctl_print_help: the full help (commands, options, exit codes) to stdout, or one
 * command's usage when `cmd` is not NULL. */
void evctl_print_help(const evctl_cmd_t *cmd);

/*
 * evctl_call: send `req` (its version is filled in here) to the daemon named by `args`
 * and wait for the reply within the timeout. On success returns EVCTL_EXIT_OK with
 * *reply set (unpacked with protobuf-c's default allocator; free it with
 * evhttpd__ctl__reply__free_unpacked). Otherwise prints one line to stderr and returns
 * the exit code (UNREACHABLE, DENIED, FAIL); *reply is NULL. A reply whose status is not
 * OK is still a success here: evctl_reply_exit maps it.
 */
int evctl_call(const evctl_args_t *args, Evhttpd__Ctl__Request *req, Evhttpd__Ctl__Reply **reply);

/* evctl_status_name: "ok", "error", "bad_request", "bad_version", "denied", "busy"
 * (static strings; "error" for a value this evctl does not know). */
const char *evctl_status_name(Evhttpd__Ctl__ReplyStatus status);

/* evctl_reply_exit: the exit code for a reply's status; for one that is not OK, also
 * prints "evctl: COMMAND: STATUS: MESSAGE" to stderr. */
int evctl_reply_exit(const evctl_cmd_t *cmd, const Evhttpd__Ctl__Reply *reply);

/* evctl_json_begin: start the one JSON object of a reply: "command", "status",
 * "message". The caller adds its fields and calls evctl_json_end. */
void evctl_json_begin(json_t *j, const evctl_cmd_t *cmd, const Evhttpd__Ctl__Reply *reply);

/* evctl_json_end: close the object and print the newline; returns `code`, or FAIL when
 * stdout could not be written. */
int evctl_json_end(json_t *j, int code);

/* evctl_json_messages: the reply's config_messages as the member "messages" (an
 * array of strings, possibly empty). */
void evctl_json_messages(json_t *j, const Evhttpd__Ctl__Reply *reply);

/* evctl_print_messages: the reply's config_messages, one per line, to `out`. */
void evctl_print_messages(FILE *out, const Evhttpd__Ctl__Reply *reply);

/* evctl_run_simple: the whole of a command whose request has no fields and whose
 * reply carries only status and message (stop, reopen-logs): prints `done` (or the
 * daemon's message) on success. */
int evctl_run_simple(const evctl_cmd_t *cmd, const evctl_args_t *args, Evhttpd__Ctl__Request *req,
                     const char *done);

#endif
