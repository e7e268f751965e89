/*
 * test_accesslog.c — LogFormat compilation, every directive against a hand-built record,
 * common and combined lines, escaping of hostile input, truncation, files and reopen,
 * buffered writing (BufferedLogs): when a buffer reaches the file, whole lines only.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "accesslog.h"

#define COMMON   "%h %l %u %t \\\"%r\\\" %>s %b"
#define COMBINED COMMON " \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\""

/* Thu Nov 26 19:57:36 2026 UTC, plus a fraction. */
#define T0 (apr_time_from_sec(1795723056) + 123456)

static apr_pool_t *pool;

#define SL(s) ((ev_slice_t){ (s), sizeof(s) - 1 })

static const char request_line[] = "GET /a/b.html?x=1&y=2 HTTP/1.1";

static http_field_t fields[] = {
    { SL("Host"), SL("example.com") },
    { SL("User-Agent"), SL("curl/8.0") },
    { SL("Referer"), SL("http://ref.example/") },
    { SL("X-Dup"), SL("a") },
    { SL("x-dup"), SL("b") },
    { SL("X-Empty"), SL("") },
};

static const struct {
    const char *name;
    const char *value;
} out_headers[] = {
    { "Content-Type", "text/html" },
    { "Location", "http://example.com/\"x\"\n" },
};

static ev_slice_t
out_header(void *baton, const char *name)
{
    ev_slice_t none = { NULL, 0 };

    for (size_t i = 0; i < sizeof(out_headers) / sizeof(out_headers[0]); i++) {
        if (strcasecmp(out_headers[i].name, name) == 0) {
            return (ev_slice_t){ out_headers[i].value, strlen(out_headers[i].value) };
        }
    }
    return none;
}

static http_request_t req;
static accesslog_rec_t rec;

static void
setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    memset(&req, 0, sizeof(req));
    req.line = (ev_slice_t){ request_line, sizeof(request_line) - 1 };
    req.method = (ev_slice_t){ request_line, 3 };
    req.method_id = EV_M_GET;
    req.target = (ev_slice_t){ request_line + 4, 17 };
    req.version = 11;
    req.fields = fields;
    req.nfields = sizeof(fields) / sizeof(fields[0]);

    memset(&rec, 0, sizeof(rec));
    rec.client_ip = "192.0.2.7";
    rec.local_port = 8080;
    rec.server_name = "www.example.com";
    rec.req = &req;
    rec.status = 200;
    rec.body_bytes = 1234;
    rec.start = T0;
    rec.duration = 1500250;
    rec.out_header = out_header;
}

static void
teardown(void)
{
    apr_pool_destroy(pool);
}

static accesslog_fmt_t *
compile(const char *format)
{
    accesslog_fmt_t *f = NULL;
    const char *error = NULL;
    apr_status_t rv = accesslog_compile(&f, format, pool, &error);

    ck_assert_msg(rv == APR_SUCCESS, "compile <%s>: %s", format, error ? error : "?");
    return f;
}

/* The line without its newline, as a string. */
static char *
format_rec(const char *format, const accesslog_rec_t *r)
{
    char buf[4096];
    size_t n = accesslog_format(compile(format), r, buf, sizeof(buf));

    ck_assert_uint_ge(n, 1);
    ck_assert_int_eq(buf[n - 1], '\n');
    return apr_pstrmemdup(pool, buf, n - 1);
}

static const struct {
    const char *format;
    const char *want;
} directive_cases[] = {
    { "%h", "192.0.2.7" },
    { "%a", "192.0.2.7" },
    { "%l", "-" },
    { "%u", "-" },
    { "%t", "[26/Nov/2026:19:57:36 +0000]" },
    { "%{begin:}t", "[26/Nov/2026:19:57:36 +0000]" },
    { "%{%Y-%m-%d %H}t", "2026-11-26 19" },
    { "%{end:%H:%M:%S}t", "19:57:37" },
    { "%{sec}t", "1795723056" },
    { "%{msec}t", "1795723056123" },
    { "%{usec}t", "1795723056123456" },
    { "%{msec_frac}t", "123" },
    { "%{usec_frac}t", "123456" },
    { "%{end:usec_frac}t", "623706" },
    { "%r", "GET /a/b.html?x=1&y=2 HTTP/1.1" },
    { "%m", "GET" },
    { "%U", "/a/b.html" },
    { "%q", "?x=1&y=2" },
    { "%H", "HTTP/1.1" },
    { "%s", "200" },
    { "%>s", "200" },
    { "%<s", "200" },
    { "%b", "1234" },
    { "%B", "1234" },
    { "%D", "1500250" },
    { "%T", "1" },
    { "%{User-Agent}i", "curl/8.0" },
    { "%{user-AGENT}i", "curl/8.0" },
    { "%{X-Dup}i", "a, b" },
    { "%{X-Empty}i", "" },
    { "%{Missing}i", "-" },
    { "%{Host-}i", "-" },
    { "%>{Host}i", "example.com" },
    { "%{content-type}o", "text/html" },
    { "%{Location}o", "http://example.com/\\\"x\\\"\\n" },
    { "%{Missing}o", "-" },
    { "%p", "8080" },
    { "%v", "www.example.com" },
    { "%%", "%" },
    { "100%% %s", "100% 200" },
    { "a\\tb", "a\tb" },
    { "a\\nb", "a\nb" },
    { "a\\\"b", "a\"b" },
    { "a\\\\b", "a\\b" },
    { "a\\xb", "a\\xb" },
    { "end\\", "end\\" },
    { "", "" },
    { "plain text", "plain text" },
};

