/*
 * json.c — evctl's streaming JSON writer (see json.h).
 *
 * Why hand-written: evctl prints a few flat objects, and a JSON library would be a new
 * dependency for thirty lines of output. The part that must be right is string
 * escaping, because server names, messages and config errors come from the daemon and
 * the config file, which may hold any byte: the UTF-8 check below follows the
 * well-formed byte sequences of Unicode's table 3-7 (no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void
json_init(json_t *j, FILE *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

/* The length of the well-formed UTF-8 sequence at s (a multi-byte lead), or 0. */
static size_t
json_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len, i;

    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

void
json_write_escaped(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n;

    fputc('"', out);
    while (*s != '\0') {
        if (*s == '"' || *s == '\\') {
            fputc('\\', out);
            fputc(*s++, out);
        } else if (*s < 0x20) {
            fprintf(out, "\\u%04x", (unsigned)*s++);
        } else if (*s < 0x80) {
            fputc(*s++, out);
        } else if ((n = json_utf8_len(s)) > 0) {
            fwrite(s, 1, n, out);
            s += n;
        } else {
            fputs("\\ufffd", out);
            s++;
        }
    }
    fputc('"', out);
}

/* Write what goes before a value: the comma and, inside an object, the key. Returns 0
 * when the value may be written. */
static int
json_prefix(json_t *j, const char *key)
{
    int in_object = j->depth > 0 && !j->is_array[j->depth - 1];

    if (j->misuse || (key != NULL) != in_object) {
        j->misuse = 1;
        return -1;
    }
    if (j->depth > 0) {
        if (j->has_items[j->depth - 1])
            fputc(',', j->out);
        j->has_items[j->depth - 1] = 1;
    }
    if (key != NULL) {
        json_write_escaped(j->out, key);
        fputc(':', j->out);
    }
    return 0;
}

static void
json_open(json_t *j, const char *key, int is_array)
{
    if (j->depth == JSON_MAX_DEPTH) {
        j->misuse = 1;
        return;
    }
    if (json_prefix(j, key) != 0)
        return;
    fputc(is_array ? '[' : '{', j->out);
    j->is_array[j->depth] = (unsigned char)is_array;
    j->has_items[j->depth] = 0;
    j->depth++;
}

static void
json_close(json_t *j, int is_array)
{
    if (j->misuse || j->depth == 0 || j->is_array[j->depth - 1] != is_array) {
        j->misuse = 1;
        return;
    }
    j->depth--;
    fputc(is_array ? ']' : '}', j->out);
}

void
json_object_begin(json_t *j, const char *key)
{
    json_open(j, key, 0);
}

void
json_object_end(json_t *j)
{
    json_close(j, 0);
}

void
json_array_begin(json_t *j, const char *key)
{
    json_open(j, key, 1);
}

void
json_array_end(json_t *j)
{
    json_close(j, 1);
}

void
json_string(json_t *j, const char *key, const char *s)
{
    if (json_prefix(j, key) != 0)
        return;
    if (s == NULL)
        fputs("null", j->out);
    else
        json_write_escaped(j->out, s);
}

void
json_uint(json_t *j, const char *key, uint64_t v)
{
    if (json_prefix(j, key) == 0)
        fprintf(j->out, "%" PRIu64, v);
}

void
json_int(json_t *j, const char *key, int64_t v)
{
    if (json_prefix(j, key) == 0)
        fprintf(j->out, "%" PRId64, v);
}

void
json_double(json_t *j, const char *key, double v)
{
    if (json_prefix(j, key) != 0)
        return;
    if (!isfinite(v))
        fputs("null", j->out);
    else
        fprintf(j->out, "%.15g", v);
}

void
json_bool(json_t *j, const char *key, int v)
{
    if (json_prefix(j, key) == 0)
        fputs(v ? "true" : "false", j->out);
}

void
json_null(json_t *j, const char *key)
{
    if (json_prefix(j, key) == 0)
        fputs("null", j->out);
}

int
json_finish(json_t *j)
{
    fputc('\n', j->out);
    if (fflush(j->out) != 0 || ferror(j->out))
        return -1;
    return j->misuse || j->depth != 0 ? -1 : 0;
}
