/*
 * fuzz_config.c — libFuzzer harness for the configuration loader (config.h), the parser
 * of operator input: lines, continuations, quotes, every directive's value syntax,
 * Include/IncludeOptional and the end-of-load resolution and clamps.
 *
 * Input: the text of the main configuration file, byte for byte. It is written to
 * .fuzz.conf in a private directory, made with mkdtemp at the first call and reused
 * (removed at a normal exit; a crash leaves it behind with the input), and loaded
 * with config_load (no -C, no -c) from a pool that is destroyed after every input.
 *
 * Files: the loader reads the disk only for Include/IncludeOptional (open, read, glob,
 * directory listing) and ServerRoot (stat); every other path directive is only
 * resolved as text. So that no input can make it read a file of the machine (or block
 * on a FIFO, or walk the whole tree), the harness first cuts the input into logical
 * lines and words with the loader's own config_syntax functions, and skips (returns
 * -1: not loaded, not kept in the corpus) any input whose Include, IncludeOptional or
 * ServerRoot line has an argument that is absolute, contains a backslash (a glob
 * escape) or has a path component starting with '.' (so no "..", and no glob can
 * match "." or "..": glob matches a leading dot only with a literal one). ServerRoot
 * resolves against the main file's directory and Include against ServerRoot, so what
 * remains stays inside the private directory. It holds fixed fragments to include:
 * conf.d/ (valid .conf files and a README that is not one), bad.conf (errors),
 * binary.conf (a NUL byte), loop/self.conf (includes itself until the depth limit)
 * and an empty directory. The main file's dot name keeps every pattern, and so every
 * Include chain, from reaching it (no exponential self-inclusion). Absolute paths are
 * thus never exercised: the private path is random, and relative ones run the same
 * code after the one apr_filepath_merge. The seeds write their Includes relative.
 *
 * Checks, on every input: the messages have the contract's forms (see
 * fuzz_config_messages); at most 50 errors, then "too many errors"; APR_SUCCESS with a
 * configuration and only warnings, or APR_EINVAL with no configuration and an error.
 * On success, every invariant the daemon relies on: at least one Listen, valid and
 * not duplicated; the paths absolute without a trailing slash; Apache's MPM clamps
 * (ServerLimit, ThreadLimit, ThreadsPerChild, MaxRequestWorkers a multiple of it,
 * StartServers, spare threads); the limits' minimums; RequestReadTimeout stages; the
 * StatusAllow networks with their host bits clear. Any broken promise abort()s, which
 * libFuzzer records as a crash. The loader itself must not print or exit.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_allocator.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "config.h"
#include "config_syntax.h"

#define FUZZ_CONFIG_MAX_ERRORS 50 /* config.c's CONFIG_MAX_ERRORS */
#define FUZZ_CONFIG_MAIN       ".fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed file (or, with a NULL text, a directory) of the private directory. */
typedef struct {
    const char *name; /* relative to the private directory */
    const char *text; /* contents, or NULL for a directory */
    size_t len;       /* bytes of text; 0 for strlen(text) (binary.conf holds a NUL) */
} fuzz_config_file_t;

/* In creation order; removed in reverse. */
static const fuzz_config_file_t fuzz_config_files[] = {
    { "conf.d", NULL, 0 },
    { "conf.d/10-keepalive.conf",
      "KeepAlive Off\nMaxKeepAliveRequests 50\nKeepAliveTimeout 1500ms\n", 0 },
    { "conf.d/20-status.conf", "StatusLocation /server-status\nStatusAllow 10.0.0.0/8 ::1\n", 0 },
    { "conf.d/30-listen.conf", "Listen 127.0.0.1:8081\n", 0 },
    { "conf.d/README", "Files ending in .conf here are included.\n", 0 },
    { "bad.conf", "ThreadsPerChild many\nBogus on\nLogFormat \"%h\"\n", 0 },
    { "binary.conf", "Listen 80\0\n", 11 },
    { "loop", NULL, 0 },
    { "loop/self.conf", "Include loop/self.conf\n", 0 },
    { "empty", NULL, 0 },
};

#define FUZZ_CONFIG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char fuzz_config_dir[PATH_MAX];  /* the private directory, once made */
static char fuzz_config_path[PATH_MAX]; /* its .fuzz.conf */
static int fuzz_config_ready;           /* APR and the directory are set up */

/* A broken promise: name it, then abort() so that libFuzzer keeps the input. */
static void
fuzz_config_fail(const char *what, int line)
{
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, line, what);
    abort();
}

#define FUZZ_EXPECT(cond) ((cond) ? (void)0 : fuzz_config_fail(#cond, __LINE__))

