/*
 * test_alias_match.c — mod_alias prefix matching, Redirect's arguments and targets.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <check.h>

#include "alias_match.h"

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

/* ---- alias_match ---- */

static const struct {
    const char *prefix;
    const char *path;
    size_t want; /* bytes consumed, 0 for no match */
} matches[] = {
    /* segment boundary */
    { "/one", "/one", 4 },
    { "/one", "/one/", 4 },
    { "/one", "/one/two", 4 },
    { "/one", "/onetwo", 0 },
    { "/one", "/on", 0 },
    { "/one", "/", 0 },
    { "/one", "/One", 0 }, /* case-sensitive, as mod_alias */
    { "/one", "/two/one", 0 },
    { "/one/two", "/one/two/three", 8 },
    { "/one/two", "/one/twothree", 0 },
    /* trailing slash on the prefix */
    { "/one/", "/one/", 5 },
    { "/one/", "/one/two", 5 },
    { "/one/", "/one", 0 },
    { "/one/", "/onetwo", 0 },
    /* trailing slash on the path only */
    { "/one", "/one/", 4 },
    /* the root */
    { "/", "/", 1 },
    { "/", "/anything/at/all", 1 },
    /* runs of '/' count as one, on either side */
    { "/one", "/one//two", 4 },
    { "/one/", "/one//two", 6 },
    { "//one", "/one", 4 },
    { "/one//two", "/one/two", 8 },
    { "/one/two", "/one///two/x", 10 },
    { "/one/", "/one///", 7 },
    /* a prefix byte is matched literally, '%' included (paths are decoded) */
    { "/a%20b", "/a b", 0 },
    { "/a%20b", "/a%20b/x", 6 },
    { "/a b", "/a b/x", 4 },
    /* no match on an empty prefix; an empty path matches nothing */
    { "", "/one", 0 },
    { "/one", "", 0 },
};

START_TEST(test_match_table)
{
    size_t got = alias_match(matches[_i].prefix, matches[_i].path, strlen(matches[_i].path));

    ck_assert_msg(got == matches[_i].want, "alias_match(\"%s\", \"%s\") = %zu, want %zu",
                  matches[_i].prefix, matches[_i].path, got, matches[_i].want);
}
END_TEST

/* The length bounds the path: bytes past it are never read or matched. */
START_TEST(test_match_respects_len)
{
    const char buf[] = "/onetwo";

    ck_assert_uint_eq(alias_match("/one", buf, 4), 4);
    ck_assert_uint_eq(alias_match("/onetwo", buf, 4), 0);
    ck_assert_uint_eq(alias_match("/one/", "/one//x", 5), 5);
}
END_TEST

/* ---- alias_redirect_target ---- */

static const struct {
    const char *target;
    const char *path;
    const char *prefix;
    const char *query; /* NULL: the request had none */
    const char *want;
} targets[] = {
    { "http://new.example/", "/old/a/b.html", "/old/", NULL, "http://new.example/a/b.html" },
    { "http://new.example", "/old/a", "/old", NULL, "http://new.example/a" },
    { "http://new.example/x", "/old", "/old", NULL, "http://new.example/x" },
    /* mismatched slashes are joined as they are, as mod_alias does */
    { "http://new.example/", "/old/a", "/old", NULL, "http://new.example//a" },
    { "http://new.example", "/old/a", "/old/", NULL, "http://new.examplea" },
    /* the query is carried over, as received */
    { "http://n/", "/old/a", "/old/", "x=1&y=%41", "http://n/a?x=1&y=%41" },
    { "/new", "/old/a", "/old", "q", "/new/a?q" },
    { "/new", "/old", "/old", "", "/new?" },
    /* ... unless the target brings its own */
    { "http://n/?from=old", "/old/a", "/old/", "x=1", "http://n/?from=olda" },
    /* the decoded rest is re-encoded: what would change the URL's meaning */
    { "http://n", "/old/a b", "/old", NULL, "http://n/a%20b" },
    { "http://n", "/old/100%", "/old", NULL, "http://n/100%25" },
    { "http://n", "/old/what?", "/old", NULL, "http://n/what%3F" },
    { "http://n", "/old/#frag", "/old", NULL, "http://n/%23frag" },
    { "http://n", "/old/\"<x>\"", "/old", NULL, "http://n/%22%3Cx%3E%22" },
    { "http://n", "/old/tab\there", "/old", NULL, "http://n/tab%09here" },
    { "http://n", "/old/caf\xc3\xa9", "/old", NULL, "http://n/caf%C3%A9" },
    { "http://n", "/old/a\\b^c`d{e}|[f]", "/old", NULL, "http://n/a%5Cb%5Ec%60d%7Be%7D%7C%5Bf%5D" },
    { "http://n", "/old/x\x7f", "/old", NULL, "http://n/x%7F" },
    /* ... and what is safe in a path stays as it is */
    { "http://n", "/old/a-b._~!$&'()*+,;=:@/z", "/old", NULL, "http://n/a-b._~!$&'()*+,;=:@/z" },
    { "http://n", "/old/AZaz09", "/old", NULL, "http://n/AZaz09" },
};