START_TEST(test_directive)
{
    ck_assert_str_eq(format_rec(directive_cases[_i].format, &rec), directive_cases[_i].want);
}
END_TEST

START_TEST(test_pid)
{
    ck_assert_str_eq(format_rec("%P", &rec), apr_psprintf(pool, "%ld", (long)getpid()));
}
END_TEST

START_TEST(test_common_and_combined)
{
    ck_assert_str_eq(format_rec(COMMON, &rec), "192.0.2.7 - - [26/Nov/2026:19:57:36 +0000] "
                                               "\"GET /a/b.html?x=1&y=2 HTTP/1.1\" 200 1234");
    ck_assert_str_eq(format_rec(COMBINED, &rec), "192.0.2.7 - - [26/Nov/2026:19:57:36 +0000] "
                                                 "\"GET /a/b.html?x=1&y=2 HTTP/1.1\" 200 1234 "
                                                 "\"http://ref.example/\" \"curl/8.0\"");
}
END_TEST

/* The per-thread %t cache follows the record's second, forward and back. */
START_TEST(test_time_cache_follows_second)
{
    static const struct {
        apr_time_t start;
        const char *want;
    } steps[] = {
        { T0, "[26/Nov/2026:19:57:36 +0000]" },
        { T0 + 800000, "[26/Nov/2026:19:57:36 +0000]" },
        { T0 + 900000, "[26/Nov/2026:19:57:37 +0000]" },
        { T0 - 200000, "[26/Nov/2026:19:57:35 +0000]" },
        { T0 + apr_time_from_sec(86400 * 40), "[05/Jan/2027:19:57:36 +0000]" },
        { 0, "[01/Jan/1970:00:00:00 +0000]" },
    };

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        rec.start = steps[i].start;
        ck_assert_str_eq(format_rec("%t", &rec), steps[i].want);
    }
}
END_TEST

static const struct {
    const char *tz;
    const char *want; /* at T0 + 10 s * (case + 1) */
} tz_cases[] = {
    { "EST5", "[26/Nov/2026:14:57:46 -0500]" },
    { "IST-5:30", "[27/Nov/2026:01:27:56 +0530]" },
    { "NPT-5:45", "[27/Nov/2026:01:43:06 +0545]" },
};

/* %t is local time with its offset. Each case uses its own second because the cache is
 * keyed by the second only (the zone does not change under a running daemon). */
START_TEST(test_time_zone_offset)
{
    setenv("TZ", tz_cases[_i].tz, 1);
    tzset();
    rec.start = T0 + apr_time_from_sec(10 * (_i + 1));
    ck_assert_str_eq(format_rec("%t", &rec), tz_cases[_i].want);
    setenv("TZ", "UTC", 1);
    tzset();
}
END_TEST

START_TEST(test_bytes_and_status_zero)
{
    rec.body_bytes = 0;
    rec.status = 0;
    ck_assert_str_eq(format_rec("%b|%B|%s|%>s", &rec), "-|0|-|-");
    rec.body_bytes = 1;
    rec.status = 304;
    ck_assert_str_eq(format_rec("%b|%B|%s", &rec), "1|1|304");
}
END_TEST

/* A request that failed before parsing: %r is the raw line or "-". */
START_TEST(test_no_parsed_request)
{
    static const char raw[] = "\x16\x03\x01 junk\"";

    rec.req = NULL;
    rec.client_ip = NULL;
    rec.server_name = NULL;
    rec.out_header = NULL;
    ck_assert_str_eq(format_rec("%r|%m|%U|%q|%H|%{Host}i|%{Content-Type}o|%h|%v", &rec),
                     "-|-|-||-|-|-|-|-");
    rec.request_line = (ev_slice_t){ raw, sizeof(raw) - 1 };
    ck_assert_str_eq(format_rec("\\\"%r\\\"", &rec), "\"\\x16\\x03\\x01 junk\\\"\"");
}
END_TEST

START_TEST(test_path_override_and_no_query)
{
    static const char line[] = "GET /x%20y HTTP/1.0";

    req.line = (ev_slice_t){ line, sizeof(line) - 1 };
    req.target = (ev_slice_t){ line + 4, 6 };
    req.version = 10;
    ck_assert_str_eq(format_rec("%U|%q|%H", &rec), "/x%20y||HTTP/1.0");
    rec.path = SL("/x y");
    ck_assert_str_eq(format_rec("%U", &rec), "/x y");
}
END_TEST

