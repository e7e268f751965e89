/*
 * accesslog.c — CustomLog: compile a LogFormat once, format and write one line per request.
 *
 * Who: the parent compiles formats and opens the files while loading a configuration (on
 * pconf); the worker threads of a child call accesslog_write once per request. A compiled
 * format is an immutable array of ops (literal text or one directive each), so formatting
 * is a single pass with no parsing, no allocation and no lock.
 *
 * Owns: each accesslog_t owns one descriptor for the life of its pool. Reopening dup3()s
 * the new file onto that number rather than closing it, so a worker that is mid-write
 * reaches the old file or the new one, never a socket that accept() gave a freed number.
 *
 * Atomics: the error counter and last error of each log (relaxed; statistics only).
 * Thread-locals: the %t text for the current second, so strftime-like work happens at
 * most once per second per thread instead of once per request.
 *
 * Shutdown: the log's pool cleanup closes the descriptor; writers must be gone by then.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "accesslog.h"
#include "logfd.h"

typedef enum {
    AL_LITERAL,
    AL_CLIENT_IP,   /* %h %a */
    AL_DASH,        /* %l %u: no identd, no authentication */
    AL_TIME,        /* %t, %{...}t */
    AL_REQUEST,     /* %r */
    AL_METHOD,      /* %m */
    AL_PATH,        /* %U */
    AL_QUERY,       /* %q */
    AL_PROTOCOL,    /* %H */
    AL_STATUS,      /* %s %>s %<s */
    AL_BYTES_CLF,   /* %b */
    AL_BYTES,       /* %B */
    AL_DURATION_US, /* %D */
    AL_DURATION_S,  /* %T */
    AL_HEADER_IN,   /* %{Name}i */
    AL_HEADER_OUT,  /* %{Name}o */
    AL_LOCAL_PORT,  /* %p */
    AL_PID,         /* %P */
    AL_SERVER_NAME  /* %v */
} al_kind_t;

/* What a %{...}t prints. */
typedef enum {
    AL_T_CLF,      /* [26/Nov/2026:19:57:36 +0000] */
    AL_T_STRFTIME, /* arg is a strftime format */
    AL_T_SEC,
    AL_T_MSEC,
    AL_T_USEC,
    AL_T_MSEC_FRAC,
    AL_T_USEC_FRAC
} al_time_unit_t;

typedef struct {
    unsigned char kind;   /* al_kind_t */
    unsigned char unit;   /* al_time_unit_t, for AL_TIME */
    unsigned char at_end; /* AL_TIME: %{end:...}t, the time the request finished */
    const char *arg;      /* literal text, header name or strftime format (NUL-terminated
                           * except literals) */
    size_t len;           /* bytes of arg */
} al_op_t;

struct accesslog_fmt_t {
    const al_op_t *ops; /* the program, in output order */
    size_t nops;        /* entries in ops */
};

struct accesslog_t {
    int fd;                          /* ours until the pool's cleanup; reopen dup3s onto it */
    const char *path;                /* as given to accesslog_open (pool copy) */
    const accesslog_fmt_t *fmt;      /* the caller's compiled format */
    _Atomic apr_uint64_t errors;     /* failed or short writes so far */
    _Atomic apr_status_t last_error; /* status of the latest failure */
    _Atomic int torn;                /* the file ends inside a line (a short write) */
};

/* ---- compiling ---------------------------------------------------------- */

#define AL_ARG_NONE     0 /* %{...}X is an error */
#define AL_ARG_OPTIONAL 1
#define AL_ARG_REQUIRED 2

