/*
 * test_filecache.c — the per-worker cache of small files: hits and misses, the size
 * limits, LRU eviction within the budget, revalidation at most once per
 * FILECACHE_VALID, directory-index entries, references that outlive the cache; and
 * the descriptors kept for larger files: their limit, eviction and closing.
 *
 * Every test gets its own directory (mkdtemp) beneath a base directory; the base goes
 * in an unchecked fixture, so it is removed even when a test fails in its child.
 * Time is the `now` each call is given: no test sleeps.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <apr_general.h>
#include <apr_time.h>
#include <check.h>

#include "filecache.h"

#define T0 apr_time_from_sec(1700000000) /* an arbitrary "now" of the first insert */
#define V  FILECACHE_VALID

static char base[64]; /* every test's directory lives here; see base_setup */
static char dir[128]; /* this test's directory */
static int root_fd;   /* dir, opened O_PATH like a child's DocumentRoot */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void
rm_tree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Unchecked: runs in the parent, so the base directory goes even if a test fails. */
static void
base_setup(void)
{
    strcpy(base, "/tmp/evhttpd-filecache.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
}

static void
base_teardown(void)
{
    rm_tree(base);
}

static void
dir_setup(void)
{
    snprintf(dir, sizeof(dir), "%s/t.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(root_fd, 0);
}

static void
dir_teardown(void)
{
    close(root_fd);
    rm_tree(dir);
}

/* Write `text` to `name` (relative to the test directory), replacing its content. */
static void
put(const char *name, const char *text)
{
    int fd = openat(root_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Set `name`'s times to a fixed moment long past, so that any later change of the
 * file (or, for a directory, of its entries) gives it a different mtime even within
 * one tick of the file system's clock. */
static void
age(const char *name)
{
    const struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

    ck_assert_int_eq(utimensat(root_fd, name, ts, 0), 0);
}

/* Cache file `path` ("/a.txt", beneath the test directory) as the answer for `key`,
 * as static_open does: open, fstat, insert, close. */
static filecache_entry_t *
insert(filecache_t *fc, const char *key, const char *path, const struct stat *dir_st,
       apr_time_t now)
{
    struct stat st;
    filecache_entry_t *e;
    int fd = openat(root_fd, path + 1, O_RDONLY | O_CLOEXEC);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    e = filecache_insert(fc, root_fd, key, strlen(key), path, fd, &st, dir_st, now);
    close(fd);
    return e;
}

static filecache_entry_t *
lookup(filecache_t *fc, const char *key, apr_time_t now)
{
    return filecache_lookup(fc, root_fd, key, strlen(key), now);
}

/* What an entry counts against the budget (filecache.h: entries included). */
static size_t
cost(const char *key, const char *path, size_t size)
{
    return sizeof(filecache_entry_t) + strlen(key) + 1 + strlen(path) + 1 + size;
}

/* e holds exactly `text`. */
static void
assert_holds(const filecache_entry_t *e, const char *text)
{
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->st.st_size, (off_t)strlen(text));
    ck_assert_mem_eq(e->data, text, strlen(text));
}

/* key is cached (a hit at `now`, reference released again) or not. */
static int
cached(filecache_t *fc, const char *key, apr_time_t now)
{
    filecache_entry_t *e = lookup(fc, key, now);

    filecache_release(e);
    return e != NULL;
}

START_TEST(test_hit_same_content_and_stat)
{
    filecache_t *fc = filecache_create(65536, 4096, 0);
    filecache_entry_t *ins, *e;
    struct stat st;

    put("a.txt", "hello, cache\n");
    ck_assert_int_eq(fstatat(root_fd, "a.txt", &st, 0), 0);
    ins = insert(fc, "/a.txt", "/a.txt", NULL, T0);
    assert_holds(ins, "hello, cache\n");
    ck_assert_int_eq(atomic_load(&ins->refs), 2); /* the cache's and ours */

    e = lookup(fc, "/a.txt", T0);
    ck_assert_ptr_eq(e, ins);
    assert_holds(e, "hello, cache\n");
    ck_assert_str_eq(e->path, "/a.txt");
    ck_assert_int_eq(e->st.st_dev, st.st_dev);
    ck_assert_int_eq(e->st.st_ino, st.st_ino);
    ck_assert_int_eq(e->st.st_size, st.st_size);
    ck_assert_int_eq(e->st.st_mtim.tv_sec, st.st_mtim.tv_sec);
    ck_assert_int_eq(e->st.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
    ck_assert_int_eq(e->st.st_mode, st.st_mode);
    ck_assert_int_eq(atomic_load(&e->refs), 3);
    filecache_release(e);
    filecache_release(ins);

    /* The key is counted bytes, not a C string: a longer buffer matches its prefix. */
    e = filecache_lookup(fc, root_fd, "/a.txtXYZ", 6, T0);
    ck_assert_ptr_eq(e, ins);
    filecache_release(e);
    filecache_destroy(fc);
}
END_TEST

START_TEST(test_miss_unknown_key)
{
    static const char *const misses[] = { "/b.txt", "/a.tx", "/a.txt/", "/A.TXT", "/", "" };
    filecache_t *fc = filecache_create(65536, 4096, 0);

    put("a.txt", "a");
    filecache_release(insert(fc, "/a.txt", "/a.txt", NULL, T0));
    for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++)
        ck_assert_msg(!cached(fc, misses[i], T0), "hit for %s", misses[i]);
    ck_assert(cached(fc, "/a.txt", T0));
    filecache_destroy(fc);
}
END_TEST

/* Which files the size limits admit. */
typedef struct {
    const char *what;
    size_t budget;   /* FileCacheSize; 0: exactly the entry's cost */
    size_t max_file; /* FileCacheMaxFileSize */
    size_t size;     /* bytes of the file */
    int cached;      /* insert returns an entry */
} limit_case_t;

static const limit_case_t limits[] = {
    { "smaller than max_file", 65536, 100, 99, 1 },
    { "exactly max_file", 65536, 100, 100, 1 },
    { "one byte over max_file", 65536, 100, 101, 0 },
    { "much larger than max_file", 65536, 100, 20000, 0 },
    { "empty file", 65536, 100, 0, 1 },
    { "cost exactly the budget", 0, 4096, 1000, 1 },
    { "cost one byte over the budget", 1, 4096, 1000, 0 },
    { "budget below the entry struct", 64, 4096, 1, 0 },
};

START_TEST(test_size_limits)
{
    const limit_case_t *c = &limits[_i];
    size_t budget = c->budget;
    char *text = malloc(c->size + 1);
    filecache_t *fc;
    filecache_entry_t *e;

    memset(text, 'x', c->size);
    text[c->size] = '\0';
    put("f", text);
    if (budget <= 1)
        budget = cost("/f", "/f", c->size) - budget; /* 1: one byte short */
    fc = filecache_create(budget, c->max_file, 0);
    ck_assert_ptr_nonnull(fc);
    e = insert(fc, "/f", "/f", NULL, T0);
    ck_assert_msg((e != NULL) == c->cached, "%s: insert gave %p", c->what, (void *)e);
    if (e != NULL)
        assert_holds(e, text);
    filecache_release(e);
    ck_assert_msg(cached(fc, "/f", T0) == c->cached, "%s: lookup", c->what);
    filecache_destroy(fc);
    free(text);
}
END_TEST

/* Other files insert refuses: not a regular file; shorter than its stat says. */
START_TEST(test_insert_refuses_unreadable_sizes)
{
    filecache_t *fc = filecache_create(65536, 4096, 0);
    struct stat st;
    int fd;

    ck_assert_int_eq(mkdirat(root_fd, "d", 0755), 0);
    fd = openat(root_fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_ptr_null(filecache_insert(fc, root_fd, "/d", 2, "/d", fd, &st, NULL, T0));
    close(fd);

    put("f", "0123456789");
    fd = openat(root_fd, "f", O_RDWR | O_CLOEXEC);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(ftruncate(fd, 4), 0); /* shrank between fstat and read */
    ck_assert_ptr_null(filecache_insert(fc, root_fd, "/f", 2, "/f", fd, &st, NULL, T0));
    close(fd);
    ck_assert(!cached(fc, "/d", T0));
    ck_assert(!cached(fc, "/f", T0));
    filecache_destroy(fc);
}
END_TEST

/* Three equal entries fill the budget: a fourth evicts the least recently used, and
 * a lookup counts as a use. */
START_TEST(test_lru_eviction_order)
{
    static const char *const names[] = { "/f0", "/f1", "/f2", "/f3" };
    filecache_t *fc;

    for (int i = 0; i < 4; i++)
        put(names[i] + 1, "0123456789abcdef");
    fc = filecache_create(3 * cost("/f0", "/f0", 16), 4096, 0);
    for (int i = 0; i < 3; i++)
        filecache_release(insert(fc, names[i], names[i], NULL, T0));
    /* Recency, most recent first: f2 f1 f0. Using f0 makes f1 the coldest. */
    ck_assert(cached(fc, "/f0", T0));
    filecache_release(insert(fc, "/f3", "/f3", NULL, T0));
    ck_assert(!cached(fc, "/f1", T0));

    /* Use them in the order f2, f0, f3: f2 is now the coldest. */
    ck_assert(cached(fc, "/f2", T0));
    ck_assert(cached(fc, "/f0", T0));
    ck_assert(cached(fc, "/f3", T0));
    filecache_release(insert(fc, "/f1", "/f1", NULL, T0));
    ck_assert(!cached(fc, "/f2", T0));
    /* f1, f3 and f0 remain. */
    ck_assert(cached(fc, "/f0", T0));
    ck_assert(cached(fc, "/f3", T0));
    ck_assert(cached(fc, "/f1", T0));
    filecache_destroy(fc);
}
END_TEST

/* A large entry evicts as many cold ones as it needs, and no more. */
START_TEST(test_large_entry_evicts_several)
{
    static const char *const names[] = { "/s0", "/s1", "/s2", "/s3" };
    size_t small = cost("/s0", "/s0", 16);
    /* The big one costs exactly three small ones, whatever the entry's size. */
    size_t big_size = 3 * small - cost("/big", "/big", 0);
    char *big = malloc(big_size + 1);
    filecache_t *fc;

    for (int i = 0; i < 4; i++)
        put(names[i] + 1, "0123456789abcdef");
    memset(big, 'B', big_size);
    big[big_size] = '\0';
    put("big", big);
    free(big);
    /* Room for four small ones, or for the big one and one small one beside it. */
    fc = filecache_create(4 * small, 65536, 0);
    for (int i = 0; i < 4; i++)
        filecache_release(insert(fc, names[i], names[i], NULL, T0));
    for (int i = 0; i < 4; i++)
        ck_assert(cached(fc, names[i], T0)); /* recency: s3 s2 s1 s0 */
    filecache_release(insert(fc, "/big", "/big", NULL, T0));
    ck_assert(!cached(fc, "/s0", T0));
    ck_assert(!cached(fc, "/s1", T0));
    ck_assert(!cached(fc, "/s2", T0));
    ck_assert(cached(fc, "/s3", T0));
    ck_assert(cached(fc, "/big", T0));
    filecache_destroy(fc);
}
END_TEST

/* How the file changes after it was cached, and whether the entry survives the
 * validation that is due FILECACHE_VALID later. */
typedef enum {
    CH_NONE,
    CH_REWRITE,  /* new content of another size, same inode */
    CH_SAMESIZE, /* new content of the same size, mtime set apart */
    CH_MTIME,    /* only utimensat: same bytes, another mtime */
    CH_CHMOD,    /* made unreadable: 403 from the next open */
    CH_DELETE,   /* unlinked */
    CH_RENAME,   /* replaced atomically by rename */
    CH_SYMLINK,  /* replaced by a symbolic link */
} change_t;

typedef struct {
    const char *what;
    change_t change;
    int still_valid; /* hit after the validation */
} reval_case_t;

static const reval_case_t revals[] = {
    { "unchanged", CH_NONE, 1 },
    { "rewritten, other size", CH_REWRITE, 0 },
    { "rewritten, same size", CH_SAMESIZE, 0 },
    { "mtime changed, same size", CH_MTIME, 0 },
    { "chmod 000", CH_CHMOD, 0 },
    { "deleted", CH_DELETE, 0 },
    { "replaced by rename", CH_RENAME, 0 },
    { "replaced by a symlink", CH_SYMLINK, 0 },
};

#define V1 "version one\n"

static void
apply(change_t change)
{
    const struct timespec later[2] = { { 1000000100, 0 }, { 1000000100, 0 } };

    switch (change) {
    case CH_NONE:
        break;
    case CH_REWRITE:
        put("a.txt", "version two, longer\n");
        break;
    case CH_SAMESIZE:
        put("a.txt", "version TWO\n");
        ck_assert_int_eq(utimensat(root_fd, "a.txt", later, 0), 0);
        break;
    case CH_MTIME:
        ck_assert_int_eq(utimensat(root_fd, "a.txt", later, 0), 0);
        break;
    case CH_CHMOD:
        ck_assert_int_eq(fchmodat(root_fd, "a.txt", 0, 0), 0);
        break;
    case CH_DELETE:
        ck_assert_int_eq(unlinkat(root_fd, "a.txt", 0), 0);
        break;
    case CH_RENAME:
        put("a.new", "renamed in\n");
        ck_assert_int_eq(renameat(root_fd, "a.new", root_fd, "a.txt"), 0);
        break;
    case CH_SYMLINK:
        put("b.txt", V1);
        ck_assert_int_eq(unlinkat(root_fd, "a.txt", 0), 0);
        ck_assert_int_eq(symlinkat("b.txt", root_fd, "a.txt"), 0);
        break;
    }
}

START_TEST(test_revalidation)
{
    const reval_case_t *c = &revals[_i];
    filecache_t *fc = filecache_create(65536, 4096, 0);
    filecache_entry_t *held, *e;

    put("a.txt", V1);
    age("a.txt");
    held = insert(fc, "/a.txt", "/a.txt", NULL, T0);
    assert_holds(held, V1);
    apply(c->change);

    /* Within FILECACHE_VALID of the insert: no stat, the old bytes (stale by design). */
    e = lookup(fc, "/a.txt", T0 + V - 1);
    ck_assert_msg(e == held, "%s: no hit before validation is due", c->what);
    assert_holds(e, V1);
    filecache_release(e);

    /* Due: only an unchanged file survives; a changed one is dropped from the cache,
     * which leaves our reference the only one. */
    e = lookup(fc, "/a.txt", T0 + V);
    ck_assert_msg((e != NULL) == c->still_valid, "%s: hit %d after validation", c->what, e != NULL);
    filecache_release(e);
    ck_assert_int_eq(atomic_load(&held->refs), c->still_valid ? 2 : 1);
    ck_assert_msg(cached(fc, "/a.txt", T0 + V) == c->still_valid, "%s: dropped", c->what);
    assert_holds(held, V1); /* still readable while referenced */
    filecache_release(held);
    filecache_destroy(fc);
}
END_TEST

/* A validation that passes restarts the clock: the next one is due FILECACHE_VALID
 * after it, not after the insert. */
START_TEST(test_validation_restarts_clock)
{
    filecache_t *fc = filecache_create(65536, 4096, 0);

    put("a.txt", V1);
    age("a.txt");
    filecache_release(insert(fc, "/a.txt", "/a.txt", NULL, T0));
    ck_assert(cached(fc, "/a.txt", T0 + V + 10)); /* validated, unchanged */
    ck_assert(cached(fc, "/a.txt", T0 + 5 * V));  /* validated again */
    apply(CH_REWRITE);
    ck_assert(cached(fc, "/a.txt", T0 + 6 * V - 1)); /* not yet due */
    ck_assert(!cached(fc, "/a.txt", T0 + 6 * V));
    filecache_destroy(fc);
}
END_TEST

/* A clock stepped back also makes validation due. */
START_TEST(test_clock_stepped_back)
{
    filecache_t *fc = filecache_create(65536, 4096, 0);

    put("a.txt", V1);
    age("a.txt");
    filecache_release(insert(fc, "/a.txt", "/a.txt", NULL, T0));
    ck_assert(cached(fc, "/a.txt", T0 - 1)); /* validated, unchanged */
    apply(CH_REWRITE);
    ck_assert(!cached(fc, "/a.txt", T0 - 2 * V));
    filecache_destroy(fc);
}
END_TEST

/* A directory's index, cached under the directory's key: a file created in the
 * directory (a DirectoryIndex name of higher rank, say) changes the directory's mtime
 * and drops the entry once validation is due; the index itself is validated too. */
typedef struct {
    const char *key;    /* the directory as requested */
    const char *sub;    /* the directory beneath root_fd ("." for the root) */
    const char *index;  /* the index file's normalized path */
    const char *create; /* the new file created in the directory */
    int touch_index;    /* rewrite the index instead of creating a file */
} dir_case_t;

static const dir_case_t dirs[] = {
    { "/d/", "d", "/d/index.html", "d/index.htm", 0 },
    { "/", ".", "/index.html", "index.htm", 0 },
    { "/d/", "d", "/d/index.html", NULL, 1 },
    { "/d/e/", "d/e", "/d/e/index.html", "d/e/unrelated.txt", 0 },
};

START_TEST(test_directory_index)
{
    const dir_case_t *c = &dirs[_i];
    filecache_t *fc = filecache_create(65536, 4096, 0);
    filecache_entry_t *e;
    struct stat dir_st;

    mkdirat(root_fd, "d", 0755);
    mkdirat(root_fd, "d/e", 0755);
    put(c->index + 1, "the index\n");
    age(c->index + 1);
    age(c->sub);
    ck_assert_int_eq(fstatat(root_fd, c->sub, &dir_st, 0), 0);
    e = insert(fc, c->key, c->index, &dir_st, T0);
    assert_holds(e, "the index\n");
    ck_assert_str_eq(e->path, c->index);
    filecache_release(e);
    ck_assert(cached(fc, c->key, T0 + V)); /* validated: nothing changed */

    if (c->touch_index)
        put(c->index + 1, "the new index, longer\n");
    else
        put(c->create, "new\n");
    ck_assert(cached(fc, c->key, T0 + 2 * V - 1));
    ck_assert_msg(!cached(fc, c->key, T0 + 2 * V), "%s still cached", c->key);
    filecache_destroy(fc);
}
END_TEST

/* A reference outlives the entry's eviction, its replacement, its drop as stale and
 * the cache itself (ASan would see a use after free). */
typedef enum { GONE_EVICTED, GONE_REPLACED, GONE_STALE, GONE_DESTROYED } gone_t;

START_TEST(test_reference_outlives_entry)
{
    gone_t how = (gone_t)_i;
    filecache_t *fc = filecache_create(cost("/a.txt", "/a.txt", 64), 4096, 0);
    filecache_entry_t *held, *e;

    put("a.txt", V1);
    put("b.txt", "bee\n");
    age("a.txt");
    held = insert(fc, "/a.txt", "/a.txt", NULL, T0);
    e = lookup(fc, "/a.txt", T0);
    ck_assert_ptr_eq(e, held);
    filecache_release(e);
    switch (how) {
    case GONE_EVICTED: /* the budget holds one entry */
        filecache_release(insert(fc, "/b.txt", "/b.txt", NULL, T0));
        ck_assert(!cached(fc, "/a.txt", T0));
        break;
    case GONE_REPLACED:
        put("a.txt", "other\n");
        e = insert(fc, "/a.txt", "/a.txt", NULL, T0);
        ck_assert_ptr_ne(e, held);
        filecache_release(e);
        break;
    case GONE_STALE:
        apply(CH_DELETE);
        ck_assert(!cached(fc, "/a.txt", T0 + V));
        break;
    case GONE_DESTROYED:
        filecache_destroy(fc);
        fc = NULL;
        break;
    }
    ck_assert_int_eq(atomic_load(&held->refs), 1);
    assert_holds(held, V1);
    ck_assert_str_eq(held->path, "/a.txt");
    filecache_release(held);
    filecache_destroy(fc);
}
END_TEST

/* Two references from lookups, and the cache gone: the last release frees. */
START_TEST(test_many_holders)
{
    filecache_t *fc = filecache_create(65536, 4096, 0);
    filecache_entry_t *h[4];

    put("a.txt", V1);
    h[0] = insert(fc, "/a.txt", "/a.txt", NULL, T0);
    for (int i = 1; i < 4; i++)
        ck_assert_ptr_eq(h[i] = lookup(fc, "/a.txt", T0), h[0]);
    ck_assert_int_eq(atomic_load(&h[0]->refs), 5);
    filecache_destroy(fc);
    for (int i = 0; i < 4; i++) {
        assert_holds(h[i], V1);
        filecache_release(h[i]);
    }
}
END_TEST

START_TEST(test_off_and_null)
{
    struct stat st = { .st_mode = S_IFREG | 0644, .st_size = 1 };
    filecache_t *fc;

    ck_assert_ptr_null(filecache_create(0, 4096, 0));
    ck_assert_ptr_null(filecache_create(65536, 0, 0));
    ck_assert_ptr_null(filecache_create(0, 0, 4));
    fc = filecache_create(65536, 0, 4); /* descriptors only */
    ck_assert_ptr_nonnull(fc);
    filecache_destroy(fc);
    ck_assert_ptr_null(filecache_lookup(NULL, root_fd, "/a", 2, T0));
    ck_assert_ptr_null(filecache_insert(NULL, root_fd, "/a", 2, "/a", -1, &st, NULL, T0));
    filecache_release(NULL);
    filecache_destroy(NULL);

    ck_assert_ptr_null(filecache_current());
    fc = filecache_create(65536, 4096, 0);
    ck_assert_ptr_nonnull(fc);
    filecache_set_current(fc);
    ck_assert_ptr_eq(filecache_current(), fc);
    filecache_set_current(NULL);
    ck_assert_ptr_null(filecache_current());
    filecache_destroy(fc); /* empty */
}
END_TEST

/* Inserting a key again replaces its entry, and gives its budget back: with room for
 * two entries, re-inserting one many times never evicts the other. */
START_TEST(test_reinsert_replaces)
{
    filecache_t *fc = filecache_create(2 * cost("/a.txt", "/a.txt", 32), 4096, 0);
    filecache_entry_t *first, *e;
    char text[32];

    put("a.txt", "first\n");
    put("b.txt", "bee\n");
    first = insert(fc, "/a.txt", "/a.txt", NULL, T0);
    filecache_release(insert(fc, "/b.txt", "/b.txt", NULL, T0));
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof(text), "content number %d\n", i);
        put("a.txt", text);
        e = insert(fc, "/a.txt", "/a.txt", NULL, T0);
        ck_assert_ptr_nonnull(e);
        filecache_release(e);
        e = lookup(fc, "/a.txt", T0);
        ck_assert_ptr_nonnull(e);
        assert_holds(e, text);
        filecache_release(e);
    }
    ck_assert_int_eq(atomic_load(&first->refs), 1); /* the cache let go of it */
    assert_holds(first, "first\n");
    filecache_release(first);
    /* b was used before a each time round: it is the colder, yet still there. */
    ck_assert(cached(fc, "/b.txt", T0));
    filecache_destroy(fc);
}
END_TEST

/* More keys than hash buckets, all found again (collisions chain). */
START_TEST(test_many_keys)
{
    enum { N = 1000 };
    filecache_t *fc = filecache_create((size_t)N * cost("/k0000", "/a.txt", 2), 4096, 0);
    char key[16];

    put("a.txt", "a\n");
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "/k%04d", i);
        filecache_release(insert(fc, key, "/a.txt", NULL, T0));
    }
    for (int i = N - 1; i >= 0; i--) {
        snprintf(key, sizeof(key), "/k%04d", i);
        ck_assert_msg(cached(fc, key, T0), "%s missing", key);
    }
    /* One more evicts the least recently used: /k0999 after the lookups above. */
    filecache_release(insert(fc, "/k1000", "/a.txt", NULL, T0));
    ck_assert(!cached(fc, "/k0999", T0));
    ck_assert(cached(fc, "/k0998", T0));
    ck_assert(cached(fc, "/k1000", T0));
    filecache_destroy(fc);
}
END_TEST

