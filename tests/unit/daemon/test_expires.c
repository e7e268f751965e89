/*
 * test_expires.c — ExpiresByType intervals, type patterns and rule choice.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <check.h>

#include "expires.h"

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

#define MIN  60LL
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

/* ---- expires_parse: accepted ---- */

static const struct {
    const char *spec;
    apr_int64_t want;
} parse_ok[] = {
    /* the A<seconds> form */
    { "A0", 0 },
    { "A1", 1 },
    { "A2592000", 2592000 },
    { "A0000300", 300 },
    { "A2147483647", 2147483647 },
    /* every unit, singular and plural */
    { "access plus 1 year", 365 * DAY },
    { "access plus 2 years", 2 * 365 * DAY },
    { "access plus 1 month", 30 * DAY },
    { "access plus 3 months", 90 * DAY },
    { "access plus 1 week", 7 * DAY },
    { "access plus 4 weeks", 28 * DAY },
    { "access plus 1 day", DAY },
    { "access plus 30 days", 30 * DAY },
    { "access plus 1 hour", HOUR },
    { "access plus 12 hours", 12 * HOUR },
    { "access plus 1 minute", MIN },
    { "access plus 90 minutes", 90 * MIN },
    { "access plus 1 second", 1 },
    { "access plus 45 seconds", 45 },
    /* several pairs add up; a unit may repeat */
    { "access plus 1 month 2 days", 32 * DAY },
    { "access plus 1 month 15 days 2 hours", 45 * DAY + 2 * HOUR },
    { "access plus 1 year 1 month 1 week 1 day 1 hour 1 minute 1 second",
      (365 + 30 + 7 + 1) * DAY + HOUR + MIN + 1 },
    { "access plus 1 day 1 day", 2 * DAY },
    /* now is access; plus is optional; any case; blanks */
    { "now plus 10 days 20 seconds", 10 * DAY + 20 },
    { "access 1 hour", HOUR },
    { "now 5 minutes", 5 * MIN },
    { "Access Plus 1 Month", 30 * DAY },
    { "ACCESS PLUS 2 DAYS", 2 * DAY },
    { "NOW plus 1 Seconds", 1 },
    { "  access \t plus   1\tday  ", DAY },
    { "access", 0 },
    { "now", 0 },
    { "access plus 0 seconds", 0 },
    { "access plus 007 seconds", 7 },
    /* up to the limit exactly */
    { "access plus 2147483647 seconds", 2147483647 },
    { "access plus 68 years", 68 * 365 * DAY },
    { "access plus 24855 days 11647 seconds", 2147483647 },
};

START_TEST(test_parse_ok)
{
    apr_int64_t got = -1;
    const char *why = expires_parse(parse_ok[_i].spec, &got);

    ck_assert_msg(why == NULL, "\"%s\": %s", parse_ok[_i].spec, why);
    ck_assert_msg(got == parse_ok[_i].want, "\"%s\" = %lld, want %lld", parse_ok[_i].spec,
                  (long long)got, (long long)parse_ok[_i].want);
}
END_TEST

/* ---- expires_parse: refused ---- */

