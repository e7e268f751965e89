/*
 * test_cond.c — validators, conditional requests (RFC 9110 section 13) and HTTP dates.
 *
 * Requests are built by hand (no parser involved): a method and name/value pairs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_date.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <check.h>

#include "cond.h"
#include "http_date.h"

#define MAX_FIELDS 8

/* The representation under test: its ETag and Last-Modified (784111777 s). */
#define ETAG      "\"5f3a-1c\""
#define WEAK_ETAG "W/\"5f3a-1c\""
#define LM_IMF    "Sun, 06 Nov 1994 08:49:37 GMT"
#define LM_850    "Sunday, 06-Nov-94 08:49:37 GMT"
#define LM_ASC    "Sun Nov  6 08:49:37 1994"
#define BEFORE    "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER     "Sun, 06 Nov 1994 08:49:38 GMT"
#define FUTURE    "Mon, 01 Jan 2035 00:00:00 GMT"
#define LM_SEC    INT64_C(784111777)
#define NOW_SEC   INT64_C(1795000000) /* late 2026: after LM, before FUTURE */

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

static ev_slice_t
sl(const char *s)
{
    ev_slice_t v = { s, strlen(s) };

    return v;
}

/* Fill `req` from NULL-terminated name/value pairs, storing fields in `fields`. */
static void
make_req(http_request_t *req, http_field_t *fields, http_method_t m, const char *const *h)
{
    memset(req, 0, sizeof(*req));
    req->method_id = m;
    req->fields = fields;
    for (size_t i = 0; h[2 * i] != NULL; i++) {
        ck_assert_uint_lt(i, MAX_FIELDS);
        fields[i].name = sl(h[2 * i]);
        fields[i].value = sl(h[2 * i + 1]);
        req->nfields = i + 1;
    }
}

/* ---- cond_evaluate ------------------------------------------------------------------ */

typedef struct {
    http_method_t method;
    const char *h[2 * MAX_FIELDS + 1];
    int want;
} eval_case_t;

#define GET  EV_M_GET
#define HEAD EV_M_HEAD
#define POST EV_M_POST
#define PUT  EV_M_PUT

