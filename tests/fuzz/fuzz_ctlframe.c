/*
 * fuzz_ctlframe.c — libFuzzer harness for the control socket's input: the frame reader
 * (ctlframe.h) and the protobuf-c decoding of what it delivers (evctl.proto).
 *
 * Input, a small header and then the bytes a peer sends on the socket:
 *   byte 0   bits 0-2  k = 1 + value: the number of chunk-size bytes that follow
 *            bits 3-4  the reader's max: 0 CTLFRAME_MAX_REQUEST (the daemon's),
 *                      1 CTLFRAME_MAX_REPLY (evctl's), 2 24 bytes, 3 one byte; the small
 *                      ones put the TOOBIG boundary within reach of short inputs
 *            bit 5     how a whole frame is consumed: 0 in place, then
 *                      ctlframe_reader_free (as ctl_server.c and evctl do), 1 with
 *                      ctlframe_reader_take
 *   k bytes  chunk sizes, used in turn and cyclically: 1..255 bytes are written to a
 *            pipe at a time, so frames arrive cut anywhere; 0 first calls the reader
 *            with nothing new, which must answer AGAIN and change nothing, then sends 1
 *   the rest the stream: frames back to back, whatever they hold
 * After each chunk the reader (non-blocking read end) is called until it answers AGAIN;
 * at the end the write end is closed and the reader must answer EOF. TOOBIG ends the
 * stream, as the daemon then answers and closes.
 *
 * Reader checks: the state stays consistent (hdr_have <= 4, body_have <= body_len, a
 * body only once its length passed the check, nothing consumed that was not written);
 * a body is never longer than max; DONE delivers exactly the announced bytes of the
 * stream at the frame's offset, and says DONE again without reading; AGAIN only once
 * everything written is consumed, and take refuses a partial frame; TOOBIG reports the
 * announced length (0 or above max) and sticks; EOF tells mid-frame by hdr_have.
 *
 * Every whole frame is decoded three ways: as a Request the way ctl_server.c does
 * (pool-backed allocator, one pool per request; then its version and command checks),
 * as a Request with the NULL allocator then free_unpacked (so LeakSanitizer sees what
 * protobuf-c allocates), and as a Reply with the NULL allocator, as evctl does. The two
 * Request decodings must agree (same packed bytes); a decoded message must be
 * structurally sound (a set oneof has its member, strings and repeated fields are
 * there) and its packing canonical: pack, unpack, pack gives the same bytes (unless
 * it holds a field numbered 0: see fuzz_ctlframe_has_field_zero), and
 * get_packed_size tells the size. Any broken promise abort()s, which libFuzzer records
 * as a crash. (libprotobuf-c itself is the system's, not instrumented: its coverage is
 * not seen, its memory errors are.)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "ctlframe.h"
#include "evctl.pb-c.h"

#define FUZZ_CTLFRAME_HEADER 1 /* bytes before the chunk sizes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One fuzz input's stream and where the reader is in it. */
typedef struct {
    const uint8_t *stream; /* the bytes the peer sends */
    size_t len;            /* how many */
    size_t written;        /* bytes written to the pipe so far */
    size_t pos;            /* offset of the frame being read */
    int take;              /* consume frames with ctlframe_reader_take */
    int rfd, wfd;          /* the pipe: the reader's end (non-blocking), the peer's */
} fuzz_ctlframe_t;

static apr_pool_t *fuzz_ctlframe_pool; /* parent of every request's pool */

/* A broken promise: name it, then abort() so that libFuzzer keeps the input. */
static void
fuzz_ctlframe_fail(const char *what, int line)
{
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, line, what);
    abort();
}

#define FUZZ_EXPECT(cond) ((cond) ? (void)0 : fuzz_ctlframe_fail(#cond, __LINE__))

/* ---- decoding ---- */

/* ctl_server.c's allocator: everything from the request's pool, nothing freed alone. */
static void *
fuzz_ctlframe_palloc(void *data, size_t size)
{
    return apr_palloc(data, size);
}

