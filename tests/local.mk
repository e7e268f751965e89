# Tests: Check unit tests mirroring the tree, then integration tests against the
# real daemon (Python 3 standard library only, run from tests/integration/).
UNIT_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
UNIT_LDADD = daemon/libevcore.a shm/libevsb.a $(CHECK_LIBS) $(APU_LIBS) $(APR_LIBS) $(PTHREAD_LIBS)

if HAVE_CHECK
UNIT_TESTS = \
	tests/unit/daemon/test_config \
	tests/unit/daemon/test_log \
	tests/unit/daemon/test_accesslog \
	tests/unit/daemon/test_http_parse \
	tests/unit/daemon/test_chunked \
	tests/unit/daemon/test_status_format \
	tests/unit/daemon/test_http_path \
	tests/unit/daemon/test_range \
	tests/unit/daemon/test_cond \
	tests/unit/daemon/test_accept_encoding \
	tests/unit/daemon/test_mime \
	tests/unit/daemon/test_filecache \
	tests/unit/daemon/test_proxy_proto \
	tests/unit/daemon/test_vhost_match \
	tests/unit/daemon/test_site \
	tests/unit/daemon/test_response \
	tests/unit/daemon/test_location_match \
	tests/unit/daemon/test_cidr \
	tests/unit/daemon/test_location \
	tests/unit/daemon/test_alias_match \
	tests/unit/daemon/test_header_action \
	tests/unit/daemon/test_expires \
	tests/unit/daemon/test_fdqueue \
	tests/unit/shm/test_scoreboard \
	tests/unit/proto/test_ctlframe
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

tests_unit_daemon_test_config_SOURCES = tests/unit/daemon/test_config.c
tests_unit_daemon_test_config_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_config_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_log_SOURCES = tests/unit/daemon/test_log.c
tests_unit_daemon_test_log_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_log_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_accesslog_SOURCES = tests/unit/daemon/test_accesslog.c
tests_unit_daemon_test_accesslog_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_accesslog_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_http_parse_SOURCES = tests/unit/daemon/test_http_parse.c
tests_unit_daemon_test_http_parse_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_http_parse_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_chunked_SOURCES = tests/unit/daemon/test_chunked.c
tests_unit_daemon_test_chunked_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_chunked_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_status_format_SOURCES = tests/unit/daemon/test_status_format.c
tests_unit_daemon_test_status_format_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_status_format_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_http_path_SOURCES = tests/unit/daemon/test_http_path.c
tests_unit_daemon_test_http_path_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_http_path_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_range_SOURCES = tests/unit/daemon/test_range.c
tests_unit_daemon_test_range_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_range_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_cond_SOURCES = tests/unit/daemon/test_cond.c
tests_unit_daemon_test_cond_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_cond_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_accept_encoding_SOURCES = tests/unit/daemon/test_accept_encoding.c
tests_unit_daemon_test_accept_encoding_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_accept_encoding_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_mime_SOURCES = tests/unit/daemon/test_mime.c
tests_unit_daemon_test_mime_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_mime_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_filecache_SOURCES = tests/unit/daemon/test_filecache.c
tests_unit_daemon_test_filecache_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_filecache_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_proxy_proto_SOURCES = tests/unit/daemon/test_proxy_proto.c
tests_unit_daemon_test_proxy_proto_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_proxy_proto_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_response_SOURCES = tests/unit/daemon/test_response.c daemon/response.c
tests_unit_daemon_test_response_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_response_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_site_SOURCES = tests/unit/daemon/test_site.c
tests_unit_daemon_test_site_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_site_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_vhost_match_SOURCES = tests/unit/daemon/test_vhost_match.c
tests_unit_daemon_test_vhost_match_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_vhost_match_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_location_match_SOURCES = tests/unit/daemon/test_location_match.c
tests_unit_daemon_test_location_match_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_location_match_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_cidr_SOURCES = tests/unit/daemon/test_cidr.c
tests_unit_daemon_test_cidr_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_cidr_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_location_SOURCES = tests/unit/daemon/test_location.c
tests_unit_daemon_test_location_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_location_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_alias_match_SOURCES = tests/unit/daemon/test_alias_match.c
tests_unit_daemon_test_alias_match_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_alias_match_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_header_action_SOURCES = tests/unit/daemon/test_header_action.c
tests_unit_daemon_test_header_action_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_header_action_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_expires_SOURCES = tests/unit/daemon/test_expires.c
tests_unit_daemon_test_expires_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_expires_LDADD = $(UNIT_LDADD)
tests_unit_daemon_test_fdqueue_SOURCES = tests/unit/daemon/test_fdqueue.c
tests_unit_daemon_test_fdqueue_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_daemon_test_fdqueue_LDADD = $(UNIT_LDADD)
tests_unit_proto_test_ctlframe_SOURCES = tests/unit/proto/test_ctlframe.c
tests_unit_proto_test_ctlframe_CPPFLAGS = $(UNIT_CPPFLAGS) $(PROTOBUF_C_CFLAGS)
tests_unit_proto_test_ctlframe_LDADD = proto/libevproto.a $(PROTOBUF_C_LIBS) $(UNIT_LDADD)
tests_unit_shm_test_scoreboard_SOURCES = tests/unit/shm/test_scoreboard.c
tests_unit_shm_test_scoreboard_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_shm_test_scoreboard_LDADD = $(UNIT_LDADD)
endif

