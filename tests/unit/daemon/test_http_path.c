/*
 * test_http_path.c — request-target normalization and confined opening.
 *
 * The open tests share one tree, built in a temporary directory by an unchecked fixture
 * (run in the parent process, so it is removed even when a test fails):
 *   base/outside.txt           a file outside the root
 *   base/root/file.txt         "hello"
 *   base/root/sub/inner.txt    "inner"
 *   base/root/sub/up  -> ../file.txt          relative, stays inside
 *   base/root/in      -> sub/inner.txt        relative, stays inside
 *   base/root/etc     -> /etc                 absolute, outside
 *   base/root/abs_in  -> <root>/file.txt      absolute, back inside
 *   base/root/escape  -> ../outside.txt       relative, leads out
 *   base/root/loop    -> loop
 *   base/root/fifo                            a FIFO with no writer
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "http_path.h"

static apr_pool_t *pool;      /* per test */
static apr_pool_t *tree_pool; /* the shared tree's names */
static char base[64];
static char *root;
static int root_fd = -1;

/* ---- normalization ---------------------------------------------------------------- */

typedef struct {
    const char *target;
    size_t len; /* 0: strlen(target) */
    int status;
    const char *want; /* expected path when status is 0 */
} norm_case_t;

static const norm_case_t norm_cases[] = {
    { "/", 0, 0, "/" },
    { "/index.html", 0, 0, "/index.html" },
    { "/a/b/", 0, 0, "/a/b/" },
    { "//etc", 0, 0, "/etc" },
    { "/a//b///c", 0, 0, "/a/b/c" },
    { "/a/./b", 0, 0, "/a/b" },
    { "/a/b/..", 0, 0, "/a/" },
    { "/a/b/../c", 0, 0, "/a/c" },
    { "/a/.", 0, 0, "/a/" },
    { "/.", 0, 0, "/" },
    { "/a/..", 0, 0, "/" },
    { "/...", 0, 0, "/..." },
    { "/..a/.b", 0, 0, "/..a/.b" },
    { "/.bashrc", 0, 0, "/.bashrc" },
    { "/a/%2e%2E/b", 0, 0, "/b" },
    { "/%2e/a", 0, 0, "/a" },
    { "/a%20b", 0, 0, "/a b" },
    { "/caf%C3%a9", 0, 0, "/caf\xc3\xa9" },
    { "/raw\xc3\xa9", 0, 0, "/raw\xc3\xa9" },
    { "/a%3Fb", 0, 0, "/a?b" },
    { "/a%23b", 0, 0, "/a#b" },
    { "/a\\b", 0, 0, "/a\\b" },
    { "/a%5c..%5cb", 0, 0, "/a\\..\\b" },
    { "/p?x=../../etc", 0, 0, "/p" },
    { "/p?%zz%00", 0, 0, "/p" },
    { "/d/?q", 0, 0, "/d/" },
    { "/?", 0, 0, "/" },
    /* climbing above the root */
    { "/..", 0, 400, NULL },
    { "/../etc/passwd", 0, 400, NULL },
    { "/a/../../etc/passwd", 0, 400, NULL },
    { "/%2e%2e/etc", 0, 400, NULL },
    { "/%2E%2e/", 0, 400, NULL },
    { "/.%2e", 0, 400, NULL },
    { "/a/.%2e/../x", 0, 400, NULL },
    { "/a/./../..", 0, 400, NULL },
    /* encoded slash */
    { "/a%2Fb", 0, 404, NULL },
    { "/a%2fb", 0, 404, NULL },
    { "/%2e%2e%2fetc", 0, 404, NULL },
    /* NUL and control bytes, raw or encoded */
    { "/a%00b", 0, 400, NULL },
    { "/a\0b", 4, 400, NULL },
    { "/a%0ab", 0, 400, NULL },
    { "/a%0D%0Ab", 0, 400, NULL },
    { "/a%1f", 0, 400, NULL },
    { "/a%7F", 0, 400, NULL },
    { "/a b", 0, 400, NULL },
    { "/a\tb", 0, 400, NULL },
    { "/a\x7f", 0, 400, NULL },
    { "/a#frag", 0, 400, NULL },
    /* malformed escapes */
    { "/a%", 0, 400, NULL },
    { "/a%2", 0, 400, NULL },
    { "/a%zz", 0, 400, NULL },
    { "/a%g0", 0, 400, NULL },
    { "/a%2?x", 0, 400, NULL },
    { "/a%%41", 0, 400, NULL },
    /* not origin-form */
    { "", 0, 400, NULL },
    { "a/b", 0, 400, NULL },
    { "*", 0, 400, NULL },
    { "?x", 0, 400, NULL },
    { "http://h/x", 0, 400, NULL },
};

