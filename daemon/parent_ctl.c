/*
 * parent_ctl.c — what the parent does for each control request.
 *
 * Who: the parent's loop, through ctl_server's handler callback (single thread).
 * Replies and everything they point to are allocated from the request's pool. A
 * `--wait` request is parked on the draining generation (or on the graceful stop) and
 * answered when that ends; a client that leaves first is simply forgotten.
 */
#include "autoconfig.h"

#include <string.h>

#include <apr_strings.h>

#include "ctlframe.h"
#include "parent_priv.h"

/* The scoreboard's view of a child: hints, clamped, for display only. */
static Evhttpd__Ctl__ProcessInfo *
parent_ctl_process(parent_t *P, unsigned slot, apr_pool_t *p)
{
    const parent_slot_t *s = &P->slots[slot];
    Evhttpd__Ctl__ProcessInfo *pi = apr_palloc(p, sizeof(*pi));
    sb_process_snap_t ps;
    int known;

    evhttpd__ctl__process_info__init(pi);
    pi->slot = slot;
    pi->pid = (int32_t)s->pid;
    pi->generation = s->gen->id;
    known = sb_snapshot_process(P->sb, slot, &ps) == APR_SUCCESS && ps.pid == s->pid;
    if (known) {
        pi->quiescing = ps.quiescing;
        pi->accepting = !ps.not_accepting;
        pi->busy_workers = (uint32_t)ps.busy_workers;
        pi->idle_workers = (uint32_t)ps.idle_workers;
        pi->connections = (uint64_t)ps.connections;
        pi->keepalive = (uint64_t)ps.keepalive;
        pi->writing = (uint64_t)ps.writing;
        pi->closing = (uint64_t)ps.closing;
        pi->requests = ps.requests;
        pi->bytes = ps.bytes;
    }
    pi->state = !known                        ? "starting"
                : s->hurried                  ? "stopping"
                : s->gen != P->cur            ? "draining"
                : s->retiring || ps.quiescing ? "retiring"
                                              : "running";
    return pi;
}

static Evhttpd__Ctl__StatusSnapshot *
parent_ctl_snapshot(parent_t *P, apr_pool_t *p)
{
    Evhttpd__Ctl__StatusSnapshot *st = apr_palloc(p, sizeof(*st));
    unsigned i, n = 0;

    evhttpd__ctl__status_snapshot__init(st);
    st->server_version = PACKAGE_NAME "/" PACKAGE_VERSION;
    st->parent_pid = (int32_t)getpid();
    st->generation = P->cur->id;
    st->uptime_seconds = (uint64_t)apr_time_sec(apr_time_now() - P->started);
    st->server_limit = P->nslots;
    st->thread_limit = sb_thread_limit(P->sb);
    st->restarting = P->cur->older != NULL;
    st->processes = apr_pcalloc(p, sizeof(*st->processes) * (P->nslots + 1));
    for (i = 0; i < P->nslots; i++) {
        Evhttpd__Ctl__ProcessInfo *pi;
        if (P->slots[i].pid == 0)
            continue;
        pi = parent_ctl_process(P, i, p);
        st->processes[n++] = pi;
        st->requests += pi->requests;
        st->bytes += pi->bytes;
        st->busy_workers += pi->busy_workers;
        st->idle_workers += pi->idle_workers;
        st->connections += pi->connections;
        st->keepalive += pi->keepalive;
        st->writing += pi->writing;
        st->closing += pi->closing;
    }
    st->n_processes = n;
    return st;
}

static void
parent_ctl_messages(Evhttpd__Ctl__Reply *reply, const apr_array_header_t *msgs)
{
    reply->n_config_messages = (size_t)msgs->nelts;
    reply->config_messages = (char **)msgs->elts;
}

