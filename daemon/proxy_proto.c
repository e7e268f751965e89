/*
 * proxy_proto.c — the PROXY protocol header parser, versions 1 (text) and 2 (binary).
 *
 * Who: the listener thread, on the first bytes of a connection accepted on a `proxy`
 * listener, before the connection is handed to a worker. Owns nothing, allocates
 * nothing, keeps no state between calls: no locks, nothing for shutdown to reach.
 *
 * Shape: each call reads the header from its first byte. The caller keeps every byte
 * received so far in one buffer anyway, so a resumable state machine would buy nothing
 * for a header of at most 536 bytes; a stateless parser also cannot disagree with
 * itself about where a header ends. The first byte picks the version ('P' or the CR that
 * opens the v2 signature); anything else is refused there.
 *
 * Early refusal: every check runs on the bytes present, so the first byte that no
 * continuation can make valid gives BAD. v1 fields are read up to their terminator and
 * checked as prefixes (an IPv4 octet over 255 fails at its third digit, not at the SP);
 * IPv6 is checked for what can never become an address and left to inet_pton once its
 * SP arrives, so that what we accept is exactly the C library's IPv6 syntax. The v1
 * length cap is enforced against the fewest bytes the grammar still needs, so an
 * overlong UNKNOWN line fails at byte 106, not 108. v2 decides its length, the address
 * block and the TLV chain as soon as the bytes that fix them are in.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_proto.h"

#define PROXY_V2_SIG_LEN  12 /* the v2 signature */
#define PROXY_V2_HEAD     16 /* signature, version/command, family, length */
#define PROXY_V2_TLV_HEAD 3  /* type, 16-bit length */
#define PROXY_V2_PROXY    0x1

/* The longest text of each v1 field. IPv6 allows the dotted-quad tail inet_pton takes. */
#define PROXY_V1_IPV4_MAX 15 /* 255.255.255.255 */
#define PROXY_V1_IPV6_MAX 45 /* ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 */
#define PROXY_V1_PORT_MAX 5  /* 65535 */

/* The fewest bytes a v1 line can take after a point, for the length cap:
 * after "PROXY ", "UNKNOWN" CRLF; after "TCP", "6 " "::" SP "::" SP "0" SP "0" CRLF. */
#define PROXY_V1_AFTER_PROXY 9
#define PROXY_V1_AFTER_TCP   13

static const unsigned char proxy_v2_sig[PROXY_V2_SIG_LEN] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                              0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

/* The kinds of v1 field. */
enum { PROXY_V1_IPV4, PROXY_V1_IPV6, PROXY_V1_PORT };

/* A cursor over a v1 line. */
typedef struct {
    const unsigned char *buf; /* the line's first byte */
    size_t len;               /* bytes present, at most PROXY_PROTO_V1_MAX_LINE */
    size_t pos;               /* next byte to read */
    size_t need;              /* on MORE: fewest bytes the line still needs after len */
    const char *reason;       /* on BAD */
} proxy_v1_t;

static proxy_proto_rc_t
proxy_v1_bad(proxy_v1_t *v, const char *reason)
{
    v->reason = reason;
    return PROXY_PROTO_BAD;
}

static proxy_proto_rc_t
proxy_v1_more(proxy_v1_t *v, size_t need)
{
    v->need = need;
    return PROXY_PROTO_MORE;
}

/* Match lit at the cursor; `tail` is the fewest bytes the line takes after it.
 * DONE here and in the other v1 steps means "this part is complete". */
static proxy_proto_rc_t
proxy_v1_literal(proxy_v1_t *v, const char *lit, size_t tail, const char *reason)
{
    for (; *lit != '\0'; lit++, v->pos++) {
        if (v->pos == v->len)
            return proxy_v1_more(v, strlen(lit) + tail);
        if (v->buf[v->pos] != (unsigned char)*lit)
            return proxy_v1_bad(v, reason);
    }
    return PROXY_PROTO_DONE;
}

/* Whether tok[0..n) is, or with complete == 0 can still become, a strict decimal
 * number up to max without leading zeros; *value gets it. For IPv4 octets and ports. */
