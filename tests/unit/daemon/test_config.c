/*
 * test_config.c — config_load: every directive, the defaults, Apache's clamps, every
 * error path, Include, -C/-c ordering, the lexer (quotes, continuations, comments).
 *
 * Each test gets a fresh pool and a fresh mkdtemp directory holding main.conf and
 * whatever it includes; the directory is removed in teardown. Error cases are a
 * table of (config text, expected message substring with "file:line").
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <check.h>

#include "accept_encoding.h"
#include "config.h"
#include "expires.h"
#include "header_action.h"
#include "location_match.h"

static apr_pool_t *pool;
static apr_array_header_t *msgs;
static ev_config_t *cfg;
static char dir[PATH_MAX];

static void
setup(void)
{
    const char *tmp = getenv("TMPDIR");

    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    snprintf(dir, sizeof(dir), "%s/evcfg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    msgs = apr_array_make(pool, 4, sizeof(const char *));
    cfg = NULL;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
teardown(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    apr_pool_destroy(pool);
}

/* ---- helpers ---- */

static const char *
at(const char *rel)
{
    return apr_pstrcat(pool, dir, "/", rel, NULL);
}

static void
mkd(const char *rel)
{
    ck_assert_int_eq(mkdir(at(rel), 0755), 0);
}

static void
put(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

static apr_array_header_t *
list(const char *const *items)
{
    apr_array_header_t *a = apr_array_make(pool, 2, sizeof(const char *));

    for (; items && *items; items++)
        APR_ARRAY_PUSH(a, const char *) = *items;
    return a;
}

static apr_status_t
load_with(const char *text, const char *const *pre, const char *const *post)
{
    put("main.conf", text);
    return config_load(&cfg, at("main.conf"), pre ? list(pre) : NULL, post ? list(post) : NULL,
                       pool, msgs);
}

static apr_status_t
load(const char *text)
{
    return load_with(text, NULL, NULL);
}

static const char *
all_msgs(void)
{
    const char *s = "";
    int i;

    for (i = 0; i < msgs->nelts; i++)
        s = apr_pstrcat(pool, s, APR_ARRAY_IDX(msgs, i, const char *), "\n", NULL);
    return *s ? s : "(no messages)\n";
}

static int
has_msg(const char *needle)
{
    int i;

    for (i = 0; i < msgs->nelts; i++)
        if (strstr(APR_ARRAY_IDX(msgs, i, const char *), needle))
            return 1;
    return 0;
}

#define ASSERT_MSG(needle) ck_assert_msg(has_msg(needle), "no \"%s\" in:\n%s", needle, all_msgs())

static void
load_ok(const char *text)
{
    apr_status_t rv = load(text);

    ck_assert_msg(rv == APR_SUCCESS, "load failed:\n%s", all_msgs());
    ck_assert_ptr_nonnull(cfg);
}

static const char *
listen_host(int i)
{
    return APR_ARRAY_IDX(cfg->listens, i, ev_listen_cfg_t).host;
}

static int
listen_port(int i)
{
    return APR_ARRAY_IDX(cfg->listens, i, ev_listen_cfg_t).port;
}

/* ---- defaults and every directive ---- */

START_TEST(test_defaults)
{
    load_ok("Listen 8080\n");
    ck_assert_int_eq(msgs->nelts, 0);
    ck_assert_int_eq(cfg->sched_batch, 1);
    ck_assert_str_eq(cfg->file, at("main.conf"));
    ck_assert_str_eq(cfg->server_root, dir);
    ck_assert_str_eq(cfg->runtime_dir, "/run/evhttpd");
    ck_assert_int_eq(cfg->listens->nelts, 1);
    ck_assert_int_eq(cfg->listen_backlog, 511);
    ck_assert_str_eq(cfg->main->document_root, at("htdocs"));
    ck_assert_int_eq(cfg->main->directory_index->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->main->directory_index, 0, const char *), "index.html");
    ck_assert_str_eq(cfg->types_config, "/etc/mime.types");
    ck_assert_ptr_null(cfg->main->server_name);
    ck_assert_str_eq(cfg->user, "evhttpd");
    ck_assert_str_eq(cfg->group, "evhttpd");
    ck_assert_str_eq(cfg->pid_file, "/run/evhttpd/evhttpd.pid");
    ck_assert_ptr_null(cfg->error_log);
    ck_assert_int_eq(cfg->log_level, EV_LOG_WARN);
    ck_assert_int_eq(cfg->custom_logs->nelts, 0);
    ck_assert_str_eq(apr_hash_get(cfg->log_formats, "common", APR_HASH_KEY_STRING),
                     "%h %l %u %t \"%r\" %>s %b");
    ck_assert_str_eq(apr_hash_get(cfg->log_formats, "combined", APR_HASH_KEY_STRING),
                     "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"");
    ck_assert_str_eq(cfg->scoreboard_file, "/run/evhttpd/scoreboard");
    ck_assert_str_eq(cfg->control_socket, "/run/evhttpd/ctl.sock");
    ck_assert_ptr_null(cfg->control_group);
    ck_assert_int_eq(cfg->start_servers, 3);
    ck_assert_int_eq(cfg->server_limit, 16);
    ck_assert_int_eq(cfg->thread_limit, 64);
    ck_assert_int_eq(cfg->threads_per_child, 25);
    ck_assert_int_eq(cfg->max_request_workers, 400);
    ck_assert_int_eq(cfg->min_spare_threads, 75);
    ck_assert_int_eq(cfg->max_spare_threads, 250);
    ck_assert_int_eq(cfg->max_connections_per_child, 0);
    ck_assert_double_eq(cfg->async_request_worker_factor, 2.0);
    ck_assert_int_eq(cfg->keepalive, 1);
    ck_assert_int_eq(cfg->main->keepalive_timeout, apr_time_from_sec(5));
    ck_assert_int_eq(cfg->max_keepalive_requests, 100);
    ck_assert_int_eq(cfg->timeout, apr_time_from_sec(60));
    ck_assert_int_eq(cfg->graceful_shutdown_timeout, 0);
    ck_assert_int_eq(cfg->graceful_restart_timeout, 0);
    /* Apache's defaults: header=20-40,MinRate=500 body=20,MinRate=500 */
    ck_assert_int_eq(cfg->header_timeout.timeout, apr_time_from_sec(20));
    ck_assert_int_eq(cfg->header_timeout.max, apr_time_from_sec(40));
    ck_assert_int_eq(cfg->header_timeout.min_rate, 500);
    ck_assert_int_eq(cfg->body_timeout.timeout, apr_time_from_sec(20));
    ck_assert_int_eq(cfg->body_timeout.max, 0);
    ck_assert_int_eq(cfg->body_timeout.min_rate, 500);
    ck_assert_int_eq(cfg->limit_request_header_size, 32768);
    ck_assert_int_eq(cfg->limit_request_line, 8190);
    ck_assert_int_eq(cfg->limit_request_field_size, 8190);
    ck_assert_int_eq(cfg->limit_request_fields, 100);
    ck_assert_int_eq(cfg->limit_request_body, 1073741824);
    ck_assert_ptr_null(cfg->status_location);
    ck_assert_int_eq(cfg->status_allow->nelts, 2);
}
END_TEST

START_TEST(test_every_directive)
{
    mkd("root");
    load_ok(apr_pstrcat(pool, "ServerRoot ", dir, "/root\n",
                        "Listen 127.0.0.1:8081\n"
                        "ListenBacklog 128\n"
                        "DocumentRoot docs/\n"
                        "DirectoryIndex index.htm default.html\n"
                        "TypesConfig conf/mime.types\n"
                        "ServerName www.example.com:80\n"
                        "User www-data\n"
                        "Group www-group\n"
                        "PidFile run/x.pid\n"
                        "ErrorLog logs/error_log\n"
                        "LogLevel info\n"
                        "LogFormat \"%h %>s\" short\n"
                        "CustomLog logs/access_log short\n"
                        "ScoreboardFile run/sb\n"
                        "ControlSocket /run/other/ctl\n"
                        "ControlGroup adm\n"
                        "StartServers 2\n"
                        "ServerLimit 8\n"
                        "ThreadLimit 32\n"
                        "ThreadsPerChild 16\n"
                        "MaxRequestWorkers 128\n"
                        "MinSpareThreads 16\n"
                        "MaxSpareThreads 64\n"
                        "MaxConnectionsPerChild 1000\n"
                        "AsyncRequestWorkerFactor 1.5\n"
                        "KeepAlive Off\n"
                        "KeepAliveTimeout 3\n"
                        "MaxKeepAliveRequests 50\n"
                        "Timeout 30\n"
                        "GracefulShutdownTimeout 10\n"
                        "GracefulRestartTimeout 20\n"
                        "RequestReadTimeout header=10-40,MinRate=500 body=15,MinRate=500\n"
                        "LimitRequestLine 4096\n"
                        "LimitRequestFieldSize 2048\n"
                        "LimitRequestFields 50\n"
                        "LimitRequestBody 0\n"
                        "DefaultRuntimeDir rt\n",
                        NULL));
    ck_assert_msg(msgs->nelts == 0, "unexpected:\n%s", all_msgs());
    ck_assert_str_eq(cfg->server_root, at("root"));
    ck_assert_str_eq(listen_host(0), "127.0.0.1");
    ck_assert_int_eq(listen_port(0), 8081);
    ck_assert_int_eq(cfg->listen_backlog, 128);
    ck_assert_str_eq(cfg->main->document_root, at("root/docs"));
    ck_assert_int_eq(cfg->main->directory_index->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->main->directory_index, 0, const char *), "index.htm");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->main->directory_index, 1, const char *), "default.html");
    ck_assert_str_eq(cfg->types_config, at("root/conf/mime.types"));
    ck_assert_str_eq(cfg->main->server_name, "www.example.com:80");
    ck_assert_str_eq(cfg->user, "www-data");
    ck_assert_str_eq(cfg->group, "www-group");
    /* relative runtime files resolve against DefaultRuntimeDir, as in Apache 2.4 */
    ck_assert_str_eq(cfg->pid_file, at("root/rt/run/x.pid"));
    ck_assert_str_eq(cfg->error_log, at("root/logs/error_log"));
    ck_assert_int_eq(cfg->log_level, EV_LOG_INFO);
    ck_assert_int_eq(cfg->custom_logs->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 0, ev_customlog_t).path,
                     at("root/logs/access_log"));
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 0, ev_customlog_t).format, "%h %>s");
    ck_assert_str_eq(cfg->scoreboard_file, at("root/rt/run/sb"));
    ck_assert_str_eq(cfg->control_socket, "/run/other/ctl");
    ck_assert_str_eq(cfg->control_group, "adm");
    ck_assert_str_eq(cfg->runtime_dir, at("root/rt"));
    ck_assert_int_eq(cfg->start_servers, 2);
    ck_assert_int_eq(cfg->server_limit, 8);
    ck_assert_int_eq(cfg->thread_limit, 32);
    ck_assert_int_eq(cfg->threads_per_child, 16);
    ck_assert_int_eq(cfg->max_request_workers, 128);
    ck_assert_int_eq(cfg->min_spare_threads, 16);
    ck_assert_int_eq(cfg->max_spare_threads, 64);
    ck_assert_int_eq(cfg->max_connections_per_child, 1000);
    ck_assert_double_eq(cfg->async_request_worker_factor, 1.5);
    ck_assert_int_eq(cfg->keepalive, 0);
    ck_assert_int_eq(cfg->main->keepalive_timeout, apr_time_from_sec(3));
    ck_assert_int_eq(cfg->max_keepalive_requests, 50);
    ck_assert_int_eq(cfg->timeout, apr_time_from_sec(30));
    ck_assert_int_eq(cfg->graceful_shutdown_timeout, apr_time_from_sec(10));
    ck_assert_int_eq(cfg->graceful_restart_timeout, apr_time_from_sec(20));
    ck_assert_int_eq(cfg->header_timeout.timeout, apr_time_from_sec(10));
    ck_assert_int_eq(cfg->header_timeout.max, apr_time_from_sec(40));
    ck_assert_int_eq(cfg->header_timeout.min_rate, 500);
    ck_assert_int_eq(cfg->body_timeout.timeout, apr_time_from_sec(15));
    ck_assert_int_eq(cfg->limit_request_line, 4096);
    ck_assert_int_eq(cfg->limit_request_field_size, 2048);
    ck_assert_int_eq(cfg->limit_request_fields, 50);
    ck_assert_int_eq(cfg->limit_request_body, 0);
}
END_TEST