START_TEST(test_target_table)
{
    const char *path = targets[_i].path;
    size_t len = strlen(path);
    size_t used = alias_match(targets[_i].prefix, path, len);
    const char *q = targets[_i].query;
    const char *got;

    ck_assert_uint_gt(used, 0);
    got = alias_redirect_target(targets[_i].target, path, len, used, q, q ? strlen(q) : 0, pool);
    ck_assert_str_eq(got, targets[_i].want);
}
END_TEST

/* The query is bounded by qlen, not by a NUL. */
START_TEST(test_target_query_len)
{
    const char *got = alias_redirect_target("/n", "/o/x", 4, 2, "a=1#junk", 3, pool);

    ck_assert_str_eq(got, "/n/x?a=1");
}
END_TEST

/* A NUL byte in the rest is escaped, never ends the string early. */
START_TEST(test_target_nul_byte)
{
    const char path[] = { '/', 'o', '/', 'a', '\0', 'b' };
    const char *got = alias_redirect_target("/n", path, sizeof(path), 2, NULL, 0, pool);

    ck_assert_str_eq(got, "/n/a%00b");
}
END_TEST

/* ---- alias_redirect_parse ---- */

static const struct {
    int argc;
    const char *argv[4];
    int status;
    const char *prefix;
    const char *target; /* NULL: none */
} parse_ok[] = {
    { 2, { "/old", "http://new.example/" }, 302, "/old", "http://new.example/" },
    { 3, { "permanent", "/old", "http://n/" }, 301, "/old", "http://n/" },
    { 3, { "PERMANENT", "/old", "http://n/" }, 301, "/old", "http://n/" },
    { 3, { "temp", "/old", "http://n/" }, 302, "/old", "http://n/" },
    { 3, { "seeother", "/old", "https://n/x" }, 303, "/old", "https://n/x" },
    { 3, { "SeeOther", "/old", "/local" }, 303, "/old", "/local" },
    { 2, { "gone", "/old" }, 410, "/old", NULL },
    { 2, { "Gone", "/old" }, 410, "/old", NULL },
    { 2, { "410", "/old" }, 410, "/old", NULL },
    { 3, { "300", "/old", "http://n/" }, 300, "/old", "http://n/" },
    { 3, { "301", "/old", "http://n/" }, 301, "/old", "http://n/" },
    { 3, { "307", "/old", "http://n/" }, 307, "/old", "http://n/" },
    { 3, { "308", "/old", "http://n/" }, 308, "/old", "http://n/" },
    { 3, { "399", "/old", "http://n/" }, 399, "/old", "http://n/" },
    { 2, { "/old", "/new/place" }, 302, "/old", "/new/place" },
    { 2, { "/", "http://n/" }, 302, "/", "http://n/" },
    { 2, { "/old", "svn+ssh://host/repo" }, 302, "/old", "svn+ssh://host/repo" },
    { 2, { "/old", "http://n/?a=1#top" }, 302, "/old", "http://n/?a=1#top" },
    { 2, { "/a b", "/c" }, 302, "/a b", "/c" },
};

START_TEST(test_parse_ok)
{
    int status = -1;
    const char *prefix = NULL, *target = "unset";
    const char *why = alias_redirect_parse(parse_ok[_i].argc, (char **)parse_ok[_i].argv, &status,
                                           &prefix, &target, pool);

    ck_assert_msg(why == NULL, "case %d: %s", _i, why);
    ck_assert_int_eq(status, parse_ok[_i].status);
    ck_assert_str_eq(prefix, parse_ok[_i].prefix);
    if (parse_ok[_i].target == NULL)
        ck_assert_ptr_null(target);
    else
        ck_assert_str_eq(target, parse_ok[_i].target);
}
END_TEST