static const struct {
    char letter;
    unsigned char kind; /* al_kind_t */
    unsigned char arg;  /* AL_ARG_* */
} al_directives[] = {
    { 'h', AL_CLIENT_IP, AL_ARG_NONE },
    { 'a', AL_CLIENT_IP, AL_ARG_NONE },
    { 'l', AL_DASH, AL_ARG_NONE },
    { 'u', AL_DASH, AL_ARG_NONE },
    { 't', AL_TIME, AL_ARG_OPTIONAL },
    { 'r', AL_REQUEST, AL_ARG_NONE },
    { 'm', AL_METHOD, AL_ARG_NONE },
    { 'U', AL_PATH, AL_ARG_NONE },
    { 'q', AL_QUERY, AL_ARG_NONE },
    { 'H', AL_PROTOCOL, AL_ARG_NONE },
    { 's', AL_STATUS, AL_ARG_NONE },
    { 'b', AL_BYTES_CLF, AL_ARG_NONE },
    { 'B', AL_BYTES, AL_ARG_NONE },
    { 'D', AL_DURATION_US, AL_ARG_NONE },
    { 'T', AL_DURATION_S, AL_ARG_NONE },
    { 'i', AL_HEADER_IN, AL_ARG_REQUIRED },
    { 'o', AL_HEADER_OUT, AL_ARG_REQUIRED },
    { 'p', AL_LOCAL_PORT, AL_ARG_NONE },
    { 'P', AL_PID, AL_ARG_NONE },
    { 'v', AL_SERVER_NAME, AL_ARG_NONE },
};

static const struct {
    const char *name;
    al_time_unit_t unit;
} al_time_units[] = {
    { "sec", AL_T_SEC },
    { "msec", AL_T_MSEC },
    { "usec", AL_T_USEC },
    { "msec_frac", AL_T_MSEC_FRAC },
    { "usec_frac", AL_T_USEC_FRAC },
};

typedef struct {
    apr_array_header_t *ops; /* al_op_t */
    char *lit;               /* literal bytes, packed; never longer than the format */
    size_t lit_len;          /* bytes used in lit */
    size_t lit_start;        /* where the pending literal run starts in lit */
    apr_pool_t *pool;
    const char **error;
} al_compiler_t;

static void
al_lit_add(al_compiler_t *c, char ch)
{
    c->lit[c->lit_len++] = ch;
}

static void
al_flush_literal(al_compiler_t *c)
{
    al_op_t *op;

    if (c->lit_len == c->lit_start) {
        return;
    }
    op = apr_array_push(c->ops);
    memset(op, 0, sizeof(*op));
    op->kind = AL_LITERAL;
    op->arg = c->lit + c->lit_start;
    op->len = c->lit_len - c->lit_start;
    c->lit_start = c->lit_len;
}

/* Apache's escapes: \n \t, plus \" and \\ for formats not unquoted by the config
 * tokenizer. Any other backslash is kept as written. Returns the next input byte. */
static const char *
al_compile_escape(al_compiler_t *c, const char *s)
{
    switch (s[1]) {
    case 'n':
        al_lit_add(c, '\n');
        return s + 2;
    case 't':
        al_lit_add(c, '\t');
        return s + 2;
    case '"':
    case '\\':
        al_lit_add(c, s[1]);
        return s + 2;
    default:
        al_lit_add(c, '\\');
        return s + 1;
    }
}

static void
al_compile_time(al_op_t *op, const char *arg, size_t len)
{
    op->unit = AL_T_CLF;
    if (len >= 6 && strncmp(arg, "begin:", 6) == 0) {
        arg += 6;
        len -= 6;
    } else if (len >= 4 && strncmp(arg, "end:", 4) == 0) {
        op->at_end = 1;
        arg += 4;
        len -= 4;
    }
    op->arg = arg;
    op->len = len;
    if (len == 0) {
        return;
    }
    op->unit = AL_T_STRFTIME;
    for (size_t i = 0; i < sizeof(al_time_units) / sizeof(al_time_units[0]); i++) {
        if (strlen(al_time_units[i].name) == len && memcmp(al_time_units[i].name, arg, len) == 0) {
            op->unit = (unsigned char)al_time_units[i].unit;
        }
    }
}

static int
al_lookup_directive(char letter)
{
    for (size_t i = 0; i < sizeof(al_directives) / sizeof(al_directives[0]); i++) {
        if (al_directives[i].letter == letter) {
            return (int)i;
        }
    }
    return -1;
}

/* Compile the directive at s ('%'). Returns the next input byte, or NULL with
 * *c->error set. */