static int
proxy_v1_number(const unsigned char *tok, size_t n, int complete, unsigned max, unsigned *value)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (tok[i] < '0' || tok[i] > '9' || (i == 1 && v == 0))
            return 0;
        v = v * 10 + (unsigned)(tok[i] - '0');
        if (v > max)
            return 0;
    }
    *value = v;
    return !complete || n > 0;
}

/* An IPv4 dotted quad, or a prefix of one; addr gets the four bytes when complete. */
static int
proxy_v1_ipv4(const unsigned char *tok, size_t n, int complete, unsigned char *addr)
{
    size_t start = 0;
    unsigned octet;

    for (unsigned i = 0;; i++) {
        const unsigned char *dot = memchr(tok + start, '.', n - start);
        size_t end = dot != NULL ? (size_t)(dot - tok) : n;

        if (dot != NULL && i == 3)
            return 0;
        if (!proxy_v1_number(tok + start, end - start, dot != NULL || complete, 255, &octet))
            return 0;
        addr[i] = (unsigned char)octet;
        if (dot == NULL)
            return !complete || i == 3;
        start = end + 1;
    }
}

/*
 * Whether tok[0..n) can still begin an IPv6 address as inet_pton reads it: refuses a
 * byte outside hex digits, ':' and '.', a group of five digits, a lone leading ':', a
 * second "::", more than eight groups, and a dotted quad that is malformed, misplaced
 * or leaves the wrong number of groups. What passes here may still fail inet_pton at
 * the end (a group left empty by a trailing ':'); nothing that fails here could pass.
 */