/* Relative paths resolve against the final ServerRoot even when it comes last; the
 * runtime files default into DefaultRuntimeDir. */
START_TEST(test_paths_resolve_at_end)
{
    mkd("srv");
    load_ok("Listen 80\n"
            "DocumentRoot ../htdocs\n"
            "DefaultRuntimeDir run\n"
            "ErrorLog /var/log/e.log\n"
            "ServerRoot srv\n");
    ck_assert_str_eq(cfg->server_root, at("srv"));
    ck_assert_str_eq(cfg->main->document_root, at("htdocs"));
    ck_assert_str_eq(cfg->runtime_dir, at("srv/run"));
    ck_assert_str_eq(cfg->pid_file, at("srv/run/evhttpd.pid"));
    ck_assert_str_eq(cfg->scoreboard_file, at("srv/run/scoreboard"));
    ck_assert_str_eq(cfg->control_socket, at("srv/run/ctl.sock"));
    ck_assert_str_eq(cfg->error_log, "/var/log/e.log");
}
END_TEST

START_TEST(test_single_valued_last_wins_and_multi_append)
{
    load_ok("Listen 80\nServerName a\nservername b\nDirectoryIndex x.html\nDirectoryIndex y\n"
            "LogLevel error\nLOGLEVEL Debug\nTimeout 9\nTimeout 8\n");
    ck_assert_str_eq(cfg->main->server_name, "b");
    ck_assert_int_eq(cfg->log_level, EV_LOG_DEBUG);
    ck_assert_int_eq(cfg->timeout, apr_time_from_sec(8));
    ck_assert_int_eq(cfg->main->directory_index->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->main->directory_index, 1, const char *), "y");
}
END_TEST

/* ---- timeouts, factor, levels, Listen forms ---- */

static const struct {
    const char *arg;
    apr_interval_time_t usec;
} interval_cases[] = {
    { "7", 7000000 },  { "3s", 3000000 },    { "250ms", 250000 },
    { "0", 0 },        { "2mi", 120000000 }, { "1h", APR_INT64_C(3600000000) },
    { "10MS", 10000 }, { "0ms", 0 },
};

START_TEST(test_intervals)
{
    load_ok(apr_psprintf(pool,
                         "Listen 80\nKeepAliveTimeout %s\nTimeout %s\n"
                         "GracefulShutdownTimeout %s\nGracefulRestartTimeout %s\n",
                         interval_cases[_i].arg, interval_cases[_i].arg, interval_cases[_i].arg,
                         interval_cases[_i].arg));
    ck_assert_int_eq(cfg->main->keepalive_timeout, interval_cases[_i].usec);
    ck_assert_int_eq(cfg->timeout, interval_cases[_i].usec);
    ck_assert_int_eq(cfg->graceful_shutdown_timeout, interval_cases[_i].usec);
    ck_assert_int_eq(cfg->graceful_restart_timeout, interval_cases[_i].usec);
}
END_TEST

static const struct {
    const char *arg;
    double value;
} factor_cases[] = {
    { "0.5", 0.5 }, { "1.25", 1.25 }, { "3", 3.0 }, { ".75", 0.75 }, { "2.", 2.0 }, { "0.1", 0.1 },
};

START_TEST(test_factor_fractions)
{
    load_ok(apr_psprintf(pool, "Listen 80\nAsyncRequestWorkerFactor %s\n", factor_cases[_i].arg));
    ck_assert_double_eq_tol(cfg->async_request_worker_factor, factor_cases[_i].value, 1e-12);
}
END_TEST

static const struct {
    const char *arg;
    int level;
} level_cases[] = {
    { "emerg", EV_LOG_EMERG },  { "alert", EV_LOG_ALERT }, { "crit", EV_LOG_CRIT },
    { "error", EV_LOG_ERR },    { "warn", EV_LOG_WARN },   { "notice", EV_LOG_NOTICE },
    { "info", EV_LOG_INFO },    { "debug", EV_LOG_DEBUG }, { "trace1", EV_LOG_DEBUG },
    { "TRACE8", EV_LOG_DEBUG }, { "Warn", EV_LOG_WARN },
};

START_TEST(test_log_levels)
{
    load_ok(apr_psprintf(pool, "Listen 80\nLogLevel %s\n", level_cases[_i].arg));
    ck_assert_int_eq(cfg->log_level, level_cases[_i].level);
}
END_TEST

START_TEST(test_log_level_names)
{
    ck_assert_str_eq(config_log_level_name(EV_LOG_EMERG), "emerg");
    ck_assert_str_eq(config_log_level_name(EV_LOG_ERR), "error");
    ck_assert_str_eq(config_log_level_name(EV_LOG_WARN), "warn");
    ck_assert_str_eq(config_log_level_name(EV_LOG_DEBUG), "debug");
    ck_assert_str_eq(config_log_level_name(-1), "unknown");
    ck_assert_str_eq(config_log_level_name(EV_LOG_DEBUG + 1), "unknown");
}
END_TEST

static const struct {
    const char *spec;
    const char *host; /* NULL: every address */
    int port;
    int family;
} listen_cases[] = {
    { "8080", NULL, 8080, APR_UNSPEC },
    { "*:81", NULL, 81, APR_UNSPEC },
    { "127.0.0.1:8080", "127.0.0.1", 8080, APR_INET },
    { "0.0.0.0:1", "0.0.0.0", 1, APR_INET },
    { "[::1]:8080", "::1", 8080, APR_INET6 },
    { "[::]:80", "::", 80, APR_INET6 },
    { "[2001:DB8:0::1]:65535", "2001:db8::1", 65535, APR_INET6 },
};

START_TEST(test_listen_forms)
{
    const ev_listen_cfg_t *l;

    load_ok(apr_psprintf(pool, "# listen\nListen %s\n", listen_cases[_i].spec));
    ck_assert_int_eq(cfg->listens->nelts, 1);
    l = &APR_ARRAY_IDX(cfg->listens, 0, ev_listen_cfg_t);
    if (listen_cases[_i].host)
        ck_assert_str_eq(l->host, listen_cases[_i].host);
    else
        ck_assert_ptr_null(l->host);
    ck_assert_int_eq(l->port, listen_cases[_i].port);
    ck_assert_int_eq(l->family, listen_cases[_i].family);
    ck_assert_str_eq(l->spec, listen_cases[_i].spec);
    ck_assert_str_eq(l->where, apr_pstrcat(pool, at("main.conf"), ":2", NULL));
}
END_TEST

START_TEST(test_listen_several_in_order)
{
    load_ok("Listen 80\nListen [::1]:80\nListen 127.0.0.1:80\nListen 443\n");
    ck_assert_int_eq(cfg->listens->nelts, 4);
    ck_assert_ptr_null(listen_host(0));
    ck_assert_str_eq(listen_host(1), "::1");
    ck_assert_str_eq(listen_host(2), "127.0.0.1");
    ck_assert_int_eq(listen_port(3), 443);
}
END_TEST

START_TEST(test_request_read_timeout)
{
    load_ok("Listen 80\nRequestReadTimeout handshake=5 header=0 body=30-60,MinRate=1000\n"
            "RequestReadTimeout header=12\n");
    ck_assert_int_eq(cfg->header_timeout.timeout, apr_time_from_sec(12));
    ck_assert_int_eq(cfg->header_timeout.max, 0);
    ck_assert_int_eq(cfg->header_timeout.min_rate, 0);
    ck_assert_int_eq(cfg->body_timeout.timeout, apr_time_from_sec(30));
    ck_assert_int_eq(cfg->body_timeout.max, apr_time_from_sec(60));
    ck_assert_int_eq(cfg->body_timeout.min_rate, 1000);
}
END_TEST

START_TEST(test_custom_log_formats)
{
    load_ok("Listen 80\n"
            "CustomLog logs/a common\n"
            "CustomLog /var/log/b combined\n"
            "CustomLog c \"%h %U\"\n"
            "CustomLog d mine\n"
            "LogFormat \"%v %h\" mine\n"
            "LogFormat \"%h only\" common\n");
    ck_assert_int_eq(msgs->nelts, 0);
    ck_assert_int_eq(cfg->custom_logs->nelts, 4);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 0, ev_customlog_t).path, at("logs/a"));
    /* a LogFormat redefining a nickname applies even after the CustomLog, as in Apache */
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 0, ev_customlog_t).format, "%h only");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 1, ev_customlog_t).path, "/var/log/b");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 1, ev_customlog_t).format,
                     "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 2, ev_customlog_t).format, "%h %U");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 3, ev_customlog_t).format, "%v %h");
}
END_TEST

START_TEST(test_custom_log_unknown_nickname_warns)
{
    load_ok("Listen 80\nCustomLog x combind\n");
    ck_assert_int_eq(msgs->nelts, 1);
    ASSERT_MSG(apr_pstrcat(pool, "warning: ", at("main.conf"),
                           ":2: CustomLog: \"combind\" is not a LogFormat nickname", NULL));
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 0, ev_customlog_t).format, "combind");
}
END_TEST

/* ---- the lexer ---- */

START_TEST(test_quoting)
{
    load_ok("Listen 80\n"
            "User \"a  b\"\n"
            "LogFormat \"%h \\\"q\\\" \\\\ \\n\" mine\n"
            "CustomLog \"logs/with space\" mine\n"
            "DirectoryIndex \"a b.html\" c.html 'd\\'e'\n"
            "ControlGroup back\\slash\n");
    ck_assert_str_eq(cfg->user, "a  b");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 0, ev_customlog_t).format, "%h \"q\" \\ \\n");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, 0, ev_customlog_t).path,
                     at("logs/with space"));
    ck_assert_int_eq(cfg->main->directory_index->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->main->directory_index, 0, const char *), "a b.html");
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->main->directory_index, 2, const char *), "d'e");
    ck_assert_str_eq(cfg->control_group, "back\\slash");
}
END_TEST