/* A client must not be able to end the line or fake a field: every byte it controls
 * that is not printable ASCII, and every " and \, is escaped as Apache does. */
START_TEST(test_escaping_hostile_values)
{
    static const char evil_line[] = "GET /x\" 200 1 \"-\" \"evil\n1.2.3.4 - - HTTP/1.1";
    static const char ua[] = "a\"b\\c\r\n\t\b\v\x01\x1b\x7f\x80\xff-end";
    http_field_t evil_fields[] = {
        { SL("User-Agent"), { ua, sizeof(ua) - 1 } },
        { SL("Referer"), SL("\"\"") },
    };
    char *text;

    req.line = (ev_slice_t){ evil_line, sizeof(evil_line) - 1 };
    req.method = (ev_slice_t){ evil_line, 3 };
    req.target = (ev_slice_t){ evil_line + 4, sizeof(evil_line) - 1 - 4 - 9 };
    req.fields = evil_fields;
    req.nfields = 2;
    ck_assert_str_eq(format_rec("%{User-Agent}i", &rec),
                     "a\\\"b\\\\c\\r\\n\\t\\b\\v\\x01\\x1b\\x7f\\x80\\xff-end");
    ck_assert_str_eq(format_rec("%r", &rec),
                     "GET /x\\\" 200 1 \\\"-\\\" \\\"evil\\n1.2.3.4 - - HTTP/1.1");
    ck_assert_str_eq(format_rec("%U", &rec), "/x\\\" 200 1 \\\"-\\\" \\\"evil\\n1.2.3.4 - -");

    text = format_rec(COMBINED, &rec);
    ck_assert_ptr_null(strchr(text, '\n'));
    for (const char *c = text; *c != '\0'; c++) {
        ck_assert_msg((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f, "raw byte %02x",
                      (unsigned char)*c);
    }
    /* Exactly the six quotes the format itself writes remain unescaped. */
    int quotes = 0;
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '\\') {
            c++;
        } else if (*c == '"') {
            quotes++;
        }
    }
    ck_assert_int_eq(quotes, 6);
}
END_TEST

static const struct {
    const char *format;
    const char *names; /* must appear in the message */
} bad_formats[] = {
    { "%Z", "%Z" },          { "%h %x %s", "%x" },         { "%{X}Z", "%{X}Z" },
    { "%400{X}i", "%4" },    { "%!200s", "%!" },           { "abc%", "incomplete" },
    { "%>", "incomplete" },  { "%{Host", "unterminated" }, { "%{}i", "%{}i" },
    { "%i", "%i" },          { "%{}o", "%{}o" },           { "%{c}h", "%{c}h" },
    { "%{x}s", "takes no" },
};

START_TEST(test_compile_errors)
{
    accesslog_fmt_t *f = NULL;
    const char *error = NULL;

    ck_assert_int_eq(accesslog_compile(&f, bad_formats[_i].format, pool, &error), APR_EINVAL);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error, bad_formats[_i].names) != NULL, "<%s>: message <%s> lacks <%s>",
                  bad_formats[_i].format, error, bad_formats[_i].names);
}
END_TEST

/* No cut inside an escape: every backslash in the text is followed by its whole
 * sequence. */
static void
assert_escapes_whole(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            continue;
        }
        ck_assert_msg(i + 1 < n, "cut after a backslash at %zu", i);
        if (s[i + 1] == 'x') {
            ck_assert_msg(i + 3 < n, "cut inside \\x at %zu", i);
            i += 3;
        } else {
            i += 1;
        }
    }
}

/* Every buffer size from 0 to past the full line: no overflow (ASan watches the exact
 * allocation), the newline kept, the text a prefix of the whole line. */
START_TEST(test_truncation_every_size)
{
    static const char ua[] = "x\"\\\x01\xff\"y\n";
    http_field_t hostile[] = { { SL("User-Agent"), { ua, sizeof(ua) - 1 } } };
    accesslog_fmt_t *f = compile(COMBINED " %{User-Agent}i %D %{%Y}t");
    char full[4096];
    size_t full_len;

    req.fields = hostile;
    req.nfields = 1;
    full_len = accesslog_format(f, &rec, full, sizeof(full));
    ck_assert_uint_gt(full_len, 100);
    ck_assert_uint_lt(full_len, sizeof(full));
    for (size_t size = 0; size <= full_len + 8; size++) {
        char *buf = malloc(size > 0 ? size : 1);
        size_t n = accesslog_format(f, &rec, buf, size);

        ck_assert_ptr_nonnull(buf);
        ck_assert_uint_le(n, size);
        if (size == 0) {
            ck_assert_uint_eq(n, 0);
        } else {
            ck_assert_uint_ge(n, 1);
            ck_assert_int_eq(buf[n - 1], '\n');
            ck_assert_int_eq(memcmp(buf, full, n - 1), 0);
            ck_assert_ptr_null(memchr(buf, '\n', n - 1));
            assert_escapes_whole(buf, n - 1);
        }
        if (size >= full_len) {
            ck_assert_uint_eq(n, full_len);
        }
        free(buf);
    }
}
END_TEST