static int
proxy_v1_ipv6_prefix(const unsigned char *tok, size_t n)
{
    unsigned groups = 0; /* 16-bit groups begun, a dotted quad counting two */
    unsigned digits = 0; /* digits of the group or octet being read */
    unsigned value = 0;  /* its value read as decimal */
    unsigned dots = 0;   /* dots of the dotted quad */
    int gap = 0;         /* "::" seen: it stands for at least one group */
    int hex = 0;         /* the group being read has a digit a-f: it cannot be an octet */
    int lead0 = 0;       /* the group or octet being read starts with '0' */

    for (size_t i = 0; i < n; i++) {
        unsigned char c = tok[i];
        int dec = c >= '0' && c <= '9';

        if (i == 1 && tok[0] == ':' && c != ':')
            return 0;
        if (c == ':') {
            if (dots > 0)
                return 0;
            if (i > 0 && tok[i - 1] == ':') {
                if (gap)
                    return 0;
                gap = 1;
            } else if (groups + (unsigned)gap >= 8) {
                return 0; /* the group or "::" that must follow would be one too many */
            }
            digits = value = 0;
            hex = 0;
        } else if (c == '.') {
            if (digits == 0 || dots == 3)
                return 0;
            if (dots == 0) {
                /* The group just read becomes the first octet; the quad is two groups,
                 * and as no ':' may follow, the count is final unless "::" fills it. */
                if (hex || digits > 3 || value > 255 || (lead0 && digits > 1))
                    return 0;
                groups++;
                if (gap ? groups + 1 > 8 : groups != 8)
                    return 0;
            }
            dots++;
            digits = value = 0;
        } else if (dec || (dots == 0 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
            if (digits == 0 && dots == 0 && ++groups + (unsigned)gap > 8)
                return 0;
            if (digits == 0)
                lead0 = c == '0';
            else if (dots > 0 && lead0)
                return 0;
            if (++digits > 4)
                return 0;
            hex |= !dec;
            value = value * 10 + (dec ? (unsigned)(c - '0') : 0);
            if (dots > 0 && value > 255)
                return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/* An IPv6 address, or a prefix of one; addr gets the sixteen bytes when complete. */
static int
proxy_v1_ipv6(const unsigned char *tok, size_t n, int complete, unsigned char *addr)
{
    char text[PROXY_V1_IPV6_MAX + 1];

    if (!proxy_v1_ipv6_prefix(tok, n))
        return 0;
    if (!complete)
        return 1;
    memcpy(text, tok, n);
    text[n] = '\0';
    return inet_pton(AF_INET6, text, addr) == 1;
}

/*
 * Read one field of `kind` up to its terminator `end` (SP, or CR for the last port),
 * checking what is present. `tail` is the fewest bytes the line takes after the
 * terminator. A CR or LF inside a field ends the line too early: BAD.
 */
static proxy_proto_rc_t
proxy_v1_field(proxy_v1_t *v, int kind, unsigned char end, size_t tail, unsigned char *addr,
               uint16_t *port)
{
    static const size_t max[] = { PROXY_V1_IPV4_MAX, PROXY_V1_IPV6_MAX, PROXY_V1_PORT_MAX };
    const unsigned char *tok = v->buf + v->pos;
    size_t avail = v->len - v->pos, n = 0;
    unsigned value = 0;
    int complete, ok;

    while (n < avail && n <= max[kind] && tok[n] != end && tok[n] != '\r' && tok[n] != '\n')
        n++;
    complete = n < avail && tok[n] == end;
    if (n > max[kind])
        ok = 0;
    else if (kind == PROXY_V1_IPV4)
        ok = proxy_v1_ipv4(tok, n, complete, addr);
    else if (kind == PROXY_V1_IPV6)
        ok = proxy_v1_ipv6(tok, n, complete, addr);
    else
        ok = proxy_v1_number(tok, n, complete, 65535, &value);
    if (!ok)
        return proxy_v1_bad(v, kind == PROXY_V1_PORT ? "bad v1 port" : "bad v1 address");
    if (n < avail && !complete)
        return proxy_v1_bad(v, tok[n] == '\n' ? "v1 bare LF" : "v1 line ends early");
    if (!complete)
        return proxy_v1_more(v, (n == 0 ? 2 : 1) + tail);
    if (port != NULL)
        *port = (uint16_t)value;
    v->pos += n + 1;
    return PROXY_PROTO_DONE;
}

/* "UNKNOWN", then anything but a lone CR or LF up to CRLF. */
static proxy_proto_rc_t
proxy_v1_unknown(proxy_v1_t *v, proxy_proto_t *r)
{
    proxy_proto_rc_t rc = proxy_v1_literal(v, "UNKNOWN", 2, "bad v1 protocol");

    if (rc != PROXY_PROTO_DONE)
        return rc;
    for (; v->pos < v->len; v->pos++) {
        if (v->buf[v->pos] == '\n')
            return proxy_v1_bad(v, "v1 bare LF");
        if (v->buf[v->pos] != '\r')
            continue;
        if (++v->pos == v->len)
            return proxy_v1_more(v, 1);
        if (v->buf[v->pos] != '\n')
            return proxy_v1_bad(v, "v1 CR without LF");
        r->local = 1;
        r->consumed = v->pos + 1;
        return PROXY_PROTO_DONE;
    }
    return proxy_v1_more(v, 2);
}

/* "TCP4 " or "TCP6 ", two addresses, two ports, CRLF. */
static proxy_proto_rc_t
proxy_v1_tcp(proxy_v1_t *v, proxy_proto_t *r)
{
    proxy_proto_rc_t rc = proxy_v1_literal(v, "TCP", PROXY_V1_AFTER_TCP, "bad v1 protocol");
    int kind;
    size_t shortest; /* the shortest address text */

    if (rc != PROXY_PROTO_DONE)
        return rc;
    if (v->pos == v->len)
        return proxy_v1_more(v, PROXY_V1_AFTER_TCP);
    if (v->buf[v->pos] != '4' && v->buf[v->pos] != '6')
        return proxy_v1_bad(v, "bad v1 protocol");
    kind = v->buf[v->pos++] == '4' ? PROXY_V1_IPV4 : PROXY_V1_IPV6;
    shortest = kind == PROXY_V1_IPV4 ? 7 : 2;
    /* after the SP: address SP address SP port SP port CR LF */
    if ((rc = proxy_v1_literal(v, " ", 2 * shortest + 8, "bad v1 protocol")) != PROXY_PROTO_DONE)
        return rc;
    if ((rc = proxy_v1_field(v, kind, ' ', shortest + 6, r->src, NULL)) != PROXY_PROTO_DONE)
        return rc;
    if ((rc = proxy_v1_field(v, kind, ' ', 5, r->dst, NULL)) != PROXY_PROTO_DONE)
        return rc;
    if ((rc = proxy_v1_field(v, PROXY_V1_PORT, ' ', 3, NULL, &r->src_port)) != PROXY_PROTO_DONE)
        return rc;
    if ((rc = proxy_v1_field(v, PROXY_V1_PORT, '\r', 1, NULL, &r->dst_port)) != PROXY_PROTO_DONE)
        return rc;
    if ((rc = proxy_v1_literal(v, "\n", 0, "v1 CR without LF")) != PROXY_PROTO_DONE)
        return rc;
    r->family = kind == PROXY_V1_IPV4 ? AF_INET : AF_INET6;
    r->consumed = v->pos;
    return PROXY_PROTO_DONE;
}

static proxy_proto_rc_t
proxy_v1_parse(const unsigned char *buf, size_t len, proxy_proto_t *r)
{
    proxy_v1_t v = { buf, len < PROXY_PROTO_V1_MAX_LINE ? len : PROXY_PROTO_V1_MAX_LINE, 0, 0,
                     NULL };
    proxy_proto_rc_t rc = proxy_v1_literal(&v, "PROXY ", PROXY_V1_AFTER_PROXY, "bad signature");

    if (rc == PROXY_PROTO_DONE) {
        if (v.pos == v.len)
            rc = proxy_v1_more(&v, PROXY_V1_AFTER_PROXY);
        else if (v.buf[v.pos] == 'U')
            rc = proxy_v1_unknown(&v, r);
        else
            rc = proxy_v1_tcp(&v, r);
    }
    if (rc == PROXY_PROTO_MORE && v.len + v.need > PROXY_PROTO_V1_MAX_LINE)
        rc = proxy_v1_bad(&v, "v1 line too long");
    r->version = 1;
    r->reason = v.reason;
    return rc;
}

/*
 * Whether the TLVs in buf[pos..end) can still tile that span exactly, judged on the
 * avail bytes present: each needs its 3-byte header and its value inside the span.
 */
static int
proxy_v2_tlvs(const unsigned char *buf, size_t avail, size_t pos, size_t end)
{
    while (pos < end) {
        size_t room; /* bytes of the span left for this TLV's value */

        if (end - pos < PROXY_V2_TLV_HEAD)
            return 0;
        room = end - pos - PROXY_V2_TLV_HEAD;
        /* The length's high byte alone may already overflow the span. */
        if (pos + 2 > avail)
            return 1;
        if (((size_t)buf[pos + 1] << 8) > room)
            return 0;
        if (pos + 3 > avail)
            return 1;
        if ((((size_t)buf[pos + 1] << 8) | buf[pos + 2]) > room)
            return 0;
        pos += PROXY_V2_TLV_HEAD + (((size_t)buf[pos + 1] << 8) | buf[pos + 2]);
    }
    return 1;
}

/* The address block of a PROXY command; *alen gets its size (0: UNSPEC, local). */
static const char *
proxy_v2_family(unsigned char fam, size_t *alen)
{
    switch (fam) {
    case 0x00:
        *alen = 0;
        return NULL;
    case 0x11:
        *alen = 12;
        return NULL;
    case 0x21:
        *alen = 36;
        return NULL;
    case 0x12:
    case 0x22:
    case 0x31:
    case 0x32:
        return "unsupported address family";
    default:
        return "bad v2 address family";
    }
}

static proxy_proto_rc_t
proxy_v2_bad(proxy_proto_t *r, const char *reason)
{
    r->reason = reason;
    return PROXY_PROTO_BAD;
}

/* The 16-byte head, checked as far as it is present. DONE: *alen is the address
 * block's size (0 when it is ignored) and *total the header's. */
static proxy_proto_rc_t
proxy_v2_head(const unsigned char *buf, size_t len, proxy_proto_t *r, size_t *alen, size_t *total)
{
    const char *reason;

    if (memcmp(buf, proxy_v2_sig, len < PROXY_V2_SIG_LEN ? len : PROXY_V2_SIG_LEN) != 0)
        return proxy_v2_bad(r, "bad signature");
    if (len <= PROXY_V2_SIG_LEN)
        return PROXY_PROTO_MORE;
    if (buf[12] >> 4 != 2)
        return proxy_v2_bad(r, "bad v2 version");
    if ((buf[12] & 0x0F) > PROXY_V2_PROXY)
        return proxy_v2_bad(r, "bad v2 command");
    if (len == 13)
        return PROXY_PROTO_MORE;
    /* LOCAL: the family is ignored, and so is the whole block (alen stays 0). */
    if ((buf[12] & 0x0F) == PROXY_V2_PROXY && (reason = proxy_v2_family(buf[13], alen)) != NULL)
        return proxy_v2_bad(r, reason);
    /* The length's high byte alone may already exceed the cap. */
    if (len >= 15 && ((size_t)buf[14] << 8) > PROXY_PROTO_MAX_HEADER - PROXY_V2_HEAD)
        return proxy_v2_bad(r, "too long");
    if (len < PROXY_V2_HEAD)
        return PROXY_PROTO_MORE;
    *total = PROXY_V2_HEAD + (((size_t)buf[14] << 8) | buf[15]);
    if (*total > PROXY_PROTO_MAX_HEADER)
        return proxy_v2_bad(r, "too long");
    if (*total < PROXY_V2_HEAD + *alen)
        return proxy_v2_bad(r, "v2 address block too short");
    return PROXY_PROTO_DONE;
}

static proxy_proto_rc_t
proxy_v2_parse(const unsigned char *buf, size_t len, proxy_proto_t *r)
{
    size_t alen = 0, total = 0, half;
    const unsigned char *ports;
    proxy_proto_rc_t rc = proxy_v2_head(buf, len, r, &alen, &total);

    r->version = 2;
    if (rc != PROXY_PROTO_DONE)
        return rc;
    /* Only a known address block says where TLVs start; LOCAL and UNSPEC skip it all. */
    if (alen > 0 && !proxy_v2_tlvs(buf, len, PROXY_V2_HEAD + alen, total))
        return proxy_v2_bad(r, "bad TLV");
    if (len < total)
        return PROXY_PROTO_MORE;
    r->consumed = total;
    if (alen == 0) {
        r->local = 1;
        return PROXY_PROTO_DONE;
    }
    half = (alen - 4) / 2; /* one address: 4 or 16 bytes */
    ports = buf + PROXY_V2_HEAD + 2 * half;
    r->family = half == 4 ? AF_INET : AF_INET6;
    memcpy(r->src, buf + PROXY_V2_HEAD, half);
    memcpy(r->dst, buf + PROXY_V2_HEAD + half, half);
    r->src_port = (uint16_t)((ports[0] << 8) | ports[1]);
    r->dst_port = (uint16_t)((ports[2] << 8) | ports[3]);
    return PROXY_PROTO_DONE;
}

proxy_proto_rc_t
proxy_proto_parse(const char *buf, size_t len, proxy_proto_t *out)
{
    const unsigned char *b = (const unsigned char *)buf;
    proxy_proto_t r;
    proxy_proto_rc_t rc;

    memset(&r, 0, sizeof(r));
    r.family = AF_UNSPEC;
    if (len == 0) {
        rc = PROXY_PROTO_MORE;
    } else if (b[0] == 'P') {
        rc = proxy_v1_parse(b, len, &r);
    } else if (b[0] == proxy_v2_sig[0]) {
        rc = proxy_v2_parse(b, len, &r);
    } else {
        rc = PROXY_PROTO_BAD;
        r.reason = "bad signature";
    }
    if (rc == PROXY_PROTO_DONE) {
        r.reason = NULL;
        *out = r;
        return rc;
    }
    memset(out, 0, sizeof(*out));
    out->family = AF_UNSPEC;
    out->reason = rc == PROXY_PROTO_BAD ? r.reason : NULL;
    return rc;
}

const char *
proxy_proto_src_text(const proxy_proto_t *p, char *dst, size_t size)
{
    if (p->local || (p->family != AF_INET && p->family != AF_INET6))
        return NULL;
    if (size > INET6_ADDRSTRLEN)
        size = INET6_ADDRSTRLEN;
    return inet_ntop(p->family, p->src, dst, (socklen_t)size);
}
