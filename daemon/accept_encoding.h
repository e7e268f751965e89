/*
 * accept_encoding.h — content-coding negotiation (RFC 9110 section 12.5.3) for the
 * precompressed variants of static files (PrecompressedFiles).
 *
 * Only the codings a variant file can be stored in are known: gzip (x-gzip is the same)
 * and br. A request's Accept-Encoding lines are reduced to a weight for each of them;
 * the server then offers the acceptable codings in its order of preference and serves
 * the first one it has a variant for. Identity is never refused: a client that rules
 * it out ("identity;q=0") with no acceptable variant available still gets the file as
 * it is, as nginx and Apache answer (a 406 helps nobody).
 *
 * All functions are pure: no allocation, no I/O, no shared state; thread-safe.
 */
#ifndef EV_ACCEPT_ENCODING_H
#define EV_ACCEPT_ENCODING_H

#include <stddef.h>

#include "http_parse.h"

/* The codings, as bits of a set. Their order is the preference between equal
 * weights: br first (it compresses better), then gzip. */
enum { EV_CODING_BR = 1u << 0, EV_CODING_GZIP = 1u << 1 };

/* How many codings there are (bits above). */
#define EV_CODING_COUNT 2

/* A request's weights, in thousandths (q=0.5 is 500). */
typedef struct {
    int q[EV_CODING_COUNT]; /* each coding's own weight (index: bit number), -1 when unlisted */
    int star;               /* the weight of "*" (every coding not listed), -1 when absent */
} accept_encoding_t;

/*
 * accept_encoding_init: the weights of a request without Accept-Encoding. A request
 * without the field states no preference; this server then sends no coding at all,
 * as every server of precompressed files does. Never fails.
 */
void accept_encoding_init(accept_encoding_t *ae);

/*
 * accept_encoding_add: fold one Accept-Encoding field value (`len` bytes, OWS trimmed
 * or not) into `ae`. Coding names compare ASCII case-insensitively; a parameter other
 * than q is skipped. A member whose weight is malformed counts as q=0 (so a refusal
 * written loosely is still a refusal); the first member naming a coding decides for it.
 * Empty members (",,") are allowed. Never fails.
 */
void accept_encoding_add(accept_encoding_t *ae, const char *value, size_t len);

/*
 * accept_encoding_parse: accept_encoding_init, then accept_encoding_add for every
 * Accept-Encoding line of `req` in order (a list split over several lines is one list,
 * RFC 9110 section 5.3). Never fails.
 */
void accept_encoding_parse(const http_request_t *req, accept_encoding_t *ae);

/*
 * accept_encoding_rank: the codings of `offered` (a set of EV_CODING_* bits) that `ae`
 * accepts (weight above 0), best first: the highest weight, then br before gzip.
 * Writes them to out[] and returns how many (0: send no coding). Never fails.
 */
size_t accept_encoding_rank(const accept_encoding_t *ae, unsigned offered,
                            unsigned out[EV_CODING_COUNT]);

/*
 * accept_encoding_coding: the EV_CODING_* bit of a coding named in the configuration
 * ("gzip", "br"; ASCII case-insensitive), or 0 for any other name. Never fails.
 */
unsigned accept_encoding_coding(const char *name);

/*
 * accept_encoding_name / accept_encoding_suffix: the Content-Encoding value ("gzip",
 * "br") and the variant file's suffix (".gz", ".br") of one coding bit; static strings,
 * NULL for anything that is not exactly one known bit.
 */
const char *accept_encoding_name(unsigned coding);
const char *accept_encoding_suffix(unsigned coding);

#endif
