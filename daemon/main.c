/*
 * main.c — evhttpd's command line and start-up.
 *
 * Who: the process started by the operator (or systemd), before it becomes the
 * parent. Everything that can fail because of the configuration or the machine
 * (config errors, bind, user lookup, log files, the scoreboard) fails here, with a
 * message on stderr, before detaching — so the operator sees it.
 *
 * Order: parse the command line (-t only checks the configuration); load generation 1
 * (the configuration, User/Group, MIME types, the listening sockets, the access logs); open the
 * error log; create DefaultRuntimeDir and the scoreboard; detach unless -F/-X; write
 * PidFile; run the parent (or, with -X, a single child in this process).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <systemd/sd-daemon.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "child.h"
#include "config.h"
#include "generation.h"
#include "listen.h"
#include "log.h"
#include "parent.h"
#include "scoreboard.h"
#include "site.h"

#define DEFAULT_CONFIG SYSCONFDIR "/evhttpd/evhttpd.conf"

typedef struct {
    const char *config_file;
    apr_array_header_t *pre;  /* -C */
    apr_array_header_t *post; /* -c */
    int test_only;            /* -t */
    int dump_vhosts;          /* -S (also -t -D DUMP_VHOSTS) */
    int foreground;           /* -F */
    int debug_single;         /* -X */
} options_t;

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: evhttpd [-f FILE] [-C 'Directive args'] [-c 'Directive args'] [-t] [-S] [-F]"
            " [-X] [-v]\n"
            "  -f FILE   configuration file (default %s)\n"
            "  -C DIR    apply a directive before reading the configuration file\n"
            "  -c DIR    apply a directive after reading the configuration file\n"
            "  -t        test the configuration and exit\n"
            "  -S        test the configuration, print its virtual hosts and exit\n"
            "  -D NAME   with -t: DUMP_VHOSTS is -S; other names are accepted and ignored\n"
            "  -F        stay in the foreground (log to stderr unless ErrorLog is set)\n"
            "  -X        debug: one child, in the foreground, no parent\n"
            "  -v        print the version and exit\n",
            DEFAULT_CONFIG);
}

static int
parse_options(int argc, char **argv, options_t *o, apr_pool_t *p)
{
    int ch;

    memset(o, 0, sizeof(*o));
    o->config_file = DEFAULT_CONFIG;
    o->pre = apr_array_make(p, 4, sizeof(const char *));
    o->post = apr_array_make(p, 4, sizeof(const char *));
    while ((ch = getopt(argc, argv, "f:C:c:D:tSFXvVh")) != -1) {
        switch (ch) {
        case 'f':
            o->config_file = optarg;
            break;
        case 'C':
            APR_ARRAY_PUSH(o->pre, const char *) = optarg;
            break;
        case 'c':
            APR_ARRAY_PUSH(o->post, const char *) = optarg;
            break;
        case 't':
            o->test_only = 1;
            break;
        case 'S':
            o->test_only = o->dump_vhosts = 1;
            break;
        case 'D':
            if (strcmp(optarg, "DUMP_VHOSTS") == 0)
                o->dump_vhosts = 1;
            break;
        case 'F':
            o->foreground = 1;
            break;
        case 'X':
            o->debug_single = o->foreground = 1;
            break;
        case 'v':
        case 'V':
            printf("%s/%s\n", PACKAGE_NAME, PACKAGE_VERSION);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "evhttpd: unexpected argument: %s\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
}

static void
raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_error(EV_LOG_WARN, errno, "EVH00501", "cannot raise RLIMIT_NOFILE to %lu",
                      (unsigned long)rl.rlim_max);
    }
}

static int
make_runtime_dir(const char *dir)
{
    struct stat st;

    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        fprintf(stderr, "evhttpd: DefaultRuntimeDir %s is not a directory\n", dir);
        return -1;
    }
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        fprintf(stderr, "evhttpd: cannot create DefaultRuntimeDir %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int
write_pid_file(const char *path)
{
    char buf[32];
    int fd, n;

    if (path == NULL)
        return 0;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        log_error(EV_LOG_ERR, errno, "EVH00502", "cannot write PidFile %s", path);
        return -1;
    }
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n)
        log_error(EV_LOG_ERR, errno, "EVH00503", "cannot write PidFile %s", path);
    close(fd);
    return 0;
}

