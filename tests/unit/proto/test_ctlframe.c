/*
 * test_ctlframe.c — the control framing: encoding, round trips of real protocol
 * messages, the incremental reader on blocking and non-blocking sockets, the length
 * limits and every way a peer can stop short.
 *
 * Every test works on a fresh AF_UNIX socketpair. Nothing sleeps: a non-blocking
 * reader is driven by alternating non-blocking writes and reads in a bounded loop.
 * ctlframe uses no APR, so the tests need no pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <check.h>

#include "ctlframe.h"
#include "evctl.pb-c.h"

static int sv[2]; /* sv[0]: the writer's end, sv[1]: the reader's */

static void
setup(void)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void
teardown(void)
{
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
}

static void
set_nonblock(int fd)
{
    ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

static void
close_writer(void)
{
    close(sv[0]);
    sv[0] = -1;
}

static void
put_raw(const void *buf, size_t len)
{
    ck_assert_int_eq(ctlframe_write_all(sv[0], buf, len), 0);
}

/* A header announcing `len`. */
static void
put_header(uint32_t len)
{
    uint8_t h[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                     (uint8_t)len };

    put_raw(h, sizeof(h));
}

/* A payload of `len` bytes where each byte depends on its offset, so a misplaced byte
 * shows. */
static uint8_t *
pattern(size_t len)
{
    uint8_t *p = malloc(len);
    size_t i;

    ck_assert_ptr_nonnull(p);
    for (i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 7 + i / 251);
    return p;
}

/*
 * Push `frame` through the socketpair into `r` with both ends non-blocking, so frames
 * larger than the socket buffer need no second thread. Returns the reader's last
 * result. The loop is bounded: each round moves at least one byte or reads a result.
 */
static int
pump(ctlframe_reader_t *r, const uint8_t *frame, size_t len)
{
    size_t sent = 0;
    int rounds, rc = CTLFRAME_AGAIN;

    set_nonblock(sv[0]);
    set_nonblock(sv[1]);
    for (rounds = 0; rounds < 100000; rounds++) {
        if (sent < len) {
            ssize_t n = write(sv[0], frame + sent, len - sent);

            if (n > 0)
                sent += (size_t)n;
            else
                ck_assert_msg(errno == EAGAIN, "write: %s", strerror(errno));
        }
        rc = ctlframe_read(r, sv[1]);
        if (rc != CTLFRAME_AGAIN)
            return rc;
        if (sent == len)
            break;
    }
    return rc;
}

/* ---- encode ------------------------------------------------------------------- */

START_TEST(test_encode_prefixes_big_endian_length)
{
    uint8_t *body = pattern(0x10203);
    size_t out_len = 0;
    uint8_t *f = ctlframe_encode(body, 0x10203, &out_len);

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(out_len, 0x10203 + 4);
    ck_assert_uint_eq(f[0], 0x00);
    ck_assert_uint_eq(f[1], 0x01);
    ck_assert_uint_eq(f[2], 0x02);
    ck_assert_uint_eq(f[3], 0x03);
    ck_assert_mem_eq(f + 4, body, 0x10203);
    free(f);
    free(body);
}
END_TEST

START_TEST(test_encode_refuses_empty_and_oversized)
{
    uint8_t b = 0;
    size_t out_len = 12345;

    errno = 0;
    ck_assert_ptr_null(ctlframe_encode(&b, 0, &out_len));
    ck_assert_int_eq(errno, EINVAL);
    /* the length is checked before the message is touched */
    errno = 0;
    ck_assert_ptr_null(ctlframe_encode(&b, (size_t)UINT32_MAX + 1, &out_len));
    ck_assert_int_eq(errno, EMSGSIZE);
    ck_assert_uint_eq(out_len, 12345);
}
END_TEST

/* ---- round trips of real messages ---------------------------------------------- */

static void
roundtrip_request(Evhttpd__Ctl__Request *req, size_t max)
{
    size_t len = evhttpd__ctl__request__get_packed_size(req);
    uint8_t *packed = malloc(len);
    size_t flen;
    uint8_t *frame;
    ctlframe_reader_t r;
    Evhttpd__Ctl__Request *back;

    ck_assert_ptr_nonnull(packed);
    evhttpd__ctl__request__pack(req, packed);
    frame = ctlframe_encode(packed, len, &flen);
    ck_assert_ptr_nonnull(frame);
    put_raw(frame, flen);
    ctlframe_reader_init(&r, max);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_DONE);
    ck_assert_uint_eq(r.body_len, len);
    ck_assert_mem_eq(r.body, packed, len);
    back = evhttpd__ctl__request__unpack(NULL, r.body_len, r.body);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(back->version, req->version);
    ck_assert_int_eq(back->command_case, req->command_case);
    if (req->command_case == EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL) {
        ck_assert_int_eq(back->graceful->wait, req->graceful->wait);
        ck_assert_uint_eq(back->graceful->timeout_seconds, req->graceful->timeout_seconds);
    }
    evhttpd__ctl__request__free_unpacked(back, NULL);
    ctlframe_reader_free(&r);
    free(frame);
    free(packed);
}