static void
parent_ctl_configtest(parent_t *P, Evhttpd__Ctl__Reply *reply, apr_pool_t *p)
{
    apr_array_header_t *msgs = apr_array_make(p, 4, sizeof(const char *));
    ev_config_t *conf;

    if (config_load(&conf, P->penv->src.config_file, P->penv->src.pre, P->penv->src.post, p,
                    msgs) != APR_SUCCESS) {
        reply->status = EVHTTPD__CTL__REPLY_STATUS__STATUS_ERROR;
        reply->message = "the configuration has errors";
    } else {
        reply->message = "Syntax OK";
    }
    parent_ctl_messages(reply, msgs);
}

static generation_t *
parent_ctl_find_gen(parent_t *P, unsigned id)
{
    generation_t *g;

    for (g = P->cur->older; g; g = g->older)
        if (g->id == id)
            return g;
    return NULL;
}

static int
parent_ctl_graceful(parent_t *P, ctl_client_t *c, int wait, unsigned drain_secs,
                    Evhttpd__Ctl__Reply *reply, apr_pool_t *p)
{
    apr_array_header_t *msgs = apr_array_make(p, 4, sizeof(const char *));
    unsigned old_id = P->cur->id;
    Evhttpd__Ctl__RestartReport *rep;
    generation_t *old;
    const char *why;

    if (parent_graceful(P, msgs, &why, p, apr_time_from_sec(drain_secs)) < 0) {
        reply->status = EVHTTPD__CTL__REPLY_STATUS__STATUS_ERROR;
        reply->message = (char *)why;
        parent_ctl_messages(reply, msgs);
        return 0;
    }
    parent_ctl_messages(reply, msgs); /* warnings */
    old = parent_ctl_find_gen(P, old_id);
    if (old && wait) {
        APR_ARRAY_PUSH(old->waiters, ctl_client_t *) = c;
        return 1;
    }
    rep = apr_palloc(p, sizeof(*rep));
    evhttpd__ctl__restart_report__init(rep);
    rep->old_generation = old_id;
    rep->new_generation = P->cur->id;
    if (old) {
        parent_fill_report(old, rep, apr_time_now());
        reply->message = apr_psprintf(p,
                                      "generation %u serving, generation %u draining %u "
                                      "children",
                                      P->cur->id, old_id, old->live);
    } else {
        reply->message =
            apr_psprintf(p, "generation %u serving, generation %u drained", P->cur->id, old_id);
    }
    reply->restart = rep;
    return 0;
}

static int
parent_ctl_handle(void *baton, ctl_client_t *c, const Evhttpd__Ctl__Request *req,
                  Evhttpd__Ctl__Reply *reply, apr_pool_t *p)
{
    parent_t *P = baton;
    apr_array_header_t *msgs;
    const char *why;
    unsigned old_id = P->cur->id;

    switch (req->command_case) {
    case EVHTTPD__CTL__REQUEST__COMMAND_STATUS:
        reply->snapshot = parent_ctl_snapshot(P, p);
        reply->message = "ok";
        return 0;
    case EVHTTPD__CTL__REQUEST__COMMAND_VERSION_CMD:
        reply->message = PACKAGE_NAME "/" PACKAGE_VERSION;
        return 0;
    case EVHTTPD__CTL__REQUEST__COMMAND_CONFIGTEST:
        parent_ctl_configtest(P, reply, p);
        return 0;
    case EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL:
        return parent_ctl_graceful(P, c, req->graceful && req->graceful->wait,
                                   req->graceful ? req->graceful->timeout_seconds : 0, reply, p);
    case EVHTTPD__CTL__REQUEST__COMMAND_RESTART:
        msgs = apr_array_make(p, 4, sizeof(const char *));
        if (parent_hard_restart(P, msgs, &why) < 0) {
            reply->status = EVHTTPD__CTL__REPLY_STATUS__STATUS_ERROR;
            reply->message = (char *)why;
        } else {
            reply->restart = apr_palloc(p, sizeof(*reply->restart));
            evhttpd__ctl__restart_report__init(reply->restart);
            reply->restart->old_generation = old_id;
            reply->restart->new_generation = P->cur->id;
            reply->restart->children_drained = P->last_restart_children;
            reply->restart->seconds = P->last_restart_seconds;
            reply->restart->connections_closed_early = P->last_restart_closed;
            reply->message = apr_psprintf(p, "restarted: generation %u serving", P->cur->id);
        }
        parent_ctl_messages(reply, msgs);
        return 0;
    case EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL_STOP:
        if (P->stop == STOP_NOW) {
            reply->status = EVHTTPD__CTL__REPLY_STATUS__STATUS_BUSY;
            reply->message = "the server is already stopping";
            return 0;
        }
        parent_graceful_stop(
            P, req->graceful_stop ? apr_time_from_sec(req->graceful_stop->timeout_seconds) : 0);
        if (req->graceful_stop && req->graceful_stop->wait) {
            APR_ARRAY_PUSH(P->stop_waiters, ctl_client_t *) = c;
            return 1;
        }
        reply->message =
            P->lame_duck_until
                ? apr_psprintf(p, "graceful stop: lame duck until the drain of %u children",
                               parent_live(P))
                : apr_psprintf(p, "graceful stop: draining %u children", parent_live(P));
        return 0;
    case EVHTTPD__CTL__REQUEST__COMMAND_STOP:
        P->stop = STOP_NOW;
        reply->message = "stopping";
        return 0;
    case EVHTTPD__CTL__REQUEST__COMMAND_REOPEN_LOGS:
        parent_reopen_logs(P);
        reply->message = "logs reopened";
        return 0;
    default:
        reply->status = EVHTTPD__CTL__REPLY_STATUS__STATUS_BAD_REQUEST;
        reply->message = "unknown command";
        return 0;
    }
}