static void
fuzz_ctlframe_pfree(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

/* m packed into a malloc'd buffer of *len bytes; the size must be the one announced. */
static uint8_t *
fuzz_ctlframe_pack(const ProtobufCMessage *m, size_t *len)
{
    uint8_t *buf;

    *len = protobuf_c_message_get_packed_size(m);
    buf = malloc(*len ? *len : 1);
    if (buf == NULL)
        abort();
    FUZZ_EXPECT(protobuf_c_message_pack(m, buf) == *len);
    return buf;
}

/*
 * Whether m or a message inside it holds an unknown field numbered 0. libprotobuf-c
 * accepts one when its key is an overlong varint (0x82 0x00) and packs it back in
 * the short form (0x02), which it then refuses: a quirk of the library, harmless to
 * evhttpd (neither side packs what it received), so such messages skip the
 * canonical-packing check.
 */
static int
fuzz_ctlframe_has_field_zero(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    unsigned i;
    size_t j, n;

    for (j = 0; j < m->n_unknown_fields; j++)
        if (m->unknown_fields[j].tag == 0)
            return 1;
    for (i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];

        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            ProtobufCMessage *const *sub = *(ProtobufCMessage *const *const *)(base + f->offset);

            n = *(const size_t *)(base + f->quantifier_offset);
            for (j = 0; j < n; j++)
                if (fuzz_ctlframe_has_field_zero(sub[j]))
                    return 1;
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue; /* another member of the oneof holds the union */
        if (*(ProtobufCMessage *const *)(base + f->offset) != NULL &&
            fuzz_ctlframe_has_field_zero(*(ProtobufCMessage *const *)(base + f->offset)))
            return 1;
    }
    return 0;
}

/* Packing is canonical: what m packs to decodes to a message that packs the same. */
static void
fuzz_ctlframe_canonical(const ProtobufCMessage *m)
{
    ProtobufCMessage *again;
    uint8_t *a, *b;
    size_t alen, blen;

    a = fuzz_ctlframe_pack(m, &alen);
    if (fuzz_ctlframe_has_field_zero(m)) {
        free(a);
        return;
    }
    again = protobuf_c_message_unpack(m->descriptor, NULL, alen, a);
    FUZZ_EXPECT(again != NULL);
    b = fuzz_ctlframe_pack(again, &blen);
    FUZZ_EXPECT(alen == blen && memcmp(a, b, alen) == 0);
    protobuf_c_message_free_unpacked(again, NULL);
    free(a);
    free(b);
}

/* A set oneof member is there; the daemon's handler dereferences it. */
static void
fuzz_ctlframe_check_request(const Evhttpd__Ctl__Request *req)
{
    switch (req->command_case) {
    case EVHTTPD__CTL__REQUEST__COMMAND__NOT_SET:
        break;
    case EVHTTPD__CTL__REQUEST__COMMAND_STATUS:
    case EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL:
    case EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL_STOP:
    case EVHTTPD__CTL__REQUEST__COMMAND_STOP:
    case EVHTTPD__CTL__REQUEST__COMMAND_CONFIGTEST:
    case EVHTTPD__CTL__REQUEST__COMMAND_REOPEN_LOGS:
    case EVHTTPD__CTL__REQUEST__COMMAND_RESTART:
    case EVHTTPD__CTL__REQUEST__COMMAND_VERSION_CMD:
        FUZZ_EXPECT(req->status != NULL); /* any member: they share the union */
        break;
    default:
        FUZZ_EXPECT(!"a command_case outside the oneof");
    }
    if (req->command_case == EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL)
        FUZZ_EXPECT(req->graceful->wait == 0 || req->graceful->wait == 1);
    if (req->command_case == EVHTTPD__CTL__REQUEST__COMMAND_GRACEFUL_STOP)
        FUZZ_EXPECT(req->graceful_stop->wait == 0 || req->graceful_stop->wait == 1);
}

/* The daemon's path: unpack from a pool, as ctl_request does (it then answers by
 * version and command_case). Also the NULL allocator's decoding, which must give the
 * same message. */