static const char *
al_compile_directive(al_compiler_t *c, const char *s)
{
    const char *start = s++;
    const char *arg = NULL;
    size_t arglen = 0;
    al_op_t *op;
    int d;

    if (*s == '%') {
        al_lit_add(c, '%');
        return s + 1;
    }
    /* Apache accepts the < > modifiers and the {argument} in either order. */
    while (*s == '<' || *s == '>' || *s == '{') {
        if (*s++ != '{') {
            continue;
        }
        const char *end = strchr(s, '}');
        if (end == NULL) {
            *c->error = apr_psprintf(c->pool, "unterminated %%{ in LogFormat directive %s", start);
            return NULL;
        }
        arg = apr_pstrmemdup(c->pool, s, (apr_size_t)(end - s));
        arglen = (size_t)(end - s);
        s = end + 1;
    }
    if (*s == '\0') {
        *c->error = apr_psprintf(c->pool, "incomplete LogFormat directive %s", start);
        return NULL;
    }
    int n = (int)(s - start + 1);
    d = al_lookup_directive(*s);
    if (d < 0) {
        *c->error = apr_psprintf(c->pool, "unknown LogFormat directive %.*s", n, start);
        return NULL;
    }
    if (arg != NULL && al_directives[d].arg == AL_ARG_NONE) {
        *c->error = apr_psprintf(c->pool, "LogFormat directive %.*s takes no {argument}", n, start);
        return NULL;
    }
    if (arglen == 0 && al_directives[d].arg == AL_ARG_REQUIRED) {
        *c->error = apr_psprintf(c->pool, "LogFormat directive %.*s needs a {name}", n, start);
        return NULL;
    }
    al_flush_literal(c);
    op = apr_array_push(c->ops);
    memset(op, 0, sizeof(*op));
    op->kind = al_directives[d].kind;
    op->arg = arg;
    op->len = arglen;
    if (op->kind == AL_TIME) {
        al_compile_time(op, arg != NULL ? arg : "", arglen);
    }
    return s + 1;
}

apr_status_t
accesslog_compile(accesslog_fmt_t **out, const char *format, apr_pool_t *p, const char **error)
{
    al_compiler_t c = {
        apr_array_make(p, 16, sizeof(al_op_t)), apr_palloc(p, strlen(format) + 1), 0, 0, p, error
    };
    accesslog_fmt_t *f;
    const char *s = format;

    while (*s != '\0') {
        if (*s == '\\') {
            s = al_compile_escape(&c, s);
        } else if (*s == '%') {
            s = al_compile_directive(&c, s);
            if (s == NULL) {
                return APR_EINVAL;
            }
        } else {
            al_lit_add(&c, *s++);
        }
    }
    al_flush_literal(&c);
    f = apr_palloc(p, sizeof(*f));
    f->ops = (const al_op_t *)c.ops->elts;
    f->nops = (size_t)c.ops->nelts;
    *out = f;
    return APR_SUCCESS;
}

/* ---- formatting --------------------------------------------------------- */

/* The output buffer; one byte is kept back for the newline. Once something does not
 * fit, `full` is set and nothing more is written, so a cut line is a prefix of the
 * whole line. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
    int full;
} al_out_t;

/* The %t text of one second, per thread. */
static _Thread_local struct {
    int valid;
    apr_time_t sec;
    size_t len;
    char text[40];
} t_clf;

static void
al_put(al_out_t *o, const char *s, size_t n)
{
    if (o->full || n == 0) {
        return;
    }
    if (n > o->cap - o->len) {
        n = o->cap - o->len;
        o->full = 1;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* `v` in decimal, at least `width` digits. */
static void
al_put_int(al_out_t *o, apr_int64_t v, int width)
{
    char tmp[24];
    char *e = tmp + sizeof(tmp);
    char *d = e;
    apr_uint64_t u = v < 0 ? -(apr_uint64_t)v : (apr_uint64_t)v;

    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0 || e - d < width);
    if (v < 0) {
        *--d = '-';
    }
    al_put(o, d, (size_t)(e - d));
}

/* Apache's ap_escape_logitem: a byte a client controls can never end the line or
 * fake a field boundary. An escape sequence is written whole or not at all. */
static void
al_put_escaped(al_out_t *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;

    while (i < n && !o->full) {
        size_t run = i;
        while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7f &&
               s[run] != '"' && s[run] != '\\') {
            run++;
        }
        al_put(o, s + i, run - i);
        if (run == n || o->full) {
            return;
        }
        unsigned char ch = (unsigned char)s[run];
        char esc[4] = { '\\', (char)ch, 0, 0 };
        size_t elen = 2;
        switch (ch) {
        case '"':
        case '\\':
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\v':
            esc[1] = 'v';
            break;
        default:
            esc[1] = 'x';
            esc[2] = hex[ch >> 4];
            esc[3] = hex[ch & 0xf];
            elen = 4;
        }
        if (elen > o->cap - o->len) {
            o->full = 1;
            return;
        }
        al_put(o, esc, elen);
        i = run + 1;
    }
}

