/*
 * exchange.c — the part of every evctl command that talks to the daemon: find the
 * socket, frame the request, run the exchange under the timeout, unpack the reply,
 * and turn each way of failing into one stderr line and an exit code.
 *
 * Messages name the step and the socket, as `evctl: connect /run/evhttpd/ctl.sock:
 * Permission denied`, so an operator sees at once which socket evctl used (it may
 * have come from a config file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "client.h"
#include "ctlframe.h"
#include "evctl.h"
#include "sockpath.h"

/* The timeout in force: --timeout, else none with --wait, else the default. */
static long
exchange_timeout_ms(const evctl_args_t *args)
{
    if (args->timeout_ms >= 0)
        return args->timeout_ms;
    return args->wait ? 0 : EVCTL_DEFAULT_TIMEOUT_MS;
}

/* Pack and frame the request; NULL (errno set) on failure. */
static uint8_t *
exchange_frame(Evhttpd__Ctl__Request *req, size_t *frame_len)
{
    size_t len = evhttpd__ctl__request__get_packed_size(req);
    uint8_t *packed = malloc(len ? len : 1);
    uint8_t *frame;

    if (packed == NULL)
        return NULL;
    evhttpd__ctl__request__pack(req, packed);
    frame = ctlframe_encode(packed, len, frame_len);
    free(packed);
    return frame;
}

