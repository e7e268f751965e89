/*
 * test_location.c — Require as <Location> sections write it (all, ip, local; lines of
 * one section add up, any one grants) and SetHandler's names. Merging sections is
 * tested through the configuration reader (test_config.c), which builds the tables.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <check.h>

#include "location.h"

static apr_pool_t *pool;

static void
pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void
pool_teardown(void)
{
    apr_pool_destroy(pool);
}

/* The Require lines of one section ('|' between lines, words separated by spaces);
 * NULL when one is refused. */
static ev_require_t *
require(const char *lines)
{
    ev_require_t *r = apr_pcalloc(pool, sizeof(*r));
    char *all = apr_pstrdup(pool, lines), *line, *save = NULL;

    r->nets = apr_array_make(pool, 2, sizeof(ev_cidr_t));
    for (line = apr_strtok(all, "|", &save); line; line = apr_strtok(NULL, "|", &save)) {
        char *argv[8], *w, *wsave = NULL;
        int argc = 0;

        for (w = apr_strtok(line, " ", &wsave); w && argc < 8; w = apr_strtok(NULL, " ", &wsave))
            argv[argc++] = w;
        if (location_require_parse(argc, argv, r, pool) != NULL)
            return NULL;
    }
    return r;
}

static int
granted(const ev_require_t *r, const char *client)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

    if (inet_pton(AF_INET, client, &sin.sin_addr) == 1)
        return location_require_granted(r, (struct sockaddr *)&sin);
    ck_assert_int_eq(inet_pton(AF_INET6, client, &sin6.sin6_addr), 1);
    return location_require_granted(r, (struct sockaddr *)&sin6);
}

static const struct {
    const char *lines;  /* a section's Require lines */
    const char *client; /* the peer */
    int granted;
} grant_cases[] = {
    { "all granted", "192.0.2.1", 1 },
    { "all granted", "2001:db8::1", 1 },
    { "all denied", "127.0.0.1", 0 },
    { "ALL Denied", "::1", 0 },
    { "all denied|ip 127.0.0.2", "127.0.0.2", 1 },
    { "all denied|ip 127.0.0.2", "127.0.0.1", 0 },
    { "ip 127.0.0.2 10.0.0.0/8", "10.9.8.7", 1 },
    { "ip 127.0.0.2 10.0.0.0/8", "11.0.0.1", 0 },
    { "ip 10.1.2.3/8", "10.200.0.1", 1 }, /* host bits cleared */
    { "ip 2001:db8::/32", "2001:db8:1::5", 1 },
    { "ip 2001:db8::/32", "2001:db9::5", 0 },
    { "ip ::ffff:192.0.2.0/120", "192.0.2.77", 1 },
    { "ip 192.0.2.0/24", "::ffff:192.0.2.77", 1 },
    { "local", "127.0.0.1", 1 },
    { "local", "127.255.0.9", 1 },
    { "local", "::1", 1 },
    { "local", "192.0.2.1", 0 },
    { "local|ip 192.0.2.1", "192.0.2.1", 1 },
    { "ip 192.0.2.1|all granted", "198.51.100.1", 1 },
};

START_TEST(test_granted)
{
    ev_require_t *r = require(grant_cases[_i].lines);

    ck_assert_msg(r != NULL, "\"%s\" refused", grant_cases[_i].lines);
    ck_assert_msg(granted(r, grant_cases[_i].client) == grant_cases[_i].granted, "%s from %s",
                  grant_cases[_i].lines, grant_cases[_i].client);
}
END_TEST

static const char *const refused[] = {
    "",
    "all",
    "all granted now",
    "all maybe",
    "ip",
    "ip 10.0.0.0/33",
    "ip 10.0.0.1 bogus",
    "ip 10.1",
    "local 127.0.0.1",
    "not ip 10.0.0.1",
    "host example.com",
    "valid-user",
    "env X",
};

/* A refused line leaves what the section had: a bad network in a list adds none. */
START_TEST(test_refused)
{
    ev_require_t r = { 0, apr_array_make(pool, 2, sizeof(ev_cidr_t)) };
    char *line = apr_pstrdup(pool, refused[_i]), *argv[8], *w, *save = NULL;
    int argc = 0;

    for (w = apr_strtok(line, " ", &save); w && argc < 8; w = apr_strtok(NULL, " ", &save))
        argv[argc++] = w;
    ck_assert_ptr_nonnull(location_require_parse(argc, argv, &r, pool));
    ck_assert_int_eq(r.all, 0);
    ck_assert_int_eq(r.nets->nelts, 0);
}
END_TEST

START_TEST(test_handlers)
{
    int h = -1;

    ck_assert_ptr_null(location_handler_parse("server-status", &h));
    ck_assert_int_eq(h, EV_HANDLER_STATUS);
    ck_assert_ptr_null(location_handler_parse("Server-Health", &h));
    ck_assert_int_eq(h, EV_HANDLER_HEALTH);
    ck_assert_ptr_null(location_handler_parse("none", &h));
    ck_assert_int_eq(h, EV_HANDLER_FILES);
    h = EV_HANDLER_STATUS;
    ck_assert_ptr_null(location_handler_parse("default-handler", &h));
    ck_assert_int_eq(h, EV_HANDLER_FILES);
    h = EV_HANDLER_HEALTH;
    ck_assert_ptr_nonnull(location_handler_parse("cgi-script", &h));
    ck_assert_ptr_nonnull(location_handler_parse("", &h));
    ck_assert_int_eq(h, EV_HANDLER_HEALTH);
}
END_TEST

static Suite *
location_suite(void)
{
    Suite *s = suite_create("location");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_granted, 0, sizeof(grant_cases) / sizeof(grant_cases[0]));
    tcase_add_loop_test(tc, test_refused, 0, sizeof(refused) / sizeof(refused[0]));
    tcase_add_test(tc, test_handlers);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(location_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