static void
fuzz_ctlframe_request(const uint8_t *body, size_t len)
{
    ProtobufCAllocator alloc = { fuzz_ctlframe_palloc, fuzz_ctlframe_pfree, NULL };
    Evhttpd__Ctl__Request *req, *plain;
    uint8_t *a, *b;
    size_t alen, blen;
    apr_pool_t *p;

    if (apr_pool_create(&p, fuzz_ctlframe_pool) != APR_SUCCESS)
        abort();
    alloc.allocator_data = p;
    req = evhttpd__ctl__request__unpack(&alloc, len, body);
    plain = evhttpd__ctl__request__unpack(NULL, len, body);
    FUZZ_EXPECT((req == NULL) == (plain == NULL));
    if (req != NULL) {
        fuzz_ctlframe_check_request(req);
        FUZZ_EXPECT(req->version == plain->version && req->command_case == plain->command_case);
        a = fuzz_ctlframe_pack(&req->base, &alen);
        b = fuzz_ctlframe_pack(&plain->base, &blen);
        FUZZ_EXPECT(alen == blen && memcmp(a, b, alen) == 0);
        free(a);
        free(b);
        fuzz_ctlframe_canonical(&plain->base);
        evhttpd__ctl__request__free_unpacked(plain, NULL);
    }
    apr_pool_destroy(p);
}

/* evctl's path: what it prints must be there. */
static void
fuzz_ctlframe_reply(const uint8_t *body, size_t len)
{
    Evhttpd__Ctl__Reply *rep = evhttpd__ctl__reply__unpack(NULL, len, body);
    const Evhttpd__Ctl__StatusSnapshot *snap;
    size_t i;

    if (rep == NULL)
        return;
    FUZZ_EXPECT(rep->message != NULL);
    FUZZ_EXPECT(rep->n_config_messages == 0 || rep->config_messages != NULL);
    for (i = 0; i < rep->n_config_messages; i++)
        FUZZ_EXPECT(rep->config_messages[i] != NULL);
    if ((snap = rep->snapshot) != NULL) {
        FUZZ_EXPECT(snap->server_version != NULL);
        FUZZ_EXPECT(snap->n_processes == 0 || snap->processes != NULL);
        for (i = 0; i < snap->n_processes; i++)
            FUZZ_EXPECT(snap->processes[i] != NULL && snap->processes[i]->state != NULL);
    }
    fuzz_ctlframe_canonical(&rep->base);
    evhttpd__ctl__reply__free_unpacked(rep, NULL);
}

/* ---- reading ---- */

static uint32_t
fuzz_ctlframe_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* What holds after every call, whatever it returned. */
static void
fuzz_ctlframe_state(const fuzz_ctlframe_t *f, const ctlframe_reader_t *r, size_t max)
{
    FUZZ_EXPECT(r->max == max && r->hdr_have <= 4 && r->body_have <= r->body_len);
    FUZZ_EXPECT(r->hdr_have == 4 || (r->body == NULL && r->body_have == 0));
    FUZZ_EXPECT(r->body == NULL || (r->body_len >= 1 && r->body_len <= max));
    FUZZ_EXPECT(f->pos + r->hdr_have + r->body_have <= f->written);
}

/* A whole frame: check it against the stream, decode it, consume it. */
static void
fuzz_ctlframe_done(fuzz_ctlframe_t *f, ctlframe_reader_t *r, size_t max)
{
    const uint8_t *frame = f->stream + f->pos;
    size_t len = r->body_len, took_len = 0;
    uint8_t *body = r->body, *took;

    FUZZ_EXPECT(body != NULL && r->hdr_have == 4 && r->body_have == len);
    FUZZ_EXPECT(len >= 1 && len <= max);
    FUZZ_EXPECT(memcmp(r->hdr, frame, 4) == 0 && fuzz_ctlframe_be32(frame) == len);
    FUZZ_EXPECT(memcmp(body, frame + 4, len) == 0);
    /* DONE again, without reading: the next frame's bytes stay in the pipe. */
    FUZZ_EXPECT(ctlframe_read(r, f->rfd) == CTLFRAME_DONE);
    FUZZ_EXPECT(r->body == body && r->body_have == len);

    fuzz_ctlframe_request(body, len);
    fuzz_ctlframe_reply(body, len);

    if (f->take) {
        took = ctlframe_reader_take(r, &took_len);
        FUZZ_EXPECT(took == body && took_len == len);
        FUZZ_EXPECT(ctlframe_reader_take(r, &took_len) == NULL);
        free(took);
    } else {
        ctlframe_reader_free(r);
    }
    FUZZ_EXPECT(r->body == NULL && r->hdr_have == 0 && r->body_have == 0 && r->max == max);
    f->pos += 4 + len;
}

