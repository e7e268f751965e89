/*
 * test_range.c — Range parsing (RFC 9110 section 14) and multipart/byteranges framing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "range.h"

#define IGN EV_RANGE_IGNORE
#define OK  EV_RANGE_OK
#define UNS EV_RANGE_UNSATISFIABLE

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

typedef struct {
    const char *value;
    int64_t size;
    range_result_t result;
    size_t n;
    range_t spans[3];
} range_case_t;

static const range_case_t cases[] = {
    /* the three forms */
    { "bytes=0-499", 10000, OK, 1, { { 0, 499 } } },
    { "bytes=500-999", 10000, OK, 1, { { 500, 999 } } },
    { "bytes=-500", 10000, OK, 1, { { 9500, 9999 } } },
    { "bytes=9500-", 10000, OK, 1, { { 9500, 9999 } } },
    { "bytes=9999-", 10000, OK, 1, { { 9999, 9999 } } },
    { "bytes=0-0,-1", 10000, OK, 2, { { 0, 0 }, { 9999, 9999 } } },
    /* clipping */
    { "bytes=0-9999999", 10000, OK, 1, { { 0, 9999 } } },
    { "bytes=-20000", 10000, OK, 1, { { 0, 9999 } } },
    { "bytes=-10000", 10000, OK, 1, { { 0, 9999 } } },
    /* unit and whitespace */
    { "BYTES=0-1", 10000, OK, 1, { { 0, 1 } } },
    { "Bytes=0-1", 10000, OK, 1, { { 0, 1 } } },
    { " bytes=0-1\t", 10000, OK, 1, { { 0, 1 } } },
    { "bytes=0-1 , 3-4", 10000, OK, 2, { { 0, 1 }, { 3, 4 } } },
    { "bytes=0-1\t,\t3-4", 10000, OK, 2, { { 0, 1 }, { 3, 4 } } },
    { "bytes= 0-1", 10000, OK, 1, { { 0, 1 } } },
    { "bytes=0-1,,3-4", 10000, OK, 2, { { 0, 1 }, { 3, 4 } } },
    { "bytes=,0-1", 10000, OK, 1, { { 0, 1 } } },
    { "bytes=0-1,", 10000, OK, 1, { { 0, 1 } } },
    { "bytes=0 -1", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=0- 1", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes = 0-1", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes =0-1", 10000, IGN, 0, { { 0, 0 } } },
    /* not a ranges-specifier, or not bytes */
    { "", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=,", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes= , ", 10000, IGN, 0, { { 0, 0 } } },
    { "items=0-1", 10000, IGN, 0, { { 0, 0 } } },
    { "bytesx=0-1", 10000, IGN, 0, { { 0, 0 } } },
    { "0-1", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=-", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=--5", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=-5-", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=-1-2", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=1-2-3", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=a-b", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=+1-2", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=1", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=0-1;2-3", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=0x10-20", 10000, IGN, 0, { { 0, 0 } } },
    /* last-pos < first-pos makes the whole field invalid, even beside good specs */
    { "bytes=5-3", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=0-1,5-3", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=5-3", 0, IGN, 0, { { 0, 0 } } },
    /* unsatisfiable */
    { "bytes=10000-", 10000, UNS, 0, { { 0, 0 } } },
    { "bytes=10000-20000", 10000, UNS, 0, { { 0, 0 } } },
    { "bytes=-0", 10000, UNS, 0, { { 0, 0 } } },
    { "bytes=-0,10000-", 10000, UNS, 0, { { 0, 0 } } },
    { "bytes=-0,0-1", 10000, OK, 1, { { 0, 1 } } },
    { "bytes=20000-,0-1", 10000, OK, 1, { { 0, 1 } } },
    /* overflowing numbers saturate */
    { "bytes=99999999999999999999-", 10000, UNS, 0, { { 0, 0 } } },
    { "bytes=0-99999999999999999999", 10000, OK, 1, { { 0, 9999 } } },
    { "bytes=-99999999999999999999", 10000, OK, 1, { { 0, 9999 } } },
    { "bytes=99999999999999999999-1", 10000, IGN, 0, { { 0, 0 } } },
    { "bytes=9223372036854775807-9223372036854775807", 10000, UNS, 0, { { 0, 0 } } },
    { "bytes=9223372036854775806-", INT64_MAX, OK, 1, { { INT64_MAX - 1, INT64_MAX - 1 } } },
    { "bytes=0-", INT64_MAX, OK, 1, { { 0, INT64_MAX - 1 } } },
    /* empty and tiny representations */
    { "bytes=0-", 0, UNS, 0, { { 0, 0 } } },
    { "bytes=0-0", 0, UNS, 0, { { 0, 0 } } },
    { "bytes=-5", 0, UNS, 0, { { 0, 0 } } },
    { "bytes=0-0", 1, OK, 1, { { 0, 0 } } },
    { "bytes=-1", 1, OK, 1, { { 0, 0 } } },
    { "bytes=1-", 1, UNS, 0, { { 0, 0 } } },
    /* sorting and coalescing */
    { "bytes=0-,0-,0-", 10000, OK, 1, { { 0, 9999 } } },
    { "bytes=0-0,0-0", 10000, OK, 1, { { 0, 0 } } },
    { "bytes=500-600,601-999", 10000, OK, 1, { { 500, 999 } } },
    { "bytes=500-700,601-999", 10000, OK, 1, { { 500, 999 } } },
    { "bytes=601-999,500-600", 10000, OK, 1, { { 500, 999 } } },
    { "bytes=500-600,602-999", 10000, OK, 2, { { 500, 600 }, { 602, 999 } } },
    { "bytes=900-999,0-99", 10000, OK, 2, { { 0, 99 }, { 900, 999 } } },
    { "bytes=-1,0-0,5000-5000", 10000, OK, 3, { { 0, 0 }, { 5000, 5000 }, { 9999, 9999 } } },
    { "bytes=-5000,0-4999", 10000, OK, 1, { { 0, 9999 } } },
    { "bytes=0-10,2-3,4-5", 10000, OK, 1, { { 0, 10 } } },
};

