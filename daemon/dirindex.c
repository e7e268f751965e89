/*
 * dirindex.c — directory listings (see dirindex.h).
 *
 * The names are read first and sorted, then each is described with fstatat beneath
 * the directory (AT_SYMLINK_NOFOLLOW). The page is written into a growing apr text
 * buffer; a directory of N entries costs O(N log N) and one stat per entry, so
 * listings are for browsing, not for hot paths.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "dirindex.h"

static int
dirindex_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* `s` for a URL path: every byte but RFC 3986 unreserved and '/' percent-encoded. */
static const char *
dirindex_href(const char *s, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~/", ch) != NULL) {
            *o++ = (char)ch;
        } else {
            *o++ = '%';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o = '\0';
    return out;
}

/* `s` as HTML text: & < > " ' escaped, control bytes shown as '?'. */
static const char *
dirindex_text(const char *s, apr_pool_t *p)
{
    char *out = apr_palloc(p, strlen(s) * 6 + 1), *o = out;

    for (; *s; s++) {
        switch (*s) {
        case '&':
            o = stpcpy(o, "&amp;");
            break;
        case '<':
            o = stpcpy(o, "&lt;");
            break;
        case '>':
            o = stpcpy(o, "&gt;");
            break;
        case '"':
            o = stpcpy(o, "&quot;");
            break;
        case '\'':
            o = stpcpy(o, "&#39;");
            break;
        default:
            *o++ = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
        }
    }
    *o = '\0';
    return out;
}

char *
dirindex_html(int dir_fd, const char *url, size_t *len, apr_pool_t *p)
{
    DIR *d = fdopendir(dir_fd);
    apr_array_header_t *names = apr_array_make(p, 32, sizeof(const char *));
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));
    const char *title = dirindex_text(url, p);
    struct dirent *de;
    char *page;
    int i;

    if (d == NULL) {
        int e = errno;
        close(dir_fd);
        errno = e;
        return NULL;
    }
    errno = 0;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(p, de->d_name);
    if (errno != 0) {
        int e = errno;
        closedir(d);
        errno = e;
        return NULL;
    }
    qsort(names->elts, (size_t)names->nelts, sizeof(const char *), dirindex_cmp);
    APR_ARRAY_PUSH(out, const char *) = apr_pstrcat(
        p, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ", title,
        "</title></head>\n<body><h1>Index of ", title,
        "</h1>\n<table>\n<tr><th>Name</th><th>Last modified</th><th>Size</th></tr>\n", NULL);
    if (strcmp(url, "/") != 0)
        APR_ARRAY_PUSH(out, const char *) =
            "<tr><td><a href=\"../\">Parent Directory</a></td><td></td><td>-</td></tr>\n";
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        struct stat st;
        struct tm tm;
        char when[32] = "";
        int dir = 0;
        const char *size = "-";

        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            time_t t = st.st_mtim.tv_sec;

            dir = S_ISDIR(st.st_mode);
            if (gmtime_r(&t, &tm) != NULL)
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
            if (!dir)
                size = apr_off_t_toa(p, (apr_off_t)st.st_size);
        }
        APR_ARRAY_PUSH(out, const char *) =
            apr_pstrcat(p, "<tr><td><a href=\"", dirindex_href(name, p), dir ? "/" : "", "\">",
                        dirindex_text(name, p), dir ? "/" : "", "</a></td><td>", when, "</td><td>",
                        size, "</td></tr>\n", NULL);
    }
    closedir(d);
    APR_ARRAY_PUSH(out, const char *) = "</table>\n</body></html>\n";
    page = apr_array_pstrcat(p, out, 0);
    *len = strlen(page);
    return page;
}