static void
al_put_escaped_or_dash(al_out_t *o, const char *s, size_t n)
{
    if (s == NULL) {
        al_put(o, "-", 1);
    } else {
        al_put_escaped(o, s, n);
    }
}

/* "[26/Nov/2026:19:57:36 +0000]", local time, once per second per thread. */
static void
al_put_clf_time(al_out_t *o, apr_time_t t)
{
    apr_time_t sec = apr_time_sec(t);

    if (!t_clf.valid || t_clf.sec != sec) {
        apr_time_exp_t tm;
        apr_int32_t off;
        char sign = '+';

        apr_time_exp_lt(&tm, apr_time_from_sec(sec));
        off = tm.tm_gmtoff;
        if (off < 0) {
            sign = '-';
            off = -off;
        }
        int n = snprintf(t_clf.text, sizeof(t_clf.text), "[%02d/%s/%d:%02d:%02d:%02d %c%02d%02d]",
                         tm.tm_mday, apr_month_snames[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
                         tm.tm_min, tm.tm_sec, sign, (int)(off / 3600), (int)(off % 3600 / 60));
        t_clf.len = (n > 0 && (size_t)n < sizeof(t_clf.text)) ? (size_t)n : 0;
        t_clf.sec = sec;
        t_clf.valid = 1;
    }
    al_put(o, t_clf.text, t_clf.len);
}

static void
al_put_time(al_out_t *o, const al_op_t *op, const accesslog_rec_t *r)
{
    apr_time_t t = op->at_end ? r->start + r->duration : r->start;
    apr_time_exp_t tm;
    apr_size_t len;
    char text[256];

    switch ((al_time_unit_t)op->unit) {
    case AL_T_CLF:
        al_put_clf_time(o, t);
        return;
    case AL_T_SEC:
        al_put_int(o, apr_time_sec(t), 1);
        return;
    case AL_T_MSEC:
        al_put_int(o, apr_time_as_msec(t), 1);
        return;
    case AL_T_USEC:
        al_put_int(o, t, 1);
        return;
    case AL_T_MSEC_FRAC:
        al_put_int(o, apr_time_msec(t), 3);
        return;
    case AL_T_USEC_FRAC:
        al_put_int(o, apr_time_usec(t), 6);
        return;
    case AL_T_STRFTIME:
        apr_time_exp_lt(&tm, t);
        if (apr_strftime(text, &len, sizeof(text), op->arg, &tm) == APR_SUCCESS) {
            al_put(o, text, len);
        }
        return;
    }
}

static unsigned char
al_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int
al_name_eq(ev_slice_t name, const char *want, size_t len)
{
    if (name.len != len) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (al_lower((unsigned char)name.p[i]) != al_lower((unsigned char)want[i])) {
            return 0;
        }
    }
    return 1;
}

/* Every request field named op->arg, joined with ", " as Apache merges them. */
static void
al_put_header_in(al_out_t *o, const al_op_t *op, const http_request_t *req)
{
    int found = 0;

    for (size_t i = 0; req != NULL && i < req->nfields; i++) {
        const http_field_t *fld = &req->fields[i];
        if (al_name_eq(fld->name, op->arg, op->len)) {
            if (found++) {
                al_put(o, ", ", 2);
            }
            al_put_escaped(o, fld->value.p, fld->value.len);
        }
    }
    if (!found) {
        al_put(o, "-", 1);
    }
}

static void
al_put_header_out(al_out_t *o, const al_op_t *op, const accesslog_rec_t *r)
{
    ev_slice_t v = { NULL, 0 };

    if (r->out_header != NULL) {
        v = r->out_header(r->out_baton, op->arg);
    }
    al_put_escaped_or_dash(o, v.p, v.len);
}

/* The target up to '?' (*path) and after it (*query, NULL when there is no '?'). */
static void
al_split_target(const http_request_t *req, ev_slice_t *path, ev_slice_t *query)
{
    const char *q = memchr(req->target.p, '?', req->target.len);

    path->p = req->target.p;
    path->len = q != NULL ? (size_t)(q - req->target.p) : req->target.len;
    query->p = q != NULL ? q + 1 : NULL;
    query->len = q != NULL ? req->target.len - path->len - 1 : 0;
}

