/*
 * test_cidr.c — networks as configuration writes them ("address[/prefix]") and
 * client addresses matched against lists of them: prefix boundaries inside a byte,
 * IPv4-mapped clients and networks, other address families, bad text.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <apr_general.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <check.h>

#include "cidr.h"

static apr_pool_t *pool;

static void
pool_setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void
pool_teardown(void)
{
    apr_pool_destroy(pool);
}

/* "address/prefix" through the parser, host bits cleared, as configuration stores it. */
static ev_cidr_t
cidr(const char *text)
{
    ev_cidr_t c;

    ck_assert_msg(cidr_parse(text, &c, pool) == NULL, "%s", text);
    cidr_mask(&c);
    return c;
}

static int
allowed(const char *rules, const char *client)
{
    apr_array_header_t *allow = apr_array_make(pool, 4, sizeof(ev_cidr_t));
    char *list = apr_pstrdup(pool, rules), *tok, *save = NULL;
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

    for (tok = apr_strtok(list, " ", &save); tok; tok = apr_strtok(NULL, " ", &save))
        APR_ARRAY_PUSH(allow, ev_cidr_t) = cidr(tok);
    if (inet_pton(AF_INET, client, &sin.sin_addr) == 1)
        return cidr_list_has(allow, (struct sockaddr *)&sin);
    ck_assert_int_eq(inet_pton(AF_INET6, client, &sin6.sin6_addr), 1);
    return cidr_list_has(allow, (struct sockaddr *)&sin6);
}

static const struct {
    const char *rules;  /* space-separated networks */
    const char *client; /* the peer address */
    int allowed;
} allow_cases[] = {
    { "127.0.0.1/32 ::1/128", "127.0.0.1", 1 },
    { "127.0.0.1/32 ::1/128", "::1", 1 },
    { "127.0.0.1/32 ::1/128", "127.0.0.2", 0 },
    { "127.0.0.1/32 ::1/128", "::2", 0 },
    { "127.0.0.1/32 ::1/128", "::ffff:127.0.0.1", 1 },
    { "127.0.0.1/32 ::1/128", "::ffff:127.0.0.2", 0 },
    { "127.0.0.1/32 ::1/128", "192.0.2.1", 0 },
    { "10.0.0.0/8", "10.255.255.255", 1 },
    { "10.0.0.0/8", "11.0.0.0", 0 },
    { "10.0.0.0/8", "9.255.255.255", 0 },
    { "10.128.0.0/9", "10.128.0.1", 1 },
    { "10.128.0.0/9", "10.127.255.255", 0 },
    { "192.0.2.2/31", "192.0.2.3", 1 },
    { "192.0.2.2/31", "192.0.2.4", 0 },
    { "192.0.2.2/31", "192.0.2.1", 0 },
    { "0.0.0.0/0", "203.0.113.9", 1 },
    { "0.0.0.0/0", "::ffff:203.0.113.9", 1 },
    { "0.0.0.0/0", "2001:db8::1", 0 },
    { "::/0", "2001:db8::1", 1 },
    { "::/0", "::ffff:10.0.0.1", 0 },
    { "::/0", "10.0.0.1", 0 },
    { "2001:db8::/32", "2001:db8:ffff::1", 1 },
    { "2001:db8::/32", "2001:db9::1", 0 },
    { "2001:db8::/33", "2001:db8:8000::1", 0 },
    { "2001:db8::/33", "2001:db8:7fff::1", 1 },
    { "::/127", "::1", 1 },
    { "::/127", "::2", 0 },
    { "10.0.0.0/8 2001:db8::/32 192.0.2.7/32", "192.0.2.7", 1 },
    { "10.0.0.0/8 2001:db8::/32 192.0.2.7/32", "192.0.2.8", 0 },
};

START_TEST(test_allowed)
{
    ck_assert_msg(allowed(allow_cases[_i].rules, allow_cases[_i].client) == allow_cases[_i].allowed,
                  "%s from %s", allow_cases[_i].rules, allow_cases[_i].client);
}
END_TEST

