/*
 * location.c — Require, SetHandler and the merging of <Location> sections (location.h).
 *
 * Merging is Apache's for what a section holds, with one difference in order: Apache
 * applies sections in the order the configuration lists them, evhttpd by prefix length
 * (ties in configuration order, the main server's before a virtual host's), so a
 * shorter section written later never undoes a longer one. Header actions append
 * (the site's, then each section's); an ErrorDocument replaces the one for its
 * status; a section's Require replaces what shorter ones said (AuthMerging Off);
 * SetHandler replaces.
 */
#include <string.h>
#include <strings.h>

#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "location.h"
#include "location_match.h"

const char *
location_require_parse(int argc, char **argv, ev_require_t *r, apr_pool_t *p)
{
    ev_cidr_t *nets;
    const char *why;
    int i;

    if (argc < 1)
        return "needs a provider (all, ip or local)";
    if (strcasecmp(argv[0], "all") == 0) {
        if (argc != 2)
            return "all takes one argument: granted or denied";
        if (strcasecmp(argv[1], "granted") == 0)
            r->all = 1;
        else if (strcasecmp(argv[1], "denied") != 0)
            return apr_psprintf(p, "all %s: expected granted or denied", argv[1]);
        return NULL;
    }
    if (strcasecmp(argv[0], "local") == 0) {
        static const char *const loopback[] = { "127.0.0.0/8", "::1" };

        if (argc != 1)
            return "local takes no argument";
        for (i = 0; i < 2; i++)
            cidr_parse(loopback[i], &APR_ARRAY_PUSH(r->nets, ev_cidr_t), p);
        return NULL;
    }
    if (strcasecmp(argv[0], "ip") == 0) {
        if (argc < 2)
            return "ip needs at least one address or network";
        /* all or nothing: a bad network leaves the list as it was */
        nets = apr_palloc(p, sizeof(*nets) * (size_t)(argc - 1));
        for (i = 1; i < argc; i++) {
            if ((why = cidr_parse(argv[i], &nets[i - 1], p)) != NULL)
                return apr_psprintf(p, "ip \"%s\" %s", argv[i], why);
            cidr_mask(&nets[i - 1]);
        }
        for (i = 1; i < argc; i++)
            APR_ARRAY_PUSH(r->nets, ev_cidr_t) = nets[i - 1];
        return NULL;
    }
    if (strcasecmp(argv[0], "not") == 0)
        return "negation needs <RequireAll>, which is not supported; list the networks "
               "that may enter instead";
    return apr_psprintf(p, "\"%s\" is not supported (all, ip, local)", argv[0]);
}

int
location_require_granted(const ev_require_t *r, const struct sockaddr *sa)
{
    return r->all || cidr_list_has(r->nets, sa);
}

const char *
location_handler_parse(const char *name, int *handler)
{
    if (strcasecmp(name, "server-status") == 0)
        *handler = EV_HANDLER_STATUS;
    else if (strcasecmp(name, "server-health") == 0)
        *handler = EV_HANDLER_HEALTH;
    else if (strcasecmp(name, "none") == 0 || strcasecmp(name, "default-handler") == 0)
        *handler = EV_HANDLER_FILES;
    else
        return "is not a handler here (server-status, server-health, none)";
    return NULL;
}

/* Sorts sections by prefix length, shorter first, keeping the order of equal lengths
 * (reading order, the main server's first): an insertion sort, for a few sections. */
static void
location_sort(apr_array_header_t *a)
{
    const ev_location_t **v = (const ev_location_t **)(void *)a->elts;
    int i, j;

    for (i = 1; i < a->nelts; i++) {
        const ev_location_t *x = v[i];
        size_t len = strlen(x->prefix);

        for (j = i; j > 0 && strlen(v[j - 1]->prefix) > len; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Section `from` applied over merged settings `to`. */
static void
location_merge(ev_location_t *to, const ev_location_t *from)
{
    int i, j;

    apr_array_cat(to->headers, from->headers);
    for (i = 0; i < from->error_documents->nelts; i++) {
        const ev_errordoc_t *e = &APR_ARRAY_IDX(from->error_documents, i, ev_errordoc_t);

        for (j = 0; j < to->error_documents->nelts; j++)
            if (APR_ARRAY_IDX(to->error_documents, j, ev_errordoc_t).status == e->status)
                break;
        if (j < to->error_documents->nelts)
            APR_ARRAY_IDX(to->error_documents, j, ev_errordoc_t) = *e;
        else
            APR_ARRAY_PUSH(to->error_documents, ev_errordoc_t) = *e;
    }
    if (from->require != NULL)
        to->require = from->require;
    if (from->handler >= 0)
        to->handler = from->handler;
}

apr_status_t
location_build(ev_site_t *s, const ev_site_t *m, apr_pool_t *p)
{
    apr_array_header_t *all = apr_array_make(p, 4, sizeof(const ev_location_t *));
    location_table_t *t;
    apr_status_t rv;
    int i, j;

    s->location_table = NULL;
    if (m != NULL && m != s)
        apr_array_cat(all, m->locations);
    apr_array_cat(all, s->locations);
    if (all->nelts == 0)
        return APR_SUCCESS;
    location_sort(all);
    if ((rv = location_table_create(&t, p)) != APR_SUCCESS)
        return rv;
    for (i = 0; i < all->nelts; i++) {
        const ev_location_t *sec = APR_ARRAY_IDX(all, i, const ev_location_t *);
        size_t len = strlen(sec->prefix);
        ev_location_t *merged;

        /* one merged entry per distinct prefix: built once, at its first section */
        for (j = 0; j < i; j++)
            if (strcmp(APR_ARRAY_IDX(all, j, const ev_location_t *)->prefix, sec->prefix) == 0)
                break;
        if (j < i)
            continue;
        merged = apr_pcalloc(p, sizeof(*merged));
        merged->prefix = sec->prefix;
        merged->where = sec->where;
        merged->headers = apr_array_copy(p, s->headers);
        merged->error_documents = apr_array_copy(p, s->error_documents);
        merged->handler = EV_HANDLER_FILES;
        for (j = 0; j < all->nelts; j++) {
            const ev_location_t *o = APR_ARRAY_IDX(all, j, const ev_location_t *);

            if (strlen(o->prefix) <= len && strncmp(o->prefix, sec->prefix, strlen(o->prefix)) == 0)
                location_merge(merged, o);
        }
        if ((rv = location_table_add(t, merged->prefix, merged)) != APR_SUCCESS)
            return rv;
    }
    location_table_freeze(t);
    s->location_table = t;
    return APR_SUCCESS;
}