# sbdump: the scoreboard as text, for the integration tests.
check_PROGRAMS += tests/tools/sbdump
tests_tools_sbdump_SOURCES = tests/tools/sbdump.c
tests_tools_sbdump_LDADD = shm/libevsb.a $(APR_LIBS) $(PTHREAD_LIBS)

TESTS += tests/check_log_ids.sh
EXTRA_DIST += tests/check_log_ids.sh tests/lint/lint.sh tests/lint/cppcheck.supp

# hammer: keep-alive and churning clients, for the stress tests.
check_PROGRAMS += tests/tools/hammer
tests_tools_hammer_SOURCES = tests/tools/hammer.c
tests_tools_hammer_LDADD = $(PTHREAD_LIBS)

INTEGRATION_TESTS = \
	tests/integration/01_startstop.py \
	tests/integration/02_http.py \
	tests/integration/03_keepalive.py \
	tests/integration/04_robustness.py \
	tests/integration/05_corpus.py \
	tests/integration/06_evctl_cli.py \
	tests/integration/07_control.py \
	tests/integration/08_evtop.py \
	tests/integration/09_status.py \
	tests/integration/10_units.py \
	tests/integration/11_systemd.py \
	tests/integration/12_filecache.py \
	tests/integration/13_bufferedlogs.py \
	tests/integration/14_faults.py \
	tests/integration/15_scoreboard_garbage.py \
	tests/integration/16_soak.py \
	tests/integration/17_overload_restarts.py \
	tests/integration/18_proxy.py \
	tests/integration/19_haproxy.py \
	tests/integration/20_listen_buckets.py \
	tests/integration/21_vhosts.py \
	tests/integration/22_precompressed.py \
	tests/integration/23_vhost_logs.py \
	tests/integration/24_locations.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/evtest.py tests/corpus/http1
TEST_EXTENSIONS = .py
PY_LOG_COMPILER = $(PYTHON3)
AM_PY_LOG_FLAGS = -B
AM_TESTS_ENVIRONMENT = \
	EVHTTPD='$(abs_top_builddir)/evhttpd'; export EVHTTPD; \
	EV_SRCDIR='$(abs_top_srcdir)'; export EV_SRCDIR; \
	EV_BUILDDIR='$(abs_top_builddir)'; export EV_BUILDDIR; \
	SBDUMP='$(abs_top_builddir)/tests/tools/sbdump'; export SBDUMP; \
	HAMMER='$(abs_top_builddir)/tests/tools/hammer'; export HAMMER; \
	EVCTL='$(abs_top_builddir)/evctl'; export EVCTL; \
	EVTOP='$(abs_top_builddir)/evtop'; export EVTOP; \
	CK_DEFAULT_TIMEOUT=120; export CK_DEFAULT_TIMEOUT;