START_TEST(test_continuation_comments_blanks)
{
    apr_status_t rv = load("# a comment\n"
                           "   # an indented comment\n"
                           "\n"
                           "   \t \n"
                           "Listen \\\n"
                           "   8080\n"
                           "DirectoryIndex a.html \\  \r\n"
                           "  b.html \\\n"
                           "  c.html\r\n"
                           "Server\\\n"
                           "Name joined\n"
                           "# comment continues \\\n"
                           "User swallowed\n"
                           "\tKeepAlive off   \n"
                           "Bogus\n");
    ck_assert_int_eq(rv, APR_EINVAL);
    /* the error's line number counts the continued lines */
    ASSERT_MSG(apr_pstrcat(pool, at("main.conf"), ":15: unknown directive \"Bogus\"", NULL));
    ck_assert_int_eq(msgs->nelts, 1);
    rv = load("Listen \\\n   8080\nDirectoryIndex a.html \\  \r\n  b.html \\\n  c.html\r\n"
              "Server\\\nName joined\n# comment continues \\\nUser swallowed\n"
              "\tKeepAlive off   \nServerRoot .\\\n");
    ck_assert_msg(rv == APR_SUCCESS, "%s", all_msgs());
    ck_assert_int_eq(listen_port(0), 8080);
    ck_assert_int_eq(cfg->main->directory_index->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->main->directory_index, 2, const char *), "c.html");
    ck_assert_str_eq(cfg->main->server_name, "joined");
    ck_assert_str_eq(cfg->user, "evhttpd");
    ck_assert_int_eq(cfg->keepalive, 0);
}
END_TEST

START_TEST(test_empty_file_and_no_listen)
{
    ck_assert_int_eq(load(""), APR_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(msgs->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(msgs, 0, const char *),
                     apr_pstrcat(pool, at("main.conf"), ": no Listen directive", NULL));
}
END_TEST

/* ---- clamps ---- */

static const struct {
    const char *text;    /* lines after "Listen 80" */
    size_t field;        /* int field checked */
    int value;           /* its value after clamping */
    const char *warning; /* expected, after "warning: " and the location */
    int line;            /* line named, 0 when the value was never written */
} clamp_cases[] = {
    { "ThreadsPerChild 100", offsetof(ev_config_t, threads_per_child), 64,
      "ThreadsPerChild 100 exceeds ThreadLimit 64, lowering it to 64", 2 },
    { "ThreadsPerChild 0", offsetof(ev_config_t, threads_per_child), 1,
      "ThreadsPerChild 0 is less than 1, raising it to 1", 2 },
    { "ThreadLimit 200000\nThreadsPerChild 25", offsetof(ev_config_t, thread_limit), 100000,
      "ThreadLimit 200000 exceeds the maximum 100000, lowering it to 100000", 2 },
    { "ThreadLimit 0\nThreadsPerChild 1\nMaxSpareThreads 999", offsetof(ev_config_t, thread_limit),
      1, "ThreadLimit 0 is less than 1, raising it to 1", 2 },
    { "ServerLimit 30000", offsetof(ev_config_t, server_limit), 20000,
      "ServerLimit 30000 exceeds the maximum 20000, lowering it to 20000", 2 },
    { "ServerLimit 0", offsetof(ev_config_t, server_limit), 1,
      "ServerLimit 0 is less than 1, raising it to 1", 2 },
    { "MaxRequestWorkers 10", offsetof(ev_config_t, max_request_workers), 25,
      "MaxRequestWorkers 10 is less than ThreadsPerChild 25, raising it to 25", 2 },
    { "MaxRequestWorkers 110", offsetof(ev_config_t, max_request_workers), 100,
      "MaxRequestWorkers 110 is not a multiple of ThreadsPerChild 25, lowering it to 100", 2 },
    { "\nMaxRequestWorkers 1000", offsetof(ev_config_t, max_request_workers), 400,
      "MaxRequestWorkers 1000 exceeds ServerLimit 16 x ThreadsPerChild 25, lowering it to 400", 3 },
    { "StartServers 20", offsetof(ev_config_t, start_servers), 16,
      "StartServers 20 exceeds ServerLimit 16, lowering it to 16", 2 },
    { "StartServers 0", offsetof(ev_config_t, start_servers), 1,
      "StartServers 0 is less than 1, raising it to 1", 2 },
    { "MinSpareThreads 0\nMaxSpareThreads 10", offsetof(ev_config_t, min_spare_threads), 1,
      "MinSpareThreads 0 is less than 1, raising it to 1", 2 },
    { "MinSpareThreads 10\nMaxSpareThreads 20", offsetof(ev_config_t, max_spare_threads), 35,
      "MaxSpareThreads 20 is less than MinSpareThreads 10 + ThreadsPerChild 25, raising it to 35",
      3 },
    /* never written: the warning carries no location */
    { "ThreadLimit 10", offsetof(ev_config_t, threads_per_child), 10,
      "ThreadsPerChild 25 exceeds ThreadLimit 10, lowering it to 10", 0 },
    { "MinSpareThreads 300", offsetof(ev_config_t, max_spare_threads), 325,
      "MaxSpareThreads 250 is less than MinSpareThreads 300 + ThreadsPerChild 25, raising it to "
      "325",
      0 },
    { "ServerLimit 4", offsetof(ev_config_t, max_request_workers), 100,
      "MaxRequestWorkers 400 exceeds ServerLimit 4 x ThreadsPerChild 25, lowering it to 100", 0 },
};

START_TEST(test_clamps)
{
    const char *expect;
    int i, found = 0;

    load_ok(apr_pstrcat(pool, "Listen 80\n", clamp_cases[_i].text, "\n", NULL));
    ck_assert_int_eq(*(int *)((char *)cfg + clamp_cases[_i].field), clamp_cases[_i].value);
    expect = clamp_cases[_i].line ? apr_psprintf(pool, "warning: %s:%d: %s", at("main.conf"),
                                                 clamp_cases[_i].line, clamp_cases[_i].warning)
                                  : apr_pstrcat(pool, "warning: ", clamp_cases[_i].warning, NULL);
    for (i = 0; i < msgs->nelts; i++) {
        const char *m = APR_ARRAY_IDX(msgs, i, const char *);
        ck_assert_msg(strncmp(m, "warning: ", 9) == 0, "not a warning: %s", m);
        found |= strcmp(m, expect) == 0;
    }
    ck_assert_msg(found, "no \"%s\" in:\n%s", expect, all_msgs());
}
END_TEST

/* The clamps see the final values whatever the order they were written in. */
START_TEST(test_clamps_order_independent)
{
    load_ok("Listen 80\nMaxRequestWorkers 100\nThreadsPerChild 50\nThreadLimit 50\n");
    ck_assert_int_eq(msgs->nelts, 0);
    ck_assert_int_eq(cfg->max_request_workers, 100);
    ck_assert_int_eq(cfg->threads_per_child, 50);
    load_ok("Listen 80\nThreadLimit 50\nThreadsPerChild 50\nMaxRequestWorkers 100\n");
    ck_assert_int_eq(msgs->nelts, 0);
    ck_assert_int_eq(cfg->max_request_workers, 100);
}
END_TEST

/* ---- StatusLocation, StatusAllow ---- */

static const struct {
    const char *arg;    /* as written */
    const char *stored; /* what requests are compared with */
} location_cases[] = {
    { "/server-status", "/server-status" },
    { "/server-status/", "/server-status" },
    { "/server-status///", "/server-status" },
    { "//a//b", "/a/b" },
    { "/a/./b/../c/", "/a/c" },
    { "/st%61tus", "/status" },
    { "/with%20space", "/with space" },
};

START_TEST(test_status_location_forms)
{
    load_ok(apr_psprintf(pool, "Listen 80\nStatusLocation %s\n", location_cases[_i].arg));
    ck_assert_str_eq(cfg->status_location, location_cases[_i].stored);
    ck_assert_int_eq(msgs->nelts, 0);
}
END_TEST

START_TEST(test_status_location_last_wins)
{
    load_ok("Listen 80\nStatusLocation /a\nStatusLocation /b\n");
    ck_assert_str_eq(cfg->status_location, "/b");
}
END_TEST

/* The text of a StatusAllow entry, "address/prefix". */
static const char *
cidr_text(int i)
{
    const ev_cidr_t *c = &APR_ARRAY_IDX(cfg->status_allow, i, ev_cidr_t);
    char buf[INET6_ADDRSTRLEN];

    ck_assert_ptr_nonnull(
        inet_ntop(c->family == APR_INET ? AF_INET : AF_INET6, c->addr, buf, sizeof(buf)));
    return apr_psprintf(pool, "%s/%d", buf, c->prefix);
}

START_TEST(test_status_allow_default_loopback)
{
    load_ok("Listen 80\n");
    ck_assert_int_eq(cfg->status_allow->nelts, 2);
    ck_assert_str_eq(cidr_text(0), "127.0.0.1/32");
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->status_allow, 0, ev_cidr_t).family, APR_INET);
    ck_assert_str_eq(cidr_text(1), "::1/128");
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->status_allow, 1, ev_cidr_t).family, APR_INET6);
}
END_TEST

static const struct {
    const char *arg;    /* one StatusAllow argument */
    const char *stored; /* cidr_text of the entry */
    int warns;          /* 1 when host bits were set */
} allow_cases[] = {
    { "10.0.0.0/8", "10.0.0.0/8", 0 },
    { "192.168.1.7", "192.168.1.7/32", 0 },
    { "0.0.0.0/0", "0.0.0.0/0", 0 },
    { "10.1.2.3/8", "10.0.0.0/8", 1 },
    { "172.16.0.0/12", "172.16.0.0/12", 0 },
    { "172.31.5.4/12", "172.16.0.0/12", 1 },
    { "::1", "::1/128", 0 },
    { "2001:db8::/32", "2001:db8::/32", 0 },
    { "2001:db8:1::5/48", "2001:db8:1::/48", 1 },
    { "::/0", "::/0", 0 },
    { "fe80::1/010", "fe80::/10", 1 },
    { "::ffff:10.0.0.0/104", "10.0.0.0/8", 0 },
    { "::ffff:127.0.0.1", "127.0.0.1/32", 0 },
    { "64:ff9b::/96", "64:ff9b::/96", 0 },
    { "::ffff:0:0/64", "::/64", 1 },
};

START_TEST(test_status_allow_forms)
{
    load_ok(apr_psprintf(pool, "Listen 80\nStatusAllow %s\n", allow_cases[_i].arg));
    ck_assert_int_eq(cfg->status_allow->nelts, 1);
    ck_assert_str_eq(cidr_text(0), allow_cases[_i].stored);
    if (allow_cases[_i].warns) {
        ck_assert_int_eq(msgs->nelts, 1);
        ASSERT_MSG(apr_pstrcat(pool, "warning: ", at("main.conf"), ":2: StatusAllow: \"",
                               allow_cases[_i].arg, "\" has host bits set; matching ",
                               allow_cases[_i].stored, NULL));
    } else {
        ck_assert_msg(msgs->nelts == 0, "unexpected: %s", all_msgs());
    }
}
END_TEST

START_TEST(test_status_allow_adds_and_replaces_default)
{
    load_ok("Listen 80\nStatusAllow 10.0.0.0/8 ::1\nStatusAllow 192.0.2.1\n");
    ck_assert_int_eq(cfg->status_allow->nelts, 3);
    ck_assert_str_eq(cidr_text(0), "10.0.0.0/8");
    ck_assert_str_eq(cidr_text(1), "::1/128");
    ck_assert_str_eq(cidr_text(2), "192.0.2.1/32");
}
END_TEST

