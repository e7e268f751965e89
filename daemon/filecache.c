/*
 * filecache.c — the per-worker cache of small files (see filecache.h).
 *
 * Layout: a fixed table of hash chains, and one list in recency order whose tail is
 * evicted first. An entry is a single allocation: the struct, its key, its path and
 * the file's bytes (none for a descriptor entry), so freeing it is one free() (and a
 * close()) from whichever thread drops the last reference. A descriptor entry costs
 * its struct and names against the budget, and one of max_fds; when they are all
 * held, the least recently used descriptor entry goes, found from the cold end.
 *
 * Validation compares what identifies a version of a file: device, inode, size,
 * modification and change times (a chmod changes ctime, so a file made unreadable
 * is re-opened and answered 403). The stat goes by name without RESOLVE_BENEATH:
 * it only decides whether the bytes already held are still current; anything that
 * differs, a symlink swapped in included, sends the request back through openat2.
 * For a directory's index, the directory is checked too, so that a new index file
 * of higher DirectoryIndex rank is seen within the same second.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filecache.h"

#define FILECACHE_BUCKETS 256 /* power of two */

struct filecache_t {
    filecache_entry_t *buckets[FILECACHE_BUCKETS];
    filecache_entry_t *lru_head, *lru_tail; /* most recently used first */
    size_t budget, max_file, used;
    unsigned max_fds, nfds; /* descriptor entries allowed, held */
};

static _Thread_local filecache_t *filecache_tls;