START_TEST(test_normalize_table)
{
    const norm_case_t *c = &norm_cases[_i];
    size_t len = c->len ? c->len : strlen(c->target);
    char out[256];
    size_t outlen = 12345;
    int status;

    status = http_path_normalize(c->target, len, out, sizeof(out), &outlen);
    ck_assert_msg(status == c->status, "case %d (%s): status %d, want %d", _i, c->target, status,
                  c->status);
    if (c->status == 0) {
        ck_assert_str_eq(out, c->want);
        ck_assert_uint_eq(outlen, strlen(c->want));
    }
}
END_TEST

START_TEST(test_normalize_outsize)
{
    char out[8];
    size_t outlen;

    /* "/abc" plus NUL fits in 5 bytes, not in 4. */
    ck_assert_int_eq(http_path_normalize("/abc", 4, out, 5, &outlen), 0);
    ck_assert_str_eq(out, "/abc");
    ck_assert_int_eq(http_path_normalize("/abc", 4, out, 4, &outlen), 414);
    ck_assert_int_eq(http_path_normalize("/", 1, out, 1, &outlen), 414);
    ck_assert_int_eq(http_path_normalize("/", 1, out, 2, &outlen), 0);
    ck_assert_str_eq(out, "/");
    /* Decoding shrinks the path: a buffer shorter than the raw target can be enough. */
    ck_assert_int_eq(http_path_normalize("/%41%42%43%44%45%46", 19, out, 8, &outlen), 0);
    ck_assert_str_eq(out, "/ABCDEF");
    ck_assert_int_eq(http_path_normalize("/abcdefgh", 9, out, sizeof(out), &outlen), 414);
}
END_TEST

START_TEST(test_normalize_length_bounds_target)
{
    /* The target is not NUL-terminated: bytes past len must not be read as part of it. */
    char out[32];
    size_t outlen;

    ck_assert_int_eq(http_path_normalize("/abc/../../x", 4, out, sizeof(out), &outlen), 0);
    ck_assert_str_eq(out, "/abc");
    ck_assert_int_eq(http_path_normalize("/a%41", 3, out, sizeof(out), &outlen), 400);
}
END_TEST

START_TEST(test_query_start)
{
    ck_assert_uint_eq(http_path_query_start("/a?b?c", 6), 2);
    ck_assert_uint_eq(http_path_query_start("/a", 2), 2);
    ck_assert_uint_eq(http_path_query_start("/a?", 3), 2);
    ck_assert_uint_eq(http_path_query_start("/ab?x", 2), 2);
}
END_TEST

/* ---- opening beneath the root --------------------------------------------------------- */

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

static void
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void
make_link(const char *target, const char *name)
{
    ck_assert_int_eq(symlink(target, apr_pstrcat(tree_pool, root, "/", name, NULL)), 0);
}

static void
tree_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&tree_pool, NULL), APR_SUCCESS);
    strcpy(base, "/tmp/evhttpd-path.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
    root = apr_pstrcat(tree_pool, base, "/root", NULL);
    ck_assert_int_eq(mkdir(root, 0755), 0);
    ck_assert_int_eq(mkdir(apr_pstrcat(tree_pool, root, "/sub", NULL), 0755), 0);
    write_file(apr_pstrcat(tree_pool, base, "/outside.txt", NULL), "secret");
    write_file(apr_pstrcat(tree_pool, root, "/file.txt", NULL), "hello");
    write_file(apr_pstrcat(tree_pool, root, "/sub/inner.txt", NULL), "inner");
    make_link("../file.txt", "sub/up");
    make_link("sub/inner.txt", "in");
    make_link("/etc", "etc");
    make_link(apr_pstrcat(tree_pool, root, "/file.txt", NULL), "abs_in");
    make_link("../outside.txt", "escape");
    make_link("loop", "loop");
    ck_assert_int_eq(mkfifo(apr_pstrcat(tree_pool, root, "/fifo", NULL), 0644), 0);
    root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(root_fd, 0);
}

