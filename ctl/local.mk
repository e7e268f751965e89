# evctl: the control client. One file per command (cmd_*.c, each exporting its entry
# of the descriptor table in evctl.c); it finds ControlSocket with the daemon's own
# config parser, hence libevcore.
bin_PROGRAMS += evctl
evctl_SOURCES = \
	%reldir%/evctl.c %reldir%/evctl.h \
	%reldir%/exchange.c \
	%reldir%/client.c %reldir%/client.h \
	%reldir%/sockpath.c %reldir%/sockpath.h \
	%reldir%/json.c %reldir%/json.h \
	%reldir%/restart_report.c %reldir%/restart_report.h \
	%reldir%/cmd_status.c \
	%reldir%/cmd_graceful.c \
	%reldir%/cmd_stop.c \
	%reldir%/cmd_restart.c \
	%reldir%/cmd_configtest.c \
	%reldir%/cmd_reopen_logs.c \
	%reldir%/cmd_version.c \
	%reldir%/cmd_help.c
evctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proto $(PROTOBUF_C_CFLAGS)
evctl_LDADD = proto/libevproto.a daemon/libevcore.a $(PROTOBUF_C_LIBS) $(APU_LIBS) $(APR_LIBS) \
	$(PTHREAD_LIBS) -lm
