# evhttpd. The pure, unit-tested modules form libevcore; the process/thread
# machinery links them into the daemon.
noinst_LIBRARIES += daemon/libevcore.a
daemon_libevcore_a_SOURCES = \
	%reldir%/slice.h \
	%reldir%/config.c %reldir%/config.h \
	%reldir%/log.c %reldir%/log.h \
	%reldir%/accesslog.c %reldir%/accesslog.h \
	%reldir%/http_parse.c %reldir%/http_parse.h \
	%reldir%/http_path.c %reldir%/http_path.h \
	%reldir%/http_date.c %reldir%/http_date.h \
	%reldir%/mime.c %reldir%/mime.h \
	%reldir%/range.c %reldir%/range.h \
	%reldir%/cond.c %reldir%/cond.h \
	%reldir%/lfstack.c %reldir%/lfstack.h \
	%reldir%/fdqueue.c %reldir%/fdqueue.h

sbin_PROGRAMS += evhttpd
evhttpd_SOURCES = \
	%reldir%/main.c
evhttpd_LDADD = daemon/libevcore.a shm/libevsb.a $(APU_LIBS) $(APR_LIBS) $(SYSTEMD_LIBS) $(PTHREAD_LIBS)