/* Leave the terminal: fork, new session, stdio to /dev/null (stderr to the error log). */
static int
detach(const ev_config_t *conf)
{
    pid_t pid = fork();
    int nullfd;

    if (pid < 0) {
        fprintf(stderr, "evhttpd: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid > 0)
        _exit(0);
    setsid();
    if (chdir("/") < 0)
        return -1;
    nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nullfd >= 0) {
        dup2(nullfd, 0);
        dup2(nullfd, 1);
        /* Without ErrorLog, stderr stays where it goes (the journal, a pipe), unless
         * it is the terminal being left. */
        if (conf->error_log)
            dup2(log_fd(), 2);
        else if (isatty(2))
            dup2(nullfd, 2);
        close(nullfd);
    }
    return 0;
}

static int
print_config_messages(const apr_array_header_t *msgs)
{
    int i;

    for (i = 0; i < msgs->nelts; i++)
        fprintf(stderr, "%s\n", APR_ARRAY_IDX(msgs, i, const char *));
    return msgs->nelts;
}

/* Socket activation: sockets systemd passed (LISTEN_FDS) join the listen set and are
 * matched to Listen directives by address; a Listen without one is bound as usual. The
 * variables are unset so that children do not see them. */
static int
inherit_systemd_sockets(listen_set_t *ls)
{
    char **names = NULL, err[256];
    int n = sd_listen_fds_with_names(1, &names), i, rc = 0;

    if (n < 0) {
        fprintf(stderr, "evhttpd: sd_listen_fds: %s\n", strerror(-n));
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (listen_set_inherit(ls, SD_LISTEN_FDS_START + i, err, sizeof(err)) != 0) {
            fprintf(stderr, "evhttpd: %s (name %s)\n", err, names && names[i] ? names[i] : "?");
            rc = -1;
        }
        if (names)
            free(names[i]);
    }
    free(names);
    return rc < 0 ? -1 : n;
}

/* The scoreboard, sized by the first generation, readable by ControlGroup only (it
 * holds request lines). */
static int
make_scoreboard(parent_env_t *pe, gid_t gid)
{
    const ev_config_t *conf = pe->first->conf;
    char err[256];
    apr_status_t rv;

    rv = sb_create(&pe->sb, conf->scoreboard_file, (unsigned)conf->server_limit,
                   (unsigned)conf->thread_limit, PACKAGE_NAME "/" PACKAGE_VERSION, pe->pool);
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "evhttpd: cannot create ScoreboardFile %s: %s\n", conf->scoreboard_file,
                apr_strerror(rv, err, sizeof(err)));
        return -1;
    }
    if (gid != (gid_t)-1 && (rv = sb_chown(pe->sb, (uid_t)-1, gid)) != APR_SUCCESS) {
        fprintf(stderr, "evhttpd: cannot give ScoreboardFile %s to group %s: %s\n",
                conf->scoreboard_file, conf->control_group, apr_strerror(rv, err, sizeof(err)));
        unlink(conf->scoreboard_file);
        return -1;
    }
    pe->first->env.sb = pe->sb;
    return 0;
}

static int
start(const options_t *o, apr_pool_t *pool)
{
    apr_array_header_t *msgs = apr_array_make(pool, 8, sizeof(const char *));
    parent_env_t *pe = apr_pcalloc(pool, sizeof(*pe));
    const ev_config_t *conf;
    const char *pid_file, *scoreboard_file;
    struct group *gr;
    int inherited;
    ev_config_t *tconf;
    apr_status_t rv;
    int rc;

    if (o->test_only) {
        rv = config_load(&tconf, o->config_file, o->pre, o->post, pool, msgs);
        print_config_messages(msgs);
        if (rv != APR_SUCCESS)
            return 1;
        if (o->dump_vhosts)
            site_dump(tconf, site_groups_build(tconf, pool), stdout);
        fprintf(stderr, "Syntax OK\n");
        return 0;
    }
    pe->pool = pool;
    pe->src = (gen_source_t){ o->config_file, o->pre, o->post };
    pe->listens = listen_set_create(pool);
    pe->control_gid = (gid_t)-1;
    raise_nofile();
    if ((inherited = inherit_systemd_sockets(pe->listens)) < 0)
        return 1;
    rv = generation_load(&pe->first, 1, &pe->src, pe->listens, NULL, pool, msgs);
    print_config_messages(msgs);
    if (rv != APR_SUCCESS)
        return 1;
    if (inherited > 0) {
        char ports[256];
        if (listen_set_unused_inherited(pe->listens, ports, sizeof(ports)) > 0)
            fprintf(stderr, "evhttpd: warning: sockets from systemd that no Listen names: %s\n",
                    ports);
    }
    conf = pe->first->conf;
    if (o->debug_single)
        pe->first->conf->start_servers = 1;
    if (log_open(conf->error_log, conf->log_level) != APR_SUCCESS) {
        fprintf(stderr, "evhttpd: cannot open ErrorLog %s: %s\n", conf->error_log, strerror(errno));
        return 1;
    }
    if (make_runtime_dir(conf->runtime_dir) < 0)
        return 1;
    if (conf->control_group) {
        if ((gr = getgrnam(conf->control_group)) == NULL) {
            fprintf(stderr, "evhttpd: ControlGroup %s does not exist\n", conf->control_group);
            return 1;
        }
        pe->control_gid = gr->gr_gid;
        /* ControlGroup members reach the socket and the scoreboard through it. */
        if (geteuid() == 0 && chown(conf->runtime_dir, (uid_t)-1, pe->control_gid) < 0)
            fprintf(stderr, "evhttpd: warning: cannot give DefaultRuntimeDir %s to group %s: %s\n",
                    conf->runtime_dir, conf->control_group, strerror(errno));
    }
    if (make_scoreboard(pe, pe->control_gid) < 0)
        return 1;
    if (!o->foreground && detach(conf) < 0) {
        unlink(conf->scoreboard_file);
        return 1;
    }
    /* Generation 1's pool goes when a restart replaces it: keep what exit needs. */
    pid_file = conf->pid_file ? apr_pstrdup(pool, conf->pid_file) : NULL;
    scoreboard_file = apr_pstrdup(pool, conf->scoreboard_file);
    write_pid_file(pid_file);
    if (o->debug_single)
        rc = child_main(&pe->first->env, 0, 1, -1) == EV_EXIT_OK ? 0 : 1;
    else
        rc = parent_run(pe);
    if (pid_file)
        unlink(pid_file);
    unlink(scoreboard_file);
    return rc;
}

int
main(int argc, char **argv)
{
    apr_pool_t *pconf;
    options_t opts;
    int rc;

    if (apr_app_initialize(&argc, (const char *const **)&argv, NULL) != APR_SUCCESS) {
        fprintf(stderr, "evhttpd: apr_app_initialize failed\n");
        return 1;
    }
    atexit(apr_terminate);
    signal(SIGPIPE, SIG_IGN);
    apr_pool_create(&pconf, NULL);
    if (parse_options(argc, argv, &opts, pconf) < 0)
        return 2;
    rc = start(&opts, pconf);
    return rc;
}