START_TEST(test_allowed_other_families_and_empty_list)
{
    apr_array_header_t *allow = apr_array_make(pool, 1, sizeof(ev_cidr_t));
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct sockaddr_in sin = { .sin_family = AF_INET };

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(cidr_list_has(allow, (struct sockaddr *)&sin), 0);
    APR_ARRAY_PUSH(allow, ev_cidr_t) = cidr("0.0.0.0/0");
    APR_ARRAY_PUSH(allow, ev_cidr_t) = cidr("::/0");
    ck_assert_int_eq(cidr_list_has(allow, (struct sockaddr *)&sin), 1);
    ck_assert_int_eq(cidr_list_has(allow, (struct sockaddr *)&sun), 0);
}
END_TEST

static const struct {
    const char *text;   /* a network as written */
    int family;         /* APR_INET, APR_INET6, or 0: refused */
    const char *masked; /* the network once masked, as inet_ntop writes it */
    int prefix;         /* its prefix length */
    int had_host_bits;  /* cidr_mask's answer */
} parse_cases[] = {
    { "10.1.2.3", APR_INET, "10.1.2.3", 32, 0 },
    { "10.1.2.3/8", APR_INET, "10.0.0.0", 8, 1 },
    { "10.0.0.0/8", APR_INET, "10.0.0.0", 8, 0 },
    { "192.0.2.255/25", APR_INET, "192.0.2.128", 25, 1 },
    { "0.0.0.0/0", APR_INET, "0.0.0.0", 0, 0 },
    { "::1", APR_INET6, "::1", 128, 0 },
    { "2001:db8::1/32", APR_INET6, "2001:db8::", 32, 1 },
    { "::ffff:127.0.0.1", APR_INET, "127.0.0.1", 32, 0 },
    { "::ffff:10.0.0.0/104", APR_INET, "10.0.0.0", 8, 0 },
    { "::ffff:10.0.0.0/64", APR_INET6, "::", 64, 1 },
    { "10.0.0.0/33", 0, NULL, 0, 0 },
    { "::/129", 0, NULL, 0, 0 },
    { "10.0.0.0/", 0, NULL, 0, 0 },
    { "10.0.0.0/-1", 0, NULL, 0, 0 },
    { "10.0.0.0/+8", 0, NULL, 0, 0 },
    { "10.0.0/8", 0, NULL, 0, 0 },
    { "localhost", 0, NULL, 0, 0 },
    { "", 0, NULL, 0, 0 },
    { "/8", 0, NULL, 0, 0 },
    { "[::1]", 0, NULL, 0, 0 },
};

START_TEST(test_parse)
{
    ev_cidr_t c;
    const char *why = cidr_parse(parse_cases[_i].text, &c, pool);
    char text[INET6_ADDRSTRLEN];

    if (parse_cases[_i].family == 0) {
        ck_assert_msg(why != NULL, "\"%s\" accepted", parse_cases[_i].text);
        return;
    }
    ck_assert_msg(why == NULL, "\"%s\": %s", parse_cases[_i].text, why);
    ck_assert_int_eq(c.family, parse_cases[_i].family);
    ck_assert_int_eq(c.prefix, parse_cases[_i].prefix);
    ck_assert_int_eq(cidr_mask(&c), parse_cases[_i].had_host_bits);
    ck_assert_int_eq(cidr_mask(&c), 0);
    inet_ntop(c.family == APR_INET ? AF_INET : AF_INET6, c.addr, text, sizeof(text));
    ck_assert_str_eq(text, parse_cases[_i].masked);
}
END_TEST

static Suite *
cidr_suite(void)
{
    Suite *s = suite_create("cidr");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_parse, 0, sizeof(parse_cases) / sizeof(parse_cases[0]));
    tcase_add_loop_test(tc, test_allowed, 0, sizeof(allow_cases) / sizeof(allow_cases[0]));
    tcase_add_test(tc, test_allowed_other_families_and_empty_list);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(cidr_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
