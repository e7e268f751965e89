/*
 * test_header_action.c — parsing Header directives and applying them to field lists.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <check.h>

#include "header_action.h"

static apr_pool_t *pool;

static void
pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void
pool_teardown(void)
{
    apr_pool_destroy(pool);
}

static int
count_args(const char *const *argv)
{
    int n = 0;

    while (n < 8 && argv[n] != NULL)
        n++;
    return n;
}

/* ---- header_action_parse: accepted lines ---- */

static const struct {
    const char *argv[6];
    int always;
    header_action_op_t op;
    const char *name;
    const char *value; /* NULL: none (unset) */
} parse_ok[] = {
    { { "set", "X-Frame-Options", "DENY" }, 0, HEADER_ACTION_SET, "X-Frame-Options", "DENY" },
    { { "always", "set", "X", "1" }, 1, HEADER_ACTION_SET, "X", "1" },
    { { "onsuccess", "add", "X", "1" }, 0, HEADER_ACTION_ADD, "X", "1" },
    { { "ALWAYS", "SET", "X", "1" }, 1, HEADER_ACTION_SET, "X", "1" },
    { { "OnSuccess", "Append", "Cache-Control", "no-transform" },
      0,
      HEADER_ACTION_APPEND,
      "Cache-Control",
      "no-transform" },
    { { "unset", "Server" }, 0, HEADER_ACTION_UNSET, "Server", NULL },
    { { "always", "unset", "X-Powered-By" }, 1, HEADER_ACTION_UNSET, "X-Powered-By", NULL },
    { { "setifempty", "X", "y" }, 0, HEADER_ACTION_SETIFEMPTY, "X", "y" },
    { { "SetIfEmpty", "X", "y" }, 0, HEADER_ACTION_SETIFEMPTY, "X", "y" },
    { { "add", "Set-Cookie", "a=1; Path=/" }, 0, HEADER_ACTION_ADD, "Set-Cookie", "a=1; Path=/" },
    /* mod_headers drops a final colon on the name */
    { { "set", "X:", "v" }, 0, HEADER_ACTION_SET, "X", "v" },
    { { "unset", "X:" }, 0, HEADER_ACTION_UNSET, "X", NULL },
    /* every tchar */
    { { "set", "x-A.b_c!#$%&'*+^`|~9", "v" }, 0, HEADER_ACTION_SET, "x-A.b_c!#$%&'*+^`|~9", "v" },
    /* values: spaces, empty, %% and mod_headers' backslash escapes */
    { { "set", "X", "a b  c" }, 0, HEADER_ACTION_SET, "X", "a b  c" },
    { { "set", "X", "" }, 0, HEADER_ACTION_SET, "X", "" },
    { { "set", "X", "100%%" }, 0, HEADER_ACTION_SET, "X", "100%" },
    { { "set", "X", "%%%%" }, 0, HEADER_ACTION_SET, "X", "%%" },
    { { "set", "X", "a\\tb" }, 0, HEADER_ACTION_SET, "X", "a\tb" },
    { { "set", "X", "a\\\\b" }, 0, HEADER_ACTION_SET, "X", "a\\b" },
    { { "set", "X", "a\\\\tb" }, 0, HEADER_ACTION_SET, "X", "a\\tb" },
    { { "set", "X", "a\\xb" }, 0, HEADER_ACTION_SET, "X", "a\\xb" },
    { { "set", "X", "end\\" }, 0, HEADER_ACTION_SET, "X", "end\\" },
    { { "set", "X", "a\tb" }, 0, HEADER_ACTION_SET, "X", "a\tb" },
    { { "set", "X", "caf\xc3\xa9" }, 0, HEADER_ACTION_SET, "X", "caf\xc3\xa9" },
    { { "set", "X", "env=not-a-condition-here" },
      0,
      HEADER_ACTION_SET,
      "X",
      "env=not-a-condition-here" },
    /* Server and Content-Type are not framing: the operator may change them */
    { { "set", "Content-Type", "text/plain" }, 0, HEADER_ACTION_SET, "Content-Type", "text/plain" },
};

START_TEST(test_parse_ok)
{
    header_action_t a;
    const char *why =
        header_action_parse(count_args(parse_ok[_i].argv), (char **)parse_ok[_i].argv, &a, pool);

    ck_assert_msg(why == NULL, "case %d: %s", _i, why);
    ck_assert_int_eq(a.always, parse_ok[_i].always);
    ck_assert_int_eq(a.op, parse_ok[_i].op);
    ck_assert_str_eq(a.name, parse_ok[_i].name);
    if (parse_ok[_i].value == NULL)
        ck_assert_ptr_null(a.value);
    else
        ck_assert_str_eq(a.value, parse_ok[_i].value);
}
END_TEST

