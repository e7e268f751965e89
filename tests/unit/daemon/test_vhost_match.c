/*
 * test_vhost_match.c — choosing a virtual host by the request's host.
 *
 * Configurations are tables of (host number, pattern) in configuration order; lookups
 * name the host number expected (0: no match). A randomized test checks the first-match
 * rule against fnmatch(3) as an independent oracle, and a timing test prints ns per
 * lookup (figures only: the assertions are about results).
 */
#include <fnmatch.h> /* FNM_CASEFOLD: _GNU_SOURCE comes from the build flags */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "vhost_match.h"

#define MAX_HOSTS 8

static apr_pool_t *pool;
static int hosts[MAX_HOSTS + 1]; /* &hosts[i] is host number i's value */

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

/* ---- configurations and lookups ----------------------------------------------------- */

typedef struct {
    int host;            /* 1..MAX_HOSTS; 0 ends the list */
    const char *pattern; /* ServerName or ServerAlias */
} conf_add_t;

static const conf_add_t conf_exact[] = {
    { 1, "example.com" },   { 1, "www.example.com" }, { 2, "Other.ORG." },       { 3, "[::1]" },
    { 3, "[2001:DB8::1]" }, { 4, "127.0.0.1" },       { 5, "under_score.test" }, { 0, NULL },
};

static const conf_add_t conf_wild[] = {
    { 1, "*.example.com" }, { 2, "www.example.*" }, { 3, "h?st.test" },
    { 4, "a*b*c.test" },    { 5, "[2001:db8::*]" }, { 0, NULL },
};

/* An exact name of a later host loses to an earlier host's wildcard... */
static const conf_add_t conf_wild_first[] = {
    { 1, "alpha.test" }, { 1, "*.shared.test" }, { 2, "www.shared.test" }, { 2, "beta.test" },
    { 0, NULL },
};

/* ...and wins over a later host's wildcard. */
static const conf_add_t conf_exact_first[] = {
    { 1, "www.shared.test" },
    { 2, "*.shared.test" },
    { 3, "*.zz.test" },
    { 4, "x.a.test" },
    { 0, NULL },
};

/* A name given twice keeps its first host; "*" catches everything valid. */
static const conf_add_t conf_dup[] = {
    { 1, "dup.test" },
    { 2, "dup.test" },
    { 2, "*" },
    { 0, NULL },
};

/* ServerName host:port; a bare IPv6 literal; a trailing dot after a wildcard. */
static const conf_add_t conf_forms[] = {
    { 1, "port.test:8080" }, { 1, "::1" }, { 2, "*.dot.test." },
    { 3, "[fe80::2]:443" },  { 0, NULL },
};

static const conf_add_t *const confs[] = {
    conf_exact, conf_wild, conf_wild_first, conf_exact_first, conf_dup, conf_forms,
};

typedef struct {
    int conf;         /* index in confs */
    const char *host; /* as sent */
    size_t len;       /* 0: strlen(host) */
    int want;         /* host number, 0 for NULL */
} lookup_case_t;

