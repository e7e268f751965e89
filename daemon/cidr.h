/*
 * cidr.h — IP networks written as "address[/prefix]", and whether a client is in one.
 *
 * Used by StatusAllow, ProxyProtocolTrusted and `Require ip`. Pure: no I/O, no
 * logging, no shared state; parsing allocates only a message, matching nothing.
 */
#ifndef EV_CIDR_H
#define EV_CIDR_H

#include <sys/socket.h>

#include <apr_pools.h>
#include <apr_tables.h>

/* An address and a prefix length. cidr_parse leaves host bits as written; cidr_mask
 * clears them, and matching expects them cleared. */
typedef struct {
    int family;             /* APR_INET or APR_INET6 */
    unsigned char addr[16]; /* the network, in network byte order (IPv4: the first 4 bytes) */
    int prefix;             /* leading bits that must match: 0..32 (IPv4) or 0..128 (IPv6) */
} ev_cidr_t;

/*
 * cidr_parse: "address" or "address/prefix", IPv4 or IPv6, into *out. An IPv4-mapped
 * IPv6 network (::ffff:a.b.c.d/96 and longer) becomes the IPv4 one, since clients of a
 * dual-stack socket are matched as IPv4. Returns NULL, or the reason the text is not a
 * network (a static string, or one allocated from p). Thread-safe.
 */
const char *cidr_parse(const char *arg, ev_cidr_t *out, apr_pool_t *p);

/* cidr_mask: clears the bits past the prefix; returns 1 when one of them was set (the
 * text named a host inside the network, more likely a typo than an intent). */
int cidr_mask(ev_cidr_t *c);

/*
 * cidr_list_has: whether the client at `sa` is inside one of the networks in `nets`
 * (ev_cidr_t entries, host bits cleared). An IPv4-mapped IPv6 address (a v4 client on
 * a dual-stack socket) is matched as the IPv4 address it carries. Families other than
 * AF_INET and AF_INET6 never match. Returns 1 or 0. Thread-safe, no allocation.
 */
int cidr_list_has(const apr_array_header_t *nets, const struct sockaddr *sa);

#endif
