/*
 * cidr.c — parsing networks and matching client addresses against them (cidr.h).
 *
 * Matching compares whole bytes, then the masked remainder of one byte: a list of a
 * few networks costs a few memcmp calls per request that asks.
 */
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include "cidr.h"
#include "config_syntax.h"

int
cidr_mask(ev_cidr_t *c)
{
    int i, bits = c->family == APR_INET ? 32 : 128, changed = 0;

    for (i = c->prefix; i < bits; i++) {
        unsigned char bit = (unsigned char)(0x80u >> (i % 8));

        if (c->addr[i / 8] & bit) {
            c->addr[i / 8] &= (unsigned char)~bit;
            changed = 1;
        }
    }
    return changed;
}

const char *
cidr_parse(const char *arg, ev_cidr_t *out, apr_pool_t *p)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    char host[INET6_ADDRSTRLEN];
    const char *slash = strchr(arg, '/');
    size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
    long long prefix;
    int max;

    memset(out, 0, sizeof(*out));
    if (n == 0 || n >= sizeof(host))
        return "is not an IPv4 or IPv6 address";
    memcpy(host, arg, n);
    host[n] = '\0';
    if (inet_pton(AF_INET, host, out->addr) == 1) {
        out->family = APR_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
        out->family = APR_INET6;
        max = 128;
    } else {
        return "is not an IPv4 or IPv6 address";
    }
    out->prefix = max;
    if (slash) {
        if (!apr_isdigit(slash[1]) || config_syntax_number(slash + 1, &prefix) != 0 || prefix > max)
            return apr_psprintf(p, "has a prefix length that is not 0..%d", max);
        out->prefix = (int)prefix;
    }
    if (out->family == APR_INET6 && out->prefix >= 96 && memcmp(out->addr, mapped, 12) == 0) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = APR_INET;
        out->prefix -= 96;
    }
    return NULL;
}

static int
cidr_has(const ev_cidr_t *c, int family, const unsigned char *addr)
{
    int full = c->prefix / 8, rest = c->prefix % 8;

    if (c->family != family)
        return 0;
    if (memcmp(c->addr, addr, (size_t)full) != 0)
        return 0;
    return rest == 0 || ((c->addr[full] ^ addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

int
cidr_list_has(const apr_array_header_t *nets, const struct sockaddr *sa)
{
    const unsigned char *addr;
    int family, i;

    if (sa->sa_family == AF_INET) {
        family = APR_INET;
        addr = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

        family = IN6_IS_ADDR_V4MAPPED(a6) ? APR_INET : APR_INET6;
        addr = a6->s6_addr + (family == APR_INET ? 12 : 0);
    } else {
        return 0;
    }
    for (i = 0; i < nets->nelts; i++)
        if (cidr_has(&APR_ARRAY_IDX(nets, i, ev_cidr_t), family, addr))
            return 1;
    return 0;
}
