/*
 * test_mime.c — loading a mime.types file and looking types up by extension.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "mime.h"

static apr_pool_t *pool;
static char dir[64]; /* holds the tests' mime.types files; see dir_setup */

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

/* Unchecked fixture: runs in the parent, so the directory goes even if a test fails. */
static void
dir_setup(void)
{
    strcpy(dir, "/tmp/evhttpd-mime.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

/* Write `text` to a new file in the test directory and return its name. */
static const char *
temp_types(const char *text)
{
    static unsigned serial;
    char *name = apr_psprintf(pool, "%s/types.%u", dir, serial++);
    FILE *f = fopen(name, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    return name;
}

static const char sample[] = "# a comment line\n"
                             "   # an indented comment\n"
                             "\n"
                             "text/html\t\thtml htm\n"
                             "text/css css   # trailing comment gz\n"
                             "image/png\tPNG\n"
                             "application/gzip gz\n"
                             "application/x-first dup\n"
                             "application/x-second dup\n"
                             "application/x-noext\n"
                             "notatype foo\n"
                             "text/plain txt\r\n"
                             "image/svg+xml svg svgz"; /* no final newline */

typedef struct {
    const char *path;
    const char *want;
} lookup_case_t;

static const lookup_case_t lookups[] = {
    { "/index.html", "text/html" },
    { "/index.HTM", "text/html" },
    { "/Index.Html", "text/html" },
    { "/a/b/style.css", "text/css" },
    { "/img/logo.png", "image/png" },
    { "/img/logo.PnG", "image/png" },
    { "/a.tar.gz", "application/gzip" },
    { "/x.dup", "application/x-second" }, /* the last definition wins */
    { "/readme.txt", "text/plain" },      /* CRLF line ending */
    { "/pic.svgz", "image/svg+xml" },     /* last line without newline */
    { "/x.foo", EV_MIME_DEFAULT },        /* its line has no '/' in the type */
    { "/x.gz#", EV_MIME_DEFAULT },
    { "/.bashrc", EV_MIME_DEFAULT },
    { "/dir/.css", EV_MIME_DEFAULT },
    { "/name.", EV_MIME_DEFAULT },
    { "/Makefile", EV_MIME_DEFAULT },
    { "/dir.html/file", EV_MIME_DEFAULT }, /* the dot is in a directory name */
    { "/", EV_MIME_DEFAULT },
    { "", EV_MIME_DEFAULT },
    { "index.html", "text/html" }, /* a bare file name works too */
    { "/x.unknown", EV_MIME_DEFAULT },
    { "/x..html", "text/html" },
};

START_TEST(test_lookup_table)
{
    mime_t *m = NULL;

    ck_assert_int_eq(mime_load(&m, temp_types(sample), pool), APR_SUCCESS);
    ck_assert_str_eq(mime_type(m, lookups[_i].path), lookups[_i].want);
}
END_TEST

START_TEST(test_comment_hides_extensions)
{
    mime_t *m = NULL;

    ck_assert_int_eq(mime_load(&m, temp_types(sample), pool), APR_SUCCESS);
    /* "gz" after the '#' on the css line must not map to text/css. */
    ck_assert_str_eq(mime_type(m, "/a.gz"), "application/gzip");
    ck_assert_str_eq(mime_type(m, "/a.trailing"), EV_MIME_DEFAULT);
    ck_assert_str_eq(mime_type(m, "/a.comment"), EV_MIME_DEFAULT);
}
END_TEST

START_TEST(test_long_extension)
{
    char line[256], path[256], ext[EV_MIME_EXT_MAX + 2];
    mime_t *m = NULL;

    memset(ext, 'e', sizeof(ext) - 1);
    ext[sizeof(ext) - 1] = '\0';
    /* One byte over the limit is ignored at load time and at lookup time. */
    snprintf(line, sizeof(line), "text/x-long %s %.*s\n", ext, EV_MIME_EXT_MAX, ext);
    ck_assert_int_eq(mime_load(&m, temp_types(line), pool), APR_SUCCESS);
    snprintf(path, sizeof(path), "/f.%s", ext);
    ck_assert_str_eq(mime_type(m, path), EV_MIME_DEFAULT);
    snprintf(path, sizeof(path), "/f.%.*s", EV_MIME_EXT_MAX, ext);
    ck_assert_str_eq(mime_type(m, path), "text/x-long");
}
END_TEST

START_TEST(test_missing_file)
{
    mime_t *m = NULL;
    apr_status_t rv = mime_load(&m, "/nonexistent/evhttpd/mime.types", pool);

    ck_assert(APR_STATUS_IS_ENOENT(rv));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(mime_type(m, "/index.html"), EV_MIME_DEFAULT);
}
END_TEST

START_TEST(test_directory_is_an_error)
{
    mime_t *m = NULL;

    ck_assert_int_ne(mime_load(&m, "/tmp", pool), APR_SUCCESS);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(mime_type(m, "/a.html"), EV_MIME_DEFAULT);
}
END_TEST

START_TEST(test_empty_file)
{
    mime_t *m = NULL;

    ck_assert_int_eq(mime_load(&m, temp_types(""), pool), APR_SUCCESS);
    ck_assert_str_eq(mime_type(m, "/a.html"), EV_MIME_DEFAULT);
}
END_TEST

START_TEST(test_system_types)
{
    static const lookup_case_t sys[] = {
        { "/index.html", "text/html" },   { "/style.css", "text/css" },
        { "/app.js", "text/javascript" }, { "/logo.png", "image/png" },
        { "/logo.svg", "image/svg+xml" },
    };
    mime_t *m = NULL;

    if (access("/etc/mime.types", R_OK) != 0)
        return; /* no system table here: the temp-file tests cover the parser */
    ck_assert_int_eq(mime_load(&m, "/etc/mime.types", pool), APR_SUCCESS);
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
        const char *t = mime_type(m, sys[i].path);

        /* Older tables map .js to application/javascript; both name JavaScript. */
        if (strcmp(sys[i].path, "/app.js") == 0)
            ck_assert_msg(strcmp(t, "text/javascript") == 0 ||
                              strcmp(t, "application/javascript") == 0,
                          "js: %s", t);
        else
            ck_assert_str_eq(t, sys[i].want);
    }
}
END_TEST

static Suite *
mime_suite(void)
{
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("mime");

    tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_lookup_table, 0, (int)(sizeof(lookups) / sizeof(lookups[0])));
    tcase_add_test(tc, test_comment_hides_extensions);
    tcase_add_test(tc, test_long_extension);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_directory_is_an_error);
    tcase_add_test(tc, test_empty_file);
    tcase_add_test(tc, test_system_types);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(mime_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