static void
tree_teardown(void)
{
    static const char *const names[] = { "sub/up", "sub/inner.txt", "in",   "etc",     "abs_in",
                                         "escape", "loop",          "fifo", "file.txt" };

    close(root_fd);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(apr_pstrcat(tree_pool, root, "/", names[i], NULL));
    rmdir(apr_pstrcat(tree_pool, root, "/sub", NULL));
    rmdir(root);
    unlink(apr_pstrcat(tree_pool, base, "/outside.txt", NULL));
    rmdir(base);
    apr_pool_destroy(tree_pool);
}

typedef struct {
    const char *path;
    int beneath;      /* errno expected from http_path_open_beneath */
    int walk;         /* errno expected from http_path_open_walk */
    const char *text; /* content when the open succeeds on a regular file */
} open_case_t;

static const open_case_t open_cases[] = {
    { "/file.txt", 0, 0, "hello" },
    { "/sub/inner.txt", 0, 0, "inner" },
    { "/sub/up", 0, ELOOP, "hello" },      /* relative symlink with "..", stays inside */
    { "/in", 0, ELOOP, "inner" },          /* relative symlink inside */
    { "/etc/passwd", EXDEV, ELOOP, NULL }, /* symlink to /etc */
    { "/etc", EXDEV, ELOOP, NULL },
    { "/abs_in", EXDEV, ELOOP, NULL }, /* RESOLVE_BENEATH refuses absolute links */
    { "/escape", EXDEV, ELOOP, NULL }, /* relative symlink leading out */
    { "/loop", ELOOP, ELOOP, NULL },
    { "/../outside.txt", EXDEV, EXDEV, NULL }, /* never normalized, still confined */
    { "/missing", ENOENT, ENOENT, NULL },
    { "/sub/missing/x", ENOENT, ENOENT, NULL },
    { "/file.txt/x", ENOTDIR, ENOTDIR, NULL },
    { "/file.txt/", ENOTDIR, ENOTDIR, NULL },
    { "/sub", 0, 0, NULL },
    { "/sub/", 0, 0, NULL },
    { "/", 0, 0, NULL },
    { "/fifo", 0, 0, NULL }, /* O_NONBLOCK: no writer, yet no wait */
};

/* The lowest free descriptor: equal before and after a call means nothing leaked. */
static int
lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    ck_assert_int_ge(fd, 0);
    close(fd);
    return fd;
}

static void
check_open(const open_case_t *c, int err, int want, int fd)
{
    char buf[16];
    ssize_t n;

    ck_assert_msg(err == want, "%s: errno %d (%s), want %d (%s)", c->path, err, strerror(err), want,
                  strerror(want));
    if (err != 0)
        return;
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    if (c->text != NULL) {
        n = read(fd, buf, sizeof(buf) - 1);
        ck_assert_int_eq(n, (ssize_t)strlen(c->text));
        buf[n] = '\0';
        ck_assert_str_eq(buf, c->text);
    }
    close(fd);
}

START_TEST(test_open_beneath_table)
{
    const open_case_t *c = &open_cases[_i];
    int before = lowest_free_fd();
    int fd = -1;

    int err = http_path_open_beneath(root_fd, c->path, 0, &fd);

    check_open(c, err, c->beneath, fd);
    ck_assert_int_eq(lowest_free_fd(), before);
}
END_TEST

START_TEST(test_open_walk_table)
{
    const open_case_t *c = &open_cases[_i];
    int before = lowest_free_fd();
    int fd = -1;

    int err = http_path_open_walk(root_fd, c->path, 0, &fd);

    check_open(c, err, c->walk, fd);
    ck_assert_int_eq(lowest_free_fd(), before);
}
END_TEST