static const eval_case_t eval_cases[] = {
    { GET, { NULL }, 0 },
    { GET, { "Accept", "*/*", "Range", "bytes=0-1", NULL }, 0 },
    /* If-Match: strong comparison */
    { GET, { "If-Match", ETAG, NULL }, 0 },
    { GET, { "If-Match", "*", NULL }, 0 },
    { GET, { "If-Match", "\"other\"", NULL }, 412 },
    { GET, { "If-Match", WEAK_ETAG, NULL }, 412 },
    { GET, { "If-Match", "\"x\", " ETAG, NULL }, 0 },
    { GET, { "If-Match", "\"a,b\" ," ETAG, NULL }, 0 },
    { GET, { "If-Match", "\"a,b\"", NULL }, 412 },
    { GET, { "If-Match", "\"x\"", "If-Match", ETAG, NULL }, 0 },
    { GET, { "If-Match", "5f3a-1c", NULL }, 412 },
    { GET, { "If-Match", ETAG ", bogus", NULL }, 412 },
    { GET, { "If-Match", "\"unterminated", NULL }, 412 },
    { GET, { "If-Match", "", NULL }, 412 },
    { GET, { "If-Match", "*, " ETAG, NULL }, 412 },
    { GET, { "If-Match", "w/\"5f3a-1c\"", NULL }, 412 },
    { POST, { "If-Match", ETAG, NULL }, 0 },
    { PUT, { "If-Match", "\"other\"", NULL }, 412 },
    /* If-Unmodified-Since, only without If-Match */
    { GET, { "If-Unmodified-Since", LM_IMF, NULL }, 0 },
    { GET, { "If-Unmodified-Since", AFTER, NULL }, 0 },
    { GET, { "If-Unmodified-Since", BEFORE, NULL }, 412 },
    { GET, { "If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:36 GMT", NULL }, 412 },
    { GET, { "If-Unmodified-Since", "Saturday, 05-Nov-94 08:49:37 GMT", NULL }, 412 },
    { GET, { "If-Unmodified-Since", "not a date", NULL }, 0 },
    { GET, { "If-Unmodified-Since", BEFORE, "If-Unmodified-Since", BEFORE, NULL }, 0 },
    { GET, { "If-Match", ETAG, "If-Unmodified-Since", BEFORE, NULL }, 0 },
    { GET, { "If-Match", "\"other\"", "If-Unmodified-Since", AFTER, NULL }, 412 },
    /* If-None-Match: weak comparison */
    { GET, { "If-None-Match", ETAG, NULL }, 304 },
    { HEAD, { "If-None-Match", ETAG, NULL }, 304 },
    { POST, { "If-None-Match", ETAG, NULL }, 412 },
    { GET, { "If-None-Match", WEAK_ETAG, NULL }, 304 },
    { GET, { "If-None-Match", "*", NULL }, 304 },
    { PUT, { "If-None-Match", "*", NULL }, 412 },
    { GET, { "If-None-Match", "\"other\"", NULL }, 0 },
    { GET, { "If-None-Match", "\"x\" ,\t" ETAG, NULL }, 304 },
    { GET, { "If-None-Match", "\"x\"", "If-None-Match", WEAK_ETAG, NULL }, 304 },
    { GET, { "If-None-Match", "5f3a-1c", NULL }, 0 },
    { GET, { "If-None-Match", "\"5f3a-1c", NULL }, 0 },
    { GET, { "If-None-Match", ETAG ETAG, NULL }, 0 },
    { GET, { "if-none-match", ETAG, NULL }, 304 },
    { GET, { "IF-NONE-MATCH", ETAG, NULL }, 304 },
    { GET, { "If-None-Match-X", ETAG, NULL }, 0 },
    /* If-Modified-Since, only GET/HEAD and only without If-None-Match */
    { GET, { "If-Modified-Since", LM_IMF, NULL }, 304 },
    { GET, { "If-Modified-Since", LM_850, NULL }, 304 },
    { GET, { "If-Modified-Since", LM_ASC, NULL }, 304 },
    { HEAD, { "If-Modified-Since", LM_IMF, NULL }, 304 },
    { GET, { "If-Modified-Since", AFTER, NULL }, 304 },
    { GET, { "If-Modified-Since", BEFORE, NULL }, 0 },
    { GET, { "If-Modified-Since", FUTURE, NULL }, 0 },
    { GET, { "If-Modified-Since", "garbage", NULL }, 0 },
    { GET, { "If-Modified-Since", "Sun, 06 Nov 1994 25:49:37 GMT", NULL }, 0 },
    { GET, { "If-Modified-Since", "", NULL }, 0 },
    { GET, { "If-Modified-Since", LM_IMF, "If-Modified-Since", LM_IMF, NULL }, 0 },
    { POST, { "If-Modified-Since", LM_IMF, NULL }, 0 },
    { GET, { "If-None-Match", "\"other\"", "If-Modified-Since", LM_IMF, NULL }, 0 },
    { GET, { "If-None-Match", ETAG, "If-Modified-Since", BEFORE, NULL }, 304 },
    { GET, { "If-None-Match", "garbage", "If-Modified-Since", LM_IMF, NULL }, 0 },
    /* precedence across fields */
    { GET, { "If-Match", "\"other\"", "If-None-Match", ETAG, NULL }, 412 },
    { GET, { "If-None-Match", ETAG, "If-Match", "\"other\"", NULL }, 412 },
    { GET, { "If-Match", ETAG, "If-None-Match", ETAG, NULL }, 304 },
    { GET, { "If-Match", "*", "If-None-Match", "\"other\"", NULL }, 0 },
    { GET, { "If-Unmodified-Since", BEFORE, "If-None-Match", ETAG, NULL }, 412 },
    { GET, { "If-Unmodified-Since", BEFORE, "If-Modified-Since", LM_IMF, NULL }, 412 },
    { GET, { "If-Unmodified-Since", AFTER, "If-Modified-Since", LM_IMF, NULL }, 304 },
    { GET,
      { "If-Match", ETAG, "If-Unmodified-Since", BEFORE, "If-Modified-Since", LM_IMF, NULL },
      304 },
    { POST, { "If-Unmodified-Since", AFTER, "If-None-Match", "*", NULL }, 412 },
};

