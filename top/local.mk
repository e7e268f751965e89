# evtop: a top(1)-like monitor that maps the scoreboard read-only. Small files with one
# job each; only evtop links ncurses. libevcore is there for config_load (sbpath.c),
# which finds ScoreboardFile exactly as the daemon does.
bin_PROGRAMS += evtop
evtop_SOURCES = \
	%reldir%/evtop.c %reldir%/evtop.h \
	%reldir%/sbpath.c %reldir%/sbpath.h \
	%reldir%/board.c %reldir%/board.h \
	%reldir%/sample.c %reldir%/sample.h \
	%reldir%/format.c %reldir%/format.h \
	%reldir%/columns.c %reldir%/columns.h \
	%reldir%/summary.c %reldir%/summary.h \
	%reldir%/batch.c %reldir%/batch.h \
	%reldir%/render_batch.c %reldir%/render_batch.h \
	%reldir%/interactive.c %reldir%/interactive.h \
	%reldir%/view.h \
	%reldir%/keys.c %reldir%/keys.h \
	%reldir%/term.c %reldir%/term.h \
	%reldir%/render_curses.c %reldir%/render_curses.h \
	%reldir%/render_workers.c \
	%reldir%/render_help.c
evtop_CPPFLAGS = $(AM_CPPFLAGS) $(NCURSES_CFLAGS)
evtop_LDADD = shm/libevsb.a daemon/libevcore.a $(NCURSES_LIBS) $(APU_LIBS) $(APR_LIBS) \
	$(PTHREAD_LIBS) -lm
