/*
 * config.h — the parsed evhttpd configuration (one generation).
 *
 * Who: built by the parent at start-up and on every reload; children inherit the
 * finished structure read-only across fork(). Nothing here is shared between
 * threads while it is being written, so it needs no locks.
 * Owns: everything it points at lives in the pool passed to config_load() (pconf).
 */
#ifndef EV_CONFIG_H
#define EV_CONFIG_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>
#include <apr_time.h>
#include <apr_network_io.h> /* apr_port_t, APR_INET* */

#include "cidr.h"

/* LogLevel values, Apache's order. */
enum {
    EV_LOG_EMERG = 0,
    EV_LOG_ALERT,
    EV_LOG_CRIT,
    EV_LOG_ERR,
    EV_LOG_WARN,
    EV_LOG_NOTICE,
    EV_LOG_INFO,
    EV_LOG_DEBUG
};

/* One Listen directive. */
typedef struct {
    const char *host;  /* address literal or NULL for every address (Listen 8080) */
    apr_port_t port;   /* port, 1..65535 */
    int family;        /* APR_INET, APR_INET6 or APR_UNSPEC (host NULL) */
    const char *spec;  /* the directive's argument as written, for messages */
    const char *where; /* "file:line" of the directive, for bind errors */
    int proxy;         /* `Listen ADDR:PORT proxy`: every connection starts with a PROXY
                        * protocol header from a ProxyProtocolTrusted peer */
} ev_listen_cfg_t;

/* One RequestReadTimeout stage. */
typedef struct {
    apr_interval_time_t timeout; /* the initial allowance (0: the stage is not limited) */
    apr_interval_time_t max;     /* the most MinRate may extend it to (0: no maximum) */
    int min_rate;                /* bytes per second that earn one more second (0: none) */
} ev_read_timeout_t;

/* One CustomLog directive. */
typedef struct {
    const char *path;   /* CustomLog path, resolved against ServerRoot */
    const char *format; /* the format string (a LogFormat nickname is already expanded) */
} ev_customlog_t;

/* One address of a <VirtualHost>: "*", "*:port", "addr" or "addr:port". */
typedef struct {
    const char *host; /* canonical address text, or NULL for "*" (every address) */
    int family;       /* APR_INET, APR_INET6, or APR_UNSPEC with host NULL */
    apr_port_t port;  /* 0: every port */
} ev_vaddr_t;

/* One Alias: URLs under `prefix` map to files beneath `path`. */
typedef struct {
    const char *prefix; /* URL-path as written (matched against decoded, normalized paths) */
    const char *path;   /* the directory or file it maps to, absolute */
    const char *where;  /* "file:line" */
    int index;          /* its number among every site's aliases (a child's descriptor) */
} ev_alias_t;

/* One Redirect. */
typedef struct {
    int status;         /* 301, 302, 303, 3xx or 410 */
    const char *prefix; /* URL-path */
    const char *target; /* URL or local path, NULL for 410 */
} ev_redirect_t;

/* One ErrorDocument. */
typedef struct {
    int status;      /* 400..599 */
    int kind;        /* EV_ERRDOC_LOCAL, EV_ERRDOC_URL or EV_ERRDOC_TEXT */
    const char *arg; /* LOCAL: a normalized path on this site; URL: absolute; TEXT: the body */
} ev_errordoc_t;

enum { EV_ERRDOC_LOCAL = 1, EV_ERRDOC_URL, EV_ERRDOC_TEXT };

/* What answers the requests of a <Location> (SetHandler). */
enum {
    EV_HANDLER_FILES = 0, /* files (SetHandler none; the default) */
    EV_HANDLER_STATUS,    /* SetHandler server-status: the status page */
    EV_HANDLER_HEALTH     /* SetHandler server-health: the health check (see HealthLocation) */
};

/* Who may have what a <Location> holds: its Require directives, any one of which
 * grants (Apache's implicit <RequireAny>). */
typedef struct {
    int all;                  /* `Require all granted` */
    apr_array_header_t *nets; /* ev_cidr_t of `Require ip` and `Require local` */
} ev_require_t;

/* A <Location> section. As read it holds its own directives only; the sites' tables
 * (ev_site_t.location_table) hold merged ones: for each prefix, the site's Header and
 * ErrorDocument, then those of every section whose prefix is a prefix of it, shorter
 * first, so the longest prefix wins. */
typedef struct ev_location_t {
    const char *prefix;                  /* URL-path, normalized; a trailing '/' is kept */
    const char *where;                   /* "file:line" of the section */
    apr_array_header_t *headers;         /* header_action_t */
    apr_array_header_t *error_documents; /* ev_errordoc_t, one per status */
    const ev_require_t *require;         /* NULL: no Require (everyone, or StatusAllow for
                                          * the status page) */
    int handler;                         /* EV_HANDLER_*, or -1 when not set here */
} ev_location_t;

/* A site: the main server (directives outside every <VirtualHost>) or one virtual
 * host. What a virtual host does not set it takes from the main server once the whole
 * configuration is read, so after config_load every field is set. */