/* A bad argument adds none of its line: the operator sees the error, and a -t run
 * cannot pass with half a list. */
START_TEST(test_status_allow_bad_argument_adds_nothing)
{
    ck_assert_int_eq(load("Listen 80\nStatusAllow 10.0.0.0/8 nonsense\n"), APR_EINVAL);
    ASSERT_MSG(":2: StatusAllow: \"nonsense\" is not an IPv4 or IPv6 address");
}
END_TEST

/* ---- load balancers: Listen ... proxy, ProxyProtocol*, HealthLocation, GracefulStopDelay ---- */

START_TEST(test_proxy_listen_and_trusted)
{
    const ev_listen_cfg_t *l;

    load_ok("Listen 80\nListen 127.0.0.1:81 proxy\nListen 82 HTTP\n"
            "ProxyProtocolTrusted 10.1.0.0/16\nProxyProtocolTrusted ::1 192.0.2.9\n"
            "ProxyProtocolTimeout 750ms\n");
    ck_assert_int_eq(cfg->listens->nelts, 3);
    l = &APR_ARRAY_IDX(cfg->listens, 0, ev_listen_cfg_t);
    ck_assert_int_eq(l->proxy, 0);
    l = &APR_ARRAY_IDX(cfg->listens, 1, ev_listen_cfg_t);
    ck_assert_int_eq(l->proxy, 1);
    l = &APR_ARRAY_IDX(cfg->listens, 2, ev_listen_cfg_t);
    ck_assert_int_eq(l->proxy, 0);
    ck_assert_int_eq(cfg->proxy_trusted->nelts, 3);
    ck_assert_int_eq(cfg->proxy_timeout, apr_time_from_msec(750));
    /* the status page's list is its own */
    ck_assert_int_eq(cfg->status_allow->nelts, 2);
}
END_TEST

START_TEST(test_load_balancer_defaults)
{
    load_ok("Listen 80\n");
    ck_assert_int_eq(cfg->proxy_trusted->nelts, 0);
    ck_assert_int_eq(cfg->proxy_timeout, apr_time_from_sec(5));
    ck_assert_ptr_null(cfg->health_location);
    ck_assert_int_eq(cfg->graceful_stop_delay, 0);
    load_ok("Listen 80\nHealthLocation /health%7a/\nGracefulStopDelay 7\n");
    ck_assert_str_eq(cfg->health_location, "/healthz");
    ck_assert_int_eq(cfg->graceful_stop_delay, apr_time_from_sec(7));
}
END_TEST

/* The error names the Listen line, wherever the (missing) trust list would go. */
START_TEST(test_proxy_listen_needs_trusted)
{
    ck_assert_int_eq(load("Listen 80\nListen 81 proxy\n"), APR_EINVAL);
    ASSERT_MSG(":2: Listen 81 proxy: no ProxyProtocolTrusted names the load balancers");
}
END_TEST

/* ---- <VirtualHost> ---- */

START_TEST(test_virtual_hosts)
{
    const ev_site_t *a, *b, *c;
    const ev_vaddr_t *v;

    load_ok("Listen 80\nListen 127.0.0.1:8080\nDocumentRoot main\nDirectoryIndex m.html\n"
            "ServerName main.example\n"
            "<VirtualHost *:80 127.0.0.1:8080>\n"
            "  ServerName a.example\n  ServerAlias www.a.example *.a.example\n"
            "  DocumentRoot sites/a\n"
            "</VirtualHost>\n"
            "<VirtualHost _default_:80 >\n  DirectoryIndex b.html c.html\n</VirtualHost>\n"
            "<virtualhost [::1]>\n</virtualhost>\n");
    ck_assert_int_eq(cfg->sites->nelts, 4);
    ck_assert_ptr_eq(APR_ARRAY_IDX(cfg->sites, 0, ev_site_t *), cfg->main);
    a = APR_ARRAY_IDX(cfg->sites, 1, ev_site_t *);
    b = APR_ARRAY_IDX(cfg->sites, 2, ev_site_t *);
    c = APR_ARRAY_IDX(cfg->sites, 3, ev_site_t *);
    ck_assert_int_eq(a->index, 1);
    ck_assert_str_eq(a->where, apr_pstrcat(pool, at("main.conf"), ":6", NULL));
    ck_assert_int_eq(a->addrs->nelts, 2);
    v = &APR_ARRAY_IDX(a->addrs, 0, ev_vaddr_t);
    ck_assert_ptr_null(v->host);
    ck_assert_int_eq(v->port, 80);
    v = &APR_ARRAY_IDX(a->addrs, 1, ev_vaddr_t);
    ck_assert_str_eq(v->host, "127.0.0.1");
    ck_assert_int_eq(v->port, 8080);
    ck_assert_str_eq(a->server_name, "a.example");
    ck_assert_int_eq(a->server_aliases->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(a->server_aliases, 1, const char *), "*.a.example");
    ck_assert_str_eq(a->document_root, at("sites/a"));
    /* what a virtual host does not set comes from the main server */
    ck_assert_ptr_eq(a->directory_index, cfg->main->directory_index);
    ck_assert_str_eq(b->document_root, at("main"));
    ck_assert_int_eq(b->directory_index->nelts, 2);
    ck_assert_ptr_null(b->server_name);
    v = &APR_ARRAY_IDX(b->addrs, 0, ev_vaddr_t);
    ck_assert_ptr_null(v->host);
    ck_assert_int_eq(v->port, 80);
    /* the main server keeps its own */
    ck_assert_str_eq(cfg->main->server_name, "main.example");
    ck_assert_str_eq(cfg->main->document_root, at("main"));
    /* [::1] on every port: no Listen binds ::1, so it could never be chosen */
    v = &APR_ARRAY_IDX(c->addrs, 0, ev_vaddr_t);
    ck_assert_str_eq(v->host, "::1");
    ck_assert_int_eq(v->port, 0);
    ASSERT_MSG(apr_pstrcat(pool, "warning: ", at("main.conf"),
                           ":14: <VirtualHost> address [::1]:* matches no Listen", NULL));
}
END_TEST

/* KeepAliveTimeout per site: inherited from the main server, and one listener queue per
 * distinct value, the main server's first. `site_ms` is each site's value and
 * `queues` its queue index, main first. */
static const struct {
    const char *text;      /* after "Listen 80\n" */
    int nsites;            /* main included */
    long long timeouts[4]; /* ev_config_t.keepalive_timeouts, in ms */
    int ntimeouts;         /* its length */
    long long site_ms[4];  /* each site's KeepAliveTimeout, in ms */
    int queues[4];         /* each site's keepalive_queue */
} keepalive_cases[] = {
    { "", 1, { 5000 }, 1, { 5000 }, { 0 } },
    { "KeepAliveTimeout 2\n<VirtualHost *:80>\n</VirtualHost>\n",
      2,
      { 2000 },
      1,
      { 2000, 2000 },
      { 0, 0 } },
    { "<VirtualHost *:80>\nKeepAliveTimeout 1\n</VirtualHost>\n"
      "<VirtualHost *:80>\nKeepAliveTimeout 30\n</VirtualHost>\n"
      "<VirtualHost *:80>\nKeepAliveTimeout 1000ms\n</VirtualHost>\n",
      4,
      { 5000, 1000, 30000 },
      3,
      { 5000, 1000, 30000, 1000 },
      { 0, 1, 2, 1 } },
    /* the main server's value comes first even when set after the sections */
    { "<VirtualHost *:80>\nKeepAliveTimeout 7\n</VirtualHost>\n"
      "<VirtualHost *:80>\n</VirtualHost>\nKeepAliveTimeout 7\n",
      3,
      { 7000 },
      1,
      { 7000, 7000, 7000 },
      { 0, 0, 0 } },
    { "<VirtualHost *:80>\nKeepAliveTimeout 0\n</VirtualHost>\n",
      2,
      { 5000, 0 },
      2,
      { 5000, 0 },
      { 0, 1 } },
};

START_TEST(test_keepalive_queues)
{
    int i;

    load_ok(apr_pstrcat(pool, "Listen 80\n", keepalive_cases[_i].text, NULL));
    ck_assert_int_eq(cfg->sites->nelts, keepalive_cases[_i].nsites);
    ck_assert_int_eq(cfg->keepalive_timeouts->nelts, keepalive_cases[_i].ntimeouts);
    for (i = 0; i < keepalive_cases[_i].ntimeouts; i++)
        ck_assert_int_eq(APR_ARRAY_IDX(cfg->keepalive_timeouts, i, apr_interval_time_t),
                         apr_time_from_msec(keepalive_cases[_i].timeouts[i]));
    for (i = 0; i < keepalive_cases[_i].nsites; i++) {
        const ev_site_t *s = APR_ARRAY_IDX(cfg->sites, i, ev_site_t *);

        ck_assert_int_eq(s->keepalive_timeout, apr_time_from_msec(keepalive_cases[_i].site_ms[i]));
        ck_assert_int_eq(s->keepalive_queue, keepalive_cases[_i].queues[i]);
    }
}
END_TEST

/* CustomLog and ErrorLog per site: a virtual host without CustomLog takes the main
 * server's; equal (path, format) pairs are one entry of cfg->custom_logs; ErrorLog paths
 * resolve against ServerRoot and one naming the main file is the main log. `ids` lists,
 * for each site (main first), its lines' indexes, ending with -1; `err` its
 * error_log_id. */
static const struct {
    const char *text;     /* after "Listen 80\nErrorLog main.err\n" */
    int nlogs;            /* distinct CustomLogs */
    int nerr;             /* distinct virtual host ErrorLogs */
    int ids[3][4];        /* per site */
    int err[3];           /* per site */
    const char *paths[3]; /* cfg->custom_logs paths, relative to the directory */
} vhost_log_cases[] = {
    { "CustomLog m common\n<VirtualHost *:80>\n</VirtualHost>\n",
      1,
      0,
      { { 0, -1 }, { 0, -1 } },
      { -1, -1 },
      { "m" } },
    { "CustomLog m common\n<VirtualHost *:80>\nCustomLog a common\nErrorLog a.err\n"
      "</VirtualHost>\n",
      2,
      1,
      { { 0, -1 }, { 1, -1 } },
      { -1, 0 },
      { "m", "a" } },
    /* a path two sites name is opened once; a site writes each of its lines */
    { "<VirtualHost *:80>\nCustomLog s common\nCustomLog s common\nErrorLog s.err\n"
      "</VirtualHost>\n<VirtualHost *:80>\nCustomLog s common\nErrorLog s.err\n"
      "</VirtualHost>\n",
      1,
      1,
      { { -1 }, { 0, 0, -1 }, { 0, -1 } },
      { -1, 0, 0 },
      { "s" } },
    /* the same file in another format is another entry; the main ErrorLog stays main */
    { "CustomLog s common\n<VirtualHost *:80>\nCustomLog s combined\nErrorLog main.err\n"
      "</VirtualHost>\n",
      2,
      0,
      { { 0, -1 }, { 1, -1 } },
      { -1, -1 },
      { "s", "s" } },
};

