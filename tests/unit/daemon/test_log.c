/*
 * test_log.c — the error log: line format, levels, truncation, one message per line,
 * reopen after logrotate, concurrent writers, the rate limiter; request messages in
 * their site's ErrorLog.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "child.h"
#include "conn.h"
#include "log.h"

#define PREFIX_RE                                                                                  \
    "^\\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "         \
    "[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{6} [0-9]{4}\\] "                          \
    "\\[(emerg|alert|crit|error|warn|notice|info|debug)\\] \\[pid ([0-9]+):tid ([0-9]+)\\] "       \
    "\\[gen ([0-9]+)\\] "

static apr_pool_t *pool;
static char *dir;

static void
setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    dir = apr_pstrdup(pool, "/tmp/evtest_log.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    log_set_generation(0);
}

static void
teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    ck_assert_int_eq(log_open(NULL, EV_LOG_WARN), APR_SUCCESS);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlink(apr_pstrcat(pool, dir, "/", e->d_name, NULL));
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(dir);
    apr_pool_destroy(pool);
}

static const char *
tmp_path(const char *name)
{
    return apr_pstrcat(pool, dir, "/", name, NULL);
}

/* The whole file as a NUL-terminated string (the log never writes NUL bytes). */
static char *
slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long len;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    rewind(f);
    buf = apr_palloc(pool, (apr_size_t)len + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    if (len_out != NULL) {
        *len_out = (size_t)len;
    }
    return buf;
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

static void
open_log(const char *name, int level)
{
    ck_assert_int_eq(log_open(tmp_path(name), level), APR_SUCCESS);
}

/* Match the whole line (newline included) against PREFIX_RE followed by `rest_re`. */
static void
assert_line(const char *line, const char *rest_re, regmatch_t *m, size_t nm)
{
    regex_t re;
    char *full = apr_pstrcat(pool, PREFIX_RE, rest_re, NULL);

    ck_assert_int_eq(regcomp(&re, full, REG_EXTENDED), 0);
    ck_assert_msg(regexec(&re, line, nm, m, 0) == 0, "line <%s> does not match <%s>", line, full);
    regfree(&re);
}

START_TEST(test_line_format)
{
    regmatch_t m[7];
    char *line, *stamp;
    apr_time_exp_t before, after;
    char want_before[32], want_after[32];

    open_log("error.log", EV_LOG_DEBUG);
    log_set_generation(3);
    apr_time_exp_lt(&before, apr_time_now());
    log_error(EV_LOG_ERR, APR_FROM_OS_ERROR(EMFILE), "EVH00012", "accept failed on %s", ":80");
    apr_time_exp_lt(&after, apr_time_now());

    line = slurp(tmp_path("error.log"), NULL);
    assert_line(line, "EVH00012: accept failed on :80: \\(24\\)Too many open files\n$", m, 7);
    ck_assert_str_eq(apr_pstrndup(pool, line + m[3].rm_so, (apr_size_t)(m[3].rm_eo - m[3].rm_so)),
                     "error");
    ck_assert_int_eq(atol(line + m[4].rm_so), getpid());
    ck_assert_int_eq(atol(line + m[5].rm_so), syscall(SYS_gettid));
    ck_assert_int_eq(atol(line + m[6].rm_so), 3);

    /* Local time, to the second, taken between the two clock reads. */
    stamp = apr_pstrndup(pool, line + 1, 19);
    snprintf(want_before, sizeof(want_before), "%s %s %02d %02d:%02d:%02d",
             apr_day_snames[before.tm_wday], apr_month_snames[before.tm_mon], before.tm_mday,
             before.tm_hour, before.tm_min, before.tm_sec);
    snprintf(want_after, sizeof(want_after), "%s %s %02d %02d:%02d:%02d",
             apr_day_snames[after.tm_wday], apr_month_snames[after.tm_mon], after.tm_mday,
             after.tm_hour, after.tm_min, after.tm_sec);
    ck_assert_msg(strcmp(stamp, want_before) == 0 || strcmp(stamp, want_after) == 0,
                  "stamp %s, want %s or %s", stamp, want_before, want_after);
    ck_assert_int_eq(atoi(line + 28), after.tm_year + 1900);
}
END_TEST

static const struct {
    int level;
    const char *name;
} level_cases[] = {
    { EV_LOG_EMERG, "emerg" }, { EV_LOG_ALERT, "alert" }, { EV_LOG_CRIT, "crit" },
    { EV_LOG_ERR, "error" },   { EV_LOG_WARN, "warn" },   { EV_LOG_NOTICE, "notice" },
    { EV_LOG_INFO, "info" },   { EV_LOG_DEBUG, "debug" },
};

/* stderr connected to the journal (JOURNAL_STREAM names its dev:inode): each line starts
 * with its syslog priority; a file, or stderr elsewhere, gets none. */
START_TEST(test_journal_priority_prefix)
{
    const char *path = tmp_path("journal");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2);
    struct stat st;
    char *text, stream[64];

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_ge(dup2(fd, 2), 0);
    snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", stream, 1);
    ck_assert_int_eq(log_open(NULL, EV_LOG_DEBUG), APR_SUCCESS);
    log_error(EV_LOG_ERR, 0, "EVH99001", "to the journal");
    log_error(EV_LOG_INFO, 0, "EVH99002", "info too");
    {
        /* a virtual host's own ErrorLog is a file, journal or not: Apache's lines */
        ev_site_t site = { .error_log_id = 0 };
        site_group_t group = { .dflt = &site };
        log_file_t *files[1];
        child_env_t env = { .error_logs = files, .nerror_logs = 1 };
        child_t ch = { .env = &env };
        conn_ctx_t x = { .site = &site };
        conn_t c = { .ctx = &x, .child = &ch, .group = &group };
        char *vtext;

        ck_assert_int_eq(log_file_open(&files[0], tmp_path("vhost-j.log"), pool), APR_SUCCESS);
        c.peer.sin.sin_family = AF_INET;
        snprintf(x.client_ip, sizeof(x.client_ip), "192.0.2.9");
        log_request(&c, EV_LOG_ERR, 0, "EVH99004", "to the site's file");
        vtext = slurp(tmp_path("vhost-j.log"), NULL);
        ck_assert_msg(vtext[0] == '[' && strstr(vtext, "EVH99004") != NULL, "<%s>", vtext);
    }
    setenv("JOURNAL_STREAM", "1:2", 1); /* another stream: not ours */
    ck_assert_int_eq(log_open(NULL, EV_LOG_DEBUG), APR_SUCCESS);
    log_error(EV_LOG_ERR, 0, "EVH99003", "plain");
    unsetenv("JOURNAL_STREAM");
    dup2(saved, 2);
    close(saved);
    close(fd);
    text = slurp(path, NULL);
    ck_assert_uint_eq(count_lines(text), 3);
    ck_assert_msg(strncmp(text, "<3>[", 4) == 0, "line 1: <%s>", text);
    text = strchr(text, '\n') + 1;
    ck_assert_msg(strncmp(text, "<6>[", 4) == 0, "line 2: <%s>", text);
    text = strchr(text, '\n') + 1;
    ck_assert_msg(text[0] == '[' && strstr(text, "EVH99003") != NULL, "line 3: <%s>", text);
}
END_TEST