/* Whether fd is an open descriptor of this process. */
static int
fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* A file over max_file keeps a descriptor of its own (not the caller's), reading the
 * file's bytes with pread; it is closed when the last reference goes. */
START_TEST(test_large_file_keeps_descriptor)
{
    filecache_t *fc = filecache_create(65536, 8, 2);
    filecache_entry_t *e, *hit;
    char buf[32];
    int fd;

    put("big.txt", "more than eight bytes");
    e = insert(fc, "/big.txt", "/big.txt", NULL, T0);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_null(e->data);
    fd = e->fd;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), 21);
    ck_assert_mem_eq(buf, "more than eight bytes", 21);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    hit = lookup(fc, "/big.txt", T0 + V / 2);
    ck_assert_ptr_eq(hit, e);
    filecache_release(hit);
    /* the small-file path is unchanged beside it */
    put("small.txt", "tiny");
    hit = insert(fc, "/small.txt", "/small.txt", NULL, T0);
    assert_holds(hit, "tiny");
    ck_assert_int_lt(hit->fd, 0);
    filecache_release(hit);
    filecache_destroy(fc);
    ck_assert(fd_open(fd)); /* our reference keeps it */
    filecache_release(e);
    ck_assert(!fd_open(fd));
}
END_TEST

/* At most max_fds descriptors: a third large file evicts the least recently used
 * descriptor entry (closing it), never a small file's entry; with max_fds 0 a large
 * file is not cached at all. */