START_TEST(test_vhost_logs)
{
    int i, j;

    load_ok(apr_pstrcat(pool, "Listen 80\nErrorLog main.err\n", vhost_log_cases[_i].text, NULL));
    ck_assert_int_eq(cfg->custom_logs->nelts, vhost_log_cases[_i].nlogs);
    ck_assert_int_eq(cfg->error_logs->nelts, vhost_log_cases[_i].nerr);
    for (i = 0; i < vhost_log_cases[_i].nlogs; i++)
        ck_assert_str_eq(APR_ARRAY_IDX(cfg->custom_logs, i, ev_customlog_t).path,
                         at(vhost_log_cases[_i].paths[i]));
    for (i = 0; i < cfg->sites->nelts; i++) {
        const ev_site_t *s = APR_ARRAY_IDX(cfg->sites, i, ev_site_t *);

        for (j = 0; vhost_log_cases[_i].ids[i][j] >= 0; j++)
            ck_assert_int_eq(APR_ARRAY_IDX(s->custom_logs, j, int), vhost_log_cases[_i].ids[i][j]);
        ck_assert_int_eq(s->custom_logs->nelts, j);
        ck_assert_int_eq(s->error_log_id, vhost_log_cases[_i].err[i]);
        if (s->error_log_id >= 0) {
            ck_assert_str_eq(s->error_log,
                             APR_ARRAY_IDX(cfg->error_logs, s->error_log_id, const char *));
            ck_assert_ptr_nonnull(strstr(s->error_log, dir));
        }
    }
    ck_assert_str_eq(cfg->error_log, at("main.err"));
}
END_TEST

/* Alias and Redirect: resolved against ServerRoot, numbered across sites, and a
 * virtual host's own come before the main server's (mod_alias's merge). */
START_TEST(test_alias_redirect)
{
    const ev_site_t *v;
    const ev_alias_t *a;
    const ev_redirect_t *r;

    load_ok("Listen 80\nAlias /icons share/icons\nRedirect gone /old\n"
            "<VirtualHost *:80>\n  Alias /docs /srv/docs\n"
            "  Redirect permanent /a http://b.example/c\n</VirtualHost>\n");
    ck_assert_int_eq(cfg->naliases, 2);
    ck_assert_int_eq(cfg->main->aliases->nelts, 1);
    a = APR_ARRAY_IDX(cfg->main->aliases, 0, const ev_alias_t *);
    ck_assert_str_eq(a->path, at("share/icons"));
    ck_assert_int_eq(a->index, 0);
    v = APR_ARRAY_IDX(cfg->sites, 1, const ev_site_t *);
    ck_assert_int_eq(v->aliases->nelts, 2);
    a = APR_ARRAY_IDX(v->aliases, 0, const ev_alias_t *);
    ck_assert_str_eq(a->prefix, "/docs");
    ck_assert_str_eq(a->path, "/srv/docs");
    ck_assert_int_eq(a->index, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(v->aliases, 1, const ev_alias_t *)->prefix, "/icons");
    ck_assert_int_eq(v->redirects->nelts, 2);
    r = APR_ARRAY_IDX(v->redirects, 0, const ev_redirect_t *);
    ck_assert_int_eq(r->status, 301);
    ck_assert_str_eq(r->target, "http://b.example/c");
    r = APR_ARRAY_IDX(v->redirects, 1, const ev_redirect_t *);
    ck_assert_int_eq(r->status, 410);
    ck_assert_ptr_null(r->target);
}
END_TEST

/* Header and ExpiresByType: a virtual host's come after the main server's (mod_headers
 * and mod_expires), ExpiresActive is inherited unless set. */
START_TEST(test_headers_expires_merge)
{
    const ev_site_t *v, *w;

    load_ok("Listen 80\nHeader set X-A 1\nExpiresActive On\n"
            "ExpiresByType text/html A60\n"
            "<VirtualHost *:80>\n  Header unset X-A\n  ExpiresByType image/* A3600\n"
            "</VirtualHost>\n<VirtualHost *:80>\n  ExpiresActive Off\n</VirtualHost>\n");
    ck_assert_int_eq(cfg->main->headers->nelts, 1);
    ck_assert_int_eq(cfg->main->expires_active, 1);
    v = APR_ARRAY_IDX(cfg->sites, 1, const ev_site_t *);
    w = APR_ARRAY_IDX(cfg->sites, 2, const ev_site_t *);
    ck_assert_int_eq(v->headers->nelts, 2);
    ck_assert_int_eq(APR_ARRAY_IDX(v->headers, 0, header_action_t).op, HEADER_ACTION_SET);
    ck_assert_int_eq(APR_ARRAY_IDX(v->headers, 1, header_action_t).op, HEADER_ACTION_UNSET);
    ck_assert_int_eq(v->expires->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(v->expires, 1, expires_rule_t).type, "image/*");
    ck_assert_int_eq(APR_ARRAY_IDX(v->expires, 1, expires_rule_t).seconds, 3600);
    ck_assert_int_eq(v->expires_active, 1);
    ck_assert_int_eq(w->expires_active, 0);
    load_ok("Listen 80\nOptions Indexes\n<VirtualHost *:80>\nOptions -Indexes\n</VirtualHost>\n"
            "<VirtualHost *:80>\nOptions +FollowSymLinks\n</VirtualHost>\n");
    ck_assert_int_eq(cfg->main->options_indexes, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->sites, 1, const ev_site_t *)->options_indexes, 0);
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->sites, 2, const ev_site_t *)->options_indexes, 1);
    load_ok("Listen 80\nPrecompressedFiles br GZIP gzip\n<VirtualHost *:80>\n"
            "PrecompressedFiles Off\n</VirtualHost>\n<VirtualHost *:80>\n</VirtualHost>\n"
            "<VirtualHost *:80>\nPrecompressedFiles gzip\n</VirtualHost>\n");
    ck_assert_int_eq(cfg->main->precompressed, EV_CODING_BR | EV_CODING_GZIP);
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->sites, 1, const ev_site_t *)->precompressed, 0);
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->sites, 2, const ev_site_t *)->precompressed,
                     EV_CODING_BR | EV_CODING_GZIP);
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->sites, 3, const ev_site_t *)->precompressed,
                     EV_CODING_GZIP);
    load_ok("Listen 80\n<VirtualHost *:80>\nPrecompressedFiles br\n</VirtualHost>\n"
            "PrecompressedFiles none\n");
    ck_assert_int_eq(cfg->main->precompressed, 0);
    ck_assert_int_eq(APR_ARRAY_IDX(cfg->sites, 1, const ev_site_t *)->precompressed, EV_CODING_BR);
    load_ok("Listen 80\n");
    ck_assert_int_eq(cfg->main->precompressed, 0);
    ck_assert_int_eq(cfg->main->options_indexes, 0);
    ck_assert_int_eq(cfg->main->expires_active, 0);
    ck_assert_int_eq(cfg->main->headers->nelts, 0);
}
END_TEST

/* A section opened in an included file must close there; the error names the line
 * that opened it, and the rest of the main file is read as the main server's. */
START_TEST(test_virtual_host_unclosed_in_include)
{
    put("vh.conf", "<VirtualHost *:80>\nServerName a\n");
    ck_assert_int_eq(load("Listen 80\nInclude vh.conf\nServerName main\n"), APR_EINVAL);
    ASSERT_MSG(
        apr_pstrcat(pool, at("vh.conf"), ":1: <VirtualHost> is not closed by the end of ", NULL));
    ck_assert_int_eq(msgs->nelts, 1);
}
END_TEST

/* ---- <Location> ---- */

/* The merged settings of `path` in site s. */
static const ev_location_t *
location_of(const ev_site_t *s, const char *path)
{
    ck_assert_ptr_nonnull(s->location_table);
    return location_table_lookup(s->location_table, path, strlen(path));
}

/* Sections in the main server and a virtual host: the vhost sees both, the longer
 * prefix wins whatever the order they are written in, a vhost's section for the same
 * prefix comes after the main server's; prefixes are normalized, a trailing slash
 * kept; an Include inside a section adds to it. */
START_TEST(test_locations)
{
    const ev_location_t *l;
    const ev_site_t *v;

    put("loc.conf", "Header set X-Inc 1\n");
    load_ok("Listen 80\nHeader set X-Site main\n"
            "<Location /a/b>\n  Require ip 10.0.0.0/8\n  Header set X-B 1\n</Location>\n"
            "<Location /a>\n  Require all denied\n  SetHandler server-status\n"
            "  ErrorDocument 403 /no.html\n  Include loc.conf\n</Location>\n"
            "<Location /x/%7e/./y/>\n  SetHandler server-health\n</Location>\n"
            "<VirtualHost *:80>\n  <Location /a>\n    Require local\n  </Location>\n"
            "  <Location /v>\n    SetHandler none\n  </Location>\n</VirtualHost>\n"
            "<VirtualHost *:80>\n</VirtualHost>\n");
    ck_assert_int_eq(cfg->main->locations->nelts, 3);
    l = location_of(cfg->main, "/a/b/c");
    ck_assert_str_eq(l->prefix, "/a/b");
    ck_assert_int_eq(l->require->all, 0);
    ck_assert_int_eq(l->require->nets->nelts, 1);    /* /a/b's Require, not /a's */
    ck_assert_int_eq(l->handler, EV_HANDLER_STATUS); /* inherited from /a */
    ck_assert_int_eq(l->headers->nelts, 3);          /* X-Site, X-Inc (/a), X-B */
    ck_assert_str_eq(APR_ARRAY_IDX(l->headers, 0, header_action_t).name, "X-Site");
    ck_assert_str_eq(APR_ARRAY_IDX(l->headers, 1, header_action_t).name, "X-Inc");
    ck_assert_str_eq(APR_ARRAY_IDX(l->headers, 2, header_action_t).name, "X-B");
    ck_assert_int_eq(l->error_documents->nelts, 1);
    l = location_of(cfg->main, "/abc");
    ck_assert_str_eq(l->prefix, "/a");
    ck_assert_int_eq(l->require->nets->nelts, 0);
    ck_assert_ptr_null(location_of(cfg->main, "/b"));
    ck_assert_ptr_null(location_of(cfg->main, "/x/~/y"));
    ck_assert_int_eq(location_of(cfg->main, "/x/~/y/z")->handler, EV_HANDLER_HEALTH);
    v = APR_ARRAY_IDX(cfg->sites, 1, const ev_site_t *);
    ck_assert_int_eq(v->locations->nelts, 2);
    l = location_of(v, "/a/x");
    ck_assert_int_eq(l->require->nets->nelts, 2); /* the vhost's Require local */
    ck_assert_int_eq(l->handler, EV_HANDLER_STATUS);
    ck_assert_int_eq(location_of(v, "/a/b")->require->nets->nelts, 1);
    ck_assert_int_eq(location_of(v, "/v")->handler, EV_HANDLER_FILES);
    v = APR_ARRAY_IDX(cfg->sites, 2, const ev_site_t *);
    ck_assert_int_eq(location_of(v, "/a/x")->require->nets->nelts, 0); /* the main server's */
}
END_TEST

START_TEST(test_sched_policy)
{
    load_ok("Listen 80\nSchedulingPolicy other\n");
    ck_assert_int_eq(cfg->sched_batch, 0);
    load_ok("Listen 80\nSchedulingPolicy other\nschedulingpolicy BATCH\n");
    ck_assert_int_eq(cfg->sched_batch, 1);
}
END_TEST