static const struct {
    const char *spec;
    const char *reason; /* a substring of the reason */
} parse_bad[] = {
    { "", "is empty" },
    { "   ", "is empty" },
    /* modification base, both syntaxes */
    { "M3600", "modification time" },
    { "M0", "modification time" },
    { "modification plus 5 hours 3 minutes", "modification time" },
    { "Modification plus 1 day", "modification time" },
    /* the A form, strictly */
    { "A12x", "is not A followed by decimal seconds" },
    { "A1 day", "is not A followed by decimal seconds" },
    { "A-5", "does not start with access, now or A<seconds>" },
    { "A", "does not start with access, now or A<seconds>" },
    { "a3600", "does not start with access, now or A<seconds>" },
    { "3600", "does not start with access, now or A<seconds>" },
    { "A2147483648", "is longer than 2147483647 seconds" },
    { "A99999999999999999999999", "is longer than 2147483647 seconds" },
    /* bases by whole words only (mod_expires reads first letters) */
    { "aardvark plus 1 day", "does not start with access, now" },
    { "acc plus 1 day", "does not start with access, now" },
    { "nowadays plus 1 day", "does not start with access, now" },
    { "plus 1 day", "does not start with access, now" },
    /* numbers */
    { "access plus 1.5 days", "where a number was expected" },
    { "access plus -1 days", "where a number was expected" },
    { "access plus +1 days", "where a number was expected" },
    { "access plus 1day", "where a number was expected" },
    { "access plus one day", "where a number was expected" },
    { "access minus 1 day", "where a number was expected" },
    { "access plus plus 1 day", "where a number was expected" },
    { "access plus 1 day 2", "has a number without a unit" },
    { "access plus 5", "has a number without a unit" },
    { "access plus", "has nothing after plus" },
    { "now plus \t ", "has nothing after plus" },
    /* units */
    { "access plus 1 fortnight", "has a unit other than" },
    { "access plus 1 mo", "has a unit other than" },
    { "access plus 1 m", "has a unit other than" },
    { "access plus 1 y", "has a unit other than" },
    { "access plus 1 dayss", "has a unit other than" },
    { "access plus 1 days2", "has a unit other than" },
    { "access plus 1 days 1", "has a number without a unit" },
    /* overflow, in a single pair and in the sum */
    { "access plus 2147483648 seconds", "is longer than 2147483647 seconds" },
    { "access plus 69 years", "is longer than 2147483647 seconds" },
    { "access plus 2147483647 seconds 1 second", "is longer than 2147483647 seconds" },
    { "access plus 68 years 1 year", "is longer than 2147483647 seconds" },
    { "access plus 9223372036854775807 years", "is longer than 2147483647 seconds" },
    { "access plus 99999999999999999999999 seconds", "is longer than 2147483647 seconds" },
};

START_TEST(test_parse_bad)
{
    apr_int64_t got = -7;
    const char *why = expires_parse(parse_bad[_i].spec, &got);

    ck_assert_msg(why != NULL, "\"%s\" accepted as %lld", parse_bad[_i].spec, (long long)got);
    ck_assert_msg(strstr(why, parse_bad[_i].reason) != NULL, "\"%s\": \"%s\" lacks \"%s\"",
                  parse_bad[_i].spec, why, parse_bad[_i].reason);
    ck_assert_int_eq(got, -7);
}
END_TEST

/* ---- expires_type_check ---- */

static const struct {
    const char *pattern;
    const char *reason; /* NULL: accepted; else a substring of the reason */
} types[] = {
    { "text/css", NULL },
    { "text/html", NULL },
    { "image/svg+xml", NULL },
    { "application/vnd.ms-fontobject", NULL },
    { "Application/JSON", NULL },
    { "image/*", NULL },
    { "x-Weird!#$%&'+-.^_`|~/a", NULL },
    { "", "is not a media type" },
    { "text", "is not a media type" },
    { "text/", "is not a media type" },
    { "/html", "is not a media type" },
    { "text/html/x", "is not a media type" },
    { "text /html", "is not a media type" },
    { "text/ht ml", "has parameters" },
    { "text/html;charset=utf-8", "has parameters" },
    { "text/html; charset=utf-8", "has parameters" },
    { "text/html ", "has parameters" },
    { "t\xc3\xa9xt/html", "is not a media type" },
    { "text/h\"tml", "is not a media type" },
    { "*/*", "has a '*'" },
    { "*", "has a '*'" },
    { "*/html", "has a '*'" },
    { "image/png*", "has a '*'" },
    { "image/*png", "has a '*'" },
    { "image/**", "has a '*'" },
    { "im*age/png", "has a '*'" },
};

START_TEST(test_type_check)
{
    const char *why = expires_type_check(types[_i].pattern);

    if (types[_i].reason == NULL) {
        ck_assert_msg(why == NULL, "\"%s\": %s", types[_i].pattern, why);
    } else {
        ck_assert_msg(why != NULL, "\"%s\" accepted", types[_i].pattern);
        ck_assert_msg(strstr(why, types[_i].reason) != NULL, "\"%s\": \"%s\" lacks \"%s\"",
                      types[_i].pattern, why, types[_i].reason);
    }
}
END_TEST

/* ---- expires_type_match ---- */