static char dir[64];

static void
file_setup(void)
{
    setup();
    snprintf(dir, sizeof(dir), "/tmp/evtest_accesslog.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
file_teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlink(apr_pstrcat(pool, dir, "/", e->d_name, NULL));
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(dir);
    teardown();
}

static const char *
tmp_path(const char *name)
{
    return apr_pstrcat(pool, dir, "/", name, NULL);
}

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
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;

    ck_assert_ptr_nonnull(d);
    while (readdir(d) != NULL) {
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(test_write_and_reopen)
{
    accesslog_t *al;
    apr_status_t last = -1;
    size_t fds_before = count_fds();

    ck_assert_int_eq(accesslog_open(&al, tmp_path("access.log"), compile("%>s %U"), pool),
                     APR_SUCCESS);
    ck_assert_str_eq(accesslog_path(al), tmp_path("access.log"));
    ck_assert_int_eq(accesslog_write(al, &rec), APR_SUCCESS);
    rec.status = 404;
    ck_assert_int_eq(accesslog_write(al, &rec), APR_SUCCESS);
    ck_assert_int_eq(rename(tmp_path("access.log"), tmp_path("access.log.1")), 0);
    ck_assert_int_eq(accesslog_reopen(al), APR_SUCCESS);
    rec.status = 500;
    ck_assert_int_eq(accesslog_write(al, &rec), APR_SUCCESS);

    ck_assert_str_eq(slurp(tmp_path("access.log.1"), NULL), "200 /a/b.html\n404 /a/b.html\n");
    ck_assert_str_eq(slurp(tmp_path("access.log"), NULL), "500 /a/b.html\n");
    ck_assert_uint_eq(accesslog_errors(al, &last), 0);
    ck_assert_int_eq(last, APR_SUCCESS);

    /* The pool's cleanup closes the descriptor. */
    ck_assert_uint_eq(count_fds(), fds_before + 1);
    apr_pool_clear(pool);
    ck_assert_uint_eq(count_fds(), fds_before);
}
END_TEST

START_TEST(test_open_failure)
{
    accesslog_t *al = NULL;

    ck_assert_int_eq(accesslog_open(&al, tmp_path("missing/access.log"), compile("%s"), pool),
                     APR_FROM_OS_ERROR(ENOENT));
    ck_assert_ptr_null(al);
}
END_TEST

/* Failed writes are counted with their status, not logged. */
START_TEST(test_write_errors_counted)
{
    accesslog_t *al;
    apr_status_t last = 0;

    ck_assert_int_eq(accesslog_open(&al, "/dev/full", compile("%s"), pool), APR_SUCCESS);
    ck_assert_int_eq(accesslog_write(al, &rec), APR_FROM_OS_ERROR(ENOSPC));
    ck_assert_int_eq(accesslog_write(al, &rec), APR_FROM_OS_ERROR(ENOSPC));
    ck_assert_uint_eq(accesslog_errors(al, &last), 2);
    ck_assert_int_eq(last, APR_FROM_OS_ERROR(ENOSPC));
}
END_TEST

/* A line longer than ACCESSLOG_LINE_MAX is cut to exactly that, newline kept. */
START_TEST(test_write_long_line)
{
    accesslog_t *al;
    size_t big_len = 3 * ACCESSLOG_LINE_MAX;
    char *big = apr_palloc(pool, big_len);
    http_field_t one[1];
    size_t len;
    char *text;

    memset(big, 'u', big_len);
    one[0] = (http_field_t){ SL("User-Agent"), { big, big_len } };
    req.fields = one;
    req.nfields = 1;
    ck_assert_int_eq(accesslog_open(&al, tmp_path("access.log"), compile(COMBINED), pool),
                     APR_SUCCESS);
    ck_assert_int_eq(accesslog_write(al, &rec), APR_SUCCESS);
    text = slurp(tmp_path("access.log"), &len);
    ck_assert_uint_eq(len, ACCESSLOG_LINE_MAX);
    ck_assert_int_eq(text[len - 1], '\n');
    ck_assert_int_eq(text[len - 2], 'u');
    ck_assert_ptr_eq(strchr(text, '\n'), text + len - 1);
}
END_TEST

#define WRITERS 8
#define LINES   2000

typedef struct {
    accesslog_t *al;
    int id;
    int failures;
} writer_t;

static void *
writer_main(void *arg)
{
    writer_t *w = arg;
    accesslog_rec_t r = rec;

    r.req = NULL;
    for (int i = 0; i < LINES; i++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "w%d n%d", w->id, i);
        r.request_line = (ev_slice_t){ line, (size_t)n };
        r.body_bytes = (i * 37) % 5000;
        if (accesslog_write(w->al, &r) != APR_SUCCESS) {
            w->failures++;
        }
    }
    return NULL;
}

START_TEST(test_concurrent_writers)
{
    pthread_t threads[WRITERS];
    writer_t writers[WRITERS];
    accesslog_t *al;
    unsigned char *seen = apr_pcalloc(pool, WRITERS * LINES);
    char *text, *line, *nl;
    size_t lines = 0;

    ck_assert_int_eq(accesslog_open(&al, tmp_path("access.log"), compile(COMMON), pool),
                     APR_SUCCESS);
    for (int t = 0; t < WRITERS; t++) {
        writers[t] = (writer_t){ al, t, 0 };
        ck_assert_int_eq(pthread_create(&threads[t], NULL, writer_main, &writers[t]), 0);
    }
    for (int t = 0; t < WRITERS; t++) {
        ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
        ck_assert_int_eq(writers[t].failures, 0);
    }
    text = slurp(tmp_path("access.log"), NULL);
    for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        int t, i, status, consumed = 0;
        char bytes[16];

        *nl = '\0';
        ck_assert_msg(sscanf(line,
                             "192.0.2.7 - - [26/Nov/2026:19:57:36 +0000] \"w%d n%d\" %d %15s%n", &t,
                             &i, &status, bytes, &consumed) == 4,
                      "mangled line <%s>", line);
        ck_assert_uint_eq((size_t)consumed, strlen(line));
        ck_assert(t >= 0 && t < WRITERS && i >= 0 && i < LINES);
        ck_assert_str_eq(bytes, (i * 37) % 5000 ? apr_ltoa(pool, (i * 37) % 5000) : "-");
        ck_assert_int_eq(seen[t * LINES + i]++, 0);
        lines++;
    }
    ck_assert_str_eq(line, "");
    ck_assert_uint_eq(lines, WRITERS * LINES);
}
END_TEST