/* Calls the reader until the pipe is drained; returns 0 when TOOBIG ended the stream. */
static int
fuzz_ctlframe_drain(fuzz_ctlframe_t *f, ctlframe_reader_t *r, size_t max)
{
    size_t took_len = 0;
    int rc;

    for (;;) {
        rc = ctlframe_read(r, f->rfd);
        fuzz_ctlframe_state(f, r, max);
        switch (rc) {
        case CTLFRAME_DONE:
            fuzz_ctlframe_done(f, r, max);
            continue;
        case CTLFRAME_AGAIN:
            FUZZ_EXPECT(f->pos + r->hdr_have + r->body_have == f->written);
            FUZZ_EXPECT(ctlframe_reader_take(r, &took_len) == NULL);
            return 1;
        case CTLFRAME_TOOBIG:
            FUZZ_EXPECT(r->hdr_have == 4 && r->body == NULL);
            FUZZ_EXPECT(r->body_len == fuzz_ctlframe_be32(f->stream + f->pos));
            FUZZ_EXPECT(r->body_len == 0 || r->body_len > max);
            FUZZ_EXPECT(ctlframe_read(r, f->rfd) == CTLFRAME_TOOBIG);
            return 0;
        default: /* EOF before the peer closed, or a read error */
            FUZZ_EXPECT(!"DONE, AGAIN or TOOBIG while the peer is connected");
        }
    }
}

/* The peer has closed: EOF, mid-frame exactly when bytes of a frame were read. */
static void
fuzz_ctlframe_eof(fuzz_ctlframe_t *f, ctlframe_reader_t *r, size_t max)
{
    int i;

    close(f->wfd);
    f->wfd = -1;
    for (i = 0; i < 2; i++) {
        FUZZ_EXPECT(ctlframe_read(r, f->rfd) == CTLFRAME_EOF);
        fuzz_ctlframe_state(f, r, max);
        FUZZ_EXPECT(f->pos + r->hdr_have + r->body_have == f->len);
        FUZZ_EXPECT((r->hdr_have > 0) == (f->pos < f->len));
    }
}

static void
fuzz_ctlframe_write(fuzz_ctlframe_t *f, size_t n)
{
    ssize_t w = write(f->wfd, f->stream + f->written, n);

    FUZZ_EXPECT(w == (ssize_t)n); /* at most 255 bytes into a drained pipe */
    f->written += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t maxes[] = { CTLFRAME_MAX_REQUEST, CTLFRAME_MAX_REPLY, 24, 1 };
    fuzz_ctlframe_t f = { 0 };
    ctlframe_reader_t r;
    const uint8_t *sizes;
    size_t nsizes, max, turn = 0, piece, before;
    int fds[2], connected = 1;

    if (fuzz_ctlframe_pool == NULL) {
        if (apr_initialize() != APR_SUCCESS ||
            apr_pool_create(&fuzz_ctlframe_pool, NULL) != APR_SUCCESS)
            abort();
    }
    if (size < FUZZ_CTLFRAME_HEADER)
        return 0;
    nsizes = 1 + (data[0] & 7);
    if (size < FUZZ_CTLFRAME_HEADER + nsizes)
        return 0;
    max = maxes[(data[0] >> 3) & 3];
    f.take = (data[0] >> 5) & 1;
    sizes = data + FUZZ_CTLFRAME_HEADER;
    f.stream = sizes + nsizes;
    f.len = size - FUZZ_CTLFRAME_HEADER - nsizes;
    if (pipe(fds) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        perror("fuzz_ctlframe: pipe");
        abort();
    }
    f.rfd = fds[0];
    f.wfd = fds[1];

    ctlframe_reader_init(&r, max);
    while (connected && f.written < f.len) {
        piece = sizes[turn++ % nsizes];
        if (piece == 0) {
            before = r.hdr_have + r.body_have;
            FUZZ_EXPECT(ctlframe_read(&r, f.rfd) == CTLFRAME_AGAIN);
            FUZZ_EXPECT(r.hdr_have + r.body_have == before);
            piece = 1;
        }
        fuzz_ctlframe_write(&f, piece < f.len - f.written ? piece : f.len - f.written);
        connected = fuzz_ctlframe_drain(&f, &r, max);
    }
    if (connected)
        fuzz_ctlframe_eof(&f, &r, max);
    ctlframe_reader_free(&r);
    close(f.rfd);
    if (f.wfd >= 0)
        close(f.wfd);
    return 0;
}
