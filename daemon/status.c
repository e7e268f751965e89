/*
 * status.c — the server-status handler: who may see it, what it reads, and the
 * response it makes. The page itself is status_format.c's.
 *
 * Who: worker threads, for a request handler_serve routed here because its path is
 * the StatusLocation. It reads the scoreboard every child has mapped (the header's
 * atomics; consistent copies of every process and worker record, taken without locks
 * with the bounded retries of sb_snapshot_*), the load average, and /proc/PID/stat of
 * the parent and of the live children for CPU times (a few small reads, only on this
 * path). Everything it allocates is in the request pool, which lives until the
 * response has been written, a park in write completion included.
 * Trust: values from the scoreboard are display data. The one pid it acts on, to
 * open /proc/PID/stat, is only counted when that file names our own parent as the
 * process's parent, so a scribbled pid cannot pull a stranger's CPU time in.
 * Shutdown: nothing to stop; a request in progress finishes like any other.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <apr_strings.h>

#include "child.h"
#include "handler.h"
#include "http_path.h"
#include "http_response.h"
#include "status.h"
#include "status_format.h"

#define STATUS_NO_STORE "Cache-Control: no-store\r\n"

/* mod_status's "Server Built" is the compiler's date, as Apache's buildmark.c has it;
 * GCC takes it from SOURCE_DATE_EPOCH when set, which keeps builds reproducible. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdate-time"
static const char status_built[] = __DATE__ " " __TIME__;
#pragma GCC diagnostic pop

int
status_wants(conn_t *c, ev_slice_t target)
{
    const char *loc = c->child->conf->status_location;

    return loc && status_format_match(loc, target.p, target.len, c->ctx->preq);
}

/* ServerName when set; else the host the client asked for (port left out, as
 * Apache's ap_get_server_name does); else the address the connection came in on. */
static const char *
status_server_name(conn_t *c)
{
    conn_ctx_t *x = c->ctx;
    const http_field_t *host = http_field_find(&x->req, "Host");
    union {
        struct sockaddr sa;
        struct sockaddr_in sin;
        struct sockaddr_in6 sin6;
    } local = { 0 }; /* the analyzer does not see getsockname fill it */
    socklen_t slen = sizeof(local);
    char buf[INET6_ADDRSTRLEN];

    if (x->site->server_name)
        return x->site->server_name;
    if (host && host->value.len > 0 && http_host_valid(host->value)) {
        const char *v = host->value.p, *end = v + host->value.len;
        const char *stop = v[0] == '[' ? memchr(v, ']', host->value.len) : NULL;

        stop = stop ? stop + 1 : memchr(v, ':', host->value.len);
        return apr_pstrmemdup(x->preq, v, (apr_size_t)((stop ? stop : end) - v));
    }
    if (getsockname(c->fd, &local.sa, &slen) == 0 &&
        inet_ntop(local.sa.sa_family,
                  local.sa.sa_family == AF_INET6 ? (void *)&local.sin6.sin6_addr
                                                 : (void *)&local.sin.sin_addr,
                  buf, sizeof(buf)))
        return apr_pstrdup(x->preq, buf);
    return "localhost";
}

/* /proc/PID/stat into *out; -1 when it cannot be read or parsed. */
static int
status_read_stat(pid_t pid, status_cpu_t *out)
{
    char path[32], buf[1024];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    do
        n = read(fd, buf, sizeof(buf));
    while (n < 0 && errno == EINTR);
    close(fd);
    return n > 0 ? status_format_proc_stat(buf, (size_t)n, out) : -1;
}

/*
 * CPU times as mod_status reports them: CPUUser/CPUSystem are the parent's and the
 * live children's own, CPUChildren* what the parent's reaped children used (children
 * of earlier generations and replaced ones). Only processes whose parent is our
 * parent count. In one-process mode (-X) the header names this process as the parent,
 * and its own times hold everything.
 */
static void
status_cpu(status_data_t *d)
{
    long tick = sysconf(_SC_CLK_TCK);
    pid_t parent = d->parent_pid == (int32_t)getpid() ? getpid() : getppid();
    status_cpu_t pc, cc;
    uint64_t user, sys;
    unsigned i;

    if (tick <= 0 || status_read_stat(parent, &pc) != 0)
        return;
    user = pc.utime;
    sys = pc.stime;
    for (i = 0; i < d->slots; i++) {
        pid_t pid = d->procs[i].pid;

        if (pid > 0 && pid != parent && status_read_stat(pid, &cc) == 0 && cc.ppid == parent) {
            user += cc.utime;
            sys += cc.stime;
        }
    }
    d->have_cpu = 1;
    d->cpu_user = (double)user / (double)tick;
    d->cpu_system = (double)sys / (double)tick;
    d->cpu_children_user = (double)pc.cutime / (double)tick;
    d->cpu_children_system = (double)pc.cstime / (double)tick;
}

