/*
 * reqlog.c — recording a request: scoreboard, counters, access logs.
 *
 * Who: worker threads, on the connection they own. Writes the worker's own
 * scoreboard record (single writer), adds to its child's process counters (relaxed
 * atomics) and writes access log lines (one write(2) each, no lock). A failing access
 * log is reported at most once a second per child, never per request.
 */
#include <string.h>

#include "accesslog.h"
#include "child.h"
#include "log.h"
#include "reqlog.h"

/* The request line as received, for a head that failed to parse: its first line. */
static ev_slice_t
reqlog_first_line(const conn_ctx_t *x)
{
    const char *p = x->buf + x->pos;
    size_t n = x->head_len, i;

    for (i = 0; i < n && p[i] != '\r' && p[i] != '\n'; i++)
        ;
    return (ev_slice_t){ p, i };
}

void
reqlog_request_begin(conn_t *c, int widx, int bad)
{
    child_t *ch = c->child;
    conn_ctx_t *x = c->ctx;
    sb_worker_t *w = sb_worker(ch->env->sb, ch->slot, (unsigned)widx);
    ev_slice_t line = bad ? reqlog_first_line(x) : x->req.line;

    if (w)
        sb_worker_set_request(w, line.p, line.len, x->client_ip, c->requests + 1, x->req_start);
}

/* %{Name}o: the few headers our responses carry that are worth logging. */
static ev_slice_t
reqlog_out_header(void *baton, const char *name)
{
    const response_t *r = baton;
    const char *head = r->nsegs > 0 ? r->segs[0].buf : NULL;
    size_t nlen = strlen(name);
    const char *p, *end;

    if (head == NULL)
        return (ev_slice_t){ NULL, 0 };
    end = head + r->head_len;
    for (p = memchr(head, '\n', (size_t)(end - head)); p && p + 1 < end;) {
        const char *line = p + 1, *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL || eol - line < 3)
            break;
        if ((size_t)(eol - line) > nlen + 1 && line[nlen] == ':' &&
            strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            return (ev_slice_t){ v, (size_t)(ve - v) };
        }
        p = eol;
    }
    return (ev_slice_t){ NULL, 0 };
}

static void
reqlog_access(conn_t *c, apr_time_t now)
{
    child_t *ch = c->child;
    conn_ctx_t *x = c->ctx;
    accesslog_rec_t rec;
    int i;

    if (ch->env->naccess_logs == 0)
        return;
    memset(&rec, 0, sizeof(rec));
    rec.client_ip = x->client_ip;
    rec.local_port = c->local_port;
    rec.server_name = ch->conf->server_name;
    rec.req = x->req.line.len ? &x->req : NULL;
    if (rec.req == NULL)
        rec.request_line = reqlog_first_line(x);
    rec.status = x->resp.status;
    rec.body_bytes = response_body_bytes(&x->resp);
    rec.start = x->req_start;
    rec.duration = now - x->req_start;
    rec.out_header = reqlog_out_header;
    rec.out_baton = &x->resp;
    for (i = 0; i < ch->env->naccess_logs; i++)
        if (accesslog_write(ch->env->access_logs[i], &rec) != APR_SUCCESS) {
            static log_ratelimit_t rl; /* per child: one line a second for all logs */
            apr_uint64_t suppressed;
            if (log_ratelimit(&rl, now, &suppressed)) {
                apr_status_t err = 0;
                apr_uint64_t n = accesslog_errors(ch->env->access_logs[i], &err);
                log_error(EV_LOG_ERR, err, "EVH00601", "cannot write CustomLog %s (%llu failures)",
                          accesslog_path(ch->env->access_logs[i]), (unsigned long long)n);
            }
        }
}

void
reqlog_request_done(conn_t *c, int widx)
{
    child_t *ch = c->child;
    conn_ctx_t *x = c->ctx;
    sb_worker_t *w = sb_worker(ch->env->sb, ch->slot, (unsigned)widx);
    apr_time_t now = apr_time_now();
    apr_off_t sent = x->resp.sent;

    atomic_fetch_add_explicit(&ch->proc->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&ch->proc->bytes, (uint64_t)sent, memory_order_relaxed);
    if (w)
        sb_worker_count(w, (uint64_t)sent, now - x->req_start);
    reqlog_access(c, now);
}