START_TEST(test_level_names)
{
    regmatch_t m[4];
    char *line;

    open_log("error.log", EV_LOG_DEBUG);
    log_error(level_cases[_i].level, 0, "EVH00001", "x");
    line = slurp(tmp_path("error.log"), NULL);
    assert_line(line, "EVH00001: x\n$", m, 4);
    ck_assert_str_eq(apr_pstrndup(pool, line + m[3].rm_so, (apr_size_t)(m[3].rm_eo - m[3].rm_so)),
                     level_cases[_i].name);
}
END_TEST

START_TEST(test_level_filtering)
{
    char *text;

    open_log("error.log", EV_LOG_WARN);
    ck_assert(log_enabled(EV_LOG_EMERG));
    ck_assert(log_enabled(EV_LOG_WARN));
    ck_assert(!log_enabled(EV_LOG_NOTICE));
    ck_assert(!log_enabled(EV_LOG_DEBUG));
    for (int level = EV_LOG_EMERG; level <= EV_LOG_DEBUG; level++) {
        log_error(level, 0, NULL, "level %d", level);
    }
    log_set_level(EV_LOG_EMERG);
    log_error(EV_LOG_ALERT, 0, NULL, "dropped");
    log_set_level(EV_LOG_DEBUG);
    ck_assert(log_enabled(EV_LOG_DEBUG));
    log_error(EV_LOG_DEBUG, 0, NULL, "level debug again");

    text = slurp(tmp_path("error.log"), NULL);
    ck_assert_uint_eq(count_lines(text), EV_LOG_WARN + 2);
    for (int level = EV_LOG_EMERG; level <= EV_LOG_WARN; level++) {
        ck_assert_ptr_nonnull(strstr(text, apr_psprintf(pool, "] level %d\n", level)));
    }
    ck_assert_ptr_null(strstr(text, "level 5"));
    ck_assert_ptr_null(strstr(text, "dropped"));
    ck_assert_ptr_nonnull(strstr(text, "] level debug again\n"));
}
END_TEST

