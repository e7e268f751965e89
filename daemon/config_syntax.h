/*
 * config_syntax.h — the text layer of the configuration: logical lines, words and
 * argument values (numbers, times, decimals, Listen addresses, RequestReadTimeout stages).
 *
 * Pure functions: no I/O, no global state, thread-safe. What they allocate comes from
 * the pool passed in. Errors come back as text without the directive's name or the
 * file:line, which config.c adds.
 */
#ifndef EV_CONFIG_SYNTAX_H
#define EV_CONFIG_SYNTAX_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "config.h"

/* RequestReadTimeout stages (mod_reqtimeout's names). */
enum { CONFIG_STAGE_HANDSHAKE, CONFIG_STAGE_HEADER, CONFIG_STAGE_BODY };

/*
 * config_syntax_next_line: cuts the next logical line out of [*pos, end): trailing
 * blanks dropped, a line ending in a backslash joined to the next (Apache's rule),
 * NUL-terminated in place — the buffer must have one writable byte at `end`. Advances
 * *pos past the consumed lines and *lineno by their count. Never fails; call only
 * while *pos < end.
 */
char *config_syntax_next_line(char **pos, char *end, int *lineno);

/*
 * config_syntax_split: splits `line` in place into words, pushed as char * pointers
 * into `words` (cleared first). Blanks separate words; a word opening with " or '
 * runs to the matching quote, inside which \" (or \') and \\ stand for the character.
 * Returns NULL, or a static error text (unterminated quote, junk after a quote).
 */
const char *config_syntax_split(char *line, apr_array_header_t *words);

/*
 * config_syntax_number: strict decimal, an optional '-' then digits and nothing else.
 * Returns 0; -1 when `s` is not a number; -2 when it does not fit a long long (*out is
 * then LLONG_MIN or LLONG_MAX by its sign).
 */
int config_syntax_number(const char *s, long long *out);

/*
 * config_syntax_interval: a time as Apache writes one: seconds, or a number followed
 * by ms, s, mi or h (any case). Returns NULL, or a static reason ("is not a time...",
 * "is too large").
 */
const char *config_syntax_interval(const char *s, apr_interval_time_t *out);

/*
 * config_syntax_decimal: a decimal greater than 0 ("2", "0.5", ".75"), read without
 * strtod so the locale cannot change the separator. Returns NULL or a static reason.
 */
const char *config_syntax_decimal(const char *s, double *out);

/*
 * config_syntax_listen: a Listen argument: "port", "*:port", "a.b.c.d:port" or
 * "[v6]:port". Sets out->host (canonical text from p, NULL for every address),
 * out->port and out->family; leaves spec and where alone. Host names are refused:
 * the server binds literals only. Returns NULL or a message allocated from p.
 */
const char *config_syntax_listen(const char *spec, ev_listen_cfg_t *out, apr_pool_t *p);

/*
 * config_syntax_stage: one RequestReadTimeout argument,
 * stage=timeout[-maxtimeout][,MinRate=rate]. Sets *stage (CONFIG_STAGE_*) and *out
 * (timeout 0 disables the stage; max 0 when no maximum is given; min_rate 0 without
 * MinRate).
 * Returns NULL or a message allocated from p.
 */
const char *config_syntax_stage(const char *arg, int *stage, ev_read_timeout_t *out, apr_pool_t *p);

#endif