/* Copies every slot's process record and worker letters into pool memory. */
static int
status_read_slots(sb_t *sb, status_data_t *d, apr_pool_t *p)
{
    status_proc_t *procs = apr_pcalloc(p, sizeof(*procs) * d->slots);
    char *grid = apr_palloc(p, (apr_size_t)d->slots * d->threads);
    sb_process_snap_t ps;
    sb_worker_snap_t ws;
    unsigned i, j;

    if (procs == NULL || grid == NULL)
        return -1;
    for (i = 0; i < d->slots; i++) {
        if (sb_snapshot_process(sb, i, &ps) == APR_SUCCESS)
            procs[i] = (status_proc_t){ .pid = ps.pid,
                                        .generation = ps.generation,
                                        .quiescing = ps.quiescing,
                                        .not_accepting = ps.not_accepting,
                                        .connections = ps.connections,
                                        .keepalive = ps.keepalive,
                                        .writing = ps.writing,
                                        .closing = ps.closing,
                                        .requests = ps.requests,
                                        .bytes = ps.bytes };
        for (j = 0; j < d->threads; j++)
            grid[(size_t)i * d->threads + j] =
                sb_snapshot_worker(sb, i, j, &ws) == APR_SUCCESS ? (char)ws.state : SB_DEAD;
    }
    d->procs = procs;
    d->grid = grid;
    return 0;
}

static int
status_collect(conn_t *c, status_data_t *d)
{
    apr_pool_t *p = c->ctx->preq;
    const ev_config_t *conf = c->child->conf;
    sb_t *sb = c->child->env->sb;
    sb_header_t *h = sb_header(sb);
    char *version = apr_palloc(p, SB_VERSION_MAX);

    if (version == NULL)
        return -1;
    memset(d, 0, sizeof(*d));
    d->now = apr_time_now();
    d->start_time = atomic_load_explicit(&h->start_time, memory_order_relaxed);
    d->restart_time = atomic_load_explicit(&h->restart_time, memory_order_relaxed);
    d->generation = atomic_load_explicit(&h->generation, memory_order_relaxed);
    d->parent_pid = atomic_load_explicit(&h->parent_pid, memory_order_relaxed);
    /* written once by the parent before any child existed */
    memcpy(version, h->server_version, SB_VERSION_MAX);
    version[SB_VERSION_MAX - 1] = '\0';
    d->server_version = version[0] ? version : PACKAGE_NAME "/" PACKAGE_VERSION;
    d->server_built = status_built;
    d->server_name = status_server_name(c);
    d->slots = sb_server_limit(sb);
    d->threads = sb_thread_limit(sb);
    d->threads_per_child = (unsigned)conf->threads_per_child;
    d->max_servers = (unsigned)(conf->max_request_workers / conf->threads_per_child);
    if (status_read_slots(sb, d, p) != 0)
        return -1;
    sb_totals(sb, &d->requests, &d->bytes, d->hist);
    d->have_load = getloadavg(d->load, 3) == 3;
    status_cpu(d);
    return 0;
}

void
status_serve(conn_t *c, ev_slice_t target, int by_handler)
{
    conn_ctx_t *x = c->ctx;
    size_t q = http_path_query_start(target.p, target.len);
    status_query_t query;
    status_data_t d;
    const char *body, *refresh = "";
    size_t len;

    if (!(by_handler && x->loc->require != NULL) &&
        !cidr_list_has(c->child->conf->status_allow, &c->peer.sa)) {
        handler_error(c, 403, STATUS_NO_STORE);
        return;
    }
    if (x->req.method_id != EV_M_GET && x->req.method_id != EV_M_HEAD) {
        handler_error(c, 405, "Allow: GET, HEAD\r\n" STATUS_NO_STORE);
        return;
    }
    if (q < target.len)
        status_format_query(target.p + q + 1, target.len - q - 1, &query);
    else
        status_format_query("", 0, &query);
    if (status_collect(c, &d) != 0 ||
        (body = status_format_render(&d, query.kind, x->preq, &len)) == NULL) {
        handler_error(c, 500, STATUS_NO_STORE);
        return;
    }
    if (query.refresh)
        refresh = apr_psprintf(x->preq, "Refresh: %d\r\n", query.refresh);
    if (x->req.method_id != EV_M_HEAD)
        response_add_mem(&x->resp, body, (apr_off_t)len, x->preq);
    http_response_head(c, 200,
                       apr_pstrcat(x->preq,
                                   "Content-Type: ", status_format_content_type(query.kind),
                                   "\r\n" STATUS_NO_STORE, refresh, NULL),
                       (apr_off_t)len);
}