/* Without any section no table is built: the request path skips the lookup. */
START_TEST(test_locations_none)
{
    load_ok("Listen 80\n<VirtualHost *:80>\n</VirtualHost>\n");
    ck_assert_ptr_null(cfg->main->location_table);
    ck_assert_ptr_null(APR_ARRAY_IDX(cfg->sites, 1, const ev_site_t *)->location_table);
}
END_TEST

/* ---- errors ---- */

static const struct {
    const char *text;   /* main.conf after a "# case" first line */
    const char *expect; /* substring of a message, after the main file's path */
} error_cases[] = {
    { "Foo bar", ":2: unknown directive \"Foo\"" },
    { "<Directory />", ":2: unknown section <Directory>" },
    { "<VirtualHost>", ":2: <VirtualHost> needs at least one address" },
    { "<VirtualHost *:80", ":2: <VirtualHost: the section line must end with '>'" },
    { "</VirtualHost>", ":2: </VirtualHost> without <VirtualHost>" },
    { "<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>",
      ":3: <VirtualHost> inside <VirtualHost> of " },
    { "<VirtualHost *:80>\n</VirtualHost extra>", ":3: </VirtualHost> takes no arguments" },
    { "<VirtualHost *:80>\nListen 81\n</VirtualHost>",
      ":3: Listen is not allowed inside <VirtualHost> (it applies to the whole server)" },
    { "<VirtualHost *:80>\nStartServers 2\n</VirtualHost>",
      ":3: StartServers is not allowed inside" },
    { "<VirtualHost 80>\n</VirtualHost>",
      ":2: <VirtualHost>: \"80\" is not an address (for a port, write *:80)" },
    { "<VirtualHost www.example.com:80>\n</VirtualHost>",
      ":2: <VirtualHost>: \"www.example.com:80\"" },
    { "<VirtualHost *:80>\nServerName bad/name\n</VirtualHost>",
      ":3: ServerName: \"bad/name\" is not a host name or a name pattern" },
    { "<VirtualHost *:80>\nServerAlias ok.example no!\n</VirtualHost>",
      ":3: ServerAlias: \"no!\" is not a host name" },
    { "ServerAlias www.example", ":2: ServerAlias belongs inside <VirtualHost>" },
    { "Alias docs /srv/docs", ":2: Alias: \"docs\" must start with /" },
    { "Header set", ":2: Header takes two to five arguments" },
    { "Options ExecCGI", ":2: Options: \"ExecCGI\" is not supported here" },
    { "PrecompressedFiles deflate",
      ":2: PrecompressedFiles: \"deflate\" is not supported (gzip and br are, or Off alone)" },
    { "PrecompressedFiles gzip off", ":2: PrecompressedFiles: \"off\" is not supported" },
    { "PrecompressedFiles", ":2: PrecompressedFiles takes at least one argument" },
    { "Options +Indexes FollowSymLinks", ":2: Options: mix options with and without + or -" },
    { "ErrorDocument 200 /ok.html", ":2: ErrorDocument: \"200\" is not an error status" },
    { "ErrorDocument 4o4 /nf.html", ":2: ErrorDocument: \"4o4\" is not an error status" },
    { "ErrorDocument 404 /a/../../x", ":2: ErrorDocument: \"/a/../../x\" is not a valid URL" },
    { "ErrorDocument 404", ":2: ErrorDocument takes two arguments" },
    { "Header echo X-A", ":2: Header: " },
    { "Header set Content-Length 5", ":2: Header: " },
    { "Header set X-T %t", ":2: Header: " },
    { "ExpiresActive maybe", ":2: ExpiresActive takes On or Off" },
    { "ExpiresByType text/html", ":2: ExpiresByType takes two arguments" },
    { "ExpiresByType html \"access plus 1 day\"", ":2: ExpiresByType: \"html\"" },
    { "ExpiresByType text/html \"modification plus 1 day\"", ":2: ExpiresByType: \"modification" },
    { "ExpiresByType text/html \"access plus 1 fortnight\"", ":2: ExpiresByType: \"access" },
    { "Alias /docs", ":2: Alias takes two arguments" },
    { "Alias /docs ''", ":2: Alias: empty file path" },
    { "Redirect", ":2: Redirect takes one to three arguments" },
    { "Redirect 299 /a http://x/", ":2: Redirect: " },
    { "Redirect gone /a http://x/", ":2: Redirect: " },
    { "Redirect 301 /a", ":2: Redirect: " },
    { "Redirect /a //evil.example/", ":2: Redirect: " },
    { "<VirtualHost *:80>\nServerName a", ":2: <VirtualHost> is not closed by the end of " },
    { "SchedulingPolicy fifo",
      ":2: SchedulingPolicy: \"fifo\" is not a policy here (batch or other)" },
    { "SchedulingPolicy", ":2: SchedulingPolicy takes one argument" },
    { "<Location>", ":2: <Location> takes one URL-path" },
    { "<Location /a /b>\n</Location>", ":2: <Location> takes one URL-path" },
    { "<Location ~ ^/a>\n</Location>", ":2: <Location ~>: regular expressions are not supported" },
    { "<Location a>\n</Location>", ":2: <Location a>: a URL-path starting with / is expected" },
    { "<Location /a?b>\n</Location>", ":2: <Location /a?b>: not a valid URL path" },
    { "<Location /../x>\n</Location>", ":2: <Location /../x>: not a valid URL path" },
    { "</Location>", ":2: </Location> without <Location>" },
    { "<Location /a>\n<Location /b>\n</Location>\n</Location>",
      ":3: <Location> inside <Location> of " },
    { "<Location /a>\n</Location x>", ":3: </Location> takes no arguments" },
    { "<Location /a>", ":2: <Location> is not closed by the end of " },
    { "<Location /a>\nDocumentRoot /srv\n</Location>",
      ":3: DocumentRoot is not allowed inside <Location> (Header, ErrorDocument, Require" },
    { "<Location /a>\n<VirtualHost *:80>\n</VirtualHost>\n</Location>",
      ":3: <VirtualHost> inside <Location> of " },
    { "<VirtualHost *:80>\n<Location /a>\n</VirtualHost>\n</Location>",
      ":4: </VirtualHost> inside <Location> of " },
    { "Require all granted", ":2: Require belongs inside <Location>" },
    { "SetHandler server-status", ":2: SetHandler belongs inside <Location>" },
    { "<Location /a>\nRequire\n</Location>", ":3: Require takes at least one argument" },
    { "<Location /a>\nRequire all\n</Location>", ":3: Require all takes one argument" },
    { "<Location /a>\nRequire all maybe\n</Location>", ":3: Require all maybe: expected granted" },
    { "<Location /a>\nRequire ip\n</Location>", ":3: Require ip needs at least one address" },
    { "<Location /a>\nRequire ip 10.0.0.0/33\n</Location>",
      ":3: Require ip \"10.0.0.0/33\" has a prefix length that is not 0..32" },
    { "<Location /a>\nRequire ip example.com\n</Location>",
      ":3: Require ip \"example.com\" is not an IPv4 or IPv6 address" },
    { "<Location /a>\nRequire host example.com\n</Location>",
      ":3: Require \"host\" is not supported (all, ip, local)" },
    { "<Location /a>\nRequire not ip 10.0.0.1\n</Location>",
      ":3: Require negation needs <RequireAll>" },
    { "<Location /a>\nRequire local now\n</Location>", ":3: Require local takes no argument" },
    { "<Location /a>\nSetHandler cgi-script\n</Location>",
      ":3: SetHandler: \"cgi-script\" is not a handler here (server-status, server-health, none)" },
    { "ThreadsPerChild abc", ":2: ThreadsPerChild: \"abc\" is not a number" },
    { "threadsperchild 12x", ":2: ThreadsPerChild: \"12x\" is not a number" },
    { "ThreadsPerChild +5", ":2: ThreadsPerChild: \"+5\" is not a number" },
    { "ThreadsPerChild ''", ":2: ThreadsPerChild: \"\" is not a number" },
    { "ThreadsPerChild -5", ":2: ThreadsPerChild: \"-5\" must not be negative" },
    { "ThreadsPerChild 2147483648", ":2: ThreadsPerChild: \"2147483648\" is too large" },
    { "ServerLimit 99999999999999999999999",
      ":2: ServerLimit: \"99999999999999999999999\" is too large" },
    { "StartServers -99999999999999999999999",
      ":2: StartServers: \"-99999999999999999999999\" must not" },
    { "LimitRequestBody -1", ":2: LimitRequestBody: \"-1\" must not be negative" },
    { "LimitRequestLine 0", ":2: LimitRequestLine: \"0\" must be at least 1" },
    { "ListenBacklog 0", ":2: ListenBacklog: \"0\" must be at least 1" },
    { "KeepAlive maybe", ":2: KeepAlive takes On or Off" },
    { "KeepAlive", ":2: KeepAlive takes one argument" },
    { "ServerName a b", ":2: ServerName takes one argument" },
    { "ServerName", ":2: ServerName takes one argument" },
    { "CustomLog x", ":2: CustomLog takes two arguments" },
    { "LogFormat a b c", ":2: LogFormat takes two arguments" },
    { "DirectoryIndex", ":2: DirectoryIndex takes at least one argument" },
    { "RequestReadTimeout", ":2: RequestReadTimeout takes one to three arguments" },
    { "RequestReadTimeout a=1 b=2 c=3 d=4", ":2: RequestReadTimeout takes one to three" },
    { "Listen 70000", ":2: Listen: port 70000 out of range" },
    { "Listen 0", ":2: Listen: port 0 out of range" },
    { "Listen 1.2.3.4:99999999999999999999", ":2: Listen: port 99999999999999999999 out of range" },
    { "Listen abc", ":2: Listen: port \"abc\" is not a number" },
    { "Listen 1.2.3.4:", ":2: Listen: port \"\" is not a number" },
    { "Listen ::1:80", ":2: Listen: \"::1:80\": write an IPv6 address in brackets" },
    { "Listen [::1]80", ":2: Listen: \"[::1]80\" is not [address]:port" },
    { "Listen [::1:80", ":2: Listen: \"[::1:80\" is not [address]:port" },
    { "Listen [zz]:80", ":2: Listen: \"[zz]:80\" is not an IPv6 address" },
    { "Listen 1.2.3:80", ":2: Listen: \"1.2.3:80\" is not an IP address and port" },
    { "Listen www.example.com:80", ":2: Listen: \"www.example.com:80\" is not an IP address" },
    { "Listen 80 http 2", ":2: Listen takes one or two arguments" },
    { "Listen 8000\nListen 8000", ":3: Listen 8000 duplicates Listen 8000 at " },
    { "Listen 80\nListen *:80", ":3: Listen *:80 duplicates Listen 80 at " },
    { "Listen [::1]:80\nListen [0:0::1]:80", ":3: Listen [0:0::1]:80 duplicates Listen [::1]:80" },
    { "Timeout 5x", ":2: Timeout: \"5x\" is not a time" },
    { "Timeout -1", ":2: Timeout: \"-1\" is not a time" },
    { "KeepAliveTimeout ms", ":2: KeepAliveTimeout: \"ms\" is not a time" },
    { "KeepAliveTimeout 99999999999999999ms",
      ":2: KeepAliveTimeout: \"99999999999999999ms\" is too" },
    { "GracefulShutdownTimeout 1.5", ":2: GracefulShutdownTimeout: \"1.5\" is not a time" },
    { "AsyncRequestWorkerFactor 0", ":2: AsyncRequestWorkerFactor: \"0\" must be greater than 0" },
    { "AsyncRequestWorkerFactor 0.000", ":2: AsyncRequestWorkerFactor: \"0.000\" must be greater" },
    { "AsyncRequestWorkerFactor -1", ":2: AsyncRequestWorkerFactor: \"-1\" is not a decimal" },
    { "AsyncRequestWorkerFactor 1.5x", ":2: AsyncRequestWorkerFactor: \"1.5x\" is not a decimal" },
    { "AsyncRequestWorkerFactor .", ":2: AsyncRequestWorkerFactor: \".\" is not a decimal" },
    { "AsyncRequestWorkerFactor 1e3", ":2: AsyncRequestWorkerFactor: \"1e3\" is not a decimal" },
    { "LogLevel loud", ":2: LogLevel: \"loud\" is not a level" },
    { "LogLevel trace9", ":2: LogLevel: \"trace9\" is not a level" },
    { "LogLevel warn core:debug", ":2: LogLevel takes one argument" },
    { "RequestReadTimeout header", ":2: RequestReadTimeout: \"header\" is not stage=timeout" },
    { "RequestReadTimeout foo=20", ":2: RequestReadTimeout: unknown stage \"foo\"" },
    { "RequestReadTimeout header=abc", ":2: RequestReadTimeout: \"header=abc\": the timeout" },
    { "RequestReadTimeout header=-5", ":2: RequestReadTimeout: \"header=-5\": the timeout" },
    { "RequestReadTimeout header=20-40",
      ":2: RequestReadTimeout: \"header=20-40\": a timeout range" },
    { "RequestReadTimeout header=40-20,MinRate=5",
      ":2: RequestReadTimeout: \"header=40-20,MinRate=5\": the" },
    { "RequestReadTimeout body=20,MinRate=x",
      ":2: RequestReadTimeout: \"body=20,MinRate=x\": MinRate" },
    { "RequestReadTimeout body=20,Rate=5", ":2: RequestReadTimeout: \"body=20,Rate=5\": MinRate" },
    { "ErrorLog |/usr/bin/logger", ":2: ErrorLog: piped logs are not supported" },
    { "ErrorLog syslog:local7", ":2: ErrorLog: syslog is not supported" },
    { "CustomLog \"|rotatelogs x\" common", ":2: CustomLog: piped logs are not supported" },
    { "CustomLog '' common", ":2: CustomLog: empty argument" },
    { "LogFormat common \"%h %u\"", ":2: LogFormat: nickname \"%h %u\" contains %" },
    { "LogFormat \"%h\" ''", ":2: LogFormat: empty nickname" },
    { "DocumentRoot \"\"", ":2: DocumentRoot: empty value" },
    { "DirectoryIndex a ''", ":2: DirectoryIndex: empty file name" },
    { "ServerName \"unterminated", ":2: unterminated quoted string" },
    { "ServerName 'a\\'", ":2: unterminated quoted string" },
    { "ServerName \"a\"b", ":2: a closing quote must end its word" },
    { "ServerRoot /nonexistent-evhttpd-dir",
      ":2: ServerRoot: /nonexistent-evhttpd-dir: No such file" },
    { "ServerRoot main.conf", ":2: ServerRoot: " },
    { "Include nope.conf", ":2: Include: " },
    { "Include nope-*.conf", ":2: Include: " },
    { "Include", ":2: Include takes one argument" },
    { "StatusLocation", ":2: StatusLocation takes one argument" },
    { "Listen 80 https", ":2: Listen 80: protocol \"https\" is not served here" },
    { "Listen 80 proxy extra", ":2: Listen takes" },
    { "ProxyProtocolTrusted", ":2: ProxyProtocolTrusted takes" },
    { "ProxyProtocolTrusted 10.0.0.0/33",
      ":2: ProxyProtocolTrusted: \"10.0.0.0/33\" has a prefix" },
    { "ProxyProtocolTrusted lb.example",
      ":2: ProxyProtocolTrusted: \"lb.example\" is not an IPv4" },
    { "ProxyProtocolTimeout soon", ":2: ProxyProtocolTimeout: \"soon\"" },
    { "HealthLocation healthz", ":2: HealthLocation: \"healthz\" must start with /" },
    { "HealthLocation /", ":2: HealthLocation: \"/\" would replace the home page" },
    { "GracefulStopDelay -1", ":2: GracefulStopDelay: \"-1\"" },
    { "ListenCoresBucketsRatio -1", ":2: ListenCoresBucketsRatio: \"-1\" must not be negative" },
    { "StatusLocation /a /b", ":2: StatusLocation takes one argument" },
    { "StatusLocation server-status", ":2: StatusLocation: \"server-status\" must start with /" },
    { "StatusLocation ''", ":2: StatusLocation: \"\" must start with /" },
    { "StatusLocation /", ":2: StatusLocation: \"/\" would replace the home page" },
    { "StatusLocation //", ":2: StatusLocation: \"//\" would replace the home page" },
    { "StatusLocation /a/..", ":2: StatusLocation: \"/a/..\" would replace the home page" },
    { "StatusLocation /s?auto", ":2: StatusLocation: \"/s?auto\" must be a path without" },
    { "StatusLocation /s#x", ":2: StatusLocation: \"/s#x\" must be a path without" },
    { "StatusLocation /../s", ":2: StatusLocation: \"/../s\" is not a valid URL path" },
    { "StatusLocation /a%2Fb", ":2: StatusLocation: \"/a%2Fb\" is not a valid URL path" },
    { "StatusLocation \"/a b\"", ":2: StatusLocation: \"/a b\" is not a valid URL path" },
    { "StatusLocation /a%zz", ":2: StatusLocation: \"/a%zz\" is not a valid URL path" },
    { "StatusAllow", ":2: StatusAllow takes at least one argument" },
    { "StatusAllow 10.0.0.0/33",
      ":2: StatusAllow: \"10.0.0.0/33\" has a prefix length that is not 0..32" },
    { "StatusAllow ::/129", ":2: StatusAllow: \"::/129\" has a prefix length that is not 0..128" },
    { "StatusAllow 10.0.0.0/", ":2: StatusAllow: \"10.0.0.0/\" has a prefix length" },
    { "StatusAllow 10.0.0.0/-1", ":2: StatusAllow: \"10.0.0.0/-1\" has a prefix length" },
    { "StatusAllow 10.0.0.0/+8", ":2: StatusAllow: \"10.0.0.0/+8\" has a prefix length" },
    { "StatusAllow 10.0.0.0/8x", ":2: StatusAllow: \"10.0.0.0/8x\" has a prefix length" },
    { "StatusAllow 10.0.0.0/99999999999999999999",
      ":2: StatusAllow: \"10.0.0.0/99999999999999999999\" has" },
    { "StatusAllow 10.0.0", ":2: StatusAllow: \"10.0.0\" is not an IPv4 or IPv6 address" },
    { "StatusAllow localhost", ":2: StatusAllow: \"localhost\" is not an IPv4 or IPv6" },
    { "StatusAllow /8", ":2: StatusAllow: \"/8\" is not an IPv4 or IPv6 address" },
    { "StatusAllow ''", ":2: StatusAllow: \"\" is not an IPv4 or IPv6 address" },
    { "StatusAllow [::1]", ":2: StatusAllow: \"[::1]\" is not an IPv4 or IPv6 address" },
    { "StatusAllow fe80::1%eth0", ":2: StatusAllow: \"fe80::1%eth0\" is not an IPv4 or IPv6" },
    { "StatusAllow 1111:2222:3333:4444:5555:6666:777.888.999.000",
      ":2: StatusAllow: \"1111:2222:3333:4444:5555:6666:777.888.999.000\" is not an" },
};

