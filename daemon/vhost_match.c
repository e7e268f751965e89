/*
 * vhost_match.c — the name table of one address group (see vhost_match.h).
 *
 * Built by the parent while it reads the configuration, then shared read-only by every
 * worker thread of the children that inherit it: no locks, no atomics, no allocation
 * after vhost_table_freeze. Owns nothing outside the pool it was created in; it goes
 * away with that pool (the configuration generation).
 *
 * Apache's rule is "the first host in configuration order with any matching name wins".
 * Walking every host per request would cost O(hosts); instead each name remembers its
 * position in the order of the adds (`seq`: the calls come host by host, so this order is
 * the hosts' order), and a lookup takes two steps:
 *   1. exact names: an open-addressing hash of case-folded names, linear probing, load
 *      at most 1/4 (1/2 gave runs of 17 probes among 1,000 names; 1/4, at most 7 and 1.2
 *      on average), each name mapped to its FIRST add: one hash, a probe or two, one
 *      memcmp.
 *   2. wildcard patterns, kept in add order: only those added before the exact hit can
 *      beat it, so the scan stops at the hit's seq. With no wildcard before it (the usual
 *      configuration: exact names, maybe a catch-all at the end) an exact hit costs the
 *      hash alone, whatever the number of hosts.
 * The host is validated in one pass, copied into a stack buffer, then case-folded and
 * hashed a word at a time; comparisons are then plain byte compares. A pattern is first
 * checked by length and by its literal tail (what follows its last '*', anchored at the
 * end of the host): the tail's first and last 8 bytes are precomputed as masked words
 * ('?' masked out), so most patterns that cannot match are dropped after two loads and
 * compares; only then is the head globbed.
 * apr_hash_t was not used: it would need the same folded copy, hashes a byte at a time
 * (times-33), and resizes while filled rather than once at freeze.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "vhost_match.h"

/* Byte classes, one bit each in vhost_class. */
#define VC_LABEL 0x01 /* may appear in a label: letter, digit, '-', '_' */
#define VC_HEX   0x02 /* may appear in an IPv6 literal besides ':' and '.': hex digit */
#define VC_WILD  0x04 /* pattern only: '*', '?' */
#define VC_DOT   0x08 /* '.' */
#define VC_COLON 0x10 /* ':' (inside brackets) */

#define XX 0
#define LB VC_LABEL
#define HX (VC_LABEL | VC_HEX)
#define WD VC_WILD
#define DT VC_DOT
#define CL VC_COLON
/* clang-format off */
static const unsigned char vhost_class[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x00 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x10 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, WD, XX, XX, LB, DT, XX, /* 0x20  !"#$%&'()*+,-./ */
    HX, HX, HX, HX, HX, HX, HX, HX, HX, HX, CL, XX, XX, XX, XX, WD, /* 0x30 0-9 :;<=>? */
    XX, HX, HX, HX, HX, HX, HX, LB, LB, LB, LB, LB, LB, LB, LB, LB, /* 0x40 @A-O */
    LB, LB, LB, LB, LB, LB, LB, LB, LB, LB, LB, XX, XX, XX, XX, LB, /* 0x50 P-Z [\]^_ */
    XX, HX, HX, HX, HX, HX, HX, LB, LB, LB, LB, LB, LB, LB, LB, LB, /* 0x60 `a-o */
    LB, LB, LB, LB, LB, LB, LB, LB, LB, LB, LB, XX, XX, XX, XX, XX, /* 0x70 p-z {|}~ DEL */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x80 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x90 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xA0 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xB0 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xC0 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xD0 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xE0 */
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xF0 */
};
/* clang-format on */
#undef XX
#undef LB
#undef HX
#undef WD
#undef DT
#undef CL

/* Setting bit 0x20 of every byte folds case: over the bytes a name may hold it lowercases
 * the letters and renames '_', '[' and ']' to DEL, '{' and '}' (never allowed), and
 * leaves the rest alone, so two names are equal ignoring case exactly when their folded
 * forms are equal byte for byte. Folding goes a word at a time. */
#define VHOST_FOLD 0x2020202020202020ull

/* A parsed name: at most EV_VHOST_PATTERN_MAX bytes, plus a trailing dot not yet dropped,
 * plus a word of padding that lets the name be read 8 bytes at a time. */
#define VHOST_BUF (EV_VHOST_PATTERN_MAX + 1 + 8)

/* An exact name. */
typedef struct {
    const char *name; /* folded (VHOST_FOLD), NUL-terminated, in the table's pool */
    size_t len;       /* bytes of name */
    uint32_t hash;    /* vhost_fold_hash of name */
    uint32_t seq;     /* position of its add among all adds */
    void *value;      /* the caller's virtual host */
} vhost_exact_t;