static void
fuzz_config_cleanup(void)
{
    char path[PATH_MAX];
    size_t i = FUZZ_CONFIG_COUNT(fuzz_config_files);

    unlink(fuzz_config_path);
    while (i-- > 0) {
        snprintf(path, sizeof(path), "%s/%s", fuzz_config_dir, fuzz_config_files[i].name);
        if (fuzz_config_files[i].text)
            unlink(path);
        else
            rmdir(path);
    }
    rmdir(fuzz_config_dir);
    apr_terminate();
}

static void
fuzz_config_write(const char *path, const void *text, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Once: APR, the private directory and its fixed files. */
static void
fuzz_config_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    char path[PATH_MAX];
    size_t i;

    if (apr_initialize() != APR_SUCCESS)
        abort();
    snprintf(fuzz_config_dir, sizeof(fuzz_config_dir), "%s/evhttpd-fuzz-config.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fuzz_config_dir) == NULL) {
        perror(fuzz_config_dir);
        abort();
    }
    snprintf(fuzz_config_path, sizeof(fuzz_config_path), "%s/%s", fuzz_config_dir,
             FUZZ_CONFIG_MAIN);
    for (i = 0; i < FUZZ_CONFIG_COUNT(fuzz_config_files); i++) {
        snprintf(path, sizeof(path), "%s/%s", fuzz_config_dir, fuzz_config_files[i].name);
        if (fuzz_config_files[i].text)
            fuzz_config_write(path, fuzz_config_files[i].text,
                              fuzz_config_files[i].len ? fuzz_config_files[i].len
                                                       : strlen(fuzz_config_files[i].text));
        else if (mkdir(path, 0700) != 0)
            abort();
    }
    atexit(fuzz_config_cleanup);
    fuzz_config_ready = 1;
}

/* A pool with its own allocator, so that destroying it gives every byte back to malloc:
 * a pointer kept from an earlier input then points at freed memory, which ASan sees. */
static apr_pool_t *
fuzz_config_pool(void)
{
    apr_allocator_t *a;
    apr_pool_t *p;

    if (apr_allocator_create(&a) != APR_SUCCESS ||
        apr_pool_create_ex(&p, NULL, NULL, a) != APR_SUCCESS)
        abort();
    apr_allocator_owner_set(a, p);
    return p;
}

/* ---- keeping the loader inside the private directory ---- */

/* Whether a path argument stays below the directory it is resolved against. */
static int
fuzz_config_path_safe(const char *arg)
{
    const char *c;

    if (arg[0] == '/' || strchr(arg, '\\') != NULL)
        return 0;
    for (c = arg; c != NULL; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        if (*c == '.')
            return 0;
    }
    return 1;
}

/* Whether every line the loader would run as Include, IncludeOptional or ServerRoot
 * has safe arguments; the lines are cut exactly as config_read_file cuts them. */
static int
fuzz_config_safe(const uint8_t *data, size_t size, apr_pool_t *p)
{
    apr_array_header_t *words = apr_array_make(p, 8, sizeof(char *));
    char *buf = apr_palloc(p, size + 1), *pos, *line, **argv;
    int lineno = 0, i;

    memcpy(buf, data, size);
    if (memchr(buf, '\0', size) != NULL)
        return 1; /* refused whole before any line runs */
    for (pos = buf; pos < buf + size;) {
        line = config_syntax_next_line(&pos, buf + size, &lineno);
        while (apr_isspace(*line))
            line++;
        if (*line == '\0' || *line == '#' || config_syntax_split(line, words) != NULL)
            continue;
        argv = (char **)words->elts;
        if (strcasecmp(argv[0], "Include") != 0 && strcasecmp(argv[0], "IncludeOptional") != 0 &&
            strcasecmp(argv[0], "ServerRoot") != 0)
            continue;
        for (i = 1; i < words->nelts; i++)
            if (!fuzz_config_path_safe(argv[i]))
                return 0;
    }
    return 1;
}

/* ---- the checks ---- */

/* If msg opens with "<label>:<N>: " for a label in the private directory, returns N
 * and sets *label_len; else 0. */
static long
fuzz_config_located(const char *msg, size_t *label_len)
{
    size_t dir_len = strlen(fuzz_config_dir);
    const char *colon, *d;
    long n = 0;

    if (strncmp(msg, fuzz_config_dir, dir_len) != 0 || msg[dir_len] != '/')
        return 0;
    if ((colon = strchr(msg + dir_len, ':')) == NULL || !apr_isdigit(colon[1]))
        return 0;
    for (d = colon + 1; apr_isdigit(*d) && n < INT_MAX; d++)
        n = n * 10 + (*d - '0');
    if (d[0] != ':' || d[1] != ' ')
        return 0;
    *label_len = (size_t)(colon - msg);
    return n;
}