START_TEST(test_roundtrip_requests)
{
    Evhttpd__Ctl__Request req = EVHTTPD__CTL__REQUEST__INIT;
    Evhttpd__Ctl__Status st = EVHTTPD__CTL__STATUS__INIT;
    Evhttpd__Ctl__Graceful g = EVHTTPD__CTL__GRACEFUL__INIT;

    req.version = CTLFRAME_PROTOCOL_VERSION;
    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_STATUS;
    req.status = &st;
    roundtrip_request(&req, CTLFRAME_MAX_REQUEST);

    g.wait = 1;
    g.timeout_seconds = 90;
    req.command_case = EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL;
    req.graceful = &g;
    roundtrip_request(&req, CTLFRAME_MAX_REQUEST);
}
END_TEST

START_TEST(test_roundtrip_large_reply)
{
    enum { NPROC = 20000 };
    Evhttpd__Ctl__Reply rep = EVHTTPD__CTL__REPLY__INIT;
    Evhttpd__Ctl__StatusSnapshot snap = EVHTTPD__CTL__STATUS_SNAPSHOT__INIT;
    Evhttpd__Ctl__ProcessInfo *procs = calloc(NPROC, sizeof(*procs));
    Evhttpd__Ctl__ProcessInfo **pp = calloc(NPROC, sizeof(*pp));
    Evhttpd__Ctl__Reply *back;
    ctlframe_reader_t r;
    uint8_t *packed, *frame;
    size_t len, flen, i;

    ck_assert_ptr_nonnull(procs);
    ck_assert_ptr_nonnull(pp);
    for (i = 0; i < NPROC; i++) {
        evhttpd__ctl__process_info__init(&procs[i]);
        procs[i].slot = (uint32_t)i;
        procs[i].pid = (int32_t)(1000 + i);
        procs[i].bytes = (uint64_t)i << 40;
        procs[i].state = (char *)"running";
        pp[i] = &procs[i];
    }
    snap.server_version = (char *)"evhttpd/test";
    snap.n_processes = NPROC;
    snap.processes = pp;
    rep.version = CTLFRAME_PROTOCOL_VERSION;
    rep.snapshot = &snap;
    len = evhttpd__ctl__reply__get_packed_size(&rep);
    ck_assert_uint_gt(len, 256 * 1024); /* more than a socket buffer holds */
    packed = malloc(len);
    ck_assert_ptr_nonnull(packed);
    evhttpd__ctl__reply__pack(&rep, packed);
    frame = ctlframe_encode(packed, len, &flen);
    ck_assert_ptr_nonnull(frame);

    ctlframe_reader_init(&r, CTLFRAME_MAX_REPLY);
    ck_assert_int_eq(pump(&r, frame, flen), CTLFRAME_DONE);
    back = evhttpd__ctl__reply__unpack(NULL, r.body_len, r.body);
    ck_assert_ptr_nonnull(back);
    ck_assert_ptr_nonnull(back->snapshot);
    ck_assert_uint_eq(back->snapshot->n_processes, NPROC);
    ck_assert_int_eq(back->snapshot->processes[NPROC - 1]->pid, 1000 + NPROC - 1);
    ck_assert_uint_eq(back->snapshot->processes[NPROC - 1]->bytes, (uint64_t)(NPROC - 1) << 40);
    ck_assert_str_eq(back->snapshot->processes[7]->state, "running");
    evhttpd__ctl__reply__free_unpacked(back, NULL);
    ctlframe_reader_free(&r);
    free(frame);
    free(packed);
    free(pp);
    free(procs);
}
END_TEST

/* ---- the incremental reader ------------------------------------------------------ */

