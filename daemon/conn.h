/*
 * conn.h — a client connection and its recycled context.
 *
 * A conn_t lives as long as its socket and is small, because an idle keep-alive
 * connection keeps nothing else. A conn_ctx_t (the input buffer, the request being
 * served, the response being written, a pool for per-request allocations) is
 * attached only while the connection is being served or has bytes in flight:
 * parked in keep-alive or lingering close it goes back to the child's recycle stack.
 *
 * Ownership moves with the connection: exactly one of {the listener, one worker}
 * owns a conn_t at a time. The listener owns it while it is parked (in epoll and in a
 * timeout queue); a worker from fdqueue_pop until it parks or closes it. The hand-over
 * to the listener is the push on child->parked followed by the epoll re-arm, after
 * which the worker no longer touches it.
 */
#ifndef EV_CONN_H
#define EV_CONN_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <apr_pools.h>
#include <apr_network_io.h>
#include <apr_time.h>

#include "lfstack.h"
#include "chunked.h"
#include "http_parse.h"
#include "response.h"
#include "site.h"

struct child_t;

/* What is left of a request body nobody reads (static resources take none). */
enum { CONN_BODY_NONE = 0, CONN_BODY_LENGTH, CONN_BODY_CHUNKED };

typedef enum {
    CONN_READ = 0,  /* reading a request head (new connection, or a partial head) */
    CONN_WRITE,     /* a response is being written and the socket would block */
    CONN_KEEPALIVE, /* between requests, nothing buffered */
    CONN_LINGER,    /* our side shut down for writing; draining until the peer closes */
    CONN_PROXY      /* (listener-side) reading the PROXY protocol header */
} conn_state_t;

typedef struct conn_ctx_t {
    lfstack_node_t node;    /* link on child->free_ctx while recycled */
    apr_pool_t *pool;       /* ptrans: cleared when the context is recycled */
    apr_pool_t *preq;       /* per request: a child of pool, cleared after each request */
    char *buf;              /* input buffer (malloc'd base, may be replaced by a pool block) */
    size_t size;            /* bytes available at buf */
    size_t pos;             /* first unconsumed byte */
    size_t len;             /* end of received bytes */
    char *base_buf;         /* the context's own buffer, restored on recycle */
    http_request_t req;     /* the request being served (slices of buf) */
    http_parse_state_t pst; /* resumable parse of the head at buf + pos */
    http_field_t *fields;   /* storage for req.fields (LimitRequestFields entries) */
    response_t resp;        /* the response being written */
    size_t head_len;        /* bytes of the current request head in buf (from pos) */
    int body_mode;          /* CONN_BODY_*: a request body still to read and discard */
    apr_off_t body_left;    /* CONN_BODY_LENGTH: bytes of it still to come */
    chunked_t chunk;        /* CONN_BODY_CHUNKED: the decoder */
    apr_time_t body_start;  /* when discarding began (RequestReadTimeout body=) */
    apr_off_t body_bytes;   /* bytes of body received since then */
    int linger;             /* the client may still be sending: close with lingering */
    apr_time_t head_start;  /* when the first byte of the current request arrived */
    apr_time_t req_start;   /* when the request head was complete */
    char client_ip[48];     /* the peer address as text */
    const struct ev_site_t *site;    /* the site answering the current request */
    const struct ev_location_t *loc; /* its <Location> settings for the path, or NULL */
    char *path;                      /* the target's path normalized (preq), once a site's
                                      * <Location> lookup needed it; else NULL */
    size_t path_len;                 /* its length */
    int in_error_document;           /* its ErrorDocument is being served: no second one */
    char etag[48];                   /* the served file's ETag (EV_ETAG_CODED_LEN) */
    apr_time_t lastmod;              /* the served file's Last-Modified */
    apr_time_t now;                  /* the response's Date */
} conn_ctx_t;

typedef struct conn_t {
    lfstack_node_t node; /* link on child->parked or child->free_conns */
    struct conn_t *prev; /* timeout-queue links: listener-owned */
    struct conn_t *next;
    apr_time_t expiry;     /* when the listener gives up on it: listener-owned */
    int queue;             /* which timeout queue holds it, or -1: listener-owned */
    int fd;                /* the socket */
    conn_state_t state;    /* what it waits for */
    int in_epoll;          /* 1 once registered in the child's epoll */
    _Atomic int arming;    /* 1 while a worker is between its hand-over push and the epoll
                            * re-arm: the listener must not close the socket meanwhile */
    unsigned requests;     /* requests served on this connection */
    int keepalive_queue;   /* the keep-alive queue of the site that answered its last
                            * request (ev_site_t.keepalive_queue): its worker sets it
                            * before parking, the listener reads it after */
    conn_ctx_t *ctx;       /* attached context, or NULL while idle */
    struct child_t *child; /* the child it belongs to */
    union {
        struct sockaddr sa;
        struct sockaddr_in sin;
        struct sockaddr_in6 sin6;
    } peer;                    /* the client's address */
    apr_port_t local_port;     /* the port it came in on (for %p) */
    const site_group_t *group; /* the sites of the Listen it came in on */
} conn_t;

/* conn_process: a worker serves `c` until it parks or closes it (worker threads). */
void conn_process(conn_t *c, int worker_index);

/* conn_peer_text: the peer's address as text into buf (size >= INET6_ADDRSTRLEN); an
 * IPv4-mapped IPv6 address is written as the IPv4 one. Any thread. */
void conn_peer_text(const conn_t *c, char *buf, size_t size);

/* conn_close: close the socket and recycle the record and context (any owner). */
void conn_close(conn_t *c);

/* conn_ctx_get / conn_ctx_put: take a recycled context (listener only) / return one
 * (any thread). conn_ctx_get returns NULL only when memory is exhausted. */
conn_ctx_t *conn_ctx_get(struct child_t *ch);
void conn_ctx_put(struct child_t *ch, conn_ctx_t *ctx);

/* conn_get: a fresh record (listener only; NULL on ENOMEM). */
conn_t *conn_get(struct child_t *ch);

/* conn_free_all: release every recycled record and context (child exit, one thread). */
void conn_free_all(struct child_t *ch);

#endif
