/*
 * test_location_match.c — longest-prefix lookup of <Location> paths.
 *
 * A fixed set of prefixes is added in several orders and looked up from a table of
 * paths; a randomized test checks 1,000 prefixes over a small alphabet (so that they
 * nest and share a lot) against a brute-force longest-prefix scan on 10,000 paths; a
 * timing test prints ns per lookup (figures only).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <check.h>

#include "location_match.h"

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

/* ---- a fixed set in several add orders ------------------------------------------------ */

/* Each prefix's value is its own string, so a lookup's answer names the prefix. */
static const char *const fixed[] = {
    "/", "/foo", "/foo/", "/foo/bar", "/static/", "/a/b/c", "/a", "/\xc3\xa9t\xc3\xa9/",
};
#define NFIXED (sizeof(fixed) / sizeof(fixed[0]))

typedef struct {
    const char *path;
    size_t len;                    /* 0: strlen(path) */
    const char *want;              /* the prefix that wins, NULL for none */
    const char *want_without_root; /* the same with "/" left out */
} path_case_t;

static const path_case_t path_cases[] = {
    { "/", 0, "/", NULL },
    { "/x", 0, "/", NULL },
    { "/foo", 0, "/foo", "/foo" },
    { "/foobar", 0, "/foo", "/foo" },
    { "/fo", 0, "/", NULL },
    { "/foo/", 0, "/foo/", "/foo/" },
    { "/foo/x", 0, "/foo/", "/foo/" },
    { "/foo/bar", 0, "/foo/bar", "/foo/bar" },
    { "/foo/barbaz/q", 0, "/foo/bar", "/foo/bar" },
    { "/foo/ba", 0, "/foo/", "/foo/" },
    { "/FOO/bar", 0, "/", NULL },
    { "/static", 0, "/", NULL },
    { "/static/", 0, "/static/", "/static/" },
    { "/static/a.css", 0, "/static/", "/static/" },
    { "/a", 0, "/a", "/a" },
    { "/a/b", 0, "/a", "/a" },
    { "/a/b/c", 0, "/a/b/c", "/a/b/c" },
    { "/a/b/cd", 0, "/a/b/c", "/a/b/c" },
    { "/ab", 0, "/a", "/a" },
    { "/\xc3\xa9t\xc3\xa9/x", 0, "/\xc3\xa9t\xc3\xa9/", "/\xc3\xa9t\xc3\xa9/" },
    { "/\xc3\xa9t\xc3\xa9", 0, "/", NULL },
    { "/foo/bar", 4, "/foo", "/foo" }, /* len bounds the path */
    { "/foo/bar", 1, "/", NULL },
    { "/foo/bar", 6, "/foo/", "/foo/" }, /* "bar" runs past len */
    { "", 0, NULL, NULL },
    { "foo", 0, NULL, NULL },
    { "/foo\0/bar", 9, "/foo", "/foo" },
};
#define NPATHS (sizeof(path_cases) / sizeof(path_cases[0]))

/* Orders to add `fixed` in: forward, backward, and two interleavings. */
static size_t
order_index(int order, size_t k)
{
    switch (order) {
    case 0:
        return k;
    case 1:
        return NFIXED - 1 - k;
    case 2:
        return (k * 3) % NFIXED; /* NFIXED is 8: 3 is coprime with it */
    default:
        return (k * 5 + 2) % NFIXED;
    }
}

static location_table_t *
build_fixed(int order, int with_root)
{
    location_table_t *t;

    ck_assert_int_eq(location_table_create(&t, pool), APR_SUCCESS);
    for (size_t k = 0; k < NFIXED; k++) {
        const char *p = fixed[order_index(order, k)];
        if (with_root || strcmp(p, "/") != 0)
            ck_assert_int_eq(location_table_add(t, p, (void *)p), APR_SUCCESS);
    }
    location_table_freeze(t);
    return t;
}

/* _i enumerates (order, with_root, path case). */
START_TEST(test_fixed_table)
{
    int order = _i / (int)(2 * NPATHS), with_root = (_i / (int)NPATHS) % 2;
    const path_case_t *c = &path_cases[_i % (int)NPATHS];
    location_table_t *t = build_fixed(order, with_root);
    size_t len = c->len ? c->len : strlen(c->path);
    const char *want = with_root ? c->want : c->want_without_root;
    const char *got = location_table_lookup(t, c->path, len);

    ck_assert_msg(got == want, "order %d root %d path \"%.*s\": got %s, want %s", order, with_root,
                  (int)len, c->path, got ? got : "NULL", want ? want : "NULL");
}
END_TEST

START_TEST(test_replace_on_readd)
{
    static int v[4];
    location_table_t *t;

    ck_assert_int_eq(location_table_create(&t, pool), APR_SUCCESS);
    ck_assert_int_eq(location_table_add(t, "/a", &v[0]), APR_SUCCESS);
    ck_assert_int_eq(location_table_add(t, "/a/", &v[1]), APR_SUCCESS);
    ck_assert_int_eq(location_table_add(t, "/b", &v[2]), APR_SUCCESS);
    ck_assert_int_eq(location_table_add(t, "/a", &v[3]), APR_SUCCESS);
    location_table_freeze(t);
    ck_assert_ptr_eq(location_table_lookup(t, "/a", 2), &v[3]);
    ck_assert_ptr_eq(location_table_lookup(t, "/ax", 3), &v[3]);
    ck_assert_ptr_eq(location_table_lookup(t, "/a/x", 4), &v[1]);
    ck_assert_ptr_eq(location_table_lookup(t, "/b", 2), &v[2]);
}
END_TEST