START_TEST(test_byte_by_byte)
{
    static const uint8_t msg[] = "evctl says hello";
    size_t flen, i;
    uint8_t *frame = ctlframe_encode(msg, sizeof(msg), &flen);
    ctlframe_reader_t r;

    ck_assert_ptr_nonnull(frame);
    set_nonblock(sv[1]);
    ctlframe_reader_init(&r, CTLFRAME_MAX_REQUEST);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_AGAIN);
    for (i = 0; i < flen; i++) {
        put_raw(frame + i, 1);
        ck_assert_int_eq(ctlframe_read(&r, sv[1]), i + 1 < flen ? CTLFRAME_AGAIN : CTLFRAME_DONE);
        ck_assert_uint_eq(r.hdr_have, i < 4 ? i + 1 : 4);
        if (i >= 4)
            ck_assert_uint_eq(r.body_have, i - 3);
    }
    ck_assert_uint_eq(r.body_len, sizeof(msg));
    ck_assert_mem_eq(r.body, msg, sizeof(msg));
    /* DONE is sticky and reads nothing more */
    put_raw("x", 1);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_DONE);
    ctlframe_reader_free(&r);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_AGAIN);
    ck_assert_uint_eq(r.hdr_have, 1);
    ctlframe_reader_free(&r);
    free(frame);
}
END_TEST

START_TEST(test_back_to_back_frames_are_read_one_at_a_time)
{
    static const uint8_t a[] = "first", b[] = "second frame";
    size_t la, lb, len;
    uint8_t *fa = ctlframe_encode(a, sizeof(a), &la);
    uint8_t *fb = ctlframe_encode(b, sizeof(b), &lb);
    uint8_t *body;
    ctlframe_reader_t r;

    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    put_raw(fa, la);
    put_raw(fb, lb);
    close_writer();
    ctlframe_reader_init(&r, 64);
    ck_assert_ptr_null(ctlframe_reader_take(&r, &len)); /* nothing held yet */
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_DONE);
    body = ctlframe_reader_take(&r, &len);
    ck_assert_ptr_nonnull(body);
    ck_assert_uint_eq(len, sizeof(a));
    ck_assert_mem_eq(body, a, sizeof(a));
    free(body);
    ck_assert_uint_eq(r.hdr_have, 0);
    ck_assert_ptr_null(r.body);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_DONE);
    ck_assert_uint_eq(r.body_len, sizeof(b));
    ck_assert_mem_eq(r.body, b, sizeof(b));
    ctlframe_reader_free(&r);
    /* and then the clean end of the stream */
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_EOF);
    ck_assert_uint_eq(r.hdr_have, 0);
    ctlframe_reader_free(&r);
    free(fa);
    free(fb);
}
END_TEST

START_TEST(test_again_on_empty_nonblocking_socket)
{
    ctlframe_reader_t r;

    set_nonblock(sv[1]);
    ctlframe_reader_init(&r, CTLFRAME_MAX_REQUEST);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_AGAIN);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_AGAIN);
    ck_assert_uint_eq(r.hdr_have, 0);
    ck_assert_ptr_null(r.body);
    /* mid-body too: the partial frame is kept */
    put_header(3);
    put_raw("ab", 2);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_AGAIN);
    ck_assert_uint_eq(r.body_have, 2);
    put_raw("c", 1);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_DONE);
    ck_assert_mem_eq(r.body, "abc", 3);
    ctlframe_reader_free(&r);
}
END_TEST

/* ---- lengths ------------------------------------------------------------------ */

static const struct {
    uint32_t announced; /* the header's length */
    size_t max;         /* the reader's limit */
    int result;         /* what ctlframe_read says */
} length_cases[] = {
    { 0, CTLFRAME_MAX_REQUEST, CTLFRAME_TOOBIG },
    { CTLFRAME_MAX_REQUEST + 1, CTLFRAME_MAX_REQUEST, CTLFRAME_TOOBIG },
    { CTLFRAME_MAX_REPLY + 1, CTLFRAME_MAX_REPLY, CTLFRAME_TOOBIG },
    { UINT32_MAX, CTLFRAME_MAX_REPLY, CTLFRAME_TOOBIG },
    { 0x80000000u, CTLFRAME_MAX_REQUEST, CTLFRAME_TOOBIG },
    { 2, 1, CTLFRAME_TOOBIG },
};

START_TEST(test_refused_lengths)
{
    ctlframe_reader_t r;

    put_header(length_cases[_i].announced);
    put_raw("payload", 7); /* bytes that must not be read as a body */
    ctlframe_reader_init(&r, length_cases[_i].max);
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), length_cases[_i].result);
    ck_assert_uint_eq(r.body_len, length_cases[_i].announced);
    ck_assert_ptr_null(r.body);
    /* the stream has lost its framing: the answer stays, nothing more is read */
    ck_assert_int_eq(ctlframe_read(&r, sv[1]), CTLFRAME_TOOBIG);
    ctlframe_reader_free(&r);
    set_nonblock(sv[1]);
    {
        char rest[16];

        ck_assert_int_eq(read(sv[1], rest, sizeof(rest)), 7);
    }
}
END_TEST