START_TEST(test_evaluate_table)
{
    const eval_case_t *c = &eval_cases[_i];
    http_field_t fields[MAX_FIELDS];
    http_request_t req;
    int got;

    make_req(&req, fields, c->method, c->h);
    got = cond_evaluate(&req, ETAG, apr_time_from_sec(LM_SEC), apr_time_from_sec(NOW_SEC));
    ck_assert_msg(got == c->want, "case %d (%s: %s): %d, want %d", _i, c->h[0] ? c->h[0] : "-",
                  c->h[0] ? c->h[1] : "-", got, c->want);
}
END_TEST

START_TEST(test_evaluate_subsecond_mtime)
{
    /* A Last-Modified with microseconds is compared to the second, as it is sent. */
    static const char *const h[] = { "If-Modified-Since", LM_IMF, NULL };
    http_field_t fields[MAX_FIELDS];
    http_request_t req;

    make_req(&req, fields, GET, h);
    ck_assert_int_eq(
        cond_evaluate(&req, ETAG, apr_time_from_sec(LM_SEC) + 999999, apr_time_from_sec(NOW_SEC)),
        304);
}
END_TEST

START_TEST(test_evaluate_weak_own_etag)
{
    /* A weak current validator never satisfies If-Match, but does If-None-Match. */
    static const char *const im[] = { "If-Match", WEAK_ETAG, NULL };
    static const char *const inm[] = { "If-None-Match", ETAG, NULL };
    http_field_t fields[MAX_FIELDS];
    http_request_t req;
    apr_time_t lm = apr_time_from_sec(LM_SEC), now = apr_time_from_sec(NOW_SEC);

    make_req(&req, fields, GET, im);
    ck_assert_int_eq(cond_evaluate(&req, WEAK_ETAG, lm, now), 412);
    make_req(&req, fields, GET, inm);
    ck_assert_int_eq(cond_evaluate(&req, WEAK_ETAG, lm, now), 304);
}
END_TEST

/* ---- cond_if_range ------------------------------------------------------------------ */

typedef struct {
    const char *h[2 * MAX_FIELDS + 1];
    int64_t now_sec;
    int want;
} if_range_case_t;

static const if_range_case_t if_range_cases[] = {
    { { NULL }, NOW_SEC, 1 },
    { { "Range", "bytes=0-1", NULL }, NOW_SEC, 1 },
    { { "If-Range", ETAG, NULL }, NOW_SEC, 1 },
    { { "if-range", " " ETAG "\t", NULL }, NOW_SEC, 1 },
    { { "If-Range", WEAK_ETAG, NULL }, NOW_SEC, 0 },
    { { "If-Range", "\"other\"", NULL }, NOW_SEC, 0 },
    { { "If-Range", "\"x\", " ETAG, NULL }, NOW_SEC, 0 },
    { { "If-Range", "\"5f3a-1c", NULL }, NOW_SEC, 0 },
    { { "If-Range", LM_IMF, NULL }, NOW_SEC, 1 },
    { { "If-Range", LM_850, NULL }, NOW_SEC, 1 },
    { { "If-Range", LM_ASC, NULL }, NOW_SEC, 1 },
    { { "If-Range", BEFORE, NULL }, NOW_SEC, 0 },
    { { "If-Range", AFTER, NULL }, NOW_SEC, 0 },
    { { "If-Range", "garbage", NULL }, NOW_SEC, 0 },
    { { "If-Range", "", NULL }, NOW_SEC, 0 },
    { { "If-Range", ETAG, "If-Range", ETAG, NULL }, NOW_SEC, 0 },
    /* a date is a strong validator only when Last-Modified is >= 1 s older than Date */
    { { "If-Range", LM_IMF, NULL }, LM_SEC, 0 },
    { { "If-Range", LM_IMF, NULL }, LM_SEC + 1, 1 },
    { { "If-Range", ETAG, NULL }, LM_SEC, 1 },
};