/* Without an id the message follows the prefix; non-errno statuses use APR's text. */
START_TEST(test_no_id_and_apr_status)
{
    regmatch_t m[1];
    char *text;

    open_log("error.log", EV_LOG_DEBUG);
    log_error(EV_LOG_ERR, 0, NULL, "plain");
    log_error(EV_LOG_ERR, APR_EOF, "EVH00002", "read");
    text = slurp(tmp_path("error.log"), NULL);
    assert_line(text, "plain\n", m, 1);
    ck_assert_ptr_nonnull(strstr(text, "] EVH00002: read: (70014)End of file found\n"));
}
END_TEST

START_TEST(test_errno_preserved)
{
    open_log("error.log", EV_LOG_DEBUG);
    errno = EAGAIN;
    log_error(EV_LOG_ERR, 0, NULL, "x");
    ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

/* A line is at most LOG_LINE_MAX bytes; the cut is marked "..." and the newline kept. */
START_TEST(test_truncation)
{
    size_t prefix, len;
    char *text, *big = apr_palloc(pool, 3 * LOG_LINE_MAX);
    size_t room;

    memset(big, 'a', 3 * LOG_LINE_MAX - 1);
    big[3 * LOG_LINE_MAX - 1] = '\0';
    open_log("error.log", EV_LOG_DEBUG);
    log_error(EV_LOG_ERR, 0, NULL, "%s", "");
    slurp(tmp_path("error.log"), &prefix);
    prefix -= 1;
    room = LOG_LINE_MAX - 4 - prefix; /* message bytes that fit without a cut */

    open_log("exact.log", EV_LOG_DEBUG);
    log_error(EV_LOG_ERR, 0, NULL, "%.*s", (int)room, big);
    text = slurp(tmp_path("exact.log"), &len);
    ck_assert_uint_eq(len, LOG_LINE_MAX - 3);
    ck_assert_int_eq(text[len - 2], 'a');

    open_log("over.log", EV_LOG_DEBUG);
    log_error(EV_LOG_ERR, 0, NULL, "%.*s", (int)room + 1, big);
    text = slurp(tmp_path("over.log"), &len);
    ck_assert_uint_eq(len, LOG_LINE_MAX);
    ck_assert_str_eq(text + len - 5, "a...\n");

    open_log("huge.log", EV_LOG_DEBUG);
    log_error(EV_LOG_ERR, APR_FROM_OS_ERROR(EMFILE), "EVH00003", "%s", big);
    text = slurp(tmp_path("huge.log"), &len);
    ck_assert_uint_eq(len, LOG_LINE_MAX);
    ck_assert_uint_eq(count_lines(text), 1);
    ck_assert_str_eq(text + len - 4, "...\n");
}
END_TEST

/* Whatever the message holds, one call is one line. */
START_TEST(test_newlines_neutralized)
{
    regmatch_t m[1];
    char *text;

    open_log("error.log", EV_LOG_DEBUG);
    log_error(EV_LOG_ERR, 0, "EVH00004", "a\nb\r\nc\x1b[31md\te\x7f%c|", 0);
    text = slurp(tmp_path("error.log"), NULL);
    ck_assert_uint_eq(count_lines(text), 1);
    assert_line(text, "EVH00004: a b  c \\[31md e  \\|\n$", m, 1);
}
END_TEST

/* logrotate: rename the file, reopen, the next line goes to a new file at the path. */
START_TEST(test_reopen_after_rename)
{
    int fd;
    char *old_text, *new_text;

    open_log("error.log", EV_LOG_DEBUG);
    fd = log_fd();
    ck_assert_int_ne(fd, 2);
    log_error(EV_LOG_ERR, 0, NULL, "before rotation");
    ck_assert_int_eq(rename(tmp_path("error.log"), tmp_path("error.log.1")), 0);
    log_error(EV_LOG_ERR, 0, NULL, "still old");
    ck_assert_int_eq(log_reopen(), APR_SUCCESS);
    ck_assert_int_eq(log_fd(), fd);
    log_error(EV_LOG_ERR, 0, NULL, "after rotation");

    old_text = slurp(tmp_path("error.log.1"), NULL);
    new_text = slurp(tmp_path("error.log"), NULL);
    ck_assert_uint_eq(count_lines(old_text), 2);
    ck_assert_ptr_nonnull(strstr(old_text, "] before rotation\n"));
    ck_assert_ptr_nonnull(strstr(old_text, "] still old\n"));
    ck_assert_uint_eq(count_lines(new_text), 1);
    ck_assert_ptr_nonnull(strstr(new_text, "] after rotation\n"));
}
END_TEST

START_TEST(test_open_failure_keeps_destination)
{
    char *text;

    open_log("error.log", EV_LOG_WARN);
    ck_assert_int_eq(log_open(tmp_path("missing/dir/error.log"), EV_LOG_DEBUG),
                     APR_FROM_OS_ERROR(ENOENT));
    ck_assert(!log_enabled(EV_LOG_DEBUG));
    log_error(EV_LOG_ERR, 0, NULL, "kept");
    text = slurp(tmp_path("error.log"), NULL);
    ck_assert_ptr_nonnull(strstr(text, "] kept\n"));

    ck_assert_int_eq(log_open(NULL, EV_LOG_WARN), APR_SUCCESS);
    ck_assert_int_eq(log_fd(), 2);
    ck_assert_int_eq(log_reopen(), APR_SUCCESS);
    ck_assert_int_eq(log_fd(), 2);
}
END_TEST

/* A forked child must not report the parent thread's cached tid. */
START_TEST(test_fork_refreshes_tid)
{
    regmatch_t m[6];
    char *text, *second;
    pid_t child;
    int status;

    open_log("error.log", EV_LOG_DEBUG);
    log_error(EV_LOG_ERR, 0, NULL, "parent");
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        log_error(EV_LOG_ERR, 0, NULL, "child");
        _exit(0);
    }
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    text = slurp(tmp_path("error.log"), NULL);
    second = strchr(text, '\n') + 1;
    assert_line(second, "child\n$", m, 6);
    ck_assert_int_eq(atol(second + m[4].rm_so), child);
    ck_assert_int_eq(atol(second + m[5].rm_so), child);
}
END_TEST

