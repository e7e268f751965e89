/*
 * test_response.c — sending a segmented response: memory and file segments, a file
 * segment small enough to be read and sent with the head (copy_max) or sent with
 * sendfile, resuming after EAGAIN from where the socket stopped, and a file that
 * shrank before it was sent.
 *
 * The peer is a socketpair with a small send buffer; the test reads what arrives and
 * compares it byte for byte with what the segments promised.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <apr_general.h>
#include <check.h>

#include "response.h"

#define FILE_SIZE 100000

static apr_pool_t *pool;
static int sv[2];     /* [0] the server's end (non-blocking), [1] the client's */
static int file_fd;   /* FILE_SIZE bytes: byte i is (i * 7) & 0xff */
static char path[64]; /* the file's name */

static void
setup(void)
{
    unsigned char buf[FILE_SIZE];
    int i, size = 16384;

    apr_pool_create(&pool, NULL);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
    strcpy(path, "/tmp/evresp-XXXXXX");
    file_fd = mkstemp(path);
    ck_assert_int_ge(file_fd, 0);
    for (i = 0; i < FILE_SIZE; i++)
        buf[i] = (unsigned char)(i * 7);
    ck_assert_int_eq(write(file_fd, buf, sizeof(buf)), FILE_SIZE);
}

static void
teardown(void)
{
    close(sv[0]);
    close(sv[1]);
    unlink(path);
    response_thread_done();
    apr_pool_destroy(pool);
}

/* Send r to the end, draining the client side whenever the socket is full; returns
 * what the client received (from pool) and its length, and the last result. */
static resp_result_t
send_all(response_t *r, char **out, size_t *len)
{
    size_t cap = 4 * FILE_SIZE, n = 0;
    char *got = apr_palloc(pool, cap);
    resp_result_t rr;
    int rounds = 0;

    while ((rr = response_send(r, sv[0])) == RESP_AGAIN) {
        ssize_t k = read(sv[1], got + n, cap - n);
        ck_assert_int_gt(k, 0);
        n += (size_t)k;
        ck_assert_int_lt(++rounds, 10000);
    }
    for (;;) {
        ssize_t k = recv(sv[1], got + n, cap - n, MSG_DONTWAIT);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    *out = got;
    *len = n;
    return rr;
}

static void
assert_file_bytes(const char *got, size_t off, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        ck_assert_msg((unsigned char)got[i] == (unsigned char)((off + i) * 7),
                      "byte %zu of the file part differs", off + i);
}

/* head + file, by copy (copy_max above the file) and by sendfile (copy_max 0), each
 * resumed across many EAGAINs of a 16 KiB socket buffer. */
START_TEST(test_head_and_file)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
    response_t r;
    char *got;
    size_t len;

    response_init(&r);
    response_add_mem(&r, head, (apr_off_t)strlen(head), pool);
    response_add_file(&r, 0, FILE_SIZE, pool);
    r.file_fd = dup(file_fd);
    r.copy_max = _i == 0 ? 131072 : 0;
    ck_assert_int_eq(send_all(&r, &got, &len), RESP_DONE);
    ck_assert_uint_eq(len, strlen(head) + FILE_SIZE);
    ck_assert_mem_eq(got, head, strlen(head));
    assert_file_bytes(got + strlen(head), 0, FILE_SIZE);
    ck_assert_int_eq(r.sent, (apr_off_t)len);
    response_reset(&r);
}
END_TEST

/* Several file ranges between memory parts (a multipart answer), all within copy_max:
 * gathered in order. */
START_TEST(test_ranges_between_parts)
{
    response_t r;
    char *got;
    size_t len, at = 0;

    response_init(&r);
    response_add_mem(&r, "<a>", 3, pool);
    response_add_file(&r, 10, 100, pool);
    response_add_mem(&r, "<b>", 3, pool);
    response_add_file(&r, 5000, 7000, pool);
    response_add_mem(&r, "<c>", 3, pool);
    r.file_fd = dup(file_fd);
    r.copy_max = 131072;
    ck_assert_int_eq(send_all(&r, &got, &len), RESP_DONE);
    ck_assert_uint_eq(len, 9 + 7100);
    ck_assert_mem_eq(got, "<a>", 3);
    at = 3;
    assert_file_bytes(got + at, 10, 100);
    at += 100;
    ck_assert_mem_eq(got + at, "<b>", 3);
    at += 3;
    assert_file_bytes(got + at, 5000, 7000);
    at += 7000;
    ck_assert_mem_eq(got + at, "<c>", 3);
    response_reset(&r);
}
END_TEST

/* A file that shrank below the promised length: the copy cannot read it whole, and
 * sendfile meets the end: an error (the connection closes), not a hang or a lie. */
START_TEST(test_file_shrank)
{
    response_t r;
    char *got;
    size_t len;

    response_init(&r);
    response_add_mem(&r, "head", 4, pool);
    response_add_file(&r, 0, FILE_SIZE, pool);
    r.file_fd = dup(file_fd);
    r.copy_max = _i == 0 ? 131072 : 0;
    ck_assert_int_eq(ftruncate(file_fd, 1000), 0);
    ck_assert_int_eq(send_all(&r, &got, &len), RESP_ERROR);
    ck_assert_uint_le(len, 4 + 1000);
    response_reset(&r);
}
END_TEST

static Suite *
response_suite(void)
{
    Suite *s = suite_create("response");
    TCase *tc = tcase_create("response");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_head_and_file, 0, 2);
    tcase_add_test(tc, test_ranges_between_parts);
    tcase_add_loop_test(tc, test_file_shrank, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(response_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
