/*
 * evtop.h — what evtop's main hands to its two loops (batch.c, interactive.c), and the
 * exit codes evtop(1) documents.
 */
#ifndef EVTOP_H
#define EVTOP_H

enum {
    EVTOP_EXIT_OK = 0,   /* quit normally, or printed every snapshot asked for */
    EVTOP_EXIT_FAIL = 1, /* no scoreboard to attach at start-up, a broken configuration,
                          * no terminal, or standard output failed */
    EVTOP_EXIT_USAGE = 2 /* bad command line */
};

/* The command line, parsed. */
typedef struct {
    const char *scoreboard;  /* -s: the scoreboard file, or NULL to read the config */
    const char *config_file; /* -f: the configuration, or NULL for the default */
    double interval;         /* -d: seconds between samples (1) */
    int batch;               /* -b: plain-text snapshots, no terminal control */
    long count;              /* -n: samples to take (0: until quit) */
    int color;               /* 0 with --no-color */
} evtop_opts_t;

#endif