/* ---- header_action_parse: refused lines ---- */

static const struct {
    const char *argv[7];
    const char *reason; /* a substring of the reason */
} parse_bad[] = {
    { { NULL }, "takes [always|onsuccess]" },
    { { "always" }, "takes [always|onsuccess]" },
    { { "onsuccess" }, "takes [always|onsuccess]" },
    /* unsupported and unknown actions */
    { { "echo", "^TS" }, "action \"echo\" is not supported" },
    { { "always", "echo", "^TS" }, "action \"echo\" is not supported" },
    { { "edit", "X", "^a", "b" }, "action \"edit\" is not supported" },
    { { "edit*", "X", "a", "b" }, "action \"edit*\" is not supported" },
    { { "merge", "Cache-Control", "no-cache" }, "action \"merge\" is not supported" },
    { { "MERGE", "Cache-Control", "no-cache" }, "action \"MERGE\" is not supported" },
    { { "note", "X", "n" }, "action \"note\" is not supported" },
    { { "replace", "X", "v" }, "\"replace\" is not an action" },
    { { "always", "onsuccess", "set", "X", "v" }, "\"onsuccess\" is not an action" },
    /* missing and extra arguments */
    { { "set" }, "needs a header name" },
    { { "set", "X" }, "set needs a value" },
    { { "always", "append", "X" }, "append needs a value" },
    { { "add", "X" }, "add needs a value" },
    { { "setifempty", "X" }, "setifempty needs a value" },
    { { "unset", "X", "v" }, "unset takes no value" },
    { { "set", "X", "v", "extra" }, "unexpected argument \"extra\"" },
    /* conditions and modes */
    { { "unset", "X", "env=foo" }, "conditions (\"env=foo\") are not supported" },
    { { "set", "X", "v", "env=foo" }, "conditions (\"env=foo\") are not supported" },
    { { "set", "X", "v", "env=!foo" }, "conditions" },
    { { "set", "X", "v", "ENV=foo" }, "conditions" },
    { { "set", "X", "v", "expr=%{REQUEST_URI} =~ m#^/a#" }, "conditions" },
    { { "set", "X", "v", "early" }, "early processing is not supported" },
    { { "unset", "X", "early" }, "early processing is not supported" },
    { { "set", "X", "v", "env=foo", "more" }, "conditions" },
    { { "set", "X", "expr=%{REQUEST_URI}" }, "expr= values are not supported" },
    /* format specifiers and lone '%' */
    { { "set", "X", "%t" }, "format specifiers" },
    { { "set", "X", "took %D us" }, "format specifiers" },
    { { "set", "X", "%{HOME}e" }, "format specifiers" },
    { { "set", "X", "%{SSL_PROTOCOL}s" }, "format specifiers" },
    { { "set", "X", "50%" }, "format specifiers" },
    { { "set", "X", "%" }, "format specifiers" },
    { { "set", "X", "%%%" }, "format specifiers" },
    { { "set", "X", "%20" }, "format specifiers" },
    /* control bytes, written or escaped */
    { { "set", "X", "a\\nb" }, "holds \\n, a line break" },
    { { "set", "X", "a\\rb" }, "holds \\r, a line break" },
    { { "set", "X", "a\r\nSet-Cookie: x=1" }, "argument 3 holds a control byte (0x0D)" },
    { { "set", "X", "a\nb" }, "argument 3 holds a control byte (0x0A)" },
    { { "set", "X", "a\x01z" }, "argument 3 holds a control byte (0x01)" },
    { { "always", "set", "X", "a\x7f" }, "argument 4 holds a control byte (0x7F)" },
    { { "set", "X\r\nY", "v" }, "argument 2 holds a control byte (0x0D)" },
    { { "set", "X", "%t\n" }, "argument 3 holds a control byte (0x0A)" },
    { { "set", "X", "v", "env=\n" }, "argument 4 holds a control byte (0x0A)" },
    { { "set", "X\tY", "v" }, "is not a token" },
    /* names */
    { { "set", "X Y", "v" }, "header name \"X Y\" is not a token" },
    { { "set", "X(", "v" }, "is not a token" },
    { { "set", "X:Y", "v" }, "is not a token" },
    { { "set", "X::", "v" }, "is not a token" },
    { { "set", "X\xc3\xa9", "v" }, "is not a token" },
    { { "set", "", "v" }, "needs a header name" },
    { { "set", ":", "v" }, "needs a header name" },
    /* what the server owns, whatever the action or spelling */
    { { "set", "Content-Length", "0" }, "Content-Length is written by the server" },
    { { "set", "content-length:", "0" }, "Content-Length is written by the server" },
    { { "unset", "Transfer-Encoding" }, "Transfer-Encoding is written by the server" },
    { { "always", "add", "Content-Range", "bytes 0-1/2" }, "Content-Range is written" },
    { { "set", "CONNECTION", "close" }, "Connection is written by the server" },
    { { "setifempty", "Keep-Alive", "timeout=5" }, "Keep-Alive is written by the server" },
    { { "add", "Trailer", "X" }, "Trailer is written by the server" },
    { { "set", "Upgrade", "h2c" }, "Upgrade is written by the server" },
    { { "unset", "Date" }, "Date is written by the server" },
    /* Set-Cookie cannot be comma-joined */
    { { "append", "Set-Cookie", "a=1" }, "use add" },
    { { "always", "append", "set-cookie", "a=1" }, "use add" },
};

