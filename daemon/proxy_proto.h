/*
 * proxy_proto.h — the PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1
 * and 2) that a load balancer sends ahead of the client's bytes to pass on the
 * client's address.
 *
 * Use: on a listener marked `proxy`, the listener thread passes every byte received so
 * far on a freshly accepted socket (peeked with MSG_PEEK, or read into the connection's
 * buffer) to proxy_proto_parse. DONE: the header is exactly `consumed` bytes, and the
 * parser never needs a byte past it, so a caller that peeked reads exactly that many to
 * drop it and the HTTP bytes behind it stay in the socket (one that read keeps
 * buf[consumed..len) as the start of the request). MORE: wait for more (under a
 * timeout) and call again with all the bytes; the buffer must hold at least
 * PROXY_PROTO_MAX_HEADER bytes, the most a MORE can ask for. BAD: close the connection
 * and log `reason`.
 *
 * Strict, because the header decides which address the server trusts and logs: the
 * parser refuses at the first byte that no continuation can make valid (a plain HTTP
 * client on a proxy port is refused on its first byte), so a peer that does not speak
 * the protocol is not left waiting for a timeout. The one deferral: the finer points of
 * IPv6 syntax are settled by inet_pton at the SP that ends the address.
 * Pure: no allocation, no I/O, no shared state, no logging; thread-safe.
 */
#ifndef EV_PROXY_PROTO_H
#define EV_PROXY_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes a header may take, and so the most the listener needs to peek: the
 * smallest TCP segment every host must accept (576 - 40), which the spec recommends as
 * the receive buffer. A v2 header announcing more is refused. */
#define PROXY_PROTO_MAX_HEADER 536

/* Longest v1 line, CRLF included ("PROXY UNKNOWN" + two full IPv6 addresses + ports). */
#define PROXY_PROTO_V1_MAX_LINE 107

/* Outcome of proxy_proto_parse. */
typedef enum {
    PROXY_PROTO_MORE = 0, /* a valid proper prefix of a header: call again with more bytes */
    PROXY_PROTO_DONE = 1, /* a complete header: the result is filled in */
    PROXY_PROTO_BAD = -1  /* not a header, whatever follows: reason says why */
} proxy_proto_rc_t;

/* What a header says. On MORE and BAD every field is zero but reason (set on BAD). */
typedef struct {
    size_t consumed;       /* DONE: bytes of the header (v1 through its CRLF; v2 16 + length) */
    int version;           /* DONE: 1 or 2 */
    int local;             /* 1: v2 LOCAL command, v2 UNSPEC family or v1 "UNKNOWN": keep the
                              socket's own addresses (all the address fields are zero) */
    int family;            /* AF_INET or AF_INET6 when !local, AF_UNSPEC otherwise */
    unsigned char src[16]; /* source address, network byte order; 4 bytes used for
                              AF_INET, the other 12 are zero */
    unsigned char dst[16]; /* destination address, likewise */
    uint16_t src_port;     /* source TCP port, host byte order */
    uint16_t dst_port;     /* destination TCP port, host byte order */
    const char *reason;    /* BAD: a short static English reason for the log, e.g.
                              "bad signature"; NULL otherwise */
} proxy_proto_t;

/*
 * proxy_proto_parse: parse the header at the start of buf[0..len), which holds every
 * byte received so far from the start of the connection (the parser keeps no state
 * between calls; it reads the whole header again each time). Never reads buf[consumed]
 * or beyond, nor anything past buf[len). buf may be NULL only when len is 0.
 * Returns:
 *   PROXY_PROTO_MORE: buf[0..len) can still become a header; call again with more
 *     bytes. Never returned for len >= PROXY_PROTO_MAX_HEADER.
 *   PROXY_PROTO_DONE: *out describes the header of out->consumed bytes
 *     (<= PROXY_PROTO_MAX_HEADER); bytes after it are not looked at.
 *   PROXY_PROTO_BAD: out->reason is set; the bytes are not a header of either version
 *     and no further bytes can make them one. Once a prefix is BAD, so is every longer
 *     input; once it is DONE, every longer input is DONE with the same result.
 * What is accepted:
 *   v1: "PROXY TCP4 " or "PROXY TCP6 ", source and destination address, source and
 *     destination port, fields separated by exactly one SP, ending in CRLF; or
 *     "PROXY UNKNOWN" followed by anything up to CRLF (local). At most
 *     PROXY_PROTO_V1_MAX_LINE bytes. IPv4 is a strict dotted quad (0-255, no leading
 *     zeros); IPv6 is what inet_pton accepts, checked on the fly for what can never
 *     become valid and wholly at the SP that ends it; ports are 0-65535 without leading
 *     zeros. A CR not followed by LF, or an LF alone, is BAD.
 *   v2: signature, version 2, command LOCAL (local, family and addresses ignored) or
 *     PROXY with TCP over IPv4 (0x11) or IPv6 (0x21), or UNSPEC (0x00: local). UDP and
 *     AF_UNIX are BAD ("unsupported address family"), as is any other family byte. The
 *     length must cover the address block; TLVs after it are skipped but must tile the
 *     rest exactly (a 3-byte header and its value each). CRC32C is not checked.
 * Thread-safe; no allocation, no I/O.
 */
proxy_proto_rc_t proxy_proto_parse(const char *buf, size_t len, proxy_proto_t *out);

/*
 * proxy_proto_src_text: the source address of a DONE result as text (inet_ntop) in the
 * caller's dst of `size` bytes (46, INET6_ADDRSTRLEN, is always enough). Returns dst,
 * or NULL when p->local (the socket's own peer address applies) or when size is too
 * small. Thread-safe; no allocation.
 */
const char *proxy_proto_src_text(const proxy_proto_t *p, char *dst, size_t size);

#endif