/* %r %m %U %q %H: what the client sent. */
static void
al_put_request_part(al_out_t *o, al_kind_t kind, const accesslog_rec_t *r)
{
    const http_request_t *req = r->req;
    ev_slice_t path = { NULL, 0 }, query = { NULL, 0 };

    if (req != NULL && req->target.p != NULL) {
        al_split_target(req, &path, &query);
    }
    switch (kind) {
    case AL_REQUEST:
        if (req != NULL && req->line.len > 0) {
            al_put_escaped(o, req->line.p, req->line.len);
        } else {
            al_put_escaped_or_dash(o, r->request_line.len > 0 ? r->request_line.p : NULL,
                                   r->request_line.len);
        }
        return;
    case AL_METHOD:
        al_put_escaped_or_dash(o, req != NULL ? req->method.p : NULL, req ? req->method.len : 0);
        return;
    case AL_PATH:
        if (r->path.p != NULL) {
            path = r->path;
        }
        al_put_escaped_or_dash(o, path.p, path.len);
        return;
    case AL_QUERY:
        if (query.p != NULL) {
            al_put(o, "?", 1);
            al_put_escaped(o, query.p, query.len);
        }
        return;
    default:
        if (req == NULL || req->version < 0 || req->version > 99) {
            al_put(o, "-", 1);
            return;
        }
        al_put(o, "HTTP/", 5);
        al_put_int(o, req->version / 10, 1);
        al_put(o, ".", 1);
        al_put_int(o, req->version % 10, 1);
        return;
    }
}

/* Directives that print numbers or dashes. */
static void
al_put_number(al_out_t *o, al_kind_t kind, const accesslog_rec_t *r)
{
    switch (kind) {
    case AL_DASH:
        al_put(o, "-", 1);
        return;
    case AL_STATUS:
        if (r->status > 0) {
            al_put_int(o, r->status, 1);
        } else {
            al_put(o, "-", 1);
        }
        return;
    case AL_BYTES_CLF:
        if (r->body_bytes > 0) {
            al_put_int(o, r->body_bytes, 1);
        } else {
            al_put(o, "-", 1);
        }
        return;
    case AL_BYTES:
        al_put_int(o, r->body_bytes, 1);
        return;
    case AL_DURATION_US:
        al_put_int(o, r->duration, 1);
        return;
    case AL_DURATION_S:
        al_put_int(o, apr_time_sec(r->duration), 1);
        return;
    case AL_LOCAL_PORT:
        al_put_int(o, r->local_port, 1);
        return;
    case AL_PID:
        al_put_int(o, getpid(), 1);
        return;
    default:
        return;
    }
}

static void
al_put_op(al_out_t *o, const al_op_t *op, const accesslog_rec_t *r)
{
    switch ((al_kind_t)op->kind) {
    case AL_LITERAL:
        al_put(o, op->arg, op->len);
        return;
    case AL_CLIENT_IP:
        al_put_escaped_or_dash(o, r->client_ip, r->client_ip ? strlen(r->client_ip) : 0);
        return;
    case AL_SERVER_NAME:
        al_put_escaped_or_dash(o, r->server_name, r->server_name ? strlen(r->server_name) : 0);
        return;
    case AL_TIME:
        al_put_time(o, op, r);
        return;
    case AL_HEADER_IN:
        al_put_header_in(o, op, r->req);
        return;
    case AL_HEADER_OUT:
        al_put_header_out(o, op, r);
        return;
    case AL_REQUEST:
    case AL_METHOD:
    case AL_PATH:
    case AL_QUERY:
    case AL_PROTOCOL:
        al_put_request_part(o, (al_kind_t)op->kind, r);
        return;
    default:
        al_put_number(o, (al_kind_t)op->kind, r);
        return;
    }
}

size_t
accesslog_format(const accesslog_fmt_t *f, const accesslog_rec_t *r, char *buf, size_t size)
{
    al_out_t o = { buf, 0, size > 0 ? size - 1 : 0, 0 };

    if (size == 0) {
        return 0;
    }
    for (size_t i = 0; i < f->nops && !o.full; i++) {
        al_put_op(&o, &f->ops[i], r);
    }
    buf[o.len++] = '\n';
    return o.len;
}