START_TEST(test_errors)
{
    apr_status_t rv;

    rv = load(apr_pstrcat(pool, "# case\n", error_cases[_i].text, "\nListen 9999\n", NULL));
    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_int_ge(msgs->nelts, 1);
    ASSERT_MSG(apr_pstrcat(pool, at("main.conf"), error_cases[_i].expect, NULL));
}
END_TEST

/* Messages whose text depends on the temporary directory. */
START_TEST(test_error_texts_with_paths)
{
    ck_assert_int_eq(load("Listen 80\nServerRoot main.conf\n"), APR_EINVAL);
    ASSERT_MSG(apr_pstrcat(pool, at("main.conf"), ":2: ServerRoot: ", at("main.conf"),
                           " is not a directory", NULL));
    ck_assert_int_eq(load("Listen 80\nInclude nope.conf\n"), APR_EINVAL);
    ASSERT_MSG(apr_pstrcat(pool, at("main.conf"), ":2: Include: ", at("nope.conf"),
                           ": cannot open: No such file or directory", NULL));
    ck_assert_int_eq(load("Listen 80\nInclude nope-*.conf\n"), APR_EINVAL);
    ASSERT_MSG(apr_pstrcat(pool, at("main.conf"), ":2: Include: ", at("nope-*.conf"),
                           ": no file matches", NULL));
    ck_assert_int_eq(load("Listen 8000\n\nListen 8000\n"), APR_EINVAL);
    ASSERT_MSG(apr_pstrcat(pool, at("main.conf"), ":3: Listen 8000 duplicates Listen 8000 at ",
                           at("main.conf"), ":1", NULL));
}
END_TEST

START_TEST(test_missing_file)
{
    const char *path = at("absent.conf");

    ck_assert_int_eq(config_load(&cfg, path, NULL, NULL, pool, msgs), APR_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(msgs->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(msgs, 0, const char *),
                     apr_pstrcat(pool, path, ": cannot open: No such file or directory", NULL));
}
END_TEST

START_TEST(test_main_file_is_a_directory)
{
    mkd("d.conf");
    ck_assert_int_eq(config_load(&cfg, at("d.conf"), NULL, NULL, pool, msgs), APR_EINVAL);
    ASSERT_MSG(apr_pstrcat(pool, at("d.conf"), ": not a regular file", NULL));
}
END_TEST

START_TEST(test_nul_byte_rejected)
{
    FILE *f = fopen(at("main.conf"), "w");

    ck_assert_ptr_nonnull(f);
    fwrite("Listen 80\n\0x\n", 1, 13, f);
    fclose(f);
    ck_assert_int_eq(config_load(&cfg, at("main.conf"), NULL, NULL, pool, msgs), APR_EINVAL);
    ASSERT_MSG(": contains a NUL byte");
}
END_TEST

/* Every error is reported, in file order, not just the first. */
START_TEST(test_all_errors_collected)
{
    ck_assert_int_eq(load("Listen 80\nFoo\nThreadsPerChild x\nKeepAlive 2\nServerName ok\n"),
                     APR_EINVAL);
    ck_assert_int_eq(msgs->nelts, 3);
    ck_assert_ptr_nonnull(strstr(APR_ARRAY_IDX(msgs, 0, const char *), ":2: unknown directive"));
    ck_assert_ptr_nonnull(strstr(APR_ARRAY_IDX(msgs, 1, const char *), ":3: ThreadsPerChild"));
    ck_assert_ptr_nonnull(strstr(APR_ARRAY_IDX(msgs, 2, const char *), ":4: KeepAlive"));
}
END_TEST

START_TEST(test_error_cap)
{
    const char *text = "Listen 80\n";
    int i;

    for (i = 0; i < 200; i++)
        text = apr_pstrcat(pool, text, "Bad\n", NULL);
    ck_assert_int_eq(load(text), APR_EINVAL);
    ck_assert_int_gt(msgs->nelts, 10);
    ck_assert_int_lt(msgs->nelts, 100);
    ASSERT_MSG("too many errors");
}
END_TEST

/* No clamp warnings on a configuration that is rejected anyway. */
START_TEST(test_errors_suppress_clamps)
{
    ck_assert_int_eq(load("Listen 80\nThreadsPerChild 100\nFoo\n"), APR_EINVAL);
    ck_assert_int_eq(msgs->nelts, 1);
}
END_TEST

/* ---- Include ---- */

START_TEST(test_include_glob_sorted_relative_to_server_root)
{
    mkd("conf.d");
    put("conf.d/20-b.conf", "Listen 8002\n");
    put("conf.d/10-a.conf", "Listen 8001\n");
    put("conf.d/30-c.conf.disabled", "Listen 8003\n");
    load_ok("Include conf.d/*.conf\nListen 8000\n");
    ck_assert_int_eq(cfg->listens->nelts, 3);
    ck_assert_int_eq(listen_port(0), 8001);
    ck_assert_int_eq(listen_port(1), 8002);
    ck_assert_int_eq(listen_port(2), 8000);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->listens, 0, ev_listen_cfg_t).where,
                     apr_pstrcat(pool, at("conf.d/10-a.conf"), ":1", NULL));
}
END_TEST

