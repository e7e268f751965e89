/*
 * test_accept_encoding.c — Accept-Encoding weights (RFC 9110 section 12.5.3) and the
 * choice among the precompressed codings.
 *
 * Each case is one field value, the codings on offer and the ranking expected, best
 * first, written as a string ("br gzip", "gzip", "" for no coding).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "accept_encoding.h"

#define BOTH (EV_CODING_BR | EV_CODING_GZIP)
#define BR   EV_CODING_BR
#define GZ   EV_CODING_GZIP

static const struct {
    const char *value;   /* the Accept-Encoding value */
    unsigned offered;    /* the variants available */
    const char *ranking; /* what is tried, in order */
} cases[] = {
    /* plain lists; equal weights go to br, then gzip */
    { "gzip", BOTH, "gzip" },
    { "br", BOTH, "br" },
    { "gzip, br", BOTH, "br gzip" },
    { "br, gzip", BOTH, "br gzip" },
    { "gzip, deflate, br, zstd", BOTH, "br gzip" },
    { "deflate", BOTH, "" },
    { "identity", BOTH, "" },
    { "", BOTH, "" },
    /* only what is offered */
    { "gzip, br", GZ, "gzip" },
    { "gzip, br", BR, "br" },
    { "gzip, br", 0, "" },
    { "br", GZ, "" },
    /* q-values order; q=0 refuses */
    { "gzip;q=1.0, br;q=0.5", BOTH, "gzip br" },
    { "br;q=0.5, gzip;q=0.8", BOTH, "gzip br" },
    { "br;q=0.500, gzip;q=0.5", BOTH, "br gzip" },
    { "gzip;q=0.001, br;q=0", BOTH, "gzip" },
    { "gzip;q=0, br;q=0", BOTH, "" },
    { "gzip;q=0.000", BOTH, "" },
    { "gzip;q=0.", BOTH, "" },
    { "gzip;q=1", BOTH, "gzip" },
    { "gzip;q=1.", BOTH, "gzip" },
    { "gzip;q=1.000", BOTH, "gzip" },
    { "gzip;q=0.999, br;q=0.998", BOTH, "gzip br" },
    { "br;q=0.1, gzip", GZ, "gzip" },
    /* the weight's spelling: OWS around ';', Q upper case */
    { "gzip ; q=0.5 , br;Q=0.7", BOTH, "br gzip" },
    { "gzip\t;\tq=0", BOTH, "" },
    /* malformed weights count as q=0: the coding is refused */
    { "gzip;q=2", BOTH, "" },
    { "gzip;q=1.5", BOTH, "" },
    { "gzip;q=0.1234", BOTH, "" },
    { "gzip;q=.5", BOTH, "" },
    { "gzip;q=", BOTH, "" },
    { "gzip;q", BOTH, "" },
    { "gzip;q=abc, br", BOTH, "br" },
    { "gzip;q=\"0.5\"", BOTH, "" },
    { "gzip junk, br", BOTH, "br" },
    { "gzip;", BOTH, "" },
    /* other parameters are skipped, quoted commas included */
    { "gzip;level=9", BOTH, "gzip" },
    { "gzip;x=\"a,b\";q=0.4, br;q=0.3", BOTH, "gzip br" },
    { "gzip;x=\"a,\\\"b\";q=0", BOTH, "" },
    /* case and the x-gzip alias */
    { "GZIP", BOTH, "gzip" },
    { "Br", BOTH, "br" },
    { "x-gzip", BOTH, "gzip" },
    { "X-GZIP;q=0.5, br;q=0.2", BOTH, "gzip br" },
    { "gzip2, xgzip, x-br", BOTH, "" },
    /* "*" covers what is not listed, and only that */
    { "*", BOTH, "br gzip" },
    { "*;q=0", BOTH, "" },
    { "*;q=0.5, gzip", BOTH, "gzip br" },
    { "gzip;q=0, *", BOTH, "br" },
    { "*, gzip;q=0", BOTH, "br" },
    { "br;q=0, *;q=0.1", BOTH, "gzip" },
    { "identity;q=0, *;q=0", BOTH, "" },
    /* the first member naming a coding decides */
    { "gzip;q=0, gzip", BOTH, "" },
    { "gzip, gzip;q=0", BOTH, "gzip" },
    { "x-gzip;q=0, gzip", BOTH, "" },
    /* list syntax: empty members, stray commas, no name */
    { ",, gzip ,,", BOTH, "gzip" },
    { " , ", BOTH, "" },
    { ";q=1, br", BOTH, "br" },
    { "@gzip, gzip", BOTH, "gzip" },
};

