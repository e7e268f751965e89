/*
 * location_match.c — longest-prefix lookup of <Location> paths (see location_match.h).
 *
 * Built by the parent while it reads the configuration, then shared read-only by every
 * worker thread of the children that inherit it: no locks, no atomics, no allocation
 * after location_table_freeze. Owns nothing outside the pool it was created in.
 *
 * The structure is a radix tree (a trie whose single-child chains are merged into one
 * edge label) laid out in one array. A lookup walks down from the root along the path:
 * at each node, the child whose label starts with the next path byte (a binary search
 * in the node's run of first bytes), then one memcmp of that label; the last node passed
 * that ends a prefix is the answer. A prefix always ends at a node, never inside a label,
 * so a label that does not match in full ends the walk. Work per lookup is bounded by the
 * path's length, not by the number of prefixes.
 * Rejected alternatives: a sorted array with binary search needs, after finding the
 * greatest prefix <= path, a walk up a chain of nested prefixes that can be as long as
 * the table ("/a", "/aa", "/aaa", ...); a hash per distinct prefix length costs one hash
 * and probe per length present, and re-hashes the path for each.
 *
 * Freezing sorts the prefixes (a re-added prefix keeps its last value), then builds the
 * tree breadth first: the node array doubles as the work queue, and each node's children
 * are appended together, so they are contiguous and sorted by first byte. A node stands
 * for a run of sorted prefixes sharing its first `depth` bytes; its children are the
 * groups of that run by the byte at `depth`, each group's label running to the group's
 * longest common prefix (that of its first and last prefix, the run being sorted).
 * Every node but the root either ends a prefix or has two children or more, so n
 * prefixes make at most 2n + 1 nodes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "location_match.h"

/* A prefix as added. */
typedef struct {
    const char *key; /* NUL-terminated, in the table's pool */
    size_t len;      /* bytes of key */
    size_t seq;      /* position of its add: the later of two equal keys wins */
    void *value;     /* the caller's section */
} location_entry_t;

/* A node of the tree. */
typedef struct {
    const char *label;    /* the edge into this node: label_len bytes of some key */
    uint32_t label_len;   /* 0 only for the root */
    uint32_t first_child; /* index of its first child in `nodes` */
    uint32_t nchildren;   /* children, contiguous from first_child, by first byte */
    void *value;          /* the prefix ending here, or NULL */
} location_node_t;

/* Where a node's run of sorted prefixes lies while the tree is built. */
typedef struct {
    size_t lo, hi; /* the run: entries [lo, hi) */
    size_t depth;  /* bytes they all share: the node's full path */
} location_span_t;

struct location_table_t {
    apr_pool_t *pool;            /* everything below lives here */
    apr_array_header_t *entries; /* location_entry_t, in add order until freeze */
    location_node_t *nodes;      /* the tree, root first; NULL until freeze */
    unsigned char *first;        /* first[i]: first byte of nodes[i].label (root: 0) */
    int frozen;                  /* location_table_freeze has run */
};

apr_status_t
location_table_create(location_table_t **t, apr_pool_t *p)
{
    location_table_t *nt = apr_pcalloc(p, sizeof(*nt));

    nt->pool = p;
    nt->entries = apr_array_make(p, 16, sizeof(location_entry_t));
    *t = nt;
    return APR_SUCCESS;
}

apr_status_t
location_table_add(location_table_t *t, const char *prefix, void *value)
{
    location_entry_t *e;

    if (t->frozen || prefix == NULL || prefix[0] != '/' || value == NULL)
        return APR_EINVAL;
    e = apr_array_push(t->entries);
    e->len = strlen(prefix);
    e->key = apr_pstrmemdup(t->pool, prefix, e->len);
    e->seq = (size_t)t->entries->nelts - 1;
    e->value = value;
    return APR_SUCCESS;
}

/* Order by key bytes (a prefix before its extensions), then by add. */
static int
location_entry_cmp(const void *a, const void *b)
{
    const location_entry_t *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

    if (c != 0)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort the entries and keep, of equal keys, the last added. Returns how many remain. */
static size_t
location_sort_unique(location_entry_t *e, size_t n)
{
    size_t out = 0;

    qsort(e, n, sizeof(*e), location_entry_cmp);
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && e[out - 1].len == e[i].len &&
            memcmp(e[out - 1].key, e[i].key, e[i].len) == 0)
            e[out - 1] = e[i];
        else
            e[out++] = e[i];
    }
    return out;
}

static size_t
location_lcp(const location_entry_t *a, const location_entry_t *b, size_t from)
{
    size_t max = a->len < b->len ? a->len : b->len;

    while (from < max && a->key[from] == b->key[from])
        from++;
    return from;
}

/* Give node i its value and its children (appended at nodes[*count...]). */
static void
location_expand(location_table_t *t, location_span_t *span, size_t i, size_t *count,
                const location_entry_t *e)
{
    location_node_t *node = &t->nodes[i];
    size_t lo = span[i].lo, hi = span[i].hi, depth = span[i].depth;

    if (lo < hi && e[lo].len == depth) /* sorted and unique: only the first can end here */
        node->value = e[lo++].value;
    node->first_child = (uint32_t)*count;
    while (lo < hi) {
        unsigned char c = (unsigned char)e[lo].key[depth];
        size_t end = lo + 1, k = *count;

        while (end < hi && (unsigned char)e[end].key[depth] == c)
            end++;
        span[k].lo = lo;
        span[k].hi = end;
        span[k].depth = location_lcp(&e[lo], &e[end - 1], depth + 1);
        t->nodes[k].label = e[lo].key + depth;
        t->nodes[k].label_len = (uint32_t)(span[k].depth - depth);
        t->first[k] = c;
        (*count)++;
        lo = end;
    }
    node->nchildren = (uint32_t)(*count - node->first_child);
}

void
location_table_freeze(location_table_t *t)
{
    location_entry_t *e = (location_entry_t *)t->entries->elts;
    size_t n, count = 1, max_nodes;
    location_span_t *span;

    if (t->frozen)
        return;
    n = location_sort_unique(e, (size_t)t->entries->nelts);
    t->entries->nelts = (int)n;
    max_nodes = 2 * n + 1;
    t->nodes = apr_pcalloc(t->pool, max_nodes * sizeof(*t->nodes));
    t->first = apr_pcalloc(t->pool, max_nodes);
    span = apr_palloc(t->pool, max_nodes * sizeof(*span));
    span[0].lo = 0;
    span[0].hi = n;
    span[0].depth = 0;
    t->nodes[0].label = "";
    for (size_t i = 0; i < count; i++)
        location_expand(t, span, i, &count, e);
    t->frozen = 1;
}

/* The child of `node` whose label starts with byte c, or NULL. */
static const location_node_t *
location_child(const location_table_t *t, const location_node_t *node, unsigned char c)
{
    const unsigned char *first = t->first + node->first_child;
    uint32_t lo = 0, hi = node->nchildren;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (first[mid] == c)
            return &t->nodes[node->first_child + mid];
        if (first[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void *
location_table_lookup(const location_table_t *t, const char *path, size_t len)
{
    const location_node_t *node;
    void *best = NULL;
    size_t pos = 0;

    if (!t->frozen || path == NULL)
        return NULL;
    node = &t->nodes[0];
    for (;;) {
        if (node->value != NULL)
            best = node->value;
        if (pos == len || (node = location_child(t, node, (unsigned char)path[pos])) == NULL)
            break;
        if (node->label_len > len - pos || memcmp(node->label, path + pos, node->label_len) != 0)
            break;
        pos += node->label_len;
    }
    return best;
}