/* ---- buffered writing ----------------------------------------------------------- */

/* Bytes in the file at path (0 if it does not exist). */
static size_t
file_size(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        ck_assert_int_eq(errno, ENOENT);
        return 0;
    }
    return (size_t)st.st_size;
}

/* A fresh caller-owned buffer, empty. */
static accesslog_buf_t *
new_buf(void)
{
    accesslog_buf_t *b = apr_pcalloc(pool, sizeof(*b));

    ck_assert_uint_eq(b->len, 0);
    return b;
}

/* Record i of writer `who` for a buffered test: "%r" prints "t<who> n<i> " and a pad
 * of (i * 37) % pad_mod bytes of 'x' that varies the length. The text lives in
 * `store` (at least pad_mod + 32 bytes). No Check calls: writer threads use it. */
static void
numbered_rec(accesslog_rec_t *r, char *store, size_t size, int who, int i, int pad_mod)
{
    int n = snprintf(store, size, "t%d n%d ", who, i);
    size_t pad = (size_t)((i * 37) % pad_mod);

    if (n < 0 || (size_t)n + pad > size)
        abort();
    memset(store + n, 'x', pad);
    *r = rec;
    r->req = NULL;
    r->request_line = (ev_slice_t){ store, (size_t)n + pad };
}

/* Lines stay in the buffer, the file untouched, until the buffer could not take
 * another line of ACCESSLOG_LINE_MAX; then the lines buffered so far reach the file
 * whole and in order, and the new line starts the buffer. Lines of varied length, so
 * that the buffer's fill level at each flush differs. */
START_TEST(test_buffered_until_full)
{
    const char *path = tmp_path("access.log");
    const apr_time_t now = T0; /* one instant: age never flushes here */
    accesslog_buf_t *b = new_buf();
    accesslog_t *al;
    size_t cap = 8 * ACCESSLOG_BUF_SIZE, want_len = 0, flushed = 0;
    char *want = apr_palloc(pool, cap); /* every line written, in order */
    const accesslog_fmt_t *f = compile("%r");
    int flushes = 0, i;

    ck_assert_int_eq(accesslog_open(&al, path, f, pool), APR_SUCCESS);
    for (i = 0; flushes < 4; i++) {
        char store[300 + 32];
        accesslog_rec_t r;
        char line[512];
        size_t before = b->len, n;
        int must_flush = ACCESSLOG_BUF_SIZE - before < ACCESSLOG_LINE_MAX;

        numbered_rec(&r, store, sizeof(store), 0, i, 300);
        n = accesslog_format(f, &r, line, sizeof(line));
        ck_assert_uint_lt(want_len + n, cap);
        ck_assert_int_eq(accesslog_write_buffered(al, b, &r, now), APR_SUCCESS);
        if (must_flush) {
            /* Everything before this line, nothing of it. */
            char *text;
            size_t len;

            flushes++;
            flushed = want_len;
            text = slurp(path, &len);
            ck_assert_uint_eq(len, flushed);
            ck_assert(memcmp(text, want, len) == 0);
            ck_assert_int_eq(text[len - 1], '\n');
            ck_assert_uint_eq(b->len, n);
        } else {
            ck_assert_msg(file_size(path) == flushed, "line %d reached the file early", i);
            ck_assert_uint_eq(b->len, before + n);
        }
        ck_assert_uint_le(b->len, ACCESSLOG_BUF_SIZE);
        memcpy(want + want_len, line, n);
        want_len += n;
    }
    ck_assert_int_eq(accesslog_flush(al, b), APR_SUCCESS);
    ck_assert_uint_eq(b->len, 0);
    {
        size_t len;
        char *text = slurp(path, &len);

        ck_assert_uint_eq(len, want_len);
        ck_assert(memcmp(text, want, len) == 0);
    }
    ck_assert_uint_eq(accesslog_errors(al, NULL), 0);
}
END_TEST