START_TEST(test_include_uses_server_root_set_before)
{
    mkd("srv");
    put("srv/inc.conf", "Listen 8001\n");
    load_ok("ServerRoot srv\nInclude inc.conf\n");
    ck_assert_int_eq(listen_port(0), 8001);
    /* an absolute Include ignores ServerRoot */
    load_ok(apr_pstrcat(pool, "ServerRoot srv\nInclude ", at("srv/inc.conf"), "\n", NULL));
    ck_assert_int_eq(listen_port(0), 8001);
}
END_TEST

START_TEST(test_include_directory)
{
    mkd("dir");
    mkd("dir/sub");
    put("dir/b.conf", "Listen 8002\n");
    put("dir/a", "Listen 8001\n");
    put("dir/sub/c.conf", "Listen 8003\n");
    put("dir/.hidden", "Bogus\n");
    load_ok("Include dir\n");
    ck_assert_int_eq(cfg->listens->nelts, 3);
    ck_assert_int_eq(listen_port(0), 8001);
    ck_assert_int_eq(listen_port(1), 8002);
    ck_assert_int_eq(listen_port(2), 8003);
}
END_TEST

START_TEST(test_include_optional)
{
    load_ok("Listen 80\nIncludeOptional nothing-*.conf\nIncludeOptional missing.conf\n"
            "IncludeOptional nodir/*.conf\n");
    ck_assert_int_eq(msgs->nelts, 0);
    put("x.conf", "ServerName fromx\n");
    load_ok("Listen 80\nIncludeOptional x.conf\n");
    ck_assert_str_eq(cfg->main->server_name, "fromx");
}
END_TEST

START_TEST(test_include_errors_name_inner_file)
{
    put("inc.conf", "# inner\nFoo\n");
    ck_assert_int_eq(load("Listen 80\nInclude inc.conf\nBar\n"), APR_EINVAL);
    ck_assert_int_eq(msgs->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(msgs, 0, const char *),
                     apr_pstrcat(pool, at("inc.conf"), ":2: unknown directive \"Foo\"", NULL));
    /* the including file's position is restored afterwards */
    ck_assert_str_eq(APR_ARRAY_IDX(msgs, 1, const char *),
                     apr_pstrcat(pool, at("main.conf"), ":3: unknown directive \"Bar\"", NULL));
}
END_TEST

START_TEST(test_include_recursion)
{
    put("a.conf", "Include b.conf\n");
    put("b.conf", "Include a.conf\n");
    ck_assert_int_eq(load("Listen 80\nInclude a.conf\n"), APR_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(msgs->nelts, 1);
    ASSERT_MSG("nested deeper than 16 levels (recursive Include?)");
    ck_assert_int_eq(load("Listen 80\nInclude main.conf\n"), APR_EINVAL);
    ASSERT_MSG("recursive Include?");
}
END_TEST

START_TEST(test_include_directory_symlink_loop)
{
    mkd("loop");
    ck_assert_int_eq(symlink(".", at("loop/self")), 0);
    ck_assert_int_eq(load("Listen 80\nInclude loop\n"), APR_EINVAL);
    ASSERT_MSG("recursive Include?");
}
END_TEST

/* ---- -C / -c ---- */

START_TEST(test_pre_post_order)
{
    static const char *const pre[] = { "ServerName pre", "User preuser", NULL };
    static const char *const post[] = { "ServerName post", NULL };

    ck_assert_int_eq(load_with("Listen 80\nServerName file\n", pre, NULL), APR_SUCCESS);
    ck_assert_str_eq(cfg->main->server_name, "file"); /* the file overrides -C */
    ck_assert_str_eq(cfg->user, "preuser");           /* -C alone applies */
    ck_assert_int_eq(load_with("Listen 80\nServerName file\n", pre, post), APR_SUCCESS);
    ck_assert_str_eq(cfg->main->server_name, "post"); /* -c overrides the file */
}
END_TEST

START_TEST(test_pre_post_listen_and_messages)
{
    static const char *const pre[] = { "Listen 8001", NULL };
    static const char *const post[] = { "# comment", "Listen 8001", "  ", "Nope x", NULL };

    ck_assert_int_eq(load_with("ServerName x\n", pre, NULL), APR_SUCCESS);
    ck_assert_int_eq(listen_port(0), 8001);
    ck_assert_str_eq(APR_ARRAY_IDX(cfg->listens, 0, ev_listen_cfg_t).where, "-C:1");
    ck_assert_int_eq(load_with("ServerName x\n", pre, post), APR_EINVAL);
    ASSERT_MSG("-c:2: Listen 8001 duplicates Listen 8001 at -C:1");
    ASSERT_MSG("-c:4: unknown directive \"Nope\"");
}
END_TEST

START_TEST(test_pre_server_root_applies_before_file)
{
    mkd("srv");
    put("srv/inc.conf", "Listen 8005\n");
    {
        const char *pre[] = { apr_pstrcat(pool, "ServerRoot ", at("srv"), NULL), NULL };
        ck_assert_int_eq(load_with("Include inc.conf\nDocumentRoot docs\n", pre, NULL),
                         APR_SUCCESS);
    }
    ck_assert_int_eq(listen_port(0), 8005);
    ck_assert_str_eq(cfg->main->document_root, at("srv/docs"));
}
END_TEST

START_TEST(test_post_server_root_moves_relative_paths)
{
    static const char *const post[] = { "ServerRoot srv", NULL };

    mkd("srv");
    ck_assert_int_eq(
        load_with("Listen 80\nDocumentRoot docs\nDefaultRuntimeDir rt\nPidFile p.pid\n", NULL,
                  post),
        APR_SUCCESS);
    ck_assert_str_eq(cfg->main->document_root, at("srv/docs"));
    ck_assert_str_eq(cfg->runtime_dir, at("srv/rt"));
    ck_assert_str_eq(cfg->pid_file, at("srv/rt/p.pid"));
}
END_TEST

static Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_every_directive);
    tcase_add_test(tc, test_paths_resolve_at_end);
    tcase_add_test(tc, test_single_valued_last_wins_and_multi_append);
    tcase_add_loop_test(tc, test_intervals, 0, sizeof(interval_cases) / sizeof(interval_cases[0]));
    tcase_add_loop_test(tc, test_factor_fractions, 0,
                        sizeof(factor_cases) / sizeof(factor_cases[0]));
    tcase_add_loop_test(tc, test_log_levels, 0, sizeof(level_cases) / sizeof(level_cases[0]));
    tcase_add_test(tc, test_log_level_names);
    tcase_add_loop_test(tc, test_listen_forms, 0, sizeof(listen_cases) / sizeof(listen_cases[0]));
    tcase_add_test(tc, test_listen_several_in_order);
    tcase_add_test(tc, test_request_read_timeout);
    tcase_add_test(tc, test_custom_log_formats);
    tcase_add_test(tc, test_custom_log_unknown_nickname_warns);
    tcase_add_test(tc, test_quoting);
    tcase_add_test(tc, test_continuation_comments_blanks);
    tcase_add_test(tc, test_empty_file_and_no_listen);
    tcase_add_loop_test(tc, test_clamps, 0, sizeof(clamp_cases) / sizeof(clamp_cases[0]));
    tcase_add_test(tc, test_clamps_order_independent);
    tcase_add_loop_test(tc, test_status_location_forms, 0,
                        sizeof(location_cases) / sizeof(location_cases[0]));
    tcase_add_test(tc, test_status_location_last_wins);
    tcase_add_test(tc, test_status_allow_default_loopback);
    tcase_add_loop_test(tc, test_status_allow_forms, 0,
                        sizeof(allow_cases) / sizeof(allow_cases[0]));
    tcase_add_test(tc, test_status_allow_adds_and_replaces_default);
    tcase_add_test(tc, test_status_allow_bad_argument_adds_nothing);
    tcase_add_test(tc, test_virtual_hosts);
    tcase_add_loop_test(tc, test_vhost_logs, 0,
                        sizeof(vhost_log_cases) / sizeof(vhost_log_cases[0]));
    tcase_add_loop_test(tc, test_keepalive_queues, 0,
                        sizeof(keepalive_cases) / sizeof(keepalive_cases[0]));
    tcase_add_test(tc, test_virtual_host_unclosed_in_include);
    tcase_add_test(tc, test_locations);
    tcase_add_test(tc, test_locations_none);
    tcase_add_test(tc, test_sched_policy);
    tcase_add_test(tc, test_alias_redirect);
    tcase_add_test(tc, test_headers_expires_merge);
    tcase_add_test(tc, test_proxy_listen_and_trusted);
    tcase_add_test(tc, test_load_balancer_defaults);
    tcase_add_test(tc, test_proxy_listen_needs_trusted);
    tcase_add_loop_test(tc, test_errors, 0, sizeof(error_cases) / sizeof(error_cases[0]));
    tcase_add_test(tc, test_error_texts_with_paths);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_main_file_is_a_directory);
    tcase_add_test(tc, test_nul_byte_rejected);
    tcase_add_test(tc, test_all_errors_collected);
    tcase_add_test(tc, test_error_cap);
    tcase_add_test(tc, test_errors_suppress_clamps);
    tcase_add_test(tc, test_include_glob_sorted_relative_to_server_root);
    tcase_add_test(tc, test_include_uses_server_root_set_before);
    tcase_add_test(tc, test_include_directory);
    tcase_add_test(tc, test_include_optional);
    tcase_add_test(tc, test_include_errors_name_inner_file);
    tcase_add_test(tc, test_include_recursion);
    tcase_add_test(tc, test_include_directory_symlink_loop);
    tcase_add_test(tc, test_pre_post_order);
    tcase_add_test(tc, test_pre_post_listen_and_messages);
    tcase_add_test(tc, test_pre_server_root_applies_before_file);
    tcase_add_test(tc, test_post_server_root_moves_relative_paths);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
