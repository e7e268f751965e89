/*
 * test_site.c — virtual host groups and the choice of a site per request: which
 * vhosts serve which Listen, the default of a group, the first vhost in order winning,
 * hosts as clients send them, and the -S listing.
 *
 * The configurations are loaded with config_load from a file in a private directory
 * (the document roots need not exist: nothing opens them here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <check.h>

#include "config.h"
#include "site.h"

static apr_pool_t *pool;
static char dir[64];
static ev_config_t *cfg;
static site_group_t *groups;

static void
setup(void)
{
    apr_pool_create(&pool, NULL);
    strcpy(dir, "/tmp/evsite-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/main.conf", dir);
    unlink(path);
    rmdir(dir);
    apr_pool_destroy(pool);
}

static void
load(const char *text)
{
    apr_array_header_t *msgs = apr_array_make(pool, 4, sizeof(const char *));
    const char *path = apr_pstrcat(pool, dir, "/main.conf", NULL);
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(config_load(&cfg, path, NULL, NULL, pool, msgs), APR_SUCCESS);
    groups = site_groups_build(cfg, pool);
    ck_assert_ptr_nonnull(groups);
}

static const ev_site_t *
site(int i)
{
    return APR_ARRAY_IDX(cfg->sites, i, const ev_site_t *);
}

static const ev_site_t *
pick(int listen, const char *host)
{
    return site_select(&groups[listen], host, host ? strlen(host) : 0);
}

static const char three_vhosts[] =
    "Listen 80\n"
    "Listen 127.0.0.1:8080\n"
    "Listen 8081\n"
    "<VirtualHost *:80>\n ServerName a.example\n ServerAlias *.a.example\n</VirtualHost>\n"
    "<VirtualHost *:80 127.0.0.1:8080>\n ServerName b.example\n ServerAlias *.example\n"
    "</VirtualHost>\n"
    "<VirtualHost *:80>\n ServerName www.a.example\n</VirtualHost>\n";

START_TEST(test_groups_per_listen)
{
    load(three_vhosts);
    ck_assert_int_eq(groups[0].vhosts->nelts, 3);
    ck_assert_ptr_eq(groups[0].dflt, site(1));
    ck_assert_int_eq(groups[1].vhosts->nelts, 1);
    ck_assert_ptr_eq(groups[1].dflt, site(2));
    /* no vhost for 8081: the main server */
    ck_assert_int_eq(groups[2].vhosts->nelts, 0);
    ck_assert_ptr_eq(groups[2].dflt, cfg->main);
    ck_assert_ptr_null(groups[2].names);
    ck_assert_ptr_eq(pick(2, "b.example"), cfg->main);
}
END_TEST

static const struct {
    int listen;
    const char *host;
    int site; /* index in cfg->sites */
} picks[] = {
    { 0, "a.example", 1 },
    { 0, "A.Example", 1 },
    { 0, "a.example.", 1 },
    { 0, "a.example:80", 1 },
    { 0, "b.example", 2 },
    { 0, "x.a.example", 1 },   /* *.a.example, first in order */
    { 0, "www.a.example", 1 }, /* the earlier wildcard beats the later exact name */
    { 0, "c.example", 2 },     /* *.example */
    { 0, "unknown.test", 1 },  /* the group's default */
    { 0, NULL, 1 },            /* no Host (HTTP/1.0) */
    { 0, "", 1 },
    { 0, "[::1]:80", 1 },
    { 0, "bad host", 1 },  /* never matches, never fails */
    { 1, "a.example", 2 }, /* 8080 has only b.example */
    { 1, "b.example", 2 },
};

START_TEST(test_select)
{
    load(three_vhosts);
    ck_assert_ptr_eq(pick(picks[_i].listen, picks[_i].host), site(picks[_i].site));
}
END_TEST

/* A vhost for one address serves only the Listen bound to exactly that address. */
START_TEST(test_address_vhosts)
{
    load("Listen 127.0.0.1:80\nListen 127.0.0.2:80\nListen [::1]:80\n"
         "<VirtualHost 127.0.0.2:80>\n ServerName two\n</VirtualHost>\n"
         "<VirtualHost [::1]>\n ServerName six\n</VirtualHost>\n"
         "<VirtualHost *:80>\n ServerName any\n</VirtualHost>\n");
    ck_assert_int_eq(groups[0].vhosts->nelts, 1);
    ck_assert_ptr_eq(groups[0].dflt, site(3));
    ck_assert_int_eq(groups[1].vhosts->nelts, 2);
    ck_assert_ptr_eq(groups[1].dflt, site(1));
    ck_assert_ptr_eq(pick(1, "any"), site(3));
    ck_assert_int_eq(groups[2].vhosts->nelts, 2);
    ck_assert_ptr_eq(groups[2].dflt, site(2));
}
END_TEST

START_TEST(test_dump)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    load(three_vhosts);
    site_dump(cfg, groups, out);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(text, "VirtualHost configuration:\n80 "));
    ck_assert_ptr_nonnull(
        strstr(text, "is a NameVirtualHost\n         default server a.example ("));
    ck_assert_ptr_nonnull(strstr(text, "/main.conf:4)\n         port 80 namevhost a.example ("));
    ck_assert_ptr_nonnull(strstr(text, "                 alias *.a.example\n"));
    ck_assert_ptr_nonnull(strstr(text, "port 8080 namevhost b.example"));
    ck_assert_ptr_nonnull(strstr(text, "8081                   main server (DocumentRoot "));
    ck_assert_ptr_nonnull(strstr(text, "Main DocumentRoot: \""));
    free(text);
}
END_TEST

static Suite *
site_suite(void)
{
    Suite *s = suite_create("site");
    TCase *tc = tcase_create("site");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_groups_per_listen);
    tcase_add_loop_test(tc, test_select, 0, (int)(sizeof(picks) / sizeof(picks[0])));
    tcase_add_test(tc, test_address_vhosts);
    tcase_add_test(tc, test_dump);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(site_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