/* Lines of the maximal length: two fit (the second exactly fills the buffer), the
 * third makes the buffer write the two, whole. */
START_TEST(test_buffered_maximal_lines)
{
    const char *path = tmp_path("access.log");
    size_t big_len = 2 * ACCESSLOG_LINE_MAX;
    char *big = apr_palloc(pool, big_len);
    accesslog_buf_t *b = new_buf();
    http_field_t one[1];
    accesslog_t *al;
    size_t len;
    char *text;

    memset(big, 'u', big_len);
    one[0] = (http_field_t){ SL("User-Agent"), { big, big_len } };
    req.fields = one;
    req.nfields = 1;
    ck_assert_int_eq(accesslog_open(&al, path, compile(COMBINED), pool), APR_SUCCESS);
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, T0), APR_SUCCESS);
    ck_assert_uint_eq(b->len, ACCESSLOG_LINE_MAX);
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, T0), APR_SUCCESS);
    ck_assert_uint_eq(b->len, 2 * ACCESSLOG_LINE_MAX);
    ck_assert_uint_eq(file_size(path), 0);
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, T0), APR_SUCCESS);
    ck_assert_uint_eq(b->len, ACCESSLOG_LINE_MAX);
    text = slurp(path, &len);
    ck_assert_uint_eq(len, 2 * ACCESSLOG_LINE_MAX);
    for (size_t k = 0; k < 2; k++) {
        char *line = text + k * ACCESSLOG_LINE_MAX;

        ck_assert_ptr_eq(memchr(line, '\n', ACCESSLOG_LINE_MAX), line + ACCESSLOG_LINE_MAX - 1);
        ck_assert(strncmp(line, "192.0.2.7 - - [", 15) == 0);
    }
    ck_assert_int_eq(accesslog_flush(al, b), APR_SUCCESS);
    ck_assert_uint_eq(file_size(path), 3 * ACCESSLOG_LINE_MAX);
}
END_TEST

/* The buffer reaches the file when its oldest line is ACCESSLOG_BUF_MAXAGE old at
 * the `now` of a write (that write's line included), not a microsecond before; the
 * next line starts a new age. */
START_TEST(test_buffered_max_age)
{
    const char *path = tmp_path("access.log");
    const apr_time_t t = apr_time_from_sec(1000), age = ACCESSLOG_BUF_MAXAGE;
    accesslog_buf_t *b = new_buf();
    accesslog_t *al;

    ck_assert_int_eq(accesslog_open(&al, path, compile("%>s"), pool), APR_SUCCESS);
    rec.status = 201;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, t), APR_SUCCESS);
    rec.status = 202;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, t + age - 1), APR_SUCCESS);
    ck_assert_uint_eq(file_size(path), 0);
    ck_assert_uint_eq(b->len, 8);
    rec.status = 203;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, t + age), APR_SUCCESS);
    ck_assert_uint_eq(b->len, 0);
    ck_assert_str_eq(slurp(path, NULL), "201\n202\n203\n");

    /* The age counts from the first line after the flush. */
    rec.status = 204;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, t + age + 1), APR_SUCCESS);
    rec.status = 205;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, t + 2 * age), APR_SUCCESS);
    ck_assert_str_eq(slurp(path, NULL), "201\n202\n203\n");
    rec.status = 206;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, t + 2 * age + 1), APR_SUCCESS);
    ck_assert_uint_eq(b->len, 0);
    ck_assert_str_eq(slurp(path, NULL), "201\n202\n203\n204\n205\n206\n");

    /* A line after a long quiet spell is not old by itself. */
    rec.status = 207;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, t + 100 * age), APR_SUCCESS);
    ck_assert_uint_eq(b->len, 4);
    ck_assert_uint_eq(file_size(path), 24);
}
END_TEST

/* accesslog_flush writes everything buffered and empties the buffer; an empty
 * buffer writes nothing (not even an empty write: /dev/full would count it). */
