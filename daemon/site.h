/*
 * site.h — which site (the main server or a <VirtualHost>) answers a request.
 *
 * Apache's rule, precomputed when a generation is loaded: the virtual hosts whose
 * addresses match a Listen form that Listen's group, in configuration order; a
 * request on it goes to the first of them whose ServerName or ServerAlias matches the
 * host it names (the Host field, or the authority of an absolute-form target), else
 * to the group's first virtual host, its default. A Listen no virtual host matches is
 * served by the main server. Per request this is one hash probe (vhost_match.h).
 *
 * Who: the parent builds the groups (single-threaded); children read them after fork
 * from any thread (read-only). Pure: no I/O but site_dump's output.
 */
#ifndef EV_SITE_H
#define EV_SITE_H

#include <stdio.h>
#include <apr_pools.h>

#include "config.h"
#include "vhost_match.h"

typedef struct {
    const ev_listen_cfg_t *listen; /* the Listen it serves */
    const ev_site_t *dflt;         /* its first virtual host, or the main server */
    vhost_table_t *names;          /* the names of its virtual hosts, NULL when none */
    apr_array_header_t *vhosts;    /* const ev_site_t *: its virtual hosts, in order */
} site_group_t;

/* site_groups_build: one group per Listen of conf (conf->listens order), allocated
 * from p. Returns NULL only when memory ran out (every name was validated when the
 * configuration was read). */
site_group_t *site_groups_build(const ev_config_t *conf, apr_pool_t *p);

/* site_select: the site answering a request for `host` (as sent, port and trailing
 * dot allowed; NULL or len 0 when the request named none) on group g's Listen.
 * Never NULL. Thread-safe, no allocation. */
const ev_site_t *site_select(const site_group_t *g, const char *host, size_t len);

/* site_dump: the virtual host table, as `apache2ctl -S` prints it: for every Listen
 * its default server and its name-based virtual hosts with their aliases and where
 * they are defined, then ServerRoot and the main DocumentRoot. */
void site_dump(const ev_config_t *conf, const site_group_t *groups, FILE *out);

#endif