static const lookup_case_t lookup_cases[] = {
    /* exact names: case, trailing dot, ports */
    { 0, "example.com", 0, 1 },
    { 0, "EXAMPLE.COM", 0, 1 },
    { 0, "Example.Com.", 0, 1 },
    { 0, "example.com:8080", 0, 1 },
    { 0, "example.com.:80", 0, 1 },
    { 0, "example.com:", 0, 1 },
    { 0, "www.example.com", 0, 1 },
    { 0, "other.org", 0, 2 },
    { 0, "OTHER.org.", 0, 2 },
    { 0, "127.0.0.1:80", 0, 4 },
    { 0, "Under_Score.test", 0, 5 },
    { 0, "example.com\0", 12, 0 },
    { 0, "example.comXYZ", 11, 1 }, /* len bounds the host */
    /* IPv6 literals */
    { 0, "[::1]", 0, 3 },
    { 0, "[::1]:8080", 0, 3 },
    { 0, "[2001:db8::1]", 0, 3 },
    { 0, "[2001:DB8::1]:443", 0, 3 },
    { 0, "[::2]", 0, 0 },
    { 0, "::1", 0, 0 },
    { 0, "[::1", 0, 0 },
    { 0, "[::1]x", 0, 0 },
    { 0, "[::1]:8x", 0, 0 },
    { 0, "[]", 0, 0 },
    { 0, "[::1].", 0, 0 },
    /* no match, or not a host */
    { 0, "nope.example.com", 0, 0 },
    { 0, "example.co", 0, 0 },
    { 0, "example.comm", 0, 0 },
    { 0, "example.com..", 0, 0 },
    { 0, ".example.com", 0, 0 },
    { 0, "", 0, 0 },
    { 0, ":80", 0, 0 },
    { 0, ".", 0, 0 },
    { 0, "example.com:8a", 0, 0 },
    { 0, "example.com:80:80", 0, 0 },
    { 0, "exa mple.com", 0, 0 },
    { 0, "example.com/x", 0, 0 },
    { 0, "%65xample.com", 0, 0 },
    { 0, "ex*mple.com", 0, 0 },
    /* wildcards */
    { 1, "a.example.com", 0, 1 },
    { 1, "a.b.example.com", 0, 1 },
    { 1, "A.EXAMPLE.COM:81", 0, 1 },
    { 1, "example.com", 0, 0 },
    { 1, ".example.com", 0, 0 },
    { 1, "www.example.org", 0, 2 },
    { 1, "www.example.com", 0, 1 }, /* host 1's wildcard comes first */
    { 1, "www.example", 0, 0 },
    { 1, "host.test", 0, 3 },
    { 1, "HOST.test.", 0, 3 },
    { 1, "hst.test", 0, 0 },
    { 1, "hoost.test", 0, 0 },
    { 1, "abc.test", 0, 4 },
    { 1, "axxbyyc.test", 0, 4 },
    { 1, "a.b.c.test", 0, 4 },
    { 1, "abcbc.test", 0, 4 },
    { 1, "ab.test", 0, 0 },
    { 1, "acb.test", 0, 0 },
    { 1, "[2001:db8::5]", 0, 5 },
    { 1, "[2001:db9::5]", 0, 0 },
    /* first in order wins, both ways */
    { 2, "www.shared.test", 0, 1 },
    { 2, "x.shared.test", 0, 1 },
    { 2, "beta.test", 0, 2 },
    { 2, "alpha.test", 0, 1 },
    { 3, "www.shared.test", 0, 1 },
    { 3, "WWW.Shared.Test.", 0, 1 },
    { 3, "x.shared.test", 0, 2 },
    { 3, "x.a.test", 0, 4 },
    { 3, "x.zz.test", 0, 3 },
    { 3, "shared.test", 0, 0 },
    { 4, "dup.test", 0, 1 },
    { 4, "other.test", 0, 2 },
    { 4, "x", 0, 2 },
    { 4, "[::1]", 0, 2 },
    { 4, "", 0, 0 },
    { 4, "bad host", 0, 0 },
    { 4, "a..b", 0, 0 },
    { 5, "port.test", 0, 1 },
    { 5, "port.test:80", 0, 1 },
    { 5, "[::1]:80", 0, 1 },
    { 5, "a.dot.test", 0, 2 },
    { 5, "a.dot.test.", 0, 2 },
    { 5, "[FE80::2]", 0, 3 },
};

static vhost_table_t *
build(const conf_add_t *conf)
{
    vhost_table_t *t;

    ck_assert_int_eq(vhost_table_create(&t, pool), APR_SUCCESS);
    for (; conf->host != 0; conf++)
        ck_assert_msg(vhost_table_add(t, conf->pattern, &hosts[conf->host]) == APR_SUCCESS,
                      "add %s", conf->pattern);
    vhost_table_freeze(t);
    return t;
}