START_TEST(test_buffered_flush)
{
    const char *path = tmp_path("access.log");
    accesslog_buf_t *b = new_buf();
    accesslog_t *al, *full;
    apr_status_t last = -1;

    ck_assert_int_eq(accesslog_open(&al, path, compile("%>s %U"), pool), APR_SUCCESS);
    ck_assert_int_eq(accesslog_flush(al, b), APR_SUCCESS);
    ck_assert_uint_eq(file_size(path), 0);
    for (int i = 0; i < 3; i++) {
        rec.status = 200 + i;
        ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, T0 + i), APR_SUCCESS);
    }
    ck_assert_uint_eq(file_size(path), 0);
    ck_assert_int_eq(accesslog_flush(al, b), APR_SUCCESS);
    ck_assert_uint_eq(b->len, 0);
    ck_assert_str_eq(slurp(path, NULL), "200 /a/b.html\n201 /a/b.html\n202 /a/b.html\n");
    ck_assert_int_eq(accesslog_flush(al, b), APR_SUCCESS);
    ck_assert_uint_eq(file_size(path), 42);

    /* Buffered and unbuffered writes to one log keep their own order per call. */
    rec.status = 299;
    ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, T0), APR_SUCCESS);
    rec.status = 300;
    ck_assert_int_eq(accesslog_write(al, &rec), APR_SUCCESS);
    ck_assert_int_eq(accesslog_flush(al, b), APR_SUCCESS);
    ck_assert_str_eq(slurp(path, NULL) + 42, "300 /a/b.html\n299 /a/b.html\n");
    ck_assert_uint_eq(accesslog_errors(al, NULL), 0);

    ck_assert_int_eq(accesslog_open(&full, "/dev/full", compile("%s"), pool), APR_SUCCESS);
    ck_assert_int_eq(accesslog_flush(full, new_buf()), APR_SUCCESS);
    ck_assert_uint_eq(accesslog_errors(full, &last), 0);
    ck_assert_int_eq(last, APR_SUCCESS);
}
END_TEST

/* A buffer whose write fails: the failure is returned by the call that flushed
 * (explicit, full, aged), counted once per write, and the lines are dropped. */
START_TEST(test_buffered_write_errors)
{
    accesslog_buf_t *b = new_buf();
    accesslog_t *al;
    apr_status_t last = 0, rv;
    int i;

    ck_assert_int_eq(accesslog_open(&al, "/dev/full", compile("%r"), pool), APR_SUCCESS);
    /* Buffering writes nothing, so nothing fails yet. */
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(accesslog_write_buffered(al, b, &rec, T0), APR_SUCCESS);
    ck_assert_uint_eq(accesslog_errors(al, NULL), 0);
    ck_assert_int_eq(accesslog_flush(al, b), APR_FROM_OS_ERROR(ENOSPC));
    ck_assert_uint_eq(b->len, 0);
    ck_assert_uint_eq(accesslog_errors(al, &last), 1);
    ck_assert_int_eq(last, APR_FROM_OS_ERROR(ENOSPC));
    ck_assert_int_eq(accesslog_flush(al, b), APR_SUCCESS); /* dropped, not retried */
    ck_assert_uint_eq(accesslog_errors(al, NULL), 1);

    /* Full: the call that has to make room reports it; its own line stays. */
    for (i = 0; i < 100000; i++) {
        size_t before = b->len;

        rv = accesslog_write_buffered(al, b, &rec, T0);
        if (ACCESSLOG_BUF_SIZE - before < ACCESSLOG_LINE_MAX) {
            ck_assert_int_eq(rv, APR_FROM_OS_ERROR(ENOSPC));
            break;
        }
        ck_assert_int_eq(rv, APR_SUCCESS);
    }
    ck_assert_int_lt(i, 100000);
    ck_assert_uint_eq(accesslog_errors(al, NULL), 2);
    ck_assert_uint_eq(b->len, sizeof(request_line)); /* the line and its newline */

    /* Aged: the write that finds the oldest line a second old reports it. */
    rv = accesslog_write_buffered(al, b, &rec, T0 + ACCESSLOG_BUF_MAXAGE);
    ck_assert_int_eq(rv, APR_FROM_OS_ERROR(ENOSPC));
    ck_assert_uint_eq(b->len, 0);
    ck_assert_uint_eq(accesslog_errors(al, &last), 3);
    ck_assert_int_eq(last, APR_FROM_OS_ERROR(ENOSPC));
}
END_TEST

#define BUF_WRITERS 4
#define BUF_LINES   20000
#define BUF_PAD     300

typedef struct {
    accesslog_t *al;
    int id;
    int failures;
    int flushes; /* calls after which the buffer held less: it reached the file */
} buf_writer_t;

/* One thread, one buffer; a clock that moves 1 ms per line, so buffers reach the
 * file both full and aged, at different moments in each thread. */
static void *
buf_writer_main(void *arg)
{
    buf_writer_t *w = arg;
    accesslog_buf_t *b = calloc(1, sizeof(*b));
    apr_time_t now = T0 + w->id * 12345;

    if (b == NULL) {
        w->failures = -1;
        return NULL;
    }
    for (int i = 0; i < BUF_LINES; i++) {
        char store[BUF_PAD + 64];
        accesslog_rec_t r;

        size_t before = b->len;

        numbered_rec(&r, store, sizeof(store), w->id, i, BUF_PAD);
        r.body_bytes = i;
        if (accesslog_write_buffered(w->al, b, &r, now) != APR_SUCCESS)
            w->failures++;
        if (b->len <= before)
            w->flushes++;
        now += 1000;
    }
    if (accesslog_flush(w->al, b) != APR_SUCCESS)
        w->failures++;
    free(b);
    return NULL;
}

