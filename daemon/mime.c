/*
 * mime.c — the extension-to-media-type table loaded from TypesConfig.
 *
 * Who: the parent builds a table per configuration generation (pconf) before children
 * fork; worker threads then only read it, which apr_hash_get does without writing, so
 * lookups need no lock. Owns: the hash and its strings, all in the caller's pool; the
 * file's raw text lives in a scratch sub-pool destroyed before mime_load returns.
 * Keys are stored lowercased so a lookup lowercases its (short, bounded) extension on
 * the stack and costs one hash probe, with no allocation.
 */
#include <errno.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "mime.h"

/* Refuse absurd TypesConfig files rather than reading them into memory. */
#define MIME_FILE_MAX (16 * 1024 * 1024)

struct mime_t {
    apr_hash_t *by_ext; /* lowercased extension -> type string, both in the table's pool */
};

/* ASCII only: the server never calls setlocale, and extensions must not depend on it. */
static char
mime_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int
mime_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next field of the line s[*i..end), stopping at a comment; 0 when there is none. */
static size_t
mime_field(const char *s, size_t end, size_t *i, const char **field)
{
    size_t start;

    while (*i < end && mime_is_space(s[*i]))
        (*i)++;
    if (*i == end || s[*i] == '#')
        return 0;
    start = *i;
    while (*i < end && !mime_is_space(s[*i]) && s[*i] != '#')
        (*i)++;
    *field = s + start;
    return *i - start;
}

/* Enter one line, s[0..len): "type ext ext...". */
static void
mime_line(mime_t *m, const char *s, size_t len, apr_pool_t *p)
{
    size_t i = 0, n;
    const char *field, *type;
    char *ext;

    n = mime_field(s, len, &i, &field);
    if (n == 0 || memchr(field, '/', n) == NULL)
        return;
    type = apr_pstrmemdup(p, field, n);
    while ((n = mime_field(s, len, &i, &field)) != 0) {
        if (n > EV_MIME_EXT_MAX)
            continue;
        ext = apr_pstrmemdup(p, field, n);
        for (size_t k = 0; k < n; k++)
            ext[k] = mime_lower(ext[k]);
        apr_hash_set(m->by_ext, ext, (apr_ssize_t)n, type);
    }
}

static apr_status_t
mime_read(const char *path, apr_pool_t *scratch, char **text, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, scratch);
    if (rv != APR_SUCCESS)
        return rv;
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv != APR_SUCCESS)
        return rv;
    if (fi.size > MIME_FILE_MAX)
        return APR_FROM_OS_ERROR(EFBIG);
    *text = apr_palloc(scratch, (apr_size_t)fi.size + 1);
    *len = 0;
    /* A file that shrank since the stat is read as far as it goes. */
    rv = apr_file_read_full(f, *text, (apr_size_t)fi.size, len);
    return rv == APR_EOF ? APR_SUCCESS : rv;
}

apr_status_t
mime_load(mime_t **out, const char *path, apr_pool_t *p)
{
    mime_t *m = apr_palloc(p, sizeof(*m));
    apr_pool_t *scratch;
    apr_status_t rv;
    char *text = NULL;
    apr_size_t len = 0;

    m->by_ext = apr_hash_make(p);
    *out = m;
    rv = apr_pool_create(&scratch, p);
    if (rv != APR_SUCCESS)
        return rv;
    rv = mime_read(path, scratch, &text, &len);
    if (rv == APR_SUCCESS) {
        for (apr_size_t start = 0, end; start < len; start = end + 1) {
            const char *nl = memchr(text + start, '\n', len - start);

            end = nl != NULL ? (apr_size_t)(nl - text) : len;
            mime_line(m, text + start, end - start, p);
        }
    }
    apr_pool_destroy(scratch);
    return rv;
}

const char *
mime_type(const mime_t *m, const char *path)
{
    const char *name = strrchr(path, '/');
    const char *dot;
    const char *type;
    char ext[EV_MIME_EXT_MAX + 1];
    size_t n;

    name = name != NULL ? name + 1 : path;
    dot = strrchr(name, '.');
    if (dot == NULL || dot == name)
        return EV_MIME_DEFAULT;
    n = strlen(dot + 1);
    if (n == 0 || n > EV_MIME_EXT_MAX)
        return EV_MIME_DEFAULT;
    for (size_t k = 0; k < n; k++)
        ext[k] = mime_lower(dot[1 + k]);
    type = apr_hash_get(m->by_ext, ext, (apr_ssize_t)n);
    return type != NULL ? type : EV_MIME_DEFAULT;
}
