/*
 * site.c — the virtual host groups and the per-request choice (see site.h).
 *
 * A virtual host without a ServerName or ServerAlias can still be a group's default
 * (Apache's catch-all, <VirtualHost _default_:80>); it is simply never chosen by name.
 * Names are added in configuration order, each vhost's ServerName before its aliases,
 * so vhost_match's "first added wins" is Apache's "first vhost wins".
 */
#include <apr_strings.h>

#include "site.h"

site_group_t *
site_groups_build(const ev_config_t *conf, apr_pool_t *p)
{
    site_group_t *groups = apr_pcalloc(p, sizeof(*groups) * (size_t)(conf->listens->nelts + 1));
    int i, j, k;

    for (i = 0; i < conf->listens->nelts; i++) {
        site_group_t *g = &groups[i];

        g->listen = &APR_ARRAY_IDX(conf->listens, i, ev_listen_cfg_t);
        g->dflt = conf->main;
        g->vhosts = apr_array_make(p, 2, sizeof(const ev_site_t *));
        for (j = 1; j < conf->sites->nelts; j++) {
            const ev_site_t *s = APR_ARRAY_IDX(conf->sites, j, const ev_site_t *);
            int match = 0;

            for (k = 0; k < s->addrs->nelts && !match; k++)
                match = config_vaddr_serves(&APR_ARRAY_IDX(s->addrs, k, ev_vaddr_t), g->listen);
            if (!match)
                continue;
            if (g->vhosts->nelts == 0)
                g->dflt = s;
            APR_ARRAY_PUSH(g->vhosts, const ev_site_t *) = s;
            if (s->server_name == NULL && s->server_aliases->nelts == 0)
                continue;
            if (g->names == NULL && vhost_table_create(&g->names, p) != APR_SUCCESS)
                return NULL;
            /* Validated at load; a pattern refused here would only never match. */
            if (s->server_name)
                (void)vhost_table_add(g->names, s->server_name, (void *)s);
            for (k = 0; k < s->server_aliases->nelts; k++)
                (void)vhost_table_add(g->names, APR_ARRAY_IDX(s->server_aliases, k, const char *),
                                      (void *)s);
        }
        if (g->names)
            vhost_table_freeze(g->names);
    }
    return groups;
}

const ev_site_t *
site_select(const site_group_t *g, const char *host, size_t len)
{
    const ev_site_t *s;

    if (g->names == NULL || host == NULL || len == 0)
        return g->dflt;
    s = vhost_table_lookup(g->names, host, len);
    return s ? s : g->dflt;
}

void
site_dump(const ev_config_t *conf, const site_group_t *groups, FILE *out)
{
    int i, j, k;

    fprintf(out, "VirtualHost configuration:\n");
    for (i = 0; i < conf->listens->nelts; i++) {
        const site_group_t *g = &groups[i];

        if (g->vhosts->nelts == 0) {
            fprintf(out, "%-22s main server (DocumentRoot %s)\n", g->listen->spec,
                    conf->main->document_root);
            continue;
        }
        fprintf(out, "%-22s is a NameVirtualHost\n", g->listen->spec);
        for (j = 0; j < g->vhosts->nelts; j++) {
            const ev_site_t *s = APR_ARRAY_IDX(g->vhosts, j, const ev_site_t *);
            const char *name = s->server_name ? s->server_name : "(no ServerName)";

            if (j == 0)
                fprintf(out, "         default server %s (%s)\n", name, s->where);
            fprintf(out, "         port %u namevhost %s (%s)\n", (unsigned)g->listen->port, name,
                    s->where);
            for (k = 0; k < s->server_aliases->nelts; k++)
                fprintf(out, "                 alias %s\n",
                        APR_ARRAY_IDX(s->server_aliases, k, const char *));
        }
    }
    fprintf(out, "ServerRoot: \"%s\"\n", conf->server_root);
    fprintf(out, "Main DocumentRoot: \"%s\"\n", conf->main->document_root);
}
