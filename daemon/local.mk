# evhttpd. The pure, unit-tested modules form libevcore; the process/thread
# machinery links them into the daemon.
noinst_LIBRARIES += daemon/libevcore.a
daemon_libevcore_a_SOURCES = \
	%reldir%/slice.h \
	%reldir%/config.c %reldir%/config.h \
	%reldir%/config_syntax.c %reldir%/config_syntax.h \
	%reldir%/log.c %reldir%/log.h \
	%reldir%/logfd.c %reldir%/logfd.h \
	%reldir%/accesslog.c %reldir%/accesslog.h \
	%reldir%/http_parse.c %reldir%/http_parse.h \
	%reldir%/chunked.c %reldir%/chunked.h \
	%reldir%/status_format.c %reldir%/status_format.h \
	%reldir%/http_path.c %reldir%/http_path.h \
	%reldir%/http_date.c %reldir%/http_date.h \
	%reldir%/mime.c %reldir%/mime.h \
	%reldir%/filecache.c %reldir%/filecache.h \
	%reldir%/range.c %reldir%/range.h \
	%reldir%/proxy_proto.c %reldir%/proxy_proto.h \
	%reldir%/vhost_match.c %reldir%/vhost_match.h \
	%reldir%/site.c %reldir%/site.h \
	%reldir%/dirindex.c %reldir%/dirindex.h \
	%reldir%/location_match.c %reldir%/location_match.h \
	%reldir%/cidr.c %reldir%/cidr.h \
	%reldir%/location.c %reldir%/location.h \
	%reldir%/alias_match.c %reldir%/alias_match.h \
	%reldir%/header_action.c %reldir%/header_action.h \
	%reldir%/expires.c %reldir%/expires.h \
	%reldir%/cond.c %reldir%/cond.h \
	%reldir%/accept_encoding.c %reldir%/accept_encoding.h \
	%reldir%/lfstack.c %reldir%/lfstack.h \
	%reldir%/fdqueue.c %reldir%/fdqueue.h

sbin_PROGRAMS += evhttpd
evhttpd_SOURCES = \
	%reldir%/main.c \
	%reldir%/listen.c %reldir%/listen.h \
	%reldir%/parent.c %reldir%/parent.h %reldir%/parent_priv.h \
	%reldir%/parent_ctl.c \
	%reldir%/generation.c %reldir%/generation.h \
	%reldir%/ctl_server.c %reldir%/ctl_server.h \
	%reldir%/notify.c %reldir%/notify.h \
	%reldir%/child.c %reldir%/child.h \
	%reldir%/listener.c %reldir%/listener.h \
	%reldir%/worker.c %reldir%/worker.h \
	%reldir%/conn.c %reldir%/conn.h \
	%reldir%/reqlog.c %reldir%/reqlog.h \
	%reldir%/handler.c %reldir%/handler.h \
	%reldir%/static.c %reldir%/static.h \
	%reldir%/static_log.c %reldir%/static_log.h \
	%reldir%/status.c %reldir%/status.h \
	%reldir%/health.c %reldir%/health.h \
	%reldir%/http_response.c %reldir%/http_response.h \
	%reldir%/response.c %reldir%/response.h
evhttpd_CPPFLAGS = $(AM_CPPFLAGS) $(PROTOBUF_C_CFLAGS) $(SYSTEMD_CFLAGS)
evhttpd_LDADD = daemon/libevcore.a shm/libevsb.a proto/libevproto.a $(PROTOBUF_C_LIBS) \
	$(APU_LIBS) $(APR_LIBS) $(SYSTEMD_LIBS) $(PTHREAD_LIBS)