#define WRITERS 8
#define LINES   2000

typedef struct {
    int id;
    pid_t tid;
} writer_t;

static void *
writer_main(void *arg)
{
    writer_t *w = arg;
    static const char pad[301] = { [0 ... 299] = 'x' };

    w->tid = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < LINES; i++) {
        log_error(EV_LOG_ERR, 0, "EVH00005", "w%d n%d pad:%.*s|", w->id, i, (i * 7) % 300, pad);
    }
    return NULL;
}

static _Atomic int reopen_failures;

static void *
reopener_main(void *arg)
{
    for (int i = 0; i < 300; i++) {
        if (log_reopen() != APR_SUCCESS) {
            atomic_fetch_add(&reopen_failures, 1);
        }
    }
    return arg;
}

/* Every line intact and complete while another thread keeps reopening the file. */
START_TEST(test_concurrent_writers)
{
    pthread_t threads[WRITERS], reopener;
    writer_t writers[WRITERS];
    unsigned char *seen = apr_pcalloc(pool, WRITERS * LINES);
    regex_t re;
    regmatch_t m[9];
    char *text, *line, *nl;
    size_t lines = 0;

    open_log("error.log", EV_LOG_DEBUG);
    for (int t = 0; t < WRITERS; t++) {
        writers[t].id = t;
        ck_assert_int_eq(pthread_create(&threads[t], NULL, writer_main, &writers[t]), 0);
    }
    ck_assert_int_eq(pthread_create(&reopener, NULL, reopener_main, NULL), 0);
    for (int t = 0; t < WRITERS; t++) {
        ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
    }
    ck_assert_int_eq(pthread_join(reopener, NULL), 0);
    ck_assert_int_eq(atomic_load(&reopen_failures), 0);

    ck_assert_int_eq(
        regcomp(&re, PREFIX_RE "EVH00005: w([0-7]) n([0-9]+) pad:x*\\|$", REG_EXTENDED), 0);
    text = slurp(tmp_path("error.log"), NULL);
    for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        ck_assert_msg(regexec(&re, line, 9, m, 0) == 0, "mangled line <%s>", line);
        int t = atoi(line + m[7].rm_so), i = atoi(line + m[8].rm_so);
        ck_assert_int_lt(i, LINES);
        ck_assert_int_eq(atol(line + m[5].rm_so), writers[t].tid);
        ck_assert_int_eq((int)strlen(strstr(line, "pad:")) - 5, (i * 7) % 300);
        ck_assert_int_eq(seen[t * LINES + i]++, 0);
        lines++;
    }
    ck_assert_str_eq(line, "");
    ck_assert_uint_eq(lines, WRITERS * LINES);
    regfree(&re);
}
END_TEST