START_TEST(test_parse_bad)
{
    header_action_t a;
    const char *why =
        header_action_parse(count_args(parse_bad[_i].argv), (char **)parse_bad[_i].argv, &a, pool);

    ck_assert_msg(why != NULL, "case %d accepted", _i);
    ck_assert_msg(strstr(why, parse_bad[_i].reason) != NULL, "case %d: \"%s\" lacks \"%s\"", _i,
                  why, parse_bad[_i].reason);
    /* a reason goes into a log line: it must never carry a line break */
    ck_assert_ptr_null(strpbrk(why, "\r\n"));
}
END_TEST

/* The parsed strings are the pool's: the loader may reuse its line buffer. */
START_TEST(test_parse_copies)
{
    char a0[] = "set", a1[] = "X-Name:", a2[] = "value";
    char *argv[] = { a0, a1, a2 };
    header_action_t a;

    ck_assert_ptr_null(header_action_parse(3, argv, &a, pool));
    memset(a1, 'Z', sizeof(a1) - 1);
    memset(a2, 'Z', sizeof(a2) - 1);
    ck_assert_str_eq(a.name, "X-Name");
    ck_assert_str_eq(a.value, "value");
}
END_TEST

/* ---- header_actions_apply ---- */

/* "Name: value\n" lines into a field list. */
static apr_array_header_t *
fields_from(const char *text)
{
    apr_array_header_t *a = apr_array_make(pool, 2, sizeof(header_field_t));
    char *copy = apr_pstrdup(pool, text), *line, *state = NULL;

    for (line = apr_strtok(copy, "\n", &state); line; line = apr_strtok(NULL, "\n", &state)) {
        header_field_t *f = (header_field_t *)apr_array_push(a);
        char *colon = strchr(line, ':');

        ck_assert_ptr_nonnull(colon);
        *colon = '\0';
        f->name = line;
        f->value = colon[1] == ' ' ? colon + 2 : colon + 1;
    }
    return a;
}

static const char *
fields_text(const apr_array_header_t *a)
{
    const header_field_t *f = (const header_field_t *)a->elts;
    const char *out = "";
    int i;

    for (i = 0; i < a->nelts; i++)
        out = apr_pstrcat(pool, out, f[i].name, ": ", f[i].value, "\n", NULL);
    return out;
}

/* Each action is a line of space-separated arguments (values hold no spaces here). */
static apr_array_header_t *
actions_from(const char *const *lines)
{
    apr_array_header_t *acts = apr_array_make(pool, 2, sizeof(header_action_t));
    int i;

    for (i = 0; i < 4 && lines[i] != NULL; i++) {
        char *argv[8], *copy = apr_pstrdup(pool, lines[i]), *state = NULL, *w;
        int argc = 0;
        const char *why;

        for (w = apr_strtok(copy, " ", &state); w && argc < 8; w = apr_strtok(NULL, " ", &state))
            argv[argc++] = w;
        why = header_action_parse(argc, argv, (header_action_t *)apr_array_push(acts), pool);
        ck_assert_msg(why == NULL, "\"%s\": %s", lines[i], why);
    }
    return acts;
}

