/*
 * sockpath.c — find the control socket (see sockpath.h).
 *
 * evctl loads the whole configuration with config_load rather than grepping for
 * ControlSocket: the directive may come from an Include, be relative to ServerRoot, or
 * be absent (then DefaultRuntimeDir/ctl.sock applies), and only the daemon's parser
 * knows all of that. APR is initialised only here, for the length of the load, because
 * nothing else in evctl uses it.
 */
#include "sockpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "config.h"

/* The first error of a failed load (warnings skipped), with how many others there are. */
static char *
sockpath_config_error(const char *file, const apr_array_header_t *msgs)
{
    const char *first = NULL;
    char *out = NULL;
    int errors = 0;
    int i;

    for (i = 0; i < msgs->nelts; i++) {
        const char *m = APR_ARRAY_IDX(msgs, i, const char *);

        if (strncmp(m, "warning: ", 9) == 0)
            continue;
        if (first == NULL)
            first = m;
        errors++;
    }
    if (first == NULL) {
        if (asprintf(&out, "%s: cannot be loaded", file) < 0)
            out = NULL;
    } else if (errors > 1) {
        if (asprintf(&out, "%s (and %d more errors)", first, errors - 1) < 0)
            out = NULL;
    } else {
        out = strdup(first);
    }
    return out;
}

char *
sockpath_resolve(const char *socket_path, const char *config_file, char **error)
{
    apr_pool_t *pool;
    apr_array_header_t *msgs;
    ev_config_t *conf = NULL;
    char *path = NULL;

    *error = NULL;
    if (socket_path != NULL) {
        path = strdup(socket_path);
        if (path == NULL)
            *error = strdup("out of memory");
        return path;
    }
    if (config_file == NULL)
        config_file = SOCKPATH_DEFAULT_CONFIG;
    if (apr_initialize() != APR_SUCCESS) {
        *error = strdup("cannot initialise APR");
        return NULL;
    }
    if (apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        apr_terminate();
        *error = strdup("out of memory");
        return NULL;
    }
    msgs = apr_array_make(pool, 8, sizeof(const char *));
    if (config_load(&conf, config_file, NULL, NULL, pool, msgs) != APR_SUCCESS)
        *error = sockpath_config_error(config_file, msgs);
    else if (conf->control_socket == NULL || conf->control_socket[0] == '\0')
        *error = strdup("the configuration names no ControlSocket");
    else
        path = strdup(conf->control_socket);
    if (path == NULL && *error == NULL)
        *error = strdup("out of memory");
    apr_pool_destroy(pool);
    apr_terminate();
    return path;
}