typedef struct ev_site_t {
    int index;                           /* 0 for the main server, then 1.. in order */
    const char *where;                   /* "file:line" of its <VirtualHost>; NULL for main */
    apr_array_header_t *addrs;           /* ev_vaddr_t (empty for the main server) */
    const char *server_name;             /* ServerName (main: default none, NULL) */
    apr_array_header_t *server_aliases;  /* ServerAlias patterns: const char * */
    const char *document_root;           /* DocumentRoot, absolute (main: ServerRoot/htdocs) */
    apr_array_header_t *directory_index; /* DirectoryIndex: const char * (main: index.html) */
    apr_array_header_t *aliases;         /* ev_alias_t *: its own Alias, then the main server's */
    apr_array_header_t *redirects;       /* ev_redirect_t *: its own Redirect, then the main's */
    apr_array_header_t *headers;         /* header_action_t: Header, the main server's then its own
                                          * (mod_headers applies a virtual host's after) */
    apr_array_header_t *expires; /* expires_rule_t: ExpiresByType, the main server's then its
                                  * own (a later rule for a type wins) */
    int expires_active;          /* ExpiresActive On|Off (main: Off; -1 until set) */
    apr_array_header_t *error_documents; /* ev_errordoc_t: its own ErrorDocument, then the
                                          * main server's for the other statuses */
    int options_indexes;           /* Options Indexes: list a directory without an index (main: off;
                                    * -1 until set) */
    int precompressed;             /* PrecompressedFiles: EV_CODING_* bits of the codings whose
                                    * variant files (x.css.gz, x.css.br) may answer (main: none, 0;
                                    * -1 until set) */
    apr_array_header_t *locations; /* ev_location_t *: its own <Location> sections, as read */
    struct location_table_t *location_table; /* prefix -> merged const ev_location_t *, the
                                              * main server's sections and its own; NULL
                                              * when none applies */
    apr_interval_time_t keepalive_timeout;   /* KeepAliveTimeout (main: 5 s; accepts "ms"; a
                                              * virtual host: -1 until set, then the main's) */
    int keepalive_queue;             /* its index in ev_config_t.keepalive_timeouts: the listener's
                                      * keep-alive queue for connections it answered last */
    apr_array_header_t *custom_logs; /* CustomLog: int, its lines' indexes in
                                      * ev_config_t.custom_logs in order (a virtual host
                                      * without any has the main server's) */
    const char *error_log;           /* ErrorLog of a virtual host, absolute, or NULL: the
                                      * main server's (ev_config_t.error_log) */
    int error_log_id;                /* error_log's index in ev_config_t.error_logs, or -1
                                      * for the main ErrorLog */
} ev_site_t;