/*
 * The forms config.h promises: "warning: ..."; "file:line: message" for an error at a
 * line; the main file alone, "file: message", for what concerns the whole file (no
 * Listen, a NUL byte); and "too many errors (N), stopping" closing a run cut short.
 * A line of the main file is one of its physical lines. Returns the count of errors.
 */
static int
fuzz_config_messages(const apr_array_header_t *msgs, const uint8_t *data, size_t size)
{
    size_t main_len = strlen(fuzz_config_path), label_len, i;
    long lines = 1, n;
    int errors = 0, k;

    for (i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (k = 0; k < msgs->nelts; k++) {
        const char *m = APR_ARRAY_IDX(msgs, k, const char *);

        FUZZ_EXPECT(m != NULL && m[0] != '\0');
        if (strncmp(m, "warning: ", 9) == 0)
            continue;
        if (strncmp(m, "too many errors (", 17) == 0) {
            FUZZ_EXPECT(errors == FUZZ_CONFIG_MAX_ERRORS && k == msgs->nelts - 1);
            continue;
        }
        errors++;
        if (strncmp(m, fuzz_config_path, main_len) == 0 && m[main_len] == ':' &&
            m[main_len + 1] == ' ')
            continue;
        n = fuzz_config_located(m, &label_len);
        FUZZ_EXPECT(n >= 1);
        if (label_len == main_len && strncmp(m, fuzz_config_path, main_len) == 0)
            FUZZ_EXPECT(n <= lines);
    }
    FUZZ_EXPECT(errors <= FUZZ_CONFIG_MAX_ERRORS);
    return errors;
}

/* Absolute, no trailing slash unless it is "/". */
static int
fuzz_config_abs(const char *path)
{
    size_t n = path ? strlen(path) : 0;

    return n > 0 && path[0] == '/' && (n == 1 || path[n - 1] != '/');
}

static void
fuzz_config_check_listens(const ev_config_t *c)
{
    int i, j;

    FUZZ_EXPECT(c->listens != NULL && c->listens->nelts >= 1);
    for (i = 0; i < c->listens->nelts; i++) {
        const ev_listen_cfg_t *l = &APR_ARRAY_IDX(c->listens, i, ev_listen_cfg_t);

        FUZZ_EXPECT(l->port >= 1 && l->spec != NULL && l->where != NULL);
        FUZZ_EXPECT(l->host == NULL ? l->family == APR_UNSPEC
                                    : l->family == APR_INET || l->family == APR_INET6);
        for (j = 0; j < i; j++) {
            const ev_listen_cfg_t *o = &APR_ARRAY_IDX(c->listens, j, ev_listen_cfg_t);

            FUZZ_EXPECT(o->family != l->family || o->port != l->port ||
                        (o->host == NULL) != (l->host == NULL) ||
                        (o->host != NULL && strcmp(o->host, l->host) != 0));
        }
    }
}

static void
fuzz_config_check_paths(const ev_config_t *c)
{
    int i;

    FUZZ_EXPECT(c->file != NULL && strcmp(c->file, fuzz_config_path) == 0);
    FUZZ_EXPECT(fuzz_config_abs(c->server_root) && fuzz_config_abs(c->runtime_dir));
    FUZZ_EXPECT(fuzz_config_abs(c->main->document_root) && fuzz_config_abs(c->types_config));
    FUZZ_EXPECT(fuzz_config_abs(c->pid_file) && fuzz_config_abs(c->scoreboard_file));
    FUZZ_EXPECT(fuzz_config_abs(c->control_socket));
    FUZZ_EXPECT(c->error_log == NULL || fuzz_config_abs(c->error_log));
    FUZZ_EXPECT(c->user != NULL && c->user[0] != '\0' && c->group != NULL && c->group[0] != '\0');
    FUZZ_EXPECT(c->main->directory_index != NULL && c->main->directory_index->nelts >= 1);
    for (i = 0; i < c->main->directory_index->nelts; i++)
        FUZZ_EXPECT(APR_ARRAY_IDX(c->main->directory_index, i, const char *)[0] != '\0');
    for (i = 0; i < c->custom_logs->nelts; i++) {
        const ev_customlog_t *log = &APR_ARRAY_IDX(c->custom_logs, i, ev_customlog_t);

        FUZZ_EXPECT(fuzz_config_abs(log->path) && log->format != NULL);
    }
    FUZZ_EXPECT(apr_hash_get(c->log_formats, "common", APR_HASH_KEY_STRING) != NULL);
    FUZZ_EXPECT(apr_hash_get(c->log_formats, "combined", APR_HASH_KEY_STRING) != NULL);
    FUZZ_EXPECT(c->status_location == NULL ||
                (fuzz_config_abs(c->status_location) && strlen(c->status_location) > 1));
}

/* Apache's event MPM clamps (config_clamp), as the parent and the children use them. */
static void
fuzz_config_check_clamps(const ev_config_t *c)
{
    long long spare = (long long)c->min_spare_threads + c->threads_per_child;

    FUZZ_EXPECT(c->server_limit >= 1 && c->server_limit <= 20000);
    FUZZ_EXPECT(c->thread_limit >= 1 && c->thread_limit <= 100000);
    FUZZ_EXPECT(c->threads_per_child >= 1 && c->threads_per_child <= c->thread_limit);
    FUZZ_EXPECT(c->max_request_workers >= c->threads_per_child);
    FUZZ_EXPECT(c->max_request_workers % c->threads_per_child == 0);
    FUZZ_EXPECT(c->max_request_workers <= (long long)c->server_limit * c->threads_per_child);
    FUZZ_EXPECT(c->start_servers >= 1 && c->start_servers <= c->server_limit);
    FUZZ_EXPECT(c->min_spare_threads >= 1);
    FUZZ_EXPECT(c->max_spare_threads >= (spare > INT_MAX ? INT_MAX : spare));
    FUZZ_EXPECT(c->max_connections_per_child >= 0);
    FUZZ_EXPECT(isfinite(c->async_request_worker_factor) && c->async_request_worker_factor > 0);
}

static void
fuzz_config_check_timeout(const ev_read_timeout_t *t)
{
    FUZZ_EXPECT(t->timeout >= 0 && t->min_rate >= 0);
    FUZZ_EXPECT(t->max == 0 || (t->max > t->timeout && t->min_rate > 0));
}

static void
fuzz_config_check_limits(const ev_config_t *c)
{
    FUZZ_EXPECT(c->listen_backlog >= 1);
    FUZZ_EXPECT(c->limit_request_line >= 1 && c->limit_request_field_size >= 1);
    FUZZ_EXPECT(c->limit_request_fields >= 1 && c->limit_request_header_size >= 1);
    FUZZ_EXPECT(c->limit_request_body >= 0);
    FUZZ_EXPECT(c->file_cache_size >= 0 && c->file_cache_max_file >= 0);
    FUZZ_EXPECT(c->max_keepalive_requests >= 0);
    FUZZ_EXPECT(c->keepalive == 0 || c->keepalive == 1);
    FUZZ_EXPECT(c->buffered_logs == 0 || c->buffered_logs == 1);
    FUZZ_EXPECT(c->log_level >= EV_LOG_EMERG && c->log_level <= EV_LOG_DEBUG);
    FUZZ_EXPECT(c->main->keepalive_timeout >= 0 && c->timeout >= 0);
    FUZZ_EXPECT(c->graceful_shutdown_timeout >= 0 && c->graceful_restart_timeout >= 0);
    fuzz_config_check_timeout(&c->header_timeout);
    fuzz_config_check_timeout(&c->body_timeout);
}

static void
fuzz_config_check_status_allow(const ev_config_t *c)
{
    int i, b;

    FUZZ_EXPECT(c->status_allow != NULL && c->status_allow->nelts >= 1);
    for (i = 0; i < c->status_allow->nelts; i++) {
        const ev_cidr_t *net = &APR_ARRAY_IDX(c->status_allow, i, ev_cidr_t);
        int bits = net->family == APR_INET ? 32 : 128;

        FUZZ_EXPECT(net->family == APR_INET || net->family == APR_INET6);
        FUZZ_EXPECT(net->prefix >= 0 && net->prefix <= bits);
        for (b = net->prefix; b < 128; b++) /* host bits, and IPv4's unused bytes */
            FUZZ_EXPECT((net->addr[b / 8] & (0x80u >> (b % 8))) == 0);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_array_header_t *msgs;
    ev_config_t *cfg = NULL;
    apr_status_t rv;
    apr_pool_t *p;
    int errors;

    if (!fuzz_config_ready)
        fuzz_config_setup();
    p = fuzz_config_pool();
    if (!fuzz_config_safe(data, size, p)) {
        apr_pool_destroy(p);
        return -1; /* never loaded, and kept out of the corpus */
    }
    fuzz_config_write(fuzz_config_path, data, size);
    msgs = apr_array_make(p, 4, sizeof(const char *));
    rv = config_load(&cfg, fuzz_config_path, NULL, NULL, p, msgs);
    errors = fuzz_config_messages(msgs, data, size);
    if (rv == APR_SUCCESS) {
        FUZZ_EXPECT(cfg != NULL && errors == 0);
        fuzz_config_check_listens(cfg);
        fuzz_config_check_paths(cfg);
        fuzz_config_check_clamps(cfg);
        fuzz_config_check_limits(cfg);
        fuzz_config_check_status_allow(cfg);
    } else {
        FUZZ_EXPECT(rv == APR_EINVAL && cfg == NULL && errors >= 1);
    }
    apr_pool_destroy(p);
    return 0;
}