/* One stderr line for a failed exchange; returns the exit code. */
static int
exchange_failed(client_result_t rc, const char *step, int err, const char *path,
                const ctlframe_reader_t *r, long timeout_ms)
{
    switch (rc) {
    case CLIENT_CONNECT:
        fprintf(stderr, "evctl: connect %s: %s\n", path, strerror(err));
        if (err == ENOENT || err == ENOTDIR || err == ECONNREFUSED)
            return EVCTL_EXIT_UNREACHABLE;
        if (err == EACCES || err == EPERM)
            return EVCTL_EXIT_DENIED;
        return EVCTL_EXIT_FAIL;
    case CLIENT_PATH:
        fprintf(stderr, "evctl: connect %s: %s (at most %zu bytes)\n", path, strerror(err),
                sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return EVCTL_EXIT_FAIL;
    case CLIENT_SOCKET:
        fprintf(stderr, "evctl: socket: %s\n", strerror(err));
        return EVCTL_EXIT_FAIL;
    case CLIENT_EOF:
        fprintf(stderr, "evctl: read %s: the daemon closed the connection without a reply\n", path);
        return EVCTL_EXIT_FAIL;
    case CLIENT_TOOBIG:
        fprintf(stderr, "evctl: read %s: reply of %zu bytes refused (the limit is %d)\n", path,
                r->body_len, CTLFRAME_MAX_REPLY);
        return EVCTL_EXIT_FAIL;
    case CLIENT_TIMEOUT:
        fprintf(stderr, "evctl: %s %s: no reply within %g s (--timeout)\n", step, path,
                (double)timeout_ms / 1000.0);
        return EVCTL_EXIT_FAIL;
    default:
        fprintf(stderr, "evctl: %s %s: %s\n", step, path, strerror(err));
        return EVCTL_EXIT_FAIL;
    }
}

/* Unpack the reply; prints and returns FAIL when it is not a reply evctl can read. */
static int
exchange_unpack(ctlframe_reader_t *r, const char *path, Evhttpd__Ctl__Reply **reply)
{
    Evhttpd__Ctl__Reply *rep = evhttpd__ctl__reply__unpack(NULL, r->body_len, r->body);

    if (rep == NULL) {
        fprintf(stderr, "evctl: read %s: malformed reply (%zu bytes)\n", path, r->body_len);
        return EVCTL_EXIT_FAIL;
    }
    /* status and message mean the same in every version; the payloads of a success
     * are only understood in ours */
    if (rep->status == EVHTTPD__CTL__REPLY_STATUS__STATUS_OK &&
        rep->version != CTLFRAME_PROTOCOL_VERSION) {
        fprintf(stderr, "evctl: read %s: the daemon speaks control protocol %u, evctl %d\n", path,
                rep->version, CTLFRAME_PROTOCOL_VERSION);
        evhttpd__ctl__reply__free_unpacked(rep, NULL);
        return EVCTL_EXIT_FAIL;
    }
    *reply = rep;
    return EVCTL_EXIT_OK;
}

int
evctl_call(const evctl_args_t *args, Evhttpd__Ctl__Request *req, Evhttpd__Ctl__Reply **reply)
{
    ctlframe_reader_t r;
    client_result_t rc;
    const char *step;
    char *error = NULL;
    char *path;
    uint8_t *frame;
    size_t frame_len;
    long timeout_ms = exchange_timeout_ms(args);
    int err, code;

    *reply = NULL;
    path = sockpath_resolve(args->socket_path, args->config_file, &error);
    if (path == NULL) {
        fprintf(stderr, "evctl: %s\n", error ? error : "out of memory");
        free(error);
        return EVCTL_EXIT_FAIL;
    }
    req->version = CTLFRAME_PROTOCOL_VERSION;
    frame = exchange_frame(req, &frame_len);
    if (frame == NULL) {
        fprintf(stderr, "evctl: cannot build the request: %s\n", strerror(errno));
        free(path);
        return EVCTL_EXIT_FAIL;
    }
    ctlframe_reader_init(&r, CTLFRAME_MAX_REPLY);
    rc = client_exchange(path, frame, frame_len, timeout_ms, &r, &err, &step);
    if (rc == CLIENT_OK)
        code = exchange_unpack(&r, path, reply);
    else
        code = exchange_failed(rc, step, err, path, &r, timeout_ms);
    ctlframe_reader_free(&r);
    free(frame);
    free(path);
    return code;
}

const char *
evctl_status_name(Evhttpd__Ctl__ReplyStatus status)
{
    switch (status) {
    case EVHTTPD__CTL__REPLY_STATUS__STATUS_OK:
        return "ok";
    case EVHTTPD__CTL__REPLY_STATUS__STATUS_BAD_REQUEST:
        return "bad_request";
    case EVHTTPD__CTL__REPLY_STATUS__STATUS_BAD_VERSION:
        return "bad_version";
    case EVHTTPD__CTL__REPLY_STATUS__STATUS_DENIED:
        return "denied";
    case EVHTTPD__CTL__REPLY_STATUS__STATUS_BUSY:
        return "busy";
    default:
        return "error";
    }
}

int
evctl_reply_exit(const evctl_cmd_t *cmd, const Evhttpd__Ctl__Reply *reply)
{
    if (reply->status == EVHTTPD__CTL__REPLY_STATUS__STATUS_OK)
        return EVCTL_EXIT_OK;
    if (reply->message[0] != '\0')
        fprintf(stderr, "evctl: %s: %s: %s\n", cmd->name, evctl_status_name(reply->status),
                reply->message);
    else
        fprintf(stderr, "evctl: %s: %s\n", cmd->name, evctl_status_name(reply->status));
    return reply->status == EVHTTPD__CTL__REPLY_STATUS__STATUS_DENIED ? EVCTL_EXIT_DENIED
                                                                      : EVCTL_EXIT_FAIL;
}

void
evctl_json_begin(json_t *j, const evctl_cmd_t *cmd, const Evhttpd__Ctl__Reply *reply)
{
    json_init(j, stdout);
    json_object_begin(j, NULL);
    json_string(j, "command", cmd->name);
    json_string(j, "status", evctl_status_name(reply->status));
    json_string(j, "message", reply->message);
}

int
evctl_json_end(json_t *j, int code)
{
    json_object_end(j);
    if (json_finish(j) != 0) {
        fprintf(stderr, "evctl: cannot write the JSON object to standard output\n");
        return EVCTL_EXIT_FAIL;
    }
    return code;
}

void
evctl_json_messages(json_t *j, const Evhttpd__Ctl__Reply *reply)
{
    size_t i;

    json_array_begin(j, "messages");
    for (i = 0; i < reply->n_config_messages; i++)
        json_string(j, NULL, reply->config_messages[i]);
    json_array_end(j);
}

void
evctl_print_messages(FILE *out, const Evhttpd__Ctl__Reply *reply)
{
    size_t i;

    for (i = 0; i < reply->n_config_messages; i++)
        fprintf(out, "%s\n", reply->config_messages[i]);
    fflush(out);
}

int
evctl_run_simple(const evctl_cmd_t *cmd, const evctl_args_t *args, Evhttpd__Ctl__Request *req,
                 const char *done)
{
    Evhttpd__Ctl__Reply *reply;
    json_t j;
    int code = evctl_call(args, req, &reply);

    if (code != EVCTL_EXIT_OK)
        return code;
    code = evctl_reply_exit(cmd, reply);
    if (args->json) {
        evctl_json_begin(&j, cmd, reply);
        code = evctl_json_end(&j, code);
    } else if (code == EVCTL_EXIT_OK) {
        puts(reply->message[0] != '\0' ? reply->message : done);
    }
    evhttpd__ctl__reply__free_unpacked(reply, NULL);
    return code;
}
