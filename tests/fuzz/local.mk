# libFuzzer harnesses for the code that reads untrusted bytes; `./dev fuzz` runs them.
# Built only in a tree configured with CC=clang --enable-fuzzing: libevcore is then
# instrumented through EV_CFLAGS and each harness links libFuzzer through FUZZ_LDFLAGS.
# Seeds live in corpus/<harness>/, dictionaries in dict/; the layout each harness
# expects of its input is described at the top of its source.
FUZZ_HARNESSES = \
	%reldir%/fuzz_http_parse \
	%reldir%/fuzz_chunked \
	%reldir%/fuzz_http_path \
	%reldir%/fuzz_accept_encoding \
	%reldir%/fuzz_config \
	%reldir%/fuzz_ctlframe \
	%reldir%/fuzz_proxy_proto
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
%canon_reldir%_fuzz_accept_encoding_SOURCES = %reldir%/fuzz_accept_encoding.c
%canon_reldir%_fuzz_accept_encoding_LDADD = daemon/libevcore.a
%canon_reldir%_fuzz_accept_encoding_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
%canon_reldir%_fuzz_proxy_proto_SOURCES = %reldir%/fuzz_proxy_proto.c
%canon_reldir%_fuzz_proxy_proto_LDADD = daemon/libevcore.a
%canon_reldir%_fuzz_proxy_proto_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
%canon_reldir%_fuzz_config_SOURCES = %reldir%/fuzz_config.c
%canon_reldir%_fuzz_config_LDADD = daemon/libevcore.a $(APU_LIBS) $(APR_LIBS) $(PTHREAD_LIBS) -lm
%canon_reldir%_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
# The reader and the generated code are compiled into the harness, not taken from
# proto/libevproto.a, which is built with its own CFLAGS and so without the coverage
# instrumentation of EV_CFLAGS. The header is generated: say so, for `make <harness>`.
%canon_reldir%_fuzz_ctlframe_SOURCES = %reldir%/fuzz_ctlframe.c proto/ctlframe.c
nodist_%canon_reldir%_fuzz_ctlframe_SOURCES = proto/evctl.pb-c.c
%canon_reldir%_fuzz_ctlframe_CPPFLAGS = $(AM_CPPFLAGS) $(PROTOBUF_C_CFLAGS)
%canon_reldir%_fuzz_ctlframe_LDADD = $(PROTOBUF_C_LIBS) $(APU_LIBS) $(APR_LIBS) $(PTHREAD_LIBS)
%canon_reldir%_fuzz_ctlframe_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
$(%canon_reldir%_fuzz_ctlframe_OBJECTS): proto/evctl.pb-c.h

EXTRA_DIST += %reldir%/corpus %reldir%/dict
