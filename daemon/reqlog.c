/*
 * reqlog.c — recording a request: scoreboard, counters, access logs.
 *
 * Who: worker threads, on the connection they own. Writes the worker's own
 * scoreboard record (single writer), adds to its child's process counters (relaxed
 * atomics) and writes access log lines (one write(2) each, no lock). A failing access
 * log is reported at most once a second per child, never per request.
 * A request is logged to the CustomLogs of the site that answered it (its own, or the
 * main server's when it has none); the list of every site's logs is the child's, so
 * with BufferedLogs On each worker thread keeps one buffer per access log of any site
 * (allocated on first use, thread-local: no other thread ever touches it), flushed
 * when full, after a second, and whenever the worker is about to sleep.
 */
#include <stdlib.h>
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

static _Thread_local accesslog_buf_t **reqlog_bufs; /* [naccess_logs], or NULL */

/* A write to access log i failed: say so, at most once a second per child. */
static void
reqlog_failed(child_t *ch, int i, apr_time_t now)
{
    static log_ratelimit_t rl; /* per child: one line a second for all logs */
    apr_uint64_t suppressed;

    if (log_ratelimit(&rl, now, &suppressed)) {
        apr_status_t err = 0;
        apr_uint64_t n = accesslog_errors(ch->env->access_logs[i], &err);
        log_error(EV_LOG_ERR, err, "EVH00601", "cannot write CustomLog %s (%llu failures)",
                  accesslog_path(ch->env->access_logs[i]), (unsigned long long)n);
    }
}

/* This thread's buffer for access log i, or NULL (no memory: write unbuffered). */
static accesslog_buf_t *
reqlog_buf(child_t *ch, int i)
{
    if (reqlog_bufs == NULL &&
        (reqlog_bufs = calloc((size_t)ch->env->naccess_logs, sizeof(*reqlog_bufs))) == NULL)
        return NULL;
    if (reqlog_bufs[i] == NULL && (reqlog_bufs[i] = malloc(sizeof(accesslog_buf_t))) != NULL)
        reqlog_bufs[i]->len = 0;
    return reqlog_bufs[i];
}

void
reqlog_flush(void *child)
{
    child_t *ch = child;
    int i;

    if (reqlog_bufs == NULL)
        return;
    for (i = 0; i < ch->env->naccess_logs; i++)
        if (reqlog_bufs[i] &&
            accesslog_flush(ch->env->access_logs[i], reqlog_bufs[i]) != APR_SUCCESS)
            reqlog_failed(ch, i, apr_time_now());
}

void
reqlog_thread_done(child_t *ch)
{
    int i;

    if (reqlog_bufs == NULL)
        return;
    reqlog_flush(ch);
    for (i = 0; i < ch->env->naccess_logs; i++)
        free(reqlog_bufs[i]);
    free(reqlog_bufs);
    reqlog_bufs = NULL;
}

/* `buffered`: the caller is a worker, whose buffers are flushed before it sleeps; the
 * listener (closing a connection it timed out) writes directly. */
static void
reqlog_access(conn_t *c, apr_time_t now, int buffered)
{
    child_t *ch = c->child;
    conn_ctx_t *x = c->ctx;
    /* A request cut before its head was read (a 408 from the listener) has no site yet:
     * like Apache, it belongs to the default site of the address it came to. */
    const ev_site_t *site = x->site ? x->site : c->group->dflt;
    accesslog_rec_t rec;
    int k;

    if (site->custom_logs->nelts == 0)
        return;
    memset(&rec, 0, sizeof(rec));
    rec.client_ip = x->client_ip;
    rec.local_port = c->local_port;
    rec.server_name = site->server_name;
    rec.req = x->req.line.len ? &x->req : NULL;
    if (rec.req == NULL)
        rec.request_line = reqlog_first_line(x);
    rec.status = x->resp.status;
    rec.body_bytes = response_body_bytes(&x->resp);
    rec.start = x->req_start;
    rec.duration = now - x->req_start;
    rec.out_header = reqlog_out_header;
    rec.out_baton = &x->resp;
    for (k = 0; k < site->custom_logs->nelts; k++) {
        int i = APR_ARRAY_IDX(site->custom_logs, k, int);
        accesslog_t *al = ch->env->access_logs[i];
        accesslog_buf_t *b = buffered && ch->conf->buffered_logs ? reqlog_buf(ch, i) : NULL;
        apr_status_t rv =
            b ? accesslog_write_buffered(al, b, &rec, now) : accesslog_write(al, &rec);

        if (rv != APR_SUCCESS)
            reqlog_failed(ch, i, now);
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
    reqlog_access(c, now, widx >= 0);
}