/* The ranking as text: "br gzip". */
static void
ranking_text(const unsigned *r, size_t n, char *out, size_t size)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (i > 0)
            strncat(out, " ", size - strlen(out) - 1);
        strncat(out, accept_encoding_name(r[i]), size - strlen(out) - 1);
    }
}

START_TEST(test_rank)
{
    accept_encoding_t ae;
    unsigned r[EV_CODING_COUNT];
    char got[64];
    size_t n;

    accept_encoding_init(&ae);
    accept_encoding_add(&ae, cases[_i].value, strlen(cases[_i].value));
    n = accept_encoding_rank(&ae, cases[_i].offered, r);
    ranking_text(r, n, got, sizeof(got));
    ck_assert_msg(strcmp(got, cases[_i].ranking) == 0, "\"%s\" offered %u: got \"%s\", want \"%s\"",
                  cases[_i].value, cases[_i].offered, got, cases[_i].ranking);
}
END_TEST

/* The value is a slice: nothing past `len` is read. */
START_TEST(test_slice)
{
    const char *v = "gzip;q=0.5, br";
    accept_encoding_t ae;
    unsigned r[EV_CODING_COUNT];

    accept_encoding_init(&ae);
    accept_encoding_add(&ae, v, strlen("gzip;q=0.5"));
    ck_assert_uint_eq(accept_encoding_rank(&ae, BOTH, r), 1);
    ck_assert_uint_eq(r[0], GZ);
    ck_assert_int_eq(ae.q[1], 500);
    ck_assert_int_eq(ae.q[0], -1);
}
END_TEST

static ev_slice_t
sl(const char *s)
{
    ev_slice_t v = { s, strlen(s) };

    return v;
}

/* Several lines are one list; other fields are not read; no field: no coding. */
START_TEST(test_request_lines)
{
    http_field_t fields[4];
    http_request_t req;
    accept_encoding_t ae;
    unsigned r[EV_CODING_COUNT];

    memset(&req, 0, sizeof(req));
    req.fields = fields;
    accept_encoding_parse(&req, &ae);
    ck_assert_uint_eq(accept_encoding_rank(&ae, BOTH, r), 0);

    fields[0] = (http_field_t){ sl("accept-encoding"), sl("br;q=0.2") };
    fields[1] = (http_field_t){ sl("Accept"), sl("gzip") };
    fields[2] = (http_field_t){ sl("ACCEPT-ENCODING"), sl("gzip;q=0.9, br") };
    fields[3] = (http_field_t){ sl("Accept-Encodings"), sl("*") };
    req.nfields = 4;
    accept_encoding_parse(&req, &ae);
    ck_assert_uint_eq(accept_encoding_rank(&ae, BOTH, r), 2);
    ck_assert_uint_eq(r[0], GZ); /* br's weight came first, on the first line */
    ck_assert_uint_eq(r[1], BR);
}
END_TEST

static const struct {
    const char *name;
    unsigned coding;
} names[] = {
    { "gzip", GZ },   { "GZip", GZ }, { "br", BR },      { "BR", BR }, { "x-gzip", 0 },
    { "deflate", 0 }, { "zstd", 0 },  { "identity", 0 }, { "", 0 },    { "gzipx", 0 },
};

START_TEST(test_coding_names)
{
    ck_assert_uint_eq(accept_encoding_coding(names[_i].name), names[_i].coding);
}
END_TEST

START_TEST(test_name_and_suffix)
{
    ck_assert_str_eq(accept_encoding_name(GZ), "gzip");
    ck_assert_str_eq(accept_encoding_suffix(GZ), ".gz");
    ck_assert_str_eq(accept_encoding_name(BR), "br");
    ck_assert_str_eq(accept_encoding_suffix(BR), ".br");
    ck_assert_ptr_null(accept_encoding_name(0));
    ck_assert_ptr_null(accept_encoding_name(BOTH));
    ck_assert_ptr_null(accept_encoding_suffix(1u << 7));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
accept_encoding_suite(void)
{
    Suite *s = suite_create("accept_encoding");
    TCase *tc = tcase_create("accept_encoding");

    tcase_add_loop_test(tc, test_rank, 0, N(cases));
    tcase_add_test(tc, test_slice);
    tcase_add_test(tc, test_request_lines);
    tcase_add_loop_test(tc, test_coding_names, 0, N(names));
    tcase_add_test(tc, test_name_and_suffix);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    sr = srunner_create(accept_encoding_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