START_TEST(test_bad_arguments)
{
    static int v;
    location_table_t *t;

    ck_assert_int_eq(location_table_create(&t, pool), APR_SUCCESS);
    ck_assert_int_eq(location_table_add(t, NULL, &v), APR_EINVAL);
    ck_assert_int_eq(location_table_add(t, "", &v), APR_EINVAL);
    ck_assert_int_eq(location_table_add(t, "foo", &v), APR_EINVAL);
    ck_assert_int_eq(location_table_add(t, "/foo", NULL), APR_EINVAL);
    ck_assert_int_eq(location_table_add(t, "/foo", &v), APR_SUCCESS);
    ck_assert_ptr_null(location_table_lookup(t, "/foo", 4)); /* not frozen yet */
    location_table_freeze(t);
    location_table_freeze(t);
    ck_assert_int_eq(location_table_add(t, "/", &v), APR_EINVAL);
    ck_assert_ptr_eq(location_table_lookup(t, "/foo", 4), &v);
    ck_assert_ptr_null(location_table_lookup(t, "/", 1));
    ck_assert_ptr_null(location_table_lookup(t, NULL, 4));
}
END_TEST

START_TEST(test_empty_table)
{
    location_table_t *t;

    ck_assert_int_eq(location_table_create(&t, pool), APR_SUCCESS);
    location_table_freeze(t);
    ck_assert_ptr_null(location_table_lookup(t, "/", 1));
    ck_assert_ptr_null(location_table_lookup(t, "/x/y", 4));
}
END_TEST

/* ---- randomized against brute force -------------------------------------------------- */

static uint64_t rng_state;

static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13; /* xorshift64 */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* '/' then up to max-1 bytes from a 3-letter alphabet, so that prefixes nest often. */
static size_t
random_path(char *buf, size_t max)
{
    static const char alphabet[] = "/ab";
    size_t len = 1 + rng() % max;

    buf[0] = '/';
    for (size_t i = 1; i < len; i++)
        buf[i] = alphabet[rng() % 3];
    buf[len] = '\0';
    return len;
}

#define RAND_PREFIXES 1000
#define RAND_LOOKUPS  10000

START_TEST(test_random_against_brute_force)
{
    static char prefixes[RAND_PREFIXES][16];
    static size_t lens[RAND_PREFIXES];
    static int values[RAND_PREFIXES];
    location_table_t *t;
    char path[24];

    rng_state = 0x2545f4914f6cdd1dull + (uint64_t)_i;
    ck_assert_int_eq(location_table_create(&t, pool), APR_SUCCESS);
    for (int i = 0; i < RAND_PREFIXES; i++) {
        lens[i] = random_path(prefixes[i], 12);
        ck_assert_int_eq(location_table_add(t, prefixes[i], &values[i]), APR_SUCCESS);
    }
    location_table_freeze(t);
    for (int k = 0; k < RAND_LOOKUPS; k++) {
        size_t len = k % 10 == 0 ? 0 : random_path(path, 18);
        const void *want = NULL;
        size_t best = 0;

        /* the longest matching prefix; of equal ones the last added (scan order) */
        for (int i = 0; i < RAND_PREFIXES; i++)
            if (lens[i] <= len && lens[i] >= best && memcmp(prefixes[i], path, lens[i]) == 0) {
                best = lens[i];
                want = &values[i];
            }
        ck_assert_msg(location_table_lookup(t, path, len) == want, "seed %d path %.*s", _i,
                      (int)len, path);
    }
}
END_TEST

/* ---- timing (printed, not asserted) -------------------------------------------------- */

static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double
time_lookup(const location_table_t *t, const char *path, const void *want, int iters)
{
    size_t len = strlen(path);
    uintptr_t sink = 0;
    double start;

    ck_assert_ptr_eq(location_table_lookup(t, path, len), want);
    start = now_ns();
    for (int i = 0; i < iters; i++)
        sink += (uintptr_t)location_table_lookup(t, path, len);
    ck_assert_uint_eq(sink, (uintptr_t)want * (uintptr_t)iters);
    return (now_ns() - start) / iters;
}

START_TEST(test_timing)
{
    static int values[1000];
    location_table_t *one, *many;
    char prefix[64];

    ck_assert_int_eq(location_table_create(&one, pool), APR_SUCCESS);
    ck_assert_int_eq(location_table_add(one, "/app/", &values[0]), APR_SUCCESS);
    location_table_freeze(one);
    ck_assert_int_eq(location_table_create(&many, pool), APR_SUCCESS);
    for (int i = 0; i < 1000; i++) {
        snprintf(prefix, sizeof(prefix), "/app%d/section%d/", i % 37, i);
        ck_assert_int_eq(location_table_add(many, prefix, &values[i]), APR_SUCCESS);
    }
    location_table_freeze(many);
    printf("location_match: 1 prefix: %.1f ns/lookup\n",
           time_lookup(one, "/app/images/logo/header.png", &values[0], 1 << 20));
    printf("location_match: 1000 prefixes, hit: %.1f ns, miss: %.1f ns\n",
           time_lookup(many, "/app0/section999/images/header.png", &values[999], 1 << 20),
           time_lookup(many, "/app0/section998/images/header.png", NULL, 1 << 20));
}
END_TEST

static Suite *
location_match_suite(void)
{
    Suite *s = suite_create("location_match");
    TCase *tc = tcase_create("core");
    TCase *timing = tcase_create("timing");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_fixed_table, 0, (int)(4 * 2 * NPATHS));
    tcase_add_test(tc, test_replace_on_readd);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_empty_table);
    tcase_add_loop_test(tc, test_random_against_brute_force, 0, 5);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(timing, pool_setup, pool_teardown);
    tcase_set_timeout(timing, 60);
    tcase_add_test(timing, test_timing);
    suite_add_tcase(s, timing);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(location_match_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