START_TEST(test_descriptor_limit)
{
    filecache_t *fc = filecache_create(65536, 8, 2);
    filecache_entry_t *e;
    int fd_a;

    put("a.bin", "aaaaaaaaaaaa");
    put("b.bin", "bbbbbbbbbbbb");
    put("c.bin", "cccccccccccc");
    put("s.txt", "small");
    filecache_release(insert(fc, "/s.txt", "/s.txt", NULL, T0));
    e = insert(fc, "/a.bin", "/a.bin", NULL, T0);
    fd_a = e->fd;
    filecache_release(e);
    filecache_release(insert(fc, "/b.bin", "/b.bin", NULL, T0));
    ck_assert(cached(fc, "/b.bin", T0));
    filecache_release(insert(fc, "/c.bin", "/c.bin", NULL, T0));
    ck_assert(!cached(fc, "/a.bin", T0));
    ck_assert(!fd_open(fd_a));
    ck_assert(cached(fc, "/b.bin", T0));
    ck_assert(cached(fc, "/c.bin", T0));
    ck_assert(cached(fc, "/s.txt", T0));
    /* a worker about to sleep drops its descriptors, and only those */
    e = lookup(fc, "/c.bin", T0);
    filecache_drop_descriptors(fc);
    ck_assert(!cached(fc, "/b.bin", T0));
    ck_assert(!cached(fc, "/c.bin", T0));
    ck_assert(cached(fc, "/s.txt", T0));
    ck_assert(fd_open(e->fd)); /* held by its user */
    filecache_drop_descriptors(fc);
    filecache_release(e);
    filecache_destroy(fc);

    fc = filecache_create(65536, 8, 0);
    ck_assert_ptr_null(insert(fc, "/a.bin", "/a.bin", NULL, T0));
    filecache_destroy(fc);
}
END_TEST