static const struct {
    const char *pattern;
    const char *content_type; /* NULL: the response has none */
    int want;
} type_matches[] = {
    { "text/css", "text/css", 2 },
    { "text/css", "TEXT/CSS", 2 },
    { "TEXT/Css", "text/css", 2 },
    { "text/css", "text/css; charset=utf-8", 2 },
    { "text/css", "text/css;charset=utf-8", 2 },
    { "text/css", "  text/css  ; charset=utf-8", 2 },
    { "text/css", "text/css\t", 2 },
    { "text/css", "text/cssx", 0 },
    { "text/css", "text/cs", 0 },
    { "text/css", "text/html", 0 },
    { "text/css", "texts/css", 0 },
    { "text/css", "application/css", 0 },
    { "text/css", "text", 0 },
    { "text/css", "", 0 },
    { "text/css", NULL, 0 },
    { "image/*", "image/png", 1 },
    { "image/*", "IMAGE/PNG", 1 },
    { "image/*", "image/svg+xml; charset=utf-8", 1 },
    { "image/*", "image/", 0 },
    { "image/*", "image", 0 },
    { "image/*", "images/png", 0 },
    { "image/*", "imag/png", 0 },
    { "image/*", "text/plain", 0 },
    { "image/*", "/png", 0 },
    { "image/*", NULL, 0 },
};

START_TEST(test_type_match)
{
    int got = expires_type_match(type_matches[_i].pattern, type_matches[_i].content_type);

    ck_assert_msg(got == type_matches[_i].want, "(\"%s\", \"%s\") = %d, want %d",
                  type_matches[_i].pattern,
                  type_matches[_i].content_type ? type_matches[_i].content_type : "(null)", got,
                  type_matches[_i].want);
}
END_TEST

/* ---- expires_rule_find ---- */

static apr_array_header_t *
rules_of(const expires_rule_t *r, int n)
{
    apr_array_header_t *a = apr_array_make(pool, n, sizeof(expires_rule_t));
    int i;

    for (i = 0; i < n; i++)
        *(expires_rule_t *)apr_array_push(a) = r[i];
    return a;
}

START_TEST(test_rule_find)
{
    static const expires_rule_t r[] = {
        { "image/*", 100 }, { "image/png", 200 }, { "text/css", 300 },
        { "image/*", 400 }, { "text/css", 500 },
    };
    apr_array_header_t *rules = rules_of(r, 5);
    const expires_rule_t *got;

    /* exact beats wildcard, whatever the order */
    got = expires_rule_find(rules, "image/png");
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(got->seconds, 200);
    /* between equal matches the later wins */
    got = expires_rule_find(rules, "image/gif");
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(got->seconds, 400);
    got = expires_rule_find(rules, "text/css; charset=utf-8");
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(got->seconds, 500);
    /* nothing matches */
    ck_assert_ptr_null(expires_rule_find(rules, "text/html"));
    ck_assert_ptr_null(expires_rule_find(rules, NULL));
    ck_assert_ptr_null(expires_rule_find(rules_of(r, 0), "image/png"));
}
END_TEST

/* Parse, check and find together, as the configuration loader and a worker will. */
START_TEST(test_end_to_end)
{
    const char *lines[][2] = { { "text/css", "access plus 1 month" },
                               { "image/*", "A604800" },
                               { "image/svg+xml", "now plus 2 hours" } };
    apr_array_header_t *rules = apr_array_make(pool, 3, sizeof(expires_rule_t));
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        expires_rule_t *r = (expires_rule_t *)apr_array_push(rules);

        ck_assert_ptr_null(expires_type_check(lines[i][0]));
        ck_assert_ptr_null(expires_parse(lines[i][1], &r->seconds));
        r->type = lines[i][0];
    }
    ck_assert_int_eq(expires_rule_find(rules, "text/css")->seconds, 30 * DAY);
    ck_assert_int_eq(expires_rule_find(rules, "image/webp")->seconds, 7 * DAY);
    ck_assert_int_eq(expires_rule_find(rules, "image/svg+xml")->seconds, 2 * HOUR);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
expires_suite(void)
{
    Suite *s = suite_create("expires");
    TCase *tc = tcase_create("expires");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_parse_ok, 0, N(parse_ok));
    tcase_add_loop_test(tc, test_parse_bad, 0, N(parse_bad));
    tcase_add_loop_test(tc, test_type_check, 0, N(types));
    tcase_add_loop_test(tc, test_type_match, 0, N(type_matches));
    tcase_add_test(tc, test_rule_find);
    tcase_add_test(tc, test_end_to_end);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(expires_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