static void
parent_ctl_forget_in(apr_array_header_t *a, ctl_client_t *c)
{
    int i;

    for (i = 0; i < a->nelts; i++)
        if (APR_ARRAY_IDX(a, i, ctl_client_t *) == c) {
            memmove(a->elts + (size_t)i * sizeof(c), a->elts + (size_t)(i + 1) * sizeof(c),
                    (size_t)(a->nelts - i - 1) * sizeof(c));
            a->nelts--;
            return;
        }
}

/* A waiting client hung up: forget it wherever it waits. */
static void
parent_ctl_gone(void *baton, ctl_client_t *c)
{
    parent_t *P = baton;
    generation_t *g;

    for (g = P->cur; g; g = g->older)
        parent_ctl_forget_in(g->waiters, c);
    parent_ctl_forget_in(P->stop_waiters, c);
}

void
parent_open_ctl(parent_t *P)
{
    const generation_t *g = P->cur;
    char err[512];

    if (ctl_server_open(&P->ctl, g->conf->control_socket, P->penv->control_gid,
                        g->env.drop_privileges ? g->env.uid : (uid_t)-1, parent_ctl_handle,
                        parent_ctl_gone, P, P->penv->pool, err, sizeof(err)) != APR_SUCCESS) {
        log_error(EV_LOG_ERR, 0, "EVH00427", "%s: evctl cannot reach this server", err);
        P->ctl = NULL;
    }
}

void
parent_finish_ctl(parent_t *P)
{
    int i;

    if (P->ctl == NULL)
        return;
    for (i = 0; i < P->stop_waiters->nelts; i++) {
        ctl_client_t *c = APR_ARRAY_IDX(P->stop_waiters, i, ctl_client_t *);
        Evhttpd__Ctl__Reply reply = EVHTTPD__CTL__REPLY__INIT;
        Evhttpd__Ctl__RestartReport rep = EVHTTPD__CTL__RESTART_REPORT__INIT;
        rep.old_generation = P->cur->id;
        rep.children_drained = P->stop_children;
        rep.seconds = (double)(apr_time_now() - P->stop_began) / APR_USEC_PER_SEC;
        rep.connections_closed_early = P->stop_closed_early;
        reply.version = CTLFRAME_PROTOCOL_VERSION;
        reply.message = "stopped";
        reply.restart = &rep;
        ctl_server_reply(P->ctl, c, &reply);
    }
    ctl_server_close(P->ctl);
}