/* A wildcard pattern. The tail is what follows the last '*' (all of it without one). */
typedef struct {
    const char *pat;  /* folded (VHOST_FOLD), NUL-terminated, in the table's pool */
    size_t len;       /* bytes of pat */
    size_t min_len;   /* bytes a host needs at least: pat without its '*' */
    size_t tail_len;  /* bytes of the tail */
    uint64_t first_w; /* the tail's first 8 bytes (fewer when shorter), as a word */
    uint64_t first_m; /* which bytes of first_w count: not '?', not past the tail */
    uint64_t last_w;  /* the tail's last 8 bytes, when it has more than 8 */
    uint64_t last_m;  /* which bytes of last_w count */
    int has_star;     /* pat holds a '*' (else a host must be exactly len bytes) */
    int head_any;     /* everything before the tail is '*': the tail decides alone */
    uint32_t seq;     /* position of its add among all adds */
    void *value;      /* the caller's virtual host */
} vhost_wild_t;

/* One slot of the exact-name hash. */
typedef struct {
    uint32_t hash; /* the name's hash, compared before the name */
    uint32_t idx;  /* 1 + index in `exact`; 0 for an empty slot */
} vhost_slot_t;

struct vhost_table_t {
    apr_pool_t *pool;          /* everything below lives here */
    apr_array_header_t *exact; /* vhost_exact_t, in add order */
    apr_array_header_t *wild;  /* vhost_wild_t, in add order */
    vhost_slot_t *slots;       /* the exact-name hash, built by freeze */
    uint32_t mask;             /* number of slots - 1 (a power of two minus one) */
    uint32_t nadds;            /* successful adds so far: the next seq */
    int frozen;                /* vhost_table_freeze has run */
};

/* A name as vhost_parse found it; its folded bytes are in the caller's buffer. */
typedef struct {
    size_t len;    /* bytes of the name: port and trailing dot excluded, brackets kept */
    uint32_t hash; /* vhost_fold_hash of the name */
    int wild;      /* the name holds '*' or '?' */
} vhost_name_t;

static inline uint64_t
vhost_load(const char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

/* Fold buf[0..len) in place, a word at a time (buf has room up to the next multiple of
 * 8, which is folded too), and return a multiplicative hash of the folded words with a
 * murmur3 finalizer. The keys are the operator's names; a client only chooses which
 * probe sequence to walk, and those are short at load 1/4. */
static uint32_t
vhost_fold_hash(char *buf, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;

    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = vhost_load(buf + i) | VHOST_FOLD;
        memcpy(buf + i, &w, sizeof(w));
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h ^ (h >> 33));
}

/* Check that there is nothing after the name s[0..i) but an optional ":" DIGIT*. */
static int
vhost_port_ok(const unsigned char *u, size_t i, size_t len)
{
    if (i == len)
        return 1;
    if (u[i] != ':')
        return 0;
    for (i++; i < len; i++)
        if ((unsigned)u[i] - '0' >= 10u)
            return 0;
    return 1;
}

/*
 * Validate s[0..len) as a host (`wild` 0) or a pattern (`wild` VC_WILD), and write its
 * name folded into buf (VHOST_BUF bytes); the 8 bytes after it are padding.
 * Returns 0 and fills *out, or -1 when s is not a valid host or pattern, or its name is
 * longer than EV_VHOST_PATTERN_MAX.
 */
static int
vhost_parse(const char *s, size_t len, unsigned wild, char *buf, vhost_name_t *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t cap = len < EV_VHOST_PATTERN_MAX + 1 ? len : EV_VHOST_PATTERN_MAX + 1;
    unsigned seen = 0, cls;
    size_t i = 0, end;

    if (len == 0)
        return -1;
    if (u[0] == '[') {
        unsigned allow = VC_HEX | VC_COLON | VC_DOT | wild;
        buf[0] = '[';
        for (i = 1; i < cap && ((cls = vhost_class[u[i]]) & allow); i++) {
            buf[i] = (char)u[i];
            seen |= cls;
        }
        if (i == cap || u[i] != ']' || i == 1)
            return -1;
        buf[i++] = ']';
        end = i;
    } else {
        unsigned allow = VC_LABEL | VC_DOT | wild;
        unsigned prev = VC_DOT; /* so that a leading '.' is an empty label */
        for (; i < cap && ((cls = vhost_class[u[i]]) & allow); i++) {
            seen |= cls & (prev | VC_WILD); /* VC_DOT here: a dot after a dot */
            prev = cls;
            buf[i] = (char)u[i];
        }
        end = i > 0 && prev == VC_DOT ? i - 1 : i; /* one trailing dot, ignored */
        if ((seen & VC_DOT) || end == 0)
            return -1;
    }
    if (end > EV_VHOST_PATTERN_MAX || !vhost_port_ok(u, i, len))
        return -1;
    memset(buf + end, 0, 8);
    out->len = end;
    out->hash = vhost_fold_hash(buf, end);
    out->wild = (seen & VC_WILD) != 0;
    return 0;
}