static const struct {
    int argc;
    const char *argv[5];
    const char *reason; /* a substring of the reason */
} parse_bad[] = {
    { 0, { NULL }, "takes [status] URL-path [URL]" },
    { 1, { "/old" }, "takes [status] URL-path [URL]" },
    { 4, { "301", "/old", "http://n/", "extra" }, "takes [status] URL-path [URL]" },
    { 3, { "299", "/old", "http://n/" }, "status \"299\" is neither" },
    { 3, { "400", "/old", "http://n/" }, "status \"400\" is neither" },
    { 3, { "200", "/old", "http://n/" }, "status \"200\" is neither" },
    { 3, { "404", "/old", "http://n/" }, "status \"404\" is neither" },
    { 2, { "404", "/old" }, "status \"404\" is neither" },
    { 3, { "3010", "/old", "http://n/" }, "status \"3010\" is neither" },
    { 3, { "99999999999999999999", "/old", "http://n/" }, "is neither" },
    { 3, { "301x", "/old", "http://n/" }, "status \"301x\" is neither" },
    { 3, { "moved", "/old", "http://n/" }, "\"moved\" is not a status" },
    { 3, { "gone", "/old", "http://n/" }, "status 410 (gone) takes no URL" },
    { 3, { "410", "/old", "http://n/" }, "status 410 (gone) takes no URL" },
    { 2, { "301", "/old" }, "status 301 needs a URL" },
    { 2, { "permanent", "/old" }, "status 301 needs a URL" },
    { 2, { "temp", "/old" }, "status 302 needs a URL" },
    { 2, { "seeother", "/old" }, "status 303 needs a URL" },
    { 2, { "old", "http://n/" }, "URL-path \"old\" does not start with '/'" },
    { 3, { "301", "old", "http://n/" }, "does not start with '/'" },
    { 2, { "/o\tld", "http://n/" }, "argument 1 holds a control byte (0x09)" },
    { 3, { "301\n", "/old", "http://n/" }, "argument 1 holds a control byte (0x0A)" },
    { 3, { "301", "/old\x7f", "http://n/" }, "argument 2 holds a control byte (0x7F)" },
    { 2, { "/old", "new/place" }, "neither an absolute URL" },
    { 2, { "/old", "mailto:x@example.com" }, "neither an absolute URL" },
    { 2, { "/old", "http:/n" }, "neither an absolute URL" },
    { 2, { "/old", "http://" }, "neither an absolute URL" },
    { 2, { "/old", "http:///x" }, "neither an absolute URL" },
    { 2, { "/old", "1http://n/" }, "neither an absolute URL" },
    { 2, { "/old", "//evil.example/" }, "starts with \"//\"" },
    { 2, { "/old", "http://n/a b" }, "holds a space or a non-ASCII byte" },
    { 2, { "/old", "http://n/\r\nSet-Cookie: x" }, "argument 2 holds a control byte (0x0D)" },
    { 2, { "/old", "http://n/\tx" }, "argument 2 holds a control byte (0x09)" },
    { 2, { "/old", "http://n/caf\xc3\xa9" }, "holds a space or a non-ASCII byte" },
    { 2, { "/old", "" }, "neither an absolute URL" },
};

START_TEST(test_parse_bad)
{
    int status = -1;
    const char *prefix = "unset", *target = "unset";
    const char *why = alias_redirect_parse(parse_bad[_i].argc, (char **)parse_bad[_i].argv, &status,
                                           &prefix, &target, pool);

    ck_assert_msg(why != NULL, "case %d accepted", _i);
    ck_assert_msg(strstr(why, parse_bad[_i].reason) != NULL, "case %d: \"%s\" lacks \"%s\"", _i,
                  why, parse_bad[_i].reason);
    /* a reason goes into a log line: it must never carry a line break */
    ck_assert_ptr_null(strpbrk(why, "\r\n"));
    /* a refused line leaves the outputs alone */
    ck_assert_int_eq(status, -1);
    ck_assert_str_eq(prefix, "unset");
    ck_assert_str_eq(target, "unset");
}
END_TEST

/* The results are copies in the pool: the loader may reuse its line buffer. */
START_TEST(test_parse_copies)
{
    char a0[] = "permanent", a1[] = "/old", a2[] = "http://n/";
    char *argv[] = { a0, a1, a2 };
    int status;
    const char *prefix, *target;

    ck_assert_ptr_null(alias_redirect_parse(3, argv, &status, &prefix, &target, pool));
    memset(a1, 'X', sizeof(a1) - 1);
    memset(a2, 'X', sizeof(a2) - 1);
    ck_assert_str_eq(prefix, "/old");
    ck_assert_str_eq(target, "http://n/");
}
END_TEST

/* Parse, match and join together, as the request path will. */
START_TEST(test_end_to_end)
{
    const char *argv[] = { "permanent", "/docs/", "https://docs.example/v2/" };
    const char *path = "/docs/guide/a b.html";
    int status;
    const char *prefix, *target;
    size_t used;

    ck_assert_ptr_null(alias_redirect_parse(3, (char **)argv, &status, &prefix, &target, pool));
    used = alias_match(prefix, path, strlen(path));
    ck_assert_uint_eq(used, 6);
    ck_assert_str_eq(alias_redirect_target(target, path, strlen(path), used, "lang=en", 7, pool),
                     "https://docs.example/v2/guide/a%20b.html?lang=en");
    ck_assert_int_eq(status, 301);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
alias_match_suite(void)
{
    Suite *s = suite_create("alias_match");
    TCase *tc = tcase_create("alias_match");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_match_table, 0, N(matches));
    tcase_add_test(tc, test_match_respects_len);
    tcase_add_loop_test(tc, test_target_table, 0, N(targets));
    tcase_add_test(tc, test_target_query_len);
    tcase_add_test(tc, test_target_nul_byte);
    tcase_add_loop_test(tc, test_parse_ok, 0, N(parse_ok));
    tcase_add_loop_test(tc, test_parse_bad, 0, N(parse_bad));
    tcase_add_test(tc, test_parse_copies);
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
    sr = srunner_create(alias_match_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
