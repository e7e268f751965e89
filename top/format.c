/*
 * format.c — numbers for humans (see format.h).
 *
 * Pure functions over snprintf. Scaled values keep two significant digits below ten
 * ("1.2k") and none above ("45k"), so a column never changes width as a rate grows.
 */
#include <math.h>
#include <stdio.h>

#include "format.h"

static const char *const format_si[] = { "", "k", "M", "G", "T", "P", "E", NULL };
static const char *const format_iec[] = { "B", "K", "M", "G", "T", "P", "E", NULL };

/* Scale v by `base` until it is below 1000 and print it with its unit. */
static char *
format_scaled(char *buf, size_t size, double v, double base, const char *const *units)
{
    unsigned i = 0;

    while (v >= 999.5 && units[i + 1] != NULL) {
        v /= base;
        i++;
    }
    if (i == 0 && v == floor(v))
        snprintf(buf, size, "%.0f%s", v, units[i]);
    else if (v < 9.95)
        snprintf(buf, size, "%.1f%s", v, units[i]);
    else
        snprintf(buf, size, "%.0f%s", v, units[i]);
    return buf;
}

char *
format_count(char *buf, size_t size, uint64_t n, int width)
{
    int len = snprintf(buf, size, "%llu", (unsigned long long)n);

    if (len > width)
        format_scaled(buf, size, (double)n, 1000.0, format_si);
    return buf;
}

char *
format_bytes(char *buf, size_t size, double bytes)
{
    if (bytes < 0)
        bytes = 0;
    return format_scaled(buf, size, bytes, 1024.0, format_iec);
}

char *
format_rate(char *buf, size_t size, double per_sec)
{
    if (per_sec <= 0) {
        snprintf(buf, size, "0");
        return buf;
    }
    if (per_sec < 9.995) {
        snprintf(buf, size, "%.2f", per_sec);
        return buf;
    }
    if (per_sec < 99.95) {
        snprintf(buf, size, "%.1f", per_sec);
        return buf;
    }
    return format_scaled(buf, size, per_sec, 1000.0, format_si);
}

char *
format_usec(char *buf, size_t size, double usec)
{
    if (usec < 0)
        usec = 0;
    if (usec < 999.5)
        snprintf(buf, size, "%.0fus", usec);
    else if (usec < 9995.0)
        snprintf(buf, size, "%.1fms", usec / 1e3);
    else if (usec < 999500.0)
        snprintf(buf, size, "%.0fms", usec / 1e3);
    else if (usec < 9995000.0)
        snprintf(buf, size, "%.2fs", usec / 1e6);
    else
        snprintf(buf, size, "%.0fs", usec / 1e6);
    return buf;
}

char *
format_uptime(char *buf, size_t size, int64_t usec)
{
    int64_t s = usec > 0 ? usec / 1000000 : 0;
    int64_t days = s / 86400;

    if (days > 0)
        snprintf(buf, size, "%lldd %02d:%02d:%02d", (long long)days, (int)(s % 86400 / 3600),
                 (int)(s % 3600 / 60), (int)(s % 60));
    else
        snprintf(buf, size, "%d:%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60), (int)(s % 60));
    return buf;
}

char *
format_age(char *buf, size_t size, int64_t usec)
{
    double s = usec > 0 ? (double)usec / 1e6 : 0;

    if (s < 9.95)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 120)
        snprintf(buf, size, "%.0fs", s);
    else if (s < 7200)
        snprintf(buf, size, "%.0fm", s / 60);
    else if (s < 172800)
        snprintf(buf, size, "%.0fh", s / 3600);
    else
        snprintf(buf, size, "%.0fd", s / 86400);
    return buf;
}