/* Glob p[0..plen) ('*' and '?') against s[0..slen), both folded. One backtracking
 * point (the latest '*') suffices for patterns without character classes. */
static int
vhost_glob(const char *p, size_t plen, const char *s, size_t slen)
{
    size_t pi = 0, si = 0, star = SIZE_MAX, star_si = 0;

    while (si < slen) {
        if (pi < plen && p[pi] == '*') {
            star = pi++;
            star_si = si;
        } else if (pi < plen && (p[pi] == '?' || p[pi] == s[si])) {
            pi++;
            si++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            si = ++star_si;
        } else {
            return 0;
        }
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

/* Whether pattern w matches the host name buf[0..len) (folded, padded). */
static int
vhost_wild_match(const vhost_wild_t *w, const char *buf, size_t len)
{
    const char *tail = w->pat + w->len - w->tail_len;
    const char *stail;

    if (len < w->min_len || (!w->has_star && len != w->len))
        return 0;
    stail = buf + len - w->tail_len;
    if ((vhost_load(stail) ^ w->first_w) & w->first_m)
        return 0;
    if (w->tail_len > 8) {
        if ((vhost_load(stail + w->tail_len - 8) ^ w->last_w) & w->last_m)
            return 0;
        for (size_t i = 8; i < w->tail_len - 8; i++)
            if (tail[i] != '?' && tail[i] != stail[i])
                return 0;
    }
    if (!w->has_star || w->head_any)
        return 1;
    return vhost_glob(w->pat, w->len - w->tail_len, buf, len - w->tail_len);
}

/* p[0..n) (n <= 8) as a word to compare with vhost_load, and the mask of its bytes that
 * must be equal: every byte but '?'. */
static void
vhost_word(const char *p, size_t n, uint64_t *word, uint64_t *mask)
{
    unsigned char wb[8] = { 0 }, mb[8] = { 0 };

    for (size_t i = 0; i < n; i++)
        if (p[i] != '?') {
            wb[i] = (unsigned char)p[i];
            mb[i] = 0xff;
        }
    memcpy(word, wb, sizeof(*word));
    memcpy(mask, mb, sizeof(*mask));
}

apr_status_t
vhost_table_create(vhost_table_t **t, apr_pool_t *p)
{
    vhost_table_t *nt = apr_pcalloc(p, sizeof(*nt));

    nt->pool = p;
    nt->exact = apr_array_make(p, 16, sizeof(vhost_exact_t));
    nt->wild = apr_array_make(p, 4, sizeof(vhost_wild_t));
    *t = nt;
    return APR_SUCCESS;
}

static void
vhost_add_wild(vhost_table_t *t, const char *pat, size_t len, void *value)
{
    vhost_wild_t *w = apr_array_push(t->wild);
    const char *last_star = strrchr(pat, '*');
    const char *tail;
    size_t stars = 0;

    for (size_t i = 0; i < len; i++)
        stars += pat[i] == '*';
    w->pat = pat;
    w->len = len;
    w->min_len = len - stars;
    w->has_star = last_star != NULL;
    w->tail_len = last_star ? len - (size_t)(last_star - pat) - 1 : len;
    w->head_any = w->has_star && stars == len - w->tail_len;
    tail = pat + len - w->tail_len;
    vhost_word(tail, w->tail_len < 8 ? w->tail_len : 8, &w->first_w, &w->first_m);
    if (w->tail_len > 8)
        vhost_word(tail + w->tail_len - 8, 8, &w->last_w, &w->last_m);
    w->seq = t->nadds;
    w->value = value;
}

/* Whether the bracketed literal buf[0..len) is an IPv6 address (checked when it has no
 * wildcard, so that a typo is refused at load time instead of never matching). Folding
 * leaves the bytes between the brackets readable by inet_pton. */
static int
vhost_ipv6_valid(const char *buf, size_t len)
{
    char addr[INET6_ADDRSTRLEN + 1];
    struct in6_addr a;

    if (len - 2 >= sizeof(addr))
        return 0;
    memcpy(addr, buf + 1, len - 2);
    addr[len - 2] = '\0';
    return inet_pton(AF_INET6, addr, &a) == 1;
}

apr_status_t
vhost_table_add(vhost_table_t *t, const char *pattern, void *value)
{
    char buf[VHOST_BUF];
    vhost_name_t n;
    char *name;

    if (t->frozen || value == NULL || pattern == NULL || *pattern == '\0' ||
        strlen(pattern) > EV_VHOST_PATTERN_MAX)
        return APR_EINVAL;
    if (pattern[0] != '[' && strchr(pattern, ':') != strrchr(pattern, ':'))
        pattern = apr_pstrcat(t->pool, "[", pattern, "]", NULL); /* a bare IPv6 literal */
    if (vhost_parse(pattern, strlen(pattern), VC_WILD, buf, &n) != 0 ||
        (pattern[0] == '[' && !n.wild && !vhost_ipv6_valid(buf, n.len)))
        return APR_EINVAL;
    name = apr_pstrmemdup(t->pool, buf, n.len);
    if (n.wild) {
        vhost_add_wild(t, name, n.len, value);
    } else {
        vhost_exact_t *e = apr_array_push(t->exact);
        e->name = name;
        e->len = n.len;
        e->hash = n.hash;
        e->seq = t->nadds;
        e->value = value;
    }
    t->nadds++;
    return APR_SUCCESS;
}

static inline uint32_t
vhost_slot_of(const vhost_table_t *t, uint32_t hash)
{
    return hash & t->mask;
}

void
vhost_table_freeze(vhost_table_t *t)
{
    vhost_exact_t *exact = (vhost_exact_t *)t->exact->elts;
    const vhost_wild_t *wild = (const vhost_wild_t *)t->wild->elts;
    uint32_t nslots = 1;

    if (t->frozen)
        return;
    /* Settle each exact name now: the first earlier wildcard that matches it would win
     * at lookup, so its value is the answer, and seq 0 tells the lookup not to scan.
     * A request naming a configured host then costs one probe, however many wildcard
     * patterns come before its vhost. */
    for (int k = 0; k < t->exact->nelts; k++) {
        for (int j = 0; j < t->wild->nelts && wild[j].seq < exact[k].seq; j++)
            if (vhost_wild_match(&wild[j], exact[k].name, exact[k].len)) {
                exact[k].value = wild[j].value;
                break;
            }
        exact[k].seq = 0;
    }
    while (nslots < 4 * (uint32_t)t->exact->nelts)
        nslots *= 2;
    t->slots = apr_pcalloc(t->pool, nslots * sizeof(*t->slots));
    t->mask = nslots - 1;
    for (int k = 0; k < t->exact->nelts; k++) {
        uint32_t i = vhost_slot_of(t, exact[k].hash);
        int dup = 0;

        for (; t->slots[i].idx != 0 && !dup; i = (i + 1) & t->mask) {
            const vhost_exact_t *o = &exact[t->slots[i].idx - 1];
            dup = o->hash == exact[k].hash && o->len == exact[k].len &&
                  memcmp(o->name, exact[k].name, o->len) == 0;
        }
        if (!dup) { /* a repeated name keeps its first add, the one Apache would reach */
            t->slots[i].hash = exact[k].hash;
            t->slots[i].idx = (uint32_t)k + 1;
        }
    }
    t->frozen = 1;
}

static const vhost_exact_t *
vhost_exact_find(const vhost_table_t *t, const char *buf, const vhost_name_t *n)
{
    const vhost_exact_t *exact = (const vhost_exact_t *)t->exact->elts;

    for (uint32_t i = vhost_slot_of(t, n->hash); t->slots[i].idx != 0; i = (i + 1) & t->mask) {
        const vhost_exact_t *e = &exact[t->slots[i].idx - 1];
        if (t->slots[i].hash == n->hash && e->len == n->len && memcmp(e->name, buf, n->len) == 0)
            return e;
    }
    return NULL;
}

void *
vhost_table_lookup(const vhost_table_t *t, const char *host, size_t len)
{
    const vhost_wild_t *w = (const vhost_wild_t *)t->wild->elts;
    const vhost_wild_t *wend = w + t->wild->nelts;
    const vhost_exact_t *hit;
    uint32_t limit = UINT32_MAX;
    char buf[VHOST_BUF];
    vhost_name_t n;

    if (!t->frozen || host == NULL || vhost_parse(host, len, 0, buf, &n) != 0)
        return NULL;
    hit = vhost_exact_find(t, buf, &n);
    if (hit != NULL)
        limit = hit->seq;
    for (; w < wend && w->seq < limit; w++)
        if (vhost_wild_match(w, buf, n.len))
            return w->value;
    return hit != NULL ? hit->value : NULL;
}