START_TEST(test_open_kinds)
{
    struct stat st;
    int fd;

    ck_assert_int_eq(http_path_open_beneath(root_fd, "/sub", 0, &fd), 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    close(fd);
    ck_assert_int_eq(http_path_open_beneath(root_fd, "/fifo", 0, &fd), 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    close(fd);
    ck_assert_int_eq(http_path_open_beneath(root_fd, "/file.txt", O_DIRECTORY, &fd), ENOTDIR);
    ck_assert_int_eq(http_path_open_walk(root_fd, "/file.txt", O_DIRECTORY, &fd), ENOTDIR);
    ck_assert_int_eq(http_path_open_beneath(root_fd, "/in", O_NOFOLLOW, &fd), ELOOP);
}
END_TEST

START_TEST(test_open_bad_arguments)
{
    int fd;

    ck_assert_int_eq(http_path_open_beneath(root_fd, "/file.txt", O_WRONLY, &fd), EINVAL);
    ck_assert_int_eq(http_path_open_beneath(root_fd, "/new", O_CREAT, &fd), EINVAL);
    ck_assert_int_eq(http_path_open_beneath(root_fd, "file.txt", 0, &fd), EINVAL);
    ck_assert_int_eq(http_path_open_walk(root_fd, "/file.txt", O_RDWR, &fd), EINVAL);
    ck_assert_int_eq(http_path_open_walk(root_fd, "file.txt", 0, &fd), EINVAL);
    ck_assert_int_ne(access(apr_pstrcat(pool, root, "/new", NULL), F_OK), 0);
}
END_TEST

START_TEST(test_open_name_too_long)
{
    char path[NAME_MAX + 3];
    int fd;

    path[0] = '/';
    memset(path + 1, 'x', NAME_MAX + 1);
    path[NAME_MAX + 2] = '\0';
    ck_assert_int_eq(http_path_open_beneath(root_fd, path, 0, &fd), ENAMETOOLONG);
    ck_assert_int_eq(http_path_open_walk(root_fd, path, 0, &fd), ENAMETOOLONG);
}
END_TEST

/* Normalization and confinement together, as the static handler chains them. */
START_TEST(test_pipeline)
{
    static const struct {
        const char *target;
        int status;
    } cases[] = {
        { "/sub/../file.txt", 200 },    { "/%66ile.txt", 200 }, { "/sub/%2e%2e/file.txt", 200 },
        { "/%2e%2e/outside.txt", 400 }, { "/escape", 403 },     { "/etc/passwd", 403 },
        { "/etc%2fpasswd", 404 },       { "/missing", 404 },    { "/sub//up?x", 200 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[64];
        size_t len;
        int fd = -1, err, status;

        status =
            http_path_normalize(cases[i].target, strlen(cases[i].target), path, sizeof(path), &len);
        if (status == 0) {
            err = http_path_open_beneath(root_fd, path, 0, &fd);
            status = err == 0 ? 200 : http_path_errno_status(err);
        }
        ck_assert_msg(status == cases[i].status, "%s: %d, want %d", cases[i].target, status,
                      cases[i].status);
        if (fd >= 0)
            close(fd);
    }
}
END_TEST

START_TEST(test_errno_status)
{
    static const int map[][2] = {
        { ENOENT, 404 }, { ENOTDIR, 404 }, { EACCES, 403 }, { EPERM, 403 },
        { EXDEV, 403 },  { ELOOP, 403 },   { ENXIO, 403 },  { ENAMETOOLONG, 414 },
        { EMFILE, 500 }, { EIO, 500 },     { 0, 500 },
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        ck_assert_int_eq(http_path_errno_status(map[i][0]), map[i][1]);
}
END_TEST

static Suite *
http_path_suite(void)
{
    Suite *s = suite_create("http_path");
    TCase *norm = tcase_create("normalize");
    TCase *open_tc = tcase_create("open");
    tcase_add_loop_test(norm, test_normalize_table, 0,
                        (int)(sizeof(norm_cases) / sizeof(norm_cases[0])));
    tcase_add_test(norm, test_normalize_outsize);
    tcase_add_test(norm, test_normalize_length_bounds_target);
    tcase_add_test(norm, test_query_start);
    tcase_add_test(norm, test_errno_status);
    suite_add_tcase(s, norm);

    tcase_add_unchecked_fixture(open_tc, tree_setup, tree_teardown);
    tcase_add_checked_fixture(open_tc, pool_setup, pool_teardown);
    tcase_add_loop_test(open_tc, test_open_beneath_table, 0,
                        (int)(sizeof(open_cases) / sizeof(open_cases[0])));
    tcase_add_loop_test(open_tc, test_open_walk_table, 0,
                        (int)(sizeof(open_cases) / sizeof(open_cases[0])));
    tcase_add_test(open_tc, test_open_kinds);
    tcase_add_test(open_tc, test_open_bad_arguments);
    tcase_add_test(open_tc, test_open_name_too_long);
    tcase_add_test(open_tc, test_pipeline);
    suite_add_tcase(s, open_tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(http_path_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