START_TEST(test_if_range_table)
{
    const if_range_case_t *c = &if_range_cases[_i];
    http_field_t fields[MAX_FIELDS];
    http_request_t req;
    int got;

    make_req(&req, fields, GET, c->h);
    got = cond_if_range(&req, ETAG, apr_time_from_sec(LM_SEC), apr_time_from_sec(c->now_sec));
    ck_assert_msg(got == c->want, "case %d: %d, want %d", _i, got, c->want);
}
END_TEST

/* last_modified 0: a date never matches (not even the epoch's), a tag still does */
START_TEST(test_if_range_without_date)
{
    static const char *const dates[][3] = { { "If-Range", LM_IMF, NULL },
                                            { "If-Range", "Thu, 01 Jan 1970 00:00:00 GMT", NULL },
                                            { "If-Range", ETAG, NULL } };
    http_field_t fields[MAX_FIELDS];
    http_request_t req;
    int i;

    for (i = 0; i < 3; i++) {
        make_req(&req, fields, GET, dates[i]);
        ck_assert_int_eq(cond_if_range(&req, ETAG, 0, apr_time_from_sec(NOW_SEC)), i == 2);
    }
}
END_TEST

START_TEST(test_if_range_weak_own_etag)
{
    static const char *const h[] = { "If-Range", WEAK_ETAG, NULL };
    http_field_t fields[MAX_FIELDS];
    http_request_t req;

    make_req(&req, fields, GET, h);
    ck_assert_int_eq(
        cond_if_range(&req, WEAK_ETAG, apr_time_from_sec(LM_SEC), apr_time_from_sec(NOW_SEC)), 0);
}
END_TEST

/* ---- validators --------------------------------------------------------------------- */

START_TEST(test_etag)
{
    struct stat st;
    char a[EV_ETAG_LEN], b[EV_ETAG_LEN];

    memset(&st, 0, sizeof(st));
    st.st_mtim.tv_sec = 1;
    st.st_mtim.tv_nsec = 5;
    st.st_size = 255;
    cond_etag(&st, a);
    ck_assert_str_eq(a, "\"3b9aca05-ff\"");
    /* A rewrite within the same second with the same size still changes the tag. */
    st.st_mtim.tv_nsec = 6;
    cond_etag(&st, b);
    ck_assert_str_ne(a, b);
    st.st_mtim.tv_nsec = 5;
    st.st_size = 256;
    cond_etag(&st, b);
    ck_assert_str_eq(b, "\"3b9aca05-100\"");
    /* The widest values still fit, quotes and NUL included. */
    st.st_mtim.tv_sec = -1;
    st.st_mtim.tv_nsec = 999999999;
    st.st_size = INT64_MAX;
    cond_etag(&st, b);
    ck_assert_uint_lt(strlen(b), EV_ETAG_LEN);
    ck_assert_int_eq(b[0], '"');
    ck_assert_int_eq(b[strlen(b) - 1], '"');
}
END_TEST

