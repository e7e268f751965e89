# libFuzzer harnesses for the code that reads untrusted bytes; `./dev fuzz` runs them.
# Built only in a tree configured with CC=clang --enable-fuzzing: libevcore is then
# instrumented through EV_CFLAGS and each harness links libFuzzer through FUZZ_LDFLAGS.
# Seeds live in corpus/<harness>/, dictionaries in dict/; the layout each harness
# expects of its input is described at the top of its source.
FUZZ_HARNESSES = \
	%reldir%/fuzz_http_parse \
	%reldir%/fuzz_chunked \
	%reldir%/fuzz_http_path
if ENABLE_FUZZING
noinst_PROGRAMS = $(FUZZ_HARNESSES)
endif

%canon_reldir%_fuzz_http_parse_SOURCES = %reldir%/fuzz_http_parse.c
%canon_reldir%_fuzz_http_parse_LDADD = daemon/libevcore.a
%canon_reldir%_fuzz_http_parse_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
%canon_reldir%_fuzz_chunked_SOURCES = %reldir%/fuzz_chunked.c
%canon_reldir%_fuzz_chunked_LDADD = daemon/libevcore.a
%canon_reldir%_fuzz_chunked_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
%canon_reldir%_fuzz_http_path_SOURCES = %reldir%/fuzz_http_path.c
%canon_reldir%_fuzz_http_path_LDADD = daemon/libevcore.a
%canon_reldir%_fuzz_http_path_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)

EXTRA_DIST += %reldir%/corpus %reldir%/dict
