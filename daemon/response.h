/*
 * response.h — a response as a list of segments, and the writer that sends it
 * without blocking.
 *
 * Segments are either memory (the head, error pages, multipart part heads) or a
 * byte range of one open file (sent with sendfile). Consecutive memory segments go
 * out in one writev; a memory segment followed by a file segment is sent with
 * MSG_MORE so the head and the first file bytes share packets.
 * Who: the worker serving the connection; the memory lives in the connection's
 * context pool, so it survives a park in write completion.
 */
#ifndef EV_RESPONSE_H
#define EV_RESPONSE_H

#include <apr_pools.h>

#define RESP_MAX_SEGS 8 /* inline segments; multipart responses allocate more */

typedef struct {
    const char *buf; /* memory segment, or NULL for a file segment */
    apr_off_t off;   /* file segment: offset in the file */
    apr_off_t len;   /* bytes to send */
} resp_seg_t;

typedef struct {
    resp_seg_t inline_segs[RESP_MAX_SEGS]; /* storage for the common case */
    resp_seg_t *segs;                      /* the segments (inline_segs or pool memory) */
    int nsegs;                             /* segments in use */
    int cap;                               /* capacity of segs */
    int cur;                               /* first segment not completely sent */
    apr_off_t cur_off;                     /* bytes of segs[cur] already sent */
    int file_fd;             /* the file the file segments read, or -1 (closed on reset
                              * unless borrowed) */
    int file_borrowed;       /* file_fd belongs to whoever `release` releases: not closed */
    apr_off_t copy_max;      /* file segments with at most this much left are read and sent
                              * with the memory before them (SendfileMinSize); 0: never */
    int status;              /* HTTP status, for the log */
    apr_off_t head_len;      /* bytes of the head (not counted as body) */
    apr_off_t sent;          /* bytes sent so far, head included */
    int keepalive;           /* 1 if the connection stays open afterwards */
    void (*release)(void *); /* run by response_reset, e.g. to drop a cached file the */
    void *release_arg;       /* memory segments point into; NULL: nothing */
} response_t;

typedef enum {
    RESP_DONE = 0, /* everything sent */
    RESP_AGAIN,    /* the socket would block: park in write completion */
    RESP_ERROR     /* the peer is gone: close */
} resp_result_t;

/* response_init: empty response, no file. */
void response_init(response_t *r);

/* response_reset: close the file (if any), run the release hook (if any) and empty
 * the response. */
void response_reset(response_t *r);

/* response_thread_done: free the calling thread's copy buffer (a worker, as it exits). */
void response_thread_done(void);

/* response_add_mem / response_add_file: append a segment; memory must outlive the
 * response (pool or static). Returns 0, or -1 if growing the array failed. */
int response_add_mem(response_t *r, const char *buf, apr_off_t len, apr_pool_t *p);
int response_add_file(response_t *r, apr_off_t off, apr_off_t len, apr_pool_t *p);

/* response_send: send what remains on non-blocking socket `fd`. */
resp_result_t response_send(response_t *r, int fd);

/* response_body_bytes: body bytes sent so far (for %b and the scoreboard). */
apr_off_t response_body_bytes(const response_t *r);

#endif