static const struct {
    const char *before;
    const char *actions[4];
    int is_error;
    const char *after;
} applies[] = {
    /* set */
    { "", { "set X 1" }, 0, "X: 1\n" },
    { "A: a\n", { "set X 1" }, 0, "A: a\nX: 1\n" },
    { "A: a\nX: 1\nB: b\nx: 2\nC: c\n", { "set X 3" }, 0, "A: a\nX: 3\nB: b\nC: c\n" },
    { "cache-control: a\n", { "set Cache-Control b" }, 0, "Cache-Control: b\n" },
    /* append */
    { "X: 1\n", { "append X 2" }, 0, "X: 1, 2\n" },
    { "A: a\n", { "append X 2" }, 0, "A: a\nX: 2\n" },
    { "X: 1\nA: a\nX: 2\n", { "append x 3" }, 0, "X: 1, 3\nA: a\nX: 2\n" },
    { "X:\n", { "append X 2" }, 0, "X: 2\n" },
    { "X: 1\n", { "append X 2", "append X 3" }, 0, "X: 1, 2, 3\n" },
    /* add */
    { "X: 1\n", { "add X 2" }, 0, "X: 1\nX: 2\n" },
    { "", { "add X 1", "add X 1" }, 0, "X: 1\nX: 1\n" },
    /* unset */
    { "X: 1\nA: a\nx: 2\nB: b\n", { "unset X" }, 0, "A: a\nB: b\n" },
    { "A: a\n", { "unset X" }, 0, "A: a\n" },
    { "X: 1\n", { "unset X:" }, 0, "" },
    /* setifempty: only when absent, an empty field counts as present */
    { "A: a\n", { "setifempty X 1" }, 0, "A: a\nX: 1\n" },
    { "X: 0\n", { "setifempty X 1" }, 0, "X: 0\n" },
    { "x:\n", { "setifempty X 1" }, 0, "x: \n" },
    /* order matters, as in mod_headers */
    { "", { "set X 1", "unset X" }, 0, "" },
    { "", { "unset X", "set X 1" }, 0, "X: 1\n" },
    { "X: 0\n", { "unset X", "setifempty X 1" }, 0, "X: 1\n" },
    { "", { "add X 1", "add X 2", "set X 3" }, 0, "X: 3\n" },
    /* always vs onsuccess */
    { "", { "always set A 1", "set B 2", "onsuccess set C 3" }, 0, "A: 1\nB: 2\nC: 3\n" },
    { "", { "always set A 1", "set B 2", "onsuccess set C 3" }, 1, "A: 1\n" },
    { "X: 0\n", { "unset X", "always append X 1" }, 1, "X: 0, 1\n" },
    { "X: 0\n", { "unset X", "always append X 1" }, 0, "X: 1\n" },
    { "A: a\n", { NULL }, 0, "A: a\n" },
};

START_TEST(test_apply_table)
{
    apr_array_header_t *acts = actions_from(applies[_i].actions);
    apr_array_header_t *fields = fields_from(applies[_i].before);

    header_actions_apply(acts, fields, applies[_i].is_error, pool);
    ck_assert_str_eq(fields_text(fields), applies[_i].after);
}
END_TEST

/* Values with spaces and decoded escapes reach the list as parsed. */
START_TEST(test_apply_decoded_value)
{
    const char *argv[] = { "always", "set", "X-Note", "100%% sure\\tnow" };
    apr_array_header_t *acts = apr_array_make(pool, 1, sizeof(header_action_t));
    apr_array_header_t *fields = fields_from("X-Note: old\n");

    ck_assert_ptr_null(
        header_action_parse(4, (char **)argv, (header_action_t *)apr_array_push(acts), pool));
    header_actions_apply(acts, fields, 1, pool);
    ck_assert_str_eq(fields_text(fields), "X-Note: 100% sure\tnow\n");
}
END_TEST

/* Growing past the array's first allocation keeps earlier fields intact. */
START_TEST(test_apply_grows)
{
    apr_array_header_t *acts = apr_array_make(pool, 1, sizeof(header_action_t));
    apr_array_header_t *fields = apr_array_make(pool, 1, sizeof(header_field_t));
    const header_field_t *f;
    int i;

    for (i = 0; i < 40; i++) {
        header_action_t *a = (header_action_t *)apr_array_push(acts);

        a->always = 0;
        a->op = HEADER_ACTION_ADD;
        a->name = apr_psprintf(pool, "X-%d", i);
        a->value = apr_psprintf(pool, "%d", i);
    }
    header_actions_apply(acts, fields, 0, pool);
    ck_assert_int_eq(fields->nelts, 40);
    f = (const header_field_t *)fields->elts;
    for (i = 0; i < 40; i++) {
        ck_assert_str_eq(f[i].name, apr_psprintf(pool, "X-%d", i));
        ck_assert_str_eq(f[i].value, apr_psprintf(pool, "%d", i));
    }
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
header_action_suite(void)
{
    Suite *s = suite_create("header_action");
    TCase *tc = tcase_create("header_action");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_parse_ok, 0, N(parse_ok));
    tcase_add_loop_test(tc, test_parse_bad, 0, N(parse_bad));
    tcase_add_test(tc, test_parse_copies);
    tcase_add_loop_test(tc, test_apply_table, 0, N(applies));
    tcase_add_test(tc, test_apply_decoded_value);
    tcase_add_test(tc, test_apply_grows);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(header_action_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