/* Threads with their own buffers share one log: every line arrives exactly once,
 * whole (no line is cut by another thread's), and each thread's lines in order. */
START_TEST(test_buffered_concurrent_writers)
{
    pthread_t threads[BUF_WRITERS];
    buf_writer_t writers[BUF_WRITERS];
    int next[BUF_WRITERS] = { 0 };
    accesslog_t *al;
    char *text, *line, *nl;
    size_t lines = 0;

    ck_assert_int_eq(accesslog_open(&al, tmp_path("access.log"), compile("%r %B"), pool),
                     APR_SUCCESS);
    for (int t = 0; t < BUF_WRITERS; t++) {
        writers[t] = (buf_writer_t){ al, t, 0, 0 };
        ck_assert_int_eq(pthread_create(&threads[t], NULL, buf_writer_main, &writers[t]), 0);
    }
    for (int t = 0; t < BUF_WRITERS; t++) {
        ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
        ck_assert_int_eq(writers[t].failures, 0);
        ck_assert_int_gt(writers[t].flushes, 10);
    }
    text = slurp(tmp_path("access.log"), NULL);
    for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        int t, i, bytes, pad_end = 0, consumed = 0;

        *nl = '\0';
        ck_assert_msg(sscanf(line, "t%d n%d %n", &t, &i, &pad_end) == 2 && pad_end > 0,
                      "mangled line <%.80s>", line);
        ck_assert_msg(t >= 0 && t < BUF_WRITERS && i >= 0 && i < BUF_LINES, "line <%.80s>", line);
        for (int k = 0; k < (i * 37) % BUF_PAD; k++)
            ck_assert_msg(line[pad_end + k] == 'x', "torn line <%.80s>", line);
        ck_assert_msg(sscanf(line + pad_end + (i * 37) % BUF_PAD, " %d%n", &bytes, &consumed) ==
                              1 &&
                          strlen(line) == (size_t)(pad_end + (i * 37) % BUF_PAD + consumed),
                      "torn line <%.80s>", line);
        ck_assert_int_eq(bytes, i);
        /* Once each, in each thread's order (a lost or repeated line shows here). */
        ck_assert_msg(i == next[t], "thread %d: line %d where %d was due", t, i, next[t]);
        next[t]++;
        lines++;
    }
    ck_assert_str_eq(line, "");
    ck_assert_uint_eq(lines, BUF_WRITERS * BUF_LINES);
    for (int t = 0; t < BUF_WRITERS; t++)
        ck_assert_int_eq(next[t], BUF_LINES);
    ck_assert_uint_eq(accesslog_errors(al, NULL), 0);
}
END_TEST

static Suite *
accesslog_suite(void)
{
    Suite *s = suite_create("accesslog");
    TCase *tc = tcase_create("format");
    TCase *files = tcase_create("files");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_directive, 0,
                        sizeof(directive_cases) / sizeof(directive_cases[0]));
    tcase_add_test(tc, test_pid);
    tcase_add_test(tc, test_common_and_combined);
    tcase_add_test(tc, test_time_cache_follows_second);
    tcase_add_loop_test(tc, test_time_zone_offset, 0, sizeof(tz_cases) / sizeof(tz_cases[0]));
    tcase_add_test(tc, test_bytes_and_status_zero);
    tcase_add_test(tc, test_no_parsed_request);
    tcase_add_test(tc, test_path_override_and_no_query);
    tcase_add_test(tc, test_escaping_hostile_values);
    tcase_add_loop_test(tc, test_compile_errors, 0, sizeof(bad_formats) / sizeof(bad_formats[0]));
    tcase_add_test(tc, test_truncation_every_size);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(files, file_setup, file_teardown);
    tcase_set_timeout(files, 60);
    tcase_add_test(files, test_write_and_reopen);
    tcase_add_test(files, test_open_failure);
    tcase_add_test(files, test_write_errors_counted);
    tcase_add_test(files, test_write_long_line);
    tcase_add_test(files, test_concurrent_writers);
    tcase_add_test(files, test_buffered_until_full);
    tcase_add_test(files, test_buffered_maximal_lines);
    tcase_add_test(files, test_buffered_max_age);
    tcase_add_test(files, test_buffered_flush);
    tcase_add_test(files, test_buffered_write_errors);
    tcase_add_test(files, test_buffered_concurrent_writers);
    suite_add_tcase(s, files);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    /* %t is local time: pin the zone so the expected lines hold anywhere. */
    setenv("TZ", "UTC", 1);
    tzset();
    apr_initialize();
    sr = srunner_create(accesslog_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