static int
host_number(const void *v)
{
    return v == NULL ? 0 : (int)((const int *)v - hosts);
}

START_TEST(test_lookup_table)
{
    const lookup_case_t *c = &lookup_cases[_i];
    vhost_table_t *t = build(confs[c->conf]);
    size_t len = c->len ? c->len : strlen(c->host);

    ck_assert_msg(host_number(vhost_table_lookup(t, c->host, len)) == c->want,
                  "conf %d host \"%s\": got %d, want %d", c->conf, c->host,
                  host_number(vhost_table_lookup(t, c->host, len)), c->want);
}
END_TEST

START_TEST(test_null_and_unfrozen)
{
    vhost_table_t *t;

    ck_assert_int_eq(vhost_table_create(&t, pool), APR_SUCCESS);
    ck_assert_int_eq(vhost_table_add(t, "a.test", &hosts[1]), APR_SUCCESS);
    ck_assert_ptr_null(vhost_table_lookup(t, "a.test", 6)); /* not frozen yet */
    vhost_table_freeze(t);
    vhost_table_freeze(t);
    ck_assert_ptr_eq(vhost_table_lookup(t, "a.test", 6), &hosts[1]);
    ck_assert_ptr_null(vhost_table_lookup(t, NULL, 0));
    ck_assert_ptr_null(vhost_table_lookup(t, NULL, 6));
    ck_assert_ptr_null(vhost_table_lookup(t, "a.test", 0));
    ck_assert_int_eq(vhost_table_add(t, "b.test", &hosts[2]), APR_EINVAL);
    ck_assert_ptr_null(vhost_table_lookup(t, "b.test", 6));
}
END_TEST

START_TEST(test_empty_table)
{
    static const conf_add_t conf_none[] = { { 0, NULL } };
    vhost_table_t *t = build(conf_none);

    ck_assert_ptr_null(vhost_table_lookup(t, "example.com", 11));
}
END_TEST

/* ---- invalid patterns --------------------------------------------------------------- */

static const char *const bad_patterns[] = {
    "",        ".",      "..",     "a..b",       ".a",          "a b",   "a/b",  "caf\xc3\xa9",
    "a\tb",    "x%y",    "a,b",    "a@b",        "[::1",        "::1]",  "a[b]", "[]",
    "[g::1]",  "[::1]x", "[::1].", "host:port",  "host:80x",    "a:b",   ":80",  "a.b:80:80",
    "[::1]:a", "a]",     "*..x",   "a.b:80:80x", "[a.b:80:80]", "1:2:3",
};

START_TEST(test_bad_pattern_table)
{
    vhost_table_t *t;

    ck_assert_int_eq(vhost_table_create(&t, pool), APR_SUCCESS);
    ck_assert_msg(vhost_table_add(t, bad_patterns[_i], &hosts[1]) == APR_EINVAL, "\"%s\" accepted",
                  bad_patterns[_i]);
    ck_assert_int_eq(vhost_table_add(t, "*", &hosts[2]), APR_SUCCESS);
    vhost_table_freeze(t);
    ck_assert_ptr_eq(vhost_table_lookup(t, "x", 1), &hosts[2]); /* the table is unchanged */
}
END_TEST