static unsigned
filecache_hash(const char *key, size_t len)
{
    unsigned h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

filecache_t *
filecache_create(size_t budget, size_t max_file, unsigned max_fds)
{
    if (budget == 0 || (max_file == 0 && max_fds == 0))
        return NULL;
    filecache_t *fc = calloc(1, sizeof(*fc));
    if (fc == NULL)
        return NULL;
    fc->budget = budget;
    fc->max_file = max_file;
    fc->max_fds = max_fds;
    return fc;
}

void
filecache_release(filecache_entry_t *e)
{
    if (e != NULL && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) {
        if (e->fd >= 0)
            close(e->fd);
        free(e);
    }
}

static void
filecache_lru_unlink(filecache_t *fc, filecache_entry_t *e)
{
    if (e == fc->lru_head)
        fc->lru_head = e->lnext;
    else
        e->lprev->lnext = e->lnext;
    if (e == fc->lru_tail)
        fc->lru_tail = e->lprev;
    else
        e->lnext->lprev = e->lprev;
    e->lprev = e->lnext = NULL;
}

static void
filecache_lru_front(filecache_t *fc, filecache_entry_t *e)
{
    e->lprev = NULL;
    e->lnext = fc->lru_head;
    if (fc->lru_head)
        fc->lru_head->lprev = e;
    else
        fc->lru_tail = e;
    fc->lru_head = e;
}

/* Take `e` out of the cache and drop the cache's reference. */
static void
filecache_remove(filecache_t *fc, filecache_entry_t *e)
{
    filecache_entry_t **pp = &fc->buckets[e->hash & (FILECACHE_BUCKETS - 1)];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    filecache_lru_unlink(fc, e);
    fc->used -= e->cost;
    fc->nfds -= e->fd >= 0;
    filecache_release(e);
}

/* Make room for one more descriptor entry: drop the least recently used one. */
static void
filecache_drop_coldest_fd(filecache_t *fc)
{
    filecache_entry_t *e;

    for (e = fc->lru_tail; e != NULL && e->fd < 0; e = e->lprev)
        ;
    if (e != NULL)
        filecache_remove(fc, e);
}

void
filecache_drop_descriptors(filecache_t *fc)
{
    filecache_entry_t *e, *prev;

    if (fc == NULL || fc->nfds == 0)
        return;
    for (e = fc->lru_tail; e != NULL && fc->nfds > 0; e = prev) {
        prev = e->lprev;
        if (e->fd >= 0)
            filecache_remove(fc, e);
    }
}

void
filecache_destroy(filecache_t *fc)
{
    if (fc == NULL)
        return;
    while (fc->lru_tail)
        filecache_remove(fc, fc->lru_tail);
    free(fc);
}

static int
filecache_same(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec &&
           a->st_mode == b->st_mode;
}

/* fstatat beneath root_fd of a normalized path ("/a/b"). */
static int
filecache_stat(int root_fd, const char *path, size_t len, struct stat *st)
{
    char rel[4096];

    if (len <= 1)
        return fstat(root_fd, st);
    if (len >= sizeof(rel))
        return -1;
    memcpy(rel, path + 1, len - 1);
    rel[len - 1] = '\0';
    return fstatat(root_fd, rel, st, 0);
}

static int
filecache_still_valid(const filecache_entry_t *e, int root_fd)
{
    struct stat st;

    if (filecache_stat(root_fd, e->path, strlen(e->path), &st) < 0 || !filecache_same(&st, &e->st))
        return 0;
    if (e->has_dir &&
        (filecache_stat(root_fd, e->key, e->keylen, &st) < 0 || !filecache_same(&st, &e->dir_st)))
        return 0;
    return 1;
}

/* The entry for `key` beneath root_fd (hash `h`), or NULL. */
static filecache_entry_t *
filecache_find(const filecache_t *fc, int root_fd, const char *key, size_t keylen, unsigned h)
{
    filecache_entry_t *e;

    for (e = fc->buckets[h & (FILECACHE_BUCKETS - 1)]; e; e = e->hnext)
        if (e->hash == h && e->root_fd == root_fd && e->keylen == keylen &&
            memcmp(e->key, key, keylen) == 0)
            return e;
    return NULL;
}

/* The hash of a key beneath a root: roots differ in few bits, so they are mixed in. */
static unsigned
filecache_key_hash(int root_fd, const char *key, size_t keylen)
{
    return filecache_hash(key, keylen) ^ ((unsigned)root_fd * 2654435761u);
}

filecache_entry_t *
filecache_lookup(filecache_t *fc, int root_fd, const char *key, size_t keylen, apr_time_t now)
{
    filecache_entry_t *e;

    if (fc == NULL || (e = filecache_find(fc, root_fd, key, keylen,
                                          filecache_key_hash(root_fd, key, keylen))) == NULL)
        return NULL;
    if (now - e->checked >= FILECACHE_VALID || now < e->checked) {
        if (!filecache_still_valid(e, root_fd)) {
            filecache_remove(fc, e);
            return NULL;
        }
        e->checked = now;
    }
    if (fc->lru_head != e) {
        filecache_lru_unlink(fc, e);
        filecache_lru_front(fc, e);
    }
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    return e;
}

/* Read exactly `size` bytes from the start of fd; 0 on success. */
static int
filecache_read(int fd, char *buf, size_t size)
{
    size_t done = 0;

    while (done < size) {
        ssize_t n = pread(fd, buf + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1; /* an error, or the file shrank under us */
        done += (size_t)n;
    }
    return 0;
}

filecache_entry_t *
filecache_insert(filecache_t *fc, int root_fd, const char *key, size_t keylen, const char *path,
                 int fd, const struct stat *st, const struct stat *dir_st, apr_time_t now)
{
    size_t pathlen, cost;
    filecache_entry_t *e, *old, **bucket;
    char *mem;
    int by_fd;

    if (fc == NULL || !S_ISREG(st->st_mode) || st->st_size < 0)
        return NULL;
    by_fd = (unsigned long long)st->st_size > fc->max_file;
    if (by_fd && fc->max_fds == 0)
        return NULL;
    pathlen = strlen(path);
    cost = sizeof(*e) + keylen + 1 + pathlen + 1 + (by_fd ? 0 : (size_t)st->st_size);
    if (cost > fc->budget)
        return NULL;
    mem = malloc(cost);
    if (mem == NULL)
        return NULL;
    e = (filecache_entry_t *)mem;
    memset(e, 0, sizeof(*e));
    e->fd = -1;
    mem += sizeof(*e);
    memcpy(mem, key, keylen);
    mem[keylen] = '\0';
    e->key = mem;
    mem += keylen + 1;
    memcpy(mem, path, pathlen + 1);
    e->path = mem;
    mem += pathlen + 1;
    if (by_fd) {
        e->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (e->fd < 0) {
            free(e);
            return NULL;
        }
    } else if (filecache_read(fd, mem, (size_t)st->st_size) != 0) {
        free(e);
        return NULL;
    } else {
        e->data = mem;
    }
    e->st = *st;
    e->keylen = keylen;
    e->root_fd = root_fd;
    e->hash = filecache_key_hash(root_fd, key, keylen);
    e->cost = cost;
    e->checked = now;
    if (dir_st != NULL) {
        e->has_dir = 1;
        e->dir_st = *dir_st;
    }
    atomic_init(&e->refs, 2); /* the cache's and the caller's */

    /* A stale entry for the same key may still be there (a racing miss elsewhere
     * cannot happen: one thread per cache), and room is made from the cold end. */
    if ((old = filecache_find(fc, root_fd, key, keylen, e->hash)) != NULL)
        filecache_remove(fc, old);
    if (by_fd && fc->nfds >= fc->max_fds)
        filecache_drop_coldest_fd(fc);
    while (fc->used + cost > fc->budget && fc->lru_tail)
        filecache_remove(fc, fc->lru_tail);
    bucket = &fc->buckets[e->hash & (FILECACHE_BUCKETS - 1)];
    e->hnext = *bucket;
    *bucket = e;
    filecache_lru_front(fc, e);
    fc->used += cost;
    fc->nfds += by_fd;
    return e;
}

void
filecache_set_current(filecache_t *fc)
{
    filecache_tls = fc;
}

filecache_t *
filecache_current(void)
{
    return filecache_tls;
}