START_TEST(test_etag_coded)
{
    struct stat st;
    char plain[EV_ETAG_LEN], gz[EV_ETAG_CODED_LEN], br[EV_ETAG_CODED_LEN];
    http_field_t fields[MAX_FIELDS];
    http_request_t req;
    const char *h[] = { "If-None-Match", gz, NULL };

    memset(&st, 0, sizeof(st));
    st.st_mtim.tv_sec = 1;
    st.st_mtim.tv_nsec = 5;
    st.st_size = 255;
    cond_etag(&st, plain);
    cond_etag_coded(&st, "gzip", gz);
    cond_etag_coded(&st, "br", br);
    ck_assert_str_eq(gz, "\"3b9aca05-ff-gzip\"");
    ck_assert_str_eq(br, "\"3b9aca05-ff-br\"");
    /* one coding's tag matches only itself */
    make_req(&req, fields, GET, h);
    ck_assert_int_eq(cond_evaluate(&req, gz, 0, apr_time_from_sec(NOW_SEC)), 304);
    ck_assert_int_eq(cond_evaluate(&req, br, 0, apr_time_from_sec(NOW_SEC)), 0);
    ck_assert_int_eq(cond_evaluate(&req, plain, 0, apr_time_from_sec(NOW_SEC)), 0);
    /* the widest values and the longest coding still fit */
    st.st_mtim.tv_sec = -1;
    st.st_mtim.tv_nsec = 999999999;
    st.st_size = INT64_MAX;
    cond_etag_coded(&st, "abcdefgh", gz);
    ck_assert_uint_lt(strlen(gz), EV_ETAG_CODED_LEN);
    ck_assert_str_eq(gz + strlen(gz) - 8, "-abcdef\"");
}
END_TEST

START_TEST(test_etag_evaluates_against_itself)
{
    struct stat st;
    char etag[EV_ETAG_LEN];
    http_field_t fields[MAX_FIELDS];
    http_request_t req;
    const char *h[] = { "If-None-Match", etag, NULL };

    memset(&st, 0, sizeof(st));
    st.st_mtim.tv_sec = LM_SEC;
    st.st_size = 1234;
    cond_etag(&st, etag);
    make_req(&req, fields, GET, h);
    ck_assert_int_eq(cond_evaluate(&req, etag, cond_last_modified(&st, apr_time_from_sec(NOW_SEC)),
                                   apr_time_from_sec(NOW_SEC)),
                     304);
    h[0] = "If-Range";
    make_req(&req, fields, GET, h);
    ck_assert_int_eq(
        cond_if_range(&req, etag, apr_time_from_sec(LM_SEC), apr_time_from_sec(NOW_SEC)), 1);
}
END_TEST

START_TEST(test_last_modified)
{
    struct stat st;

    memset(&st, 0, sizeof(st));
    st.st_mtim.tv_sec = 100;
    st.st_mtim.tv_nsec = 700000000;
    ck_assert_int_eq(cond_last_modified(&st, apr_time_from_sec(200)), apr_time_from_sec(100));
    /* A file stamped in the future is reported as modified "now". */
    st.st_mtim.tv_sec = 300;
    ck_assert_int_eq(cond_last_modified(&st, apr_time_from_sec(200)), apr_time_from_sec(200));
    ck_assert_int_eq(cond_last_modified(&st, apr_time_from_sec(200) + 5), apr_time_from_sec(200));
}
END_TEST

/* ---- http_date ---------------------------------------------------------------------- */