START_TEST(test_bad_arguments_and_length)
{
    vhost_table_t *t;
    char name[EV_VHOST_PATTERN_MAX + 2];

    ck_assert_int_eq(vhost_table_create(&t, pool), APR_SUCCESS);
    ck_assert_int_eq(vhost_table_add(t, NULL, &hosts[1]), APR_EINVAL);
    ck_assert_int_eq(vhost_table_add(t, "a.test", NULL), APR_EINVAL);
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    ck_assert_int_eq(vhost_table_add(t, name, &hosts[1]), APR_EINVAL);
    name[EV_VHOST_PATTERN_MAX] = '\0';
    ck_assert_int_eq(vhost_table_add(t, name, &hosts[2]), APR_SUCCESS);
    ck_assert_int_eq(vhost_table_add(t, "*", &hosts[3]), APR_SUCCESS);
    vhost_table_freeze(t);
    ck_assert_ptr_eq(vhost_table_lookup(t, name, EV_VHOST_PATTERN_MAX), &hosts[2]);
    name[EV_VHOST_PATTERN_MAX] = '.'; /* a trailing dot does not count */
    ck_assert_ptr_eq(vhost_table_lookup(t, name, EV_VHOST_PATTERN_MAX + 1), &hosts[2]);
    name[EV_VHOST_PATTERN_MAX] = 'a'; /* one byte over: not even "*" matches */
    ck_assert_ptr_null(vhost_table_lookup(t, name, EV_VHOST_PATTERN_MAX + 1));
    ck_assert_ptr_eq(vhost_table_lookup(t, name, EV_VHOST_PATTERN_MAX - 1), &hosts[3]);
}
END_TEST