static const struct {
    apr_time_t now;  /* relative to the start, µs */
    int pass;        /* expected result */
    long suppressed; /* expected report when it passes */
} rl_steps
    [] = {
        { 0, 1, 0 },        { 1, 0, 0 },       { 500000, 0, 0 },  { 999999, 0, 0 },
        { 1000000, 1, 3 },  { 1500000, 0, 0 }, { 3000000, 1, 1 }, { 3000001, 0, 0 },
        { -5000000, 1, 1 }, /* the wall clock stepped back: do not mute the site */
        { -4999999, 0, 0 },
    };

START_TEST(test_ratelimit_sequence)
{
    log_ratelimit_t rl = LOG_RATELIMIT_INIT;
    apr_time_t base = apr_time_from_sec(1795723056);

    for (size_t i = 0; i < sizeof(rl_steps) / sizeof(rl_steps[0]); i++) {
        apr_uint64_t suppressed = 99;
        int pass = log_ratelimit(&rl, base + rl_steps[i].now, &suppressed);
        ck_assert_msg(pass == rl_steps[i].pass, "step %zu: pass %d", i, pass);
        if (pass) {
            ck_assert_uint_eq(suppressed, (apr_uint64_t)rl_steps[i].suppressed);
        }
    }
    ck_assert_int_eq(log_ratelimit(&rl, base + apr_time_from_sec(9), NULL), 1);
}
END_TEST

#define RL_THREADS 8
#define RL_CALLS   10000

static log_ratelimit_t shared_rl;
static _Atomic int rl_passes;

static void *
rl_main(void *arg)
{
    apr_time_t now = *(const apr_time_t *)arg;

    for (int i = 0; i < RL_CALLS; i++) {
        if (log_ratelimit(&shared_rl, now, NULL)) {
            atomic_fetch_add(&rl_passes, 1);
        }
    }
    return NULL;
}

/* Many threads in one interval: exactly one passes, the rest are all reported later. */
START_TEST(test_ratelimit_concurrent)
{
    pthread_t threads[RL_THREADS];
    apr_time_t now = apr_time_from_sec(1795723056);
    apr_uint64_t suppressed = 0;

    for (int t = 0; t < RL_THREADS; t++) {
        ck_assert_int_eq(pthread_create(&threads[t], NULL, rl_main, &now), 0);
    }
    for (int t = 0; t < RL_THREADS; t++) {
        ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
    }
    ck_assert_int_eq(atomic_load(&rl_passes), 1);
    ck_assert_int_eq(log_ratelimit(&shared_rl, now + LOG_RATELIMIT_INTERVAL, &suppressed), 1);
    ck_assert_uint_eq(suppressed, RL_THREADS * RL_CALLS - 1);
}
END_TEST

/* log_request: the file of the request's site (the Listen's default before one is
 * chosen, the main log for a site without its own) and the client in Apache's form. */
static const struct {
    int site_log;       /* error_log_id of the answering site */
    int dflt_log;       /* error_log_id of the Listen's default site */
    int chosen;         /* a site was chosen (ctx->site set) */
    int v6;             /* the peer is IPv6 */
    const char *ip;     /* the worker's text of the peer */
    const char *client; /* expected "[client ...]" */
    const char *file;   /* where the line lands */
} request_cases[] = {
    { 0, -1, 1, 0, "192.0.2.7", "192.0.2.7:50312", "vhost.log" },
    { -1, 0, 1, 0, "192.0.2.7", "192.0.2.7:50312", "error.log" },
    { -1, 0, 0, 0, "192.0.2.7", "192.0.2.7:50312", "vhost.log" },
    { 0, 0, 1, 1, "2001:db8::1", "2001:db8::1:50312", "vhost.log" },
    { 0, 0, 1, 0, "", "-:50312", "vhost.log" },
};

