/*
 * filecache.h — small static files kept in memory, so that serving one costs no
 * open, fstat, sendfile or close: the head and the body leave in one sendmsg. Larger
 * files keep an open descriptor instead (nginx's open_file_cache), so that serving
 * one costs no open, fstat or close: the head, then sendfile.
 *
 * One cache per worker thread (no lock: only its worker looks things up and
 * inserts), holding files of at most `max_file` bytes within `budget` bytes and at
 * most `max_fds` descriptors of larger files, least recently used first out. An entry is
 * revalidated against the file system at most once a second (FILECACHE_VALID): a file changed on
 * disk is served from memory for up to that long, then re-read, as nginx's open_file_cache_valid
 * does.
 *
 * Entries are reference-counted across threads: a response that uses an entry's
 * bytes or descriptor holds a reference, which survives the entry's eviction and a
 * park in write completion (another worker may finish the response and release it);
 * the last reference frees the bytes or closes the descriptor.
 */
#ifndef EV_FILECACHE_H
#define EV_FILECACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/stat.h>

#include <apr_time.h>

#define FILECACHE_VALID apr_time_from_sec(1)

typedef struct filecache_t filecache_t;

typedef struct filecache_entry_t {
    _Atomic int refs; /* the cache's own (while cached) + one per holder */
    struct stat st;   /* the file's status when it was read or last revalidated */
    const char *path; /* the file served, normalized (the DirectoryIndex file for a
                       * directory): what its media type is looked up by */
    const char *data; /* st.st_size bytes of content, or NULL for a descriptor entry */
    int fd;           /* a descriptor entry's open file (read with offsets only), or -1 */
    /* Private to filecache.c. */
    struct filecache_entry_t *hnext, *lprev, *lnext;
    int root_fd;        /* the document root the key is a path beneath (part of the key) */
    const char *key;    /* the request path it answers */
    size_t keylen;      /* bytes of key */
    unsigned hash;      /* of key */
    size_t cost;        /* bytes counted against the budget */
    apr_time_t checked; /* last validation */
    int has_dir;        /* key named a directory: also validate dir_st */
    struct stat dir_st; /* that directory, when it was read */

    /* What the handler derives from `st` once and reuses on every hit: zeroed by
     * insert, written and read only by the cache's owner thread (static.c). */
    struct {
        int valid;            /* the fields below are set */
        apr_time_t lastmod;   /* Last-Modified */
        char etag[48];        /* ETag */
        char validators[112]; /* the Last-Modified and ETag fields */
        char head[256];       /* those, then Accept-Ranges, Content-Encoding for a
                               * coded variant, and Content-Type */
    } meta;

    /* PrecompressedFiles: which of the file's variant files (x.css.gz, x.css.br) were
     * found unusable, so that a file without them costs no failed open per request.
     * Learnt again once `checked` is FILECACHE_VALID old, as the entry itself is.
     * Zeroed by insert; the owner thread only (static.c). */
    struct {
        unsigned absent;    /* coding bits (EV_CODING_*) missing, older or not regular */
        apr_time_t checked; /* when `absent` began to be gathered */
    } variants;
} filecache_entry_t;

/* filecache_create: an empty cache for files of at most `max_file` bytes within
 * `budget` bytes (entries included), and for the descriptors of at most `max_fds`
 * larger files. Returns NULL when budget is 0 or both max_file and max_fds are
 * (caching off), or on allocation failure; every function accepts a NULL cache.
 * Owned by the calling thread; free it with filecache_destroy. */
filecache_t *filecache_create(size_t budget, size_t max_file, unsigned max_fds);

/* filecache_destroy: drop every entry the cache holds (entries still held by
 * responses live on until released). The owner thread only. NULL is ignored. */
void filecache_destroy(filecache_t *fc);

/* filecache_lookup: the entry answering request path `key` (normalized, as
 * http_path_normalize writes it) beneath document root `root_fd` (each site has its
 * own; the descriptor is part of the key), revalidated with fstatat beneath it when
 * FILECACHE_VALID has passed since `now` last did. Returns a new reference (release
 * it with filecache_release) or NULL on a miss, including an entry just found stale
 * (it is dropped). The owner thread only. */
filecache_entry_t *filecache_lookup(filecache_t *fc, int root_fd, const char *key, size_t keylen,
                                    apr_time_t now);

/* filecache_insert: cache the regular file open on `fd` (status `st`) as the answer
 * for `key` beneath `root_fd`; `path` is the file's normalized path (key itself, or key + the
 * DirectoryIndex name when key names a directory, whose status is then `dir_st`,
 * else NULL). A file of at most max_file bytes is read with pread; a larger one keeps
 * a duplicate of `fd` (the least recently used descriptor entry makes room when
 * max_fds are held). Returns a new reference for the caller, or NULL if the file is
 * too large with max_fds 0, does not fit the budget even alone, shrank while read,
 * or memory or descriptors ran out (serve it from `fd` as usual). A file that grew
 * meanwhile is cached as its first st_size bytes until the next validation. `fd`
 * stays the caller's. The owner thread only. */
filecache_entry_t *filecache_insert(filecache_t *fc, int root_fd, const char *key, size_t keylen,
                                    const char *path, int fd, const struct stat *st,
                                    const struct stat *dir_st, apr_time_t now);

/* filecache_drop_descriptors: drop every descriptor entry (a descriptor still used
 * by a response closes when that releases it). The owner thread only; NULL ignored. */
void filecache_drop_descriptors(filecache_t *fc);

/* filecache_release: give back a reference from lookup or insert. Any thread;
 * lock-free; the last reference frees the entry. NULL is ignored. */
void filecache_release(filecache_entry_t *e);

/* filecache_set_current / filecache_current: the calling thread's cache (a worker
 * binds its own at start and unbinds it before destroying it). */
void filecache_set_current(filecache_t *fc);
filecache_t *filecache_current(void);

#endif