/* With a catch-all "*", any byte outside the host alphabet still finds nothing. */
START_TEST(test_foreign_bytes_never_match)
{
    vhost_table_t *t;
    char host[16];
    int b;

    ck_assert_int_eq(vhost_table_create(&t, pool), APR_SUCCESS);
    ck_assert_int_eq(vhost_table_add(t, "*", &hosts[1]), APR_SUCCESS);
    ck_assert_int_eq(vhost_table_add(t, "[*]", &hosts[1]), APR_SUCCESS);
    vhost_table_freeze(t);
    for (b = 0; b < 256; b++) {
        int allowed = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                      b == '-' || b == '_' || b == '.';
        host[0] = 'a';
        host[1] = (char)b;
        host[2] = 'b';
        ck_assert_msg((vhost_table_lookup(t, host, 3) != NULL) == allowed, "byte 0x%02x", b);
        memcpy(host, "[::", 3);
        host[3] = (char)b;
        host[4] = ']';
        allowed = (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') || (b >= '0' && b <= '9') ||
                  b == ':' || b == '.';
        ck_assert_msg((vhost_table_lookup(t, host, 5) != NULL) == allowed, "v6 byte 0x%02x", b);
    }
}
END_TEST

/* ---- randomized: first match in order, against fnmatch(3) ------------------------- */

static uint64_t rng_state;

static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13; /* xorshift64 */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* Dotted labels of 1..3 bytes from `alphabet`, 1..3 labels, into buf. */
static void
random_name(char *buf, const char *alphabet)
{
    size_t n = strlen(alphabet), pos = 0;
    unsigned labels = 1 + rng() % 3;

    for (unsigned l = 0; l < labels; l++) {
        unsigned bytes = 1 + rng() % 3;
        if (l > 0)
            buf[pos++] = '.';
        for (unsigned k = 0; k < bytes; k++)
            buf[pos++] = alphabet[rng() % n];
    }
    buf[pos] = '\0';
}

#define RAND_PATTERNS 40
#define RAND_HOSTS    5000

START_TEST(test_random_against_fnmatch)
{
    char pats[RAND_PATTERNS][16], host[16];
    int owner[RAND_PATTERNS];
    vhost_table_t *t;
    int h = 1;

    rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
    ck_assert_int_eq(vhost_table_create(&t, pool), APR_SUCCESS);
    for (int i = 0; i < RAND_PATTERNS; i++) {
        random_name(pats[i], rng() % 2 ? "aB" : "ab*?");
        if (i > 0 && rng() % 3 == 0 && h < MAX_HOSTS)
            h++;
        owner[i] = h;
        ck_assert_int_eq(vhost_table_add(t, pats[i], &hosts[h]), APR_SUCCESS);
    }
    vhost_table_freeze(t);
    for (int k = 0; k < RAND_HOSTS; k++) {
        int want = 0;
        random_name(host, "aAbB");
        for (int i = 0; i < RAND_PATTERNS && want == 0; i++)
            if (fnmatch(pats[i], host, FNM_CASEFOLD) == 0)
                want = owner[i];
        ck_assert_msg(host_number(vhost_table_lookup(t, host, strlen(host))) == want,
                      "seed %d host %s want %d", _i, host, want);
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

/* ns per lookup of `host`, which must find `want`. */
static double
time_lookup(const vhost_table_t *t, const char *host, const void *want, int iters)
{
    size_t len = strlen(host);
    uintptr_t sink = 0;
    double start;

    ck_assert_ptr_eq(vhost_table_lookup(t, host, len), want);
    start = now_ns();
    for (int i = 0; i < iters; i++)
        sink += (uintptr_t)vhost_table_lookup(t, host, len);
    ck_assert_uint_eq(sink, (uintptr_t)want * (uintptr_t)iters);
    return (now_ns() - start) / iters;
}

START_TEST(test_timing)
{
    vhost_table_t *one, *many, *wild;
    static int values[1000];
    char name[64];

    ck_assert_int_eq(vhost_table_create(&one, pool), APR_SUCCESS);
    ck_assert_int_eq(vhost_table_add(one, "host0000.example.com", &values[0]), APR_SUCCESS);
    vhost_table_freeze(one);
    ck_assert_int_eq(vhost_table_create(&many, pool), APR_SUCCESS);
    ck_assert_int_eq(vhost_table_create(&wild, pool), APR_SUCCESS);
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "host%04d.example.com", i);
        ck_assert_int_eq(vhost_table_add(many, name, &values[i]), APR_SUCCESS);
        if (i < 100) {
            snprintf(name, sizeof(name), "*.site%03d.example", i);
            ck_assert_int_eq(vhost_table_add(wild, name, &values[i]), APR_SUCCESS);
        }
    }
    vhost_table_freeze(many);
    vhost_table_freeze(wild);
    printf("vhost_match: 1 exact name: %.1f ns/lookup\n",
           time_lookup(one, "Host0000.example.com:8080", &values[0], 1 << 20));
    printf("vhost_match: 1000 exact names, 1st: %.1f ns, 1000th: %.1f ns, miss: %.1f ns\n",
           time_lookup(many, "Host0000.example.com:8080", &values[0], 1 << 20),
           time_lookup(many, "Host0999.example.com:8080", &values[999], 1 << 20),
           time_lookup(many, "nohost.example.com:8080", NULL, 1 << 20));
    printf("vhost_match: 100 wildcards, 1st: %.1f ns, 100th: %.1f ns, miss: %.1f ns\n",
           time_lookup(wild, "www.site000.example", &values[0], 1 << 18),
           time_lookup(wild, "www.site099.example", &values[99], 1 << 18),
           time_lookup(wild, "www.other.example", NULL, 1 << 18));
}
END_TEST

static Suite *
vhost_match_suite(void)
{
    Suite *s = suite_create("vhost_match");
    TCase *tc = tcase_create("core");
    TCase *timing = tcase_create("timing");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_lookup_table, 0,
                        (int)(sizeof(lookup_cases) / sizeof(lookup_cases[0])));
    tcase_add_test(tc, test_null_and_unfrozen);
    tcase_add_test(tc, test_empty_table);
    tcase_add_loop_test(tc, test_bad_pattern_table, 0,
                        (int)(sizeof(bad_patterns) / sizeof(bad_patterns[0])));
    tcase_add_test(tc, test_bad_arguments_and_length);
    tcase_add_test(tc, test_foreign_bytes_never_match);
    tcase_add_loop_test(tc, test_random_against_fnmatch, 0, 20);
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
    sr = srunner_create(vhost_match_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