/* ---- files -------------------------------------------------------------- */

static apr_status_t
al_cleanup(void *data)
{
    accesslog_t *al = data;

    close(al->fd);
    return APR_SUCCESS;
}

apr_status_t
accesslog_open(accesslog_t **out, const char *path, const accesslog_fmt_t *f, apr_pool_t *p)
{
    accesslog_t *al;
    int fd = logfd_open(path);

    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    al = apr_pcalloc(p, sizeof(*al));
    al->fd = fd;
    al->path = apr_pstrdup(p, path);
    al->fmt = f;
    atomic_init(&al->errors, 0);
    atomic_init(&al->last_error, APR_SUCCESS);
    atomic_init(&al->torn, 0);
    apr_pool_cleanup_register(p, al, al_cleanup, apr_pool_cleanup_null);
    *out = al;
    return APR_SUCCESS;
}

/* One write(2) of whole lines; a failure is counted, not retried. A short write (the
 * disk filled up) leaves part of a line in the file: the next write that succeeds
 * starts with a newline, so that the cut line cannot run into the next one. */
static apr_status_t
al_write_all(accesslog_t *al, const char *data, size_t len)
{
    struct iovec iov[2] = { { (void *)"\n", 1 }, { (void *)data, len } };
    int torn = atomic_exchange_explicit(&al->torn, 0, memory_order_relaxed);
    size_t want = len + (torn ? 1 : 0);
    apr_status_t rv;
    ssize_t n;

    do {
        n = torn ? writev(al->fd, iov, 2) : write(al->fd, data, len);
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)want) {
        return APR_SUCCESS;
    }
    if (n > 0 || (n < 0 && torn)) {
        atomic_store_explicit(&al->torn, 1, memory_order_relaxed);
    }
    /* A short write to a file means no space left (or its size limit). */
    rv = n < 0 ? APR_FROM_OS_ERROR(errno) : APR_FROM_OS_ERROR(ENOSPC);
    atomic_store_explicit(&al->last_error, rv, memory_order_relaxed);
    atomic_fetch_add_explicit(&al->errors, 1, memory_order_relaxed);
    return rv;
}

apr_status_t
accesslog_write(accesslog_t *al, const accesslog_rec_t *r)
{
    char line[ACCESSLOG_LINE_MAX];
    size_t len = accesslog_format(al->fmt, r, line, sizeof(line));

    return al_write_all(al, line, len);
}

apr_status_t
accesslog_flush(accesslog_t *al, accesslog_buf_t *b)
{
    apr_status_t rv = APR_SUCCESS;

    if (b->len > 0) {
        rv = al_write_all(al, b->data, b->len);
        b->len = 0;
    }
    return rv;
}

apr_status_t
accesslog_write_buffered(accesslog_t *al, accesslog_buf_t *b, const accesslog_rec_t *r,
                         apr_time_t now)
{
    apr_status_t rv = APR_SUCCESS, rv2;

    /* A line may take up to ACCESSLOG_LINE_MAX: make that much room first. */
    if (sizeof(b->data) - b->len < ACCESSLOG_LINE_MAX) {
        rv = accesslog_flush(al, b);
    }
    if (b->len == 0) {
        b->oldest = now;
    }
    b->len += accesslog_format(al->fmt, r, b->data + b->len, ACCESSLOG_LINE_MAX);
    if (now - b->oldest >= ACCESSLOG_BUF_MAXAGE && (rv2 = accesslog_flush(al, b)) != APR_SUCCESS) {
        rv = rv2;
    }
    return rv;
}

apr_status_t
accesslog_reopen(accesslog_t *al)
{
    apr_status_t rv = logfd_reopen(al->fd, al->path);

    if (rv == APR_SUCCESS) {
        atomic_store_explicit(&al->torn, 0, memory_order_relaxed); /* a new file */
    }
    return rv;
}

apr_uint64_t
accesslog_errors(const accesslog_t *al, apr_status_t *last_error)
{
    if (last_error != NULL) {
        *last_error = atomic_load_explicit(&al->last_error, memory_order_relaxed);
    }
    return atomic_load_explicit(&al->errors, memory_order_relaxed);
}

void
accesslog_detach(accesslog_t *al)
{
    logfd_detach(al->fd);
}

const char *
accesslog_path(const accesslog_t *al)
{
    return al->path;
}