START_TEST(test_date_format)
{
    char out[EV_HTTP_DATE_LEN];

    http_date_format(apr_time_from_sec(LM_SEC) + 123456, out);
    ck_assert_str_eq(out, LM_IMF);
    http_date_format(0, out);
    ck_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    http_date_format(apr_time_from_sec(-86400), out);
    ck_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    http_date_format(apr_time_from_sec(INT64_C(400000000000)), out);
    ck_assert_str_eq(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    ck_assert_uint_eq(strlen(out), EV_HTTP_DATE_LEN - 1);
}
END_TEST

typedef struct {
    const char *text;
    int64_t sec; /* 0: invalid */
} date_case_t;

static const date_case_t date_cases[] = {
    { LM_IMF, LM_SEC },
    { LM_850, LM_SEC },
    { LM_ASC, LM_SEC },
    { "  " LM_IMF "\t", LM_SEC },
    { "Thu, 01 Jan 2026 00:00:00 GMT", INT64_C(1767225600) },
    { "", 0 },
    { "   ", 0 },
    { "garbage", 0 },
    { "Sun, 06 Nov 1994 25:49:37 GMT", 0 },
    { "Sun, 31 Nov 1994 08:49:37 GMT", 0 },
    { "Sun, 06 Foo 1994 08:49:37 GMT", 0 },
    { "Sun, 06 Nov 1994 08:49:37 GMT                                         x", 0 },
};

START_TEST(test_date_parse_table)
{
    const date_case_t *c = &date_cases[_i];
    apr_time_t t = http_date_parse(sl(c->text));

    ck_assert_msg(t == apr_time_from_sec(c->sec), "\"%s\": %lld", c->text, (long long)t);
}
END_TEST

START_TEST(test_date_parse_bounds)
{
    /* Only the slice is read, and a NUL inside it is refused. */
    ev_slice_t v = { LM_IMF "9999", strlen(LM_IMF) };
    ev_slice_t nul = { "Sun, 06 Nov\0 1994 08:49:37 GMT", 30 };

    ck_assert_int_eq(http_date_parse(v), apr_time_from_sec(LM_SEC));
    ck_assert_int_eq(http_date_parse(nul), APR_DATE_BAD);
}
END_TEST

static void *
date_now_thread(void *arg)
{
    char *out = arg;

    return (void *)(intptr_t)apr_time_sec(http_date_now(out));
}

START_TEST(test_date_now)
{
    char a[EV_HTTP_DATE_LEN], b[EV_HTTP_DATE_LEN], f[EV_HTTP_DATE_LEN];
    time_t before = time(NULL);
    apr_time_t t1 = http_date_now(a);
    apr_time_t t2 = http_date_now(b);
    time_t after = time(NULL);
    pthread_t th;
    void *ret;

    ck_assert_int_eq(t1 % APR_USEC_PER_SEC, 0);
    ck_assert_int_ge(apr_time_sec(t1), before);
    ck_assert_int_le(apr_time_sec(t2), after);
    http_date_format(t1, f);
    ck_assert_str_eq(a, f);
    http_date_format(t2, f);
    ck_assert_str_eq(b, f);
    ck_assert_int_eq(http_date_parse(sl(a)), t1);
    /* Another thread has its own cache and must agree with the clock too. */
    ck_assert_int_eq(pthread_create(&th, NULL, date_now_thread, b), 0);
    ck_assert_int_eq(pthread_join(th, &ret), 0);
    http_date_format(apr_time_from_sec((intptr_t)ret), f);
    ck_assert_str_eq(b, f);
}
END_TEST

static Suite *
cond_suite(void)
{
    Suite *s = suite_create("cond");
    TCase *eval = tcase_create("evaluate");
    TCase *validators = tcase_create("validators");
    TCase *date = tcase_create("http_date");

    tcase_add_checked_fixture(eval, pool_setup, pool_teardown);
    tcase_add_loop_test(eval, test_evaluate_table, 0,
                        (int)(sizeof(eval_cases) / sizeof(eval_cases[0])));
    tcase_add_test(eval, test_evaluate_subsecond_mtime);
    tcase_add_test(eval, test_evaluate_weak_own_etag);
    tcase_add_loop_test(eval, test_if_range_table, 0,
                        (int)(sizeof(if_range_cases) / sizeof(if_range_cases[0])));
    tcase_add_test(eval, test_if_range_weak_own_etag);
    tcase_add_test(eval, test_if_range_without_date);
    suite_add_tcase(s, eval);

    tcase_add_checked_fixture(validators, pool_setup, pool_teardown);
    tcase_add_test(validators, test_etag);
    tcase_add_test(validators, test_etag_coded);
    tcase_add_test(validators, test_etag_evaluates_against_itself);
    tcase_add_test(validators, test_last_modified);
    suite_add_tcase(s, validators);

    tcase_add_checked_fixture(date, pool_setup, pool_teardown);
    tcase_add_test(date, test_date_format);
    tcase_add_loop_test(date, test_date_parse_table, 0,
                        (int)(sizeof(date_cases) / sizeof(date_cases[0])));
    tcase_add_test(date, test_date_parse_bounds);
    tcase_add_test(date, test_date_now);
    suite_add_tcase(s, date);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(cond_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