START_TEST(test_parse_table)
{
    const range_case_t *c = &cases[_i];
    range_t out[EV_RANGE_MAX];
    size_t n = 999;
    range_result_t r = range_parse(sl(c->value), c->size, out, EV_RANGE_MAX, &n);

    ck_assert_msg(r == c->result, "case %d \"%s\": result %d, want %d", _i, c->value, r, c->result);
    ck_assert_msg(n == c->n, "case %d \"%s\": n %zu, want %zu", _i, c->value, n, c->n);
    for (size_t k = 0; k < n; k++) {
        ck_assert_msg(out[k].first == c->spans[k].first && out[k].last == c->spans[k].last,
                      "case %d \"%s\" span %zu: %lld-%lld", _i, c->value, k,
                      (long long)out[k].first, (long long)out[k].last);
    }
}
END_TEST

START_TEST(test_value_not_nul_terminated)
{
    range_t out[4];
    size_t n;
    ev_slice_t v = { "bytes=0-19999", 9 }; /* "bytes=0-1" */

    ck_assert_int_eq(range_parse(v, 10000, out, 4, &n), OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(out[0].last, 1);
}
END_TEST

/* "bytes=0-0,2-2,4-4,..." with `count` disjoint one-byte specs. */
static ev_slice_t
many_specs(size_t count)
{
    char *s = apr_pstrdup(pool, "bytes=");

    for (size_t i = 0; i < count; i++)
        s = apr_psprintf(pool, "%s%s%lu-%lu", s, i ? "," : "", (unsigned long)(2 * i),
                         (unsigned long)(2 * i));
    return sl(s);
}

START_TEST(test_many_ranges)
{
    range_t out[EV_RANGE_MAX];
    size_t n;

    ck_assert_int_eq(range_parse(many_specs(EV_RANGE_MAX), 10000, out, EV_RANGE_MAX, &n), OK);
    ck_assert_uint_eq(n, EV_RANGE_MAX);
    ck_assert_int_eq(out[EV_RANGE_MAX - 1].first, 2 * (EV_RANGE_MAX - 1));
    ck_assert_int_eq(range_parse(many_specs(EV_RANGE_MAX + 1), 10000, out, EV_RANGE_MAX, &n), IGN);
    ck_assert_uint_eq(n, 0);
    /* The cap counts specs, not spans: unsatisfiable ones count too. */
    ck_assert_int_eq(range_parse(many_specs(3), 10000, out, 2, &n), IGN);
    ck_assert_int_eq(range_parse(many_specs(3), 3, out, 2, &n), IGN);
    ck_assert_int_eq(range_parse(many_specs(2), 10000, out, 2, &n), OK);
    ck_assert_int_eq(range_parse(sl("bytes=0-0"), 10000, out, 0, &n), IGN);
}
END_TEST

START_TEST(test_many_empty_elements)
{
    range_t out[2];
    size_t n;
    char *s = apr_pstrdup(pool, "bytes=");

    for (int i = 0; i < 500; i++)
        s = apr_pstrcat(pool, s, ",", NULL);
    s = apr_pstrcat(pool, s, "0-1", NULL);
    ck_assert_int_eq(range_parse(sl(s), 10, out, 2, &n), OK);
    ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(test_content_range)
{
    char buf[EV_RANGE_CONTENT_RANGE_LEN];
    range_t r = { 0, 4 };

    ck_assert_uint_eq(range_content_range(buf, sizeof(buf), &r, 10), 12);
    ck_assert_str_eq(buf, "bytes 0-4/10");
    ck_assert_uint_eq(range_content_range(buf, sizeof(buf), NULL, 10), 10);
    ck_assert_str_eq(buf, "bytes */10");
    r.first = INT64_MAX - 1;
    r.last = INT64_MAX - 1;
    ck_assert_uint_eq(range_content_range(buf, sizeof(buf), &r, INT64_MAX), sizeof(buf) - 1);
    ck_assert_str_eq(buf, "bytes 9223372036854775806-9223372036854775806/9223372036854775807");
    /* Truncation follows snprintf: the needed length, a NUL-terminated prefix. */
    ck_assert_uint_eq(range_content_range(buf, 6, NULL, 10), 10);
    ck_assert_str_eq(buf, "bytes");
}
END_TEST

START_TEST(test_boundary)
{
    enum { N = 1000 };
    char(*b)[EV_RANGE_BOUNDARY_LEN] = apr_palloc(pool, N * sizeof(*b));
    char again[EV_RANGE_BOUNDARY_LEN];

    for (int i = 0; i < N; i++) {
        range_boundary(b[i], (uint64_t)i);
        ck_assert_uint_eq(strlen(b[i]), EV_RANGE_BOUNDARY_LEN - 1);
        ck_assert_uint_eq(strspn(b[i], "0123456789abcdef"), EV_RANGE_BOUNDARY_LEN - 1);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            ck_assert_str_ne(b[i], b[j]);
    range_boundary(again, 7);
    ck_assert_str_eq(again, b[7]);
}
END_TEST

START_TEST(test_part_header)
{
    char buf[128];
    range_t r = { 0, 4 };
    static const char want[] =
        "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/10\r\n\r\n";
    static const char want_untyped[] = "\r\n--B\r\nContent-Range: bytes 0-4/10\r\n\r\n";

    ck_assert_uint_eq(range_part_header(buf, sizeof(buf), "B", "text/plain", &r, 10), strlen(want));
    ck_assert_str_eq(buf, want);
    ck_assert_uint_eq(range_part_header(NULL, 0, "B", "text/plain", &r, 10), strlen(want));
    ck_assert_uint_eq(range_part_header(buf, sizeof(buf), "B", NULL, &r, 10), strlen(want_untyped));
    ck_assert_str_eq(buf, want_untyped);
    ck_assert_uint_eq(range_closing(buf, sizeof(buf), "B"), 9);
    ck_assert_str_eq(buf, "\r\n--B--\r\n");
    ck_assert_uint_eq(range_closing(NULL, 0, "B"), 9);
}
END_TEST

/* Assemble a whole multipart body as the integrator would and check its length. */
START_TEST(test_multipart_length)
{
    static const char file[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    const int64_t size = (int64_t)sizeof(file) - 1;
    range_t out[EV_RANGE_MAX];
    char boundary[EV_RANGE_BOUNDARY_LEN];
    size_t n;
    char *body = apr_pstrdup(pool, "");
    char head[256];

    ck_assert_int_eq(range_parse(sl("bytes=30-,0-2,10-11"), size, out, EV_RANGE_MAX, &n), OK);
    ck_assert_uint_eq(n, 3);
    range_boundary(boundary, 42);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_lt(
            range_part_header(head, sizeof(head), boundary, "text/plain", &out[i], size),
            sizeof(head));
        body = apr_pstrcat(
            pool, body, head,
            apr_pstrndup(pool, file + out[i].first, (apr_size_t)(out[i].last - out[i].first + 1)),
            NULL);
    }
    range_closing(head, sizeof(head), boundary);
    body = apr_pstrcat(pool, body, head, NULL);
    ck_assert_int_eq(range_multipart_length(out, n, boundary, "text/plain", size),
                     (int64_t)strlen(body));
    ck_assert_ptr_nonnull(strstr(body, "Content-Range: bytes 0-2/36\r\n\r\n012\r\n--"));
    ck_assert_ptr_nonnull(strstr(body, "Content-Range: bytes 30-35/36\r\n\r\nuvwxyz\r\n--"));
    ck_assert_int_eq(range_multipart_length(out, 0, "B", NULL, size), 9);
}
END_TEST

static Suite *
range_suite(void)
{
    Suite *s = suite_create("range");
    TCase *parse = tcase_create("parse");
    TCase *multipart = tcase_create("multipart");

    tcase_add_checked_fixture(parse, pool_setup, pool_teardown);
    tcase_add_loop_test(parse, test_parse_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(parse, test_value_not_nul_terminated);
    tcase_add_test(parse, test_many_ranges);
    tcase_add_test(parse, test_many_empty_elements);
    suite_add_tcase(s, parse);

    tcase_add_checked_fixture(multipart, pool_setup, pool_teardown);
    tcase_add_test(multipart, test_content_range);
    tcase_add_test(multipart, test_boundary);
    tcase_add_test(multipart, test_part_header);
    tcase_add_test(multipart, test_multipart_length);
    suite_add_tcase(s, multipart);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(range_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
