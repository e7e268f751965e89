/*
 * sbpath.c — find the scoreboard file through the daemon's configuration (see sbpath.h).
 *
 * The whole configuration is loaded rather than grepped for ScoreboardFile: the
 * directive may come from an Include, be relative to ServerRoot, or be absent (then
 * DefaultRuntimeDir/scoreboard applies), and only the daemon's parser knows all of that.
 * The load's scratch memory lives in a subpool that is dropped at once; only the path
 * is kept.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "config.h"
#include "sbpath.h"

/* The first error of a failed load (warnings skipped), with how many others there are. */
static const char *
sbpath_config_error(const char *file, const apr_array_header_t *msgs, apr_pool_t *p)
{
    const char *first = NULL;
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
    if (first == NULL)
        return apr_psprintf(p, "%s: cannot be loaded", file);
    if (errors > 1)
        return apr_psprintf(p, "%s (and %d more errors)", first, errors - 1);
    return apr_pstrdup(p, first);
}

apr_status_t
sbpath_from_config(const char **path, const char *config_file, apr_pool_t *p, const char **error)
{
    apr_pool_t *scratch;
    apr_array_header_t *msgs;
    ev_config_t *conf = NULL;
    apr_status_t rv;

    *path = NULL;
    *error = NULL;
    if (config_file == NULL)
        config_file = SBPATH_DEFAULT_CONFIG;
    rv = apr_pool_create(&scratch, p);
    if (rv != APR_SUCCESS) {
        *error = "out of memory";
        return rv;
    }
    msgs = apr_array_make(scratch, 8, sizeof(const char *));
    rv = config_load(&conf, config_file, NULL, NULL, scratch, msgs);
    if (rv != APR_SUCCESS) {
        *error = sbpath_config_error(config_file, msgs, p);
        rv = APR_EINVAL;
    } else if (conf->scoreboard_file == NULL || conf->scoreboard_file[0] == '\0') {
        *error = apr_psprintf(p, "%s: names no ScoreboardFile", config_file);
        rv = APR_EINVAL;
    } else {
        *path = apr_pstrdup(p, conf->scoreboard_file);
    }
    apr_pool_destroy(scratch);
    return rv;
}