/* A descriptor entry is revalidated like a content entry: a file replaced on disk is
 * dropped (its descriptor closed once nobody holds it) after FILECACHE_VALID. */
START_TEST(test_descriptor_entry_revalidated)
{
    filecache_t *fc = filecache_create(65536, 8, 2);
    filecache_entry_t *e;
    int fd;

    put("big.txt", "first version, long");
    age("big.txt");
    e = insert(fc, "/big.txt", "/big.txt", NULL, T0);
    fd = e->fd;
    filecache_release(e);
    put("big.txt", "second version, longer");
    ck_assert(cached(fc, "/big.txt", T0 + V - 1));
    ck_assert(!cached(fc, "/big.txt", T0 + V));
    ck_assert(!fd_open(fd));
    filecache_destroy(fc);
}
END_TEST

/* Two sites' document roots: the same path beneath each is its own entry, answered
 * with its own bytes, and validated beneath its own root. */
START_TEST(test_key_includes_root)
{
    filecache_t *fc = filecache_create(65536, 4096, 0);
    filecache_entry_t *e;
    struct stat st;
    int other, fd;

    put("a.txt", "first site");
    ck_assert_int_eq(mkdirat(root_fd, "other", 0755), 0);
    put("other/a.txt", "second site");
    other = openat(root_fd, "other", O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(other, 0);
    filecache_release(insert(fc, "/a.txt", "/a.txt", NULL, T0));
    ck_assert_ptr_null(filecache_lookup(fc, other, "/a.txt", 6, T0));
    fd = openat(other, "a.txt", O_RDONLY | O_CLOEXEC);
    ck_assert_int_eq(fstat(fd, &st), 0);
    filecache_release(filecache_insert(fc, other, "/a.txt", 6, "/a.txt", fd, &st, NULL, T0));
    close(fd);
    e = filecache_lookup(fc, other, "/a.txt", 6, T0);
    assert_holds(e, "second site");
    filecache_release(e);
    e = lookup(fc, "/a.txt", T0);
    assert_holds(e, "first site");
    filecache_release(e);
    close(other);
    filecache_destroy(fc);
}
END_TEST

static Suite *
filecache_suite(void)
{
    Suite *s = suite_create("filecache");
    TCase *tc = tcase_create("filecache");

    tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_test(tc, test_hit_same_content_and_stat);
    tcase_add_test(tc, test_miss_unknown_key);
    tcase_add_loop_test(tc, test_size_limits, 0, (int)(sizeof(limits) / sizeof(limits[0])));
    tcase_add_test(tc, test_insert_refuses_unreadable_sizes);
    tcase_add_test(tc, test_lru_eviction_order);
    tcase_add_test(tc, test_large_entry_evicts_several);
    tcase_add_loop_test(tc, test_revalidation, 0, (int)(sizeof(revals) / sizeof(revals[0])));
    tcase_add_test(tc, test_validation_restarts_clock);
    tcase_add_test(tc, test_clock_stepped_back);
    tcase_add_loop_test(tc, test_directory_index, 0, (int)(sizeof(dirs) / sizeof(dirs[0])));
    tcase_add_loop_test(tc, test_reference_outlives_entry, GONE_EVICTED, GONE_DESTROYED + 1);
    tcase_add_test(tc, test_many_holders);
    tcase_add_test(tc, test_off_and_null);
    tcase_add_test(tc, test_reinsert_replaces);
    tcase_add_test(tc, test_many_keys);
    tcase_add_test(tc, test_large_file_keeps_descriptor);
    tcase_add_test(tc, test_key_includes_root);
    tcase_add_test(tc, test_descriptor_limit);
    tcase_add_test(tc, test_descriptor_entry_revalidated);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(filecache_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