typedef struct {
    const char *file;        /* the main config file, absolute */
    const char *server_root; /* ServerRoot (default: the config file's directory) */
    const char *runtime_dir; /* DefaultRuntimeDir (default /run/evhttpd) */

    apr_array_header_t *listens; /* Listen: ev_listen_cfg_t, in order; never empty after load */
    int listen_backlog;          /* ListenBacklog (511) */
    int listen_buckets_ratio;    /* ListenCoresBucketsRatio: CPUs per listener bucket
                                  * (0 = one socket per address, the default) */

    ev_site_t *main;           /* the main server: DocumentRoot, DirectoryIndex, ServerName */
    apr_array_header_t *sites; /* ev_site_t *: main first, then every <VirtualHost> in order */
    int naliases;              /* Alias directives in all (ev_alias_t.index < naliases) */
    const char *types_config;  /* TypesConfig (/etc/mime.types) */

    const char *user;  /* User (evhttpd); only used when started as root */
    const char *group; /* Group (evhttpd) */

    const char
        *pid_file; /* PidFile, absolute, or NULL for none (default runtime_dir/evhttpd.pid) */
    const char *error_log;           /* ErrorLog of the main server, absolute, or NULL for
                                      * stderr */
    int log_level;                   /* LogLevel (EV_LOG_WARN) */
    apr_array_header_t *custom_logs; /* CustomLog: ev_customlog_t, each distinct path and
                                      * format of every site once, in order of appearance */
    apr_array_header_t *error_logs;  /* const char *: each distinct ErrorLog of the virtual
                                      * hosts, absolute, other than the main one */
    apr_hash_t *log_formats;         /* LogFormat nickname -> format; has common and combined */

    const char *scoreboard_file; /* ScoreboardFile, absolute (default runtime_dir/scoreboard) */
    const char *control_socket;  /* ControlSocket, absolute (default runtime_dir/ctl.sock) */
    const char *control_group;   /* ControlGroup, or NULL */

    int start_servers;       /* StartServers (3) */
    int server_limit;        /* ServerLimit (16) */
    int thread_limit;        /* ThreadLimit (64) */
    int threads_per_child;   /* ThreadsPerChild (25), clamped to ThreadLimit */
    int max_request_workers; /* MaxRequestWorkers (400), clamped, multiple of ThreadsPerChild */
    int min_spare_threads;   /* MinSpareThreads (75) */
    int max_spare_threads;   /* MaxSpareThreads (250), raised to MinSpare + ThreadsPerChild */
    int max_connections_per_child;      /* MaxConnectionsPerChild (0 = unlimited) */
    double async_request_worker_factor; /* AsyncRequestWorkerFactor (2), fractions allowed */

    int keepalive;                          /* KeepAlive On|Off (On) */
    apr_array_header_t *keepalive_timeouts; /* apr_interval_time_t: each distinct KeepAliveTimeout
                                             * of the sites, the main server's first (one
                                             * keep-alive queue per value in the listener) */
    int max_keepalive_requests;             /* MaxKeepAliveRequests (100; 0 = unlimited) */
    apr_interval_time_t timeout;            /* Timeout (60 s) */
    apr_interval_time_t graceful_shutdown_timeout; /* GracefulShutdownTimeout (0 = wait forever) */
    apr_interval_time_t graceful_restart_timeout;  /* GracefulRestartTimeout (0 = wait forever) */

    /* RequestReadTimeout stage=timeout[-max][,MinRate=rate], Apache's defaults
     * header=20-40,MinRate=500 body=20,MinRate=500: a stage may take `timeout`, plus one
     * second per `rate` bytes received, up to `max` (0: no maximum). */
    ev_read_timeout_t header_timeout; /* RequestReadTimeout header=... */
    ev_read_timeout_t body_timeout;   /* RequestReadTimeout body=... */

    int buffered_logs;           /* BufferedLogs On|Off (Off) */
    int sched_batch;             /* SchedulingPolicy batch|other: the children's threads run
                                  * as SCHED_BATCH (1, the default) or as started (0) */
    int file_cache_size;         /* FileCacheSize: bytes of small files each worker keeps in
                                  * memory (262144; 0 = off) */
    int file_cache_max_file;     /* FileCacheMaxFileSize: largest file cached (16384) */
    apr_off_t sendfile_min_size; /* SendfileMinSize: bodies up to this many bytes are copied
                                  * and sent with the head (131072; 0 = always sendfile) */
    int file_cache_fds;          /* FileCacheDescriptors: larger files each worker keeps open
                                  * (16; 0 = off) */

    int limit_request_line;        /* LimitRequestLine (8190) */
    int limit_request_field_size;  /* LimitRequestFieldSize (8190) */
    int limit_request_fields;      /* LimitRequestFields (100) */
    apr_off_t limit_request_body;  /* LimitRequestBody (1 GiB; 0 = unlimited) */
    int limit_request_header_size; /* LimitRequestHeaderSize: the whole head (32768) */

    const char *status_location;      /* StatusLocation: a normalized path without trailing
                                       * '/', or NULL (the default: no status page) */
    apr_array_header_t *status_allow; /* StatusAllow: ev_cidr_t, every occurrence adds
                                       * (default 127.0.0.1 and ::1) */
    const char *health_location;      /* HealthLocation: normalized as status_location, or
                                       * NULL (the default: none) */

    apr_array_header_t *proxy_trusted;       /* ProxyProtocolTrusted: ev_cidr_t, every occurrence
                                              * adds (default none: a `proxy` listener needs it) */
    apr_interval_time_t proxy_timeout;       /* ProxyProtocolTimeout: for the whole PROXY header
                                              * (5 s) */
    apr_interval_time_t graceful_stop_delay; /* GracefulStopDelay: the lame-duck phase at the
                                              * start of a graceful stop (0 = none) */
} ev_config_t;

/*
 * config_load: read `file` (and what it Includes), with the directives in `pre` (-C)
 * applied before it and those in `post` (-c) after it; both are arrays of
 * "Directive args" strings, either may be NULL. Fills *out from pool `p`.
 * Every error and warning is appended to `msgs` (const char *, allocated from p),
 * errors as "file:line: message" (-C/-c lines are named "-C:N" / "-c:N"), or as
 * "file: message" for what concerns a whole file (unreadable, a NUL byte, no Listen,
 * a default path that cannot be resolved with nothing set to blame), warnings
 * prefixed "warning: ". Returns APR_SUCCESS, or APR_EINVAL when at least
 * one error was found (then *out is NULL). Not thread-safe (uses p).
 * Messages come in reading order (-C, the file with its Includes in place, -c), then
 * those of the end-of-load checks; clamp warnings (present with APR_SUCCESS) are only
 * produced when there is no error. Errors stop being collected after 50.
 */
apr_status_t config_load(ev_config_t **out, const char *file, const apr_array_header_t *pre,
                         const apr_array_header_t *post, apr_pool_t *p, apr_array_header_t *msgs);

/* config_vaddr_serves: whether connections of Listen `l` may be for a virtual host
 * with address `a`: the ports agree (or `a` has none) and `a` is "*" or names the
 * very address `l` binds (a Listen on every address does not tell vhosts apart by
 * the address a connection came to). */
int config_vaddr_serves(const ev_vaddr_t *a, const ev_listen_cfg_t *l);

/* config_vaddr_text: "*:80", "10.0.0.1:*", "[::1]:8080" (from p). */
const char *config_vaddr_text(const ev_vaddr_t *a, apr_pool_t *p);

/* config_log_level_name: "error", "warn", ... for EV_LOG_* (static strings). */
const char *config_log_level_name(int level);

#endif