/* Exactly the 64 KiB request limit is accepted; one byte more is refused. */
START_TEST(test_request_limit_boundary)
{
    size_t len = CTLFRAME_MAX_REQUEST + (size_t)_i, flen;
    uint8_t *body = pattern(len);
    uint8_t *frame = ctlframe_encode(body, len, &flen);
    ctlframe_reader_t r;

    ck_assert_ptr_nonnull(frame);
    ctlframe_reader_init(&r, CTLFRAME_MAX_REQUEST);
    if (_i == 0) {
        ck_assert_int_eq(pump(&r, frame, flen), CTLFRAME_DONE);
        ck_assert_uint_eq(r.body_len, len);
        ck_assert_mem_eq(r.body, body, len);
    } else {
        ck_assert_int_eq(pump(&r, frame, flen), CTLFRAME_TOOBIG);
        ck_assert_uint_eq(r.body_len, len);
        ck_assert_ptr_null(r.body);
    }
    ctlframe_reader_free(&r);
    free(frame);
    free(body);
}
END_TEST

/* ---- the peer stops short ------------------------------------------------------ */

static const struct {
    const char *name;
    size_t bytes;    /* how many bytes of a 10-byte-body frame arrive before EOF */
    size_t hdr_have; /* what the reader then holds */
    size_t body_have;
} eof_cases[] = {
    { "nothing", 0, 0, 0 },  { "mid-header", 2, 2, 0 },      { "header only", 4, 4, 0 },
    { "mid-body", 9, 4, 5 }, { "one byte short", 13, 4, 9 },
};

START_TEST(test_eof)
{
    static const uint8_t msg[10] = "0123456789";
    size_t flen;
    uint8_t *frame = ctlframe_encode(msg, sizeof(msg), &flen);
    ctlframe_reader_t r;

    ck_assert_ptr_nonnull(frame);
    if (eof_cases[_i].bytes > 0)
        put_raw(frame, eof_cases[_i].bytes);
    close_writer();
    ctlframe_reader_init(&r, CTLFRAME_MAX_REQUEST);
    ck_assert_msg(ctlframe_read(&r, sv[1]) == CTLFRAME_EOF, "%s", eof_cases[_i].name);
    ck_assert_uint_eq(r.hdr_have, eof_cases[_i].hdr_have);
    ck_assert_uint_eq(r.body_have, eof_cases[_i].body_have);
    ctlframe_reader_free(&r);
    free(frame);
}
END_TEST

START_TEST(test_read_error_sets_errno)
{
    ctlframe_reader_t r;
    int fd = sv[1];

    close(fd);
    sv[1] = -1;
    ctlframe_reader_init(&r, CTLFRAME_MAX_REQUEST);
    errno = 0;
    ck_assert_int_eq(ctlframe_read(&r, fd), CTLFRAME_ERROR);
    ck_assert_int_eq(errno, EBADF);
    ctlframe_reader_free(&r);
}
END_TEST

START_TEST(test_write_all_to_closed_peer)
{
    uint8_t buf[16] = { 0 };

    close(sv[1]);
    sv[1] = -1;
    errno = 0;
    ck_assert_int_eq(ctlframe_write_all(sv[0], buf, sizeof(buf)), -1);
    ck_assert_int_eq(errno, EPIPE);
}
END_TEST

static Suite *
ctlframe_suite(void)
{
    Suite *s = suite_create("ctlframe");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_encode_prefixes_big_endian_length);
    tcase_add_test(tc, test_encode_refuses_empty_and_oversized);
    tcase_add_test(tc, test_roundtrip_requests);
    tcase_add_test(tc, test_roundtrip_large_reply);
    tcase_add_test(tc, test_byte_by_byte);
    tcase_add_test(tc, test_back_to_back_frames_are_read_one_at_a_time);
    tcase_add_test(tc, test_again_on_empty_nonblocking_socket);
    tcase_add_loop_test(tc, test_refused_lengths, 0,
                        (int)(sizeof(length_cases) / sizeof(length_cases[0])));
    tcase_add_loop_test(tc, test_request_limit_boundary, 0, 2);
    tcase_add_loop_test(tc, test_eof, 0, (int)(sizeof(eof_cases) / sizeof(eof_cases[0])));
    tcase_add_test(tc, test_read_error_sets_errno);
    tcase_add_test(tc, test_write_all_to_closed_peer);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(ctlframe_suite());
    int failed;

    /* a write to a closed peer must fail with EPIPE, not kill the test */
    signal(SIGPIPE, SIG_IGN);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