START_TEST(test_request_goes_to_its_site)
{
    ev_site_t site = { .error_log_id = request_cases[_i].site_log };
    ev_site_t dflt = { .error_log_id = request_cases[_i].dflt_log };
    site_group_t group = { .dflt = &dflt };
    log_file_t *files[1];
    child_env_t env = { .error_logs = files, .nerror_logs = 1 };
    child_t ch = { .env = &env };
    conn_ctx_t x = { .site = request_cases[_i].chosen ? &site : NULL };
    conn_t c = { .ctx = &x, .child = &ch, .group = &group };
    const char *other;
    char *text;

    open_log("error.log", EV_LOG_DEBUG);
    ck_assert_int_eq(log_file_open(&files[0], tmp_path("vhost.log"), pool), APR_SUCCESS);
    ck_assert_str_eq(log_file_path(files[0]), tmp_path("vhost.log"));
    snprintf(x.client_ip, sizeof(x.client_ip), "%s", request_cases[_i].ip);
    if (request_cases[_i].v6) {
        c.peer.sin6.sin6_family = AF_INET6;
        c.peer.sin6.sin6_port = htons(50312);
    } else {
        c.peer.sin.sin_family = AF_INET;
        c.peer.sin.sin_port = htons(50312);
    }
    log_request(&c, EV_LOG_DEBUG + 1, 0, "EVH00999", "filtered by the level");
    log_request(&c, EV_LOG_INFO, APR_ENOENT, "EVH00998", "File does not exist: %s", "/x");
    text = slurp(tmp_path(request_cases[_i].file), NULL);
    ck_assert_uint_eq(count_lines(text), 1);
    assert_line(text,
                apr_pstrcat(pool, "\\[client ", request_cases[_i].client,
                            "\\] EVH00998: File does not exist: /x: \\([0-9]+\\).*\n$", NULL),
                NULL, 0);
    other = strcmp(request_cases[_i].file, "error.log") == 0 ? "vhost.log" : "error.log";
    ck_assert_uint_eq(count_lines(slurp(tmp_path(other), NULL)), 0);
}
END_TEST

/* A virtual host's log follows a rename on reopen; the descriptor number stays. */
START_TEST(test_log_file_reopen)
{
    ev_site_t site = { .error_log_id = 0 };
    site_group_t group = { .dflt = &site };
    log_file_t *files[1];
    child_env_t env = { .error_logs = files, .nerror_logs = 1 };
    child_t ch = { .env = &env };
    conn_ctx_t x = { .site = &site };
    conn_t c = { .ctx = &x, .child = &ch, .group = &group };

    ck_assert_int_eq(log_file_open(&files[0], tmp_path("v.log"), pool), APR_SUCCESS);
    log_request(&c, EV_LOG_ERR, 0, NULL, "before");
    ck_assert_int_eq(rename(tmp_path("v.log"), tmp_path("v.log.1")), 0);
    ck_assert_int_eq(log_file_reopen(files[0]), APR_SUCCESS);
    log_request(&c, EV_LOG_ERR, 0, NULL, "after");
    ck_assert_ptr_nonnull(strstr(slurp(tmp_path("v.log.1"), NULL), "] before\n"));
    ck_assert_ptr_nonnull(strstr(slurp(tmp_path("v.log"), NULL), "] after\n"));
    ck_assert_int_ne(log_file_open(&files[0], tmp_path("missing/v.log"), pool), APR_SUCCESS);
}
END_TEST

static Suite *
log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_line_format);
    tcase_add_test(tc, test_journal_priority_prefix);
    tcase_add_loop_test(tc, test_level_names, 0, sizeof(level_cases) / sizeof(level_cases[0]));
    tcase_add_test(tc, test_level_filtering);
    tcase_add_test(tc, test_no_id_and_apr_status);
    tcase_add_test(tc, test_errno_preserved);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_newlines_neutralized);
    tcase_add_test(tc, test_reopen_after_rename);
    tcase_add_test(tc, test_open_failure_keeps_destination);
    tcase_add_test(tc, test_fork_refreshes_tid);
    tcase_add_test(tc, test_concurrent_writers);
    tcase_add_test(tc, test_ratelimit_sequence);
    tcase_add_test(tc, test_ratelimit_concurrent);
    tcase_add_loop_test(tc, test_request_goes_to_its_site, 0,
                        sizeof(request_cases) / sizeof(request_cases[0]));
    tcase_add_test(tc, test_log_file_reopen);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(log_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
