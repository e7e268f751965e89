# The scoreboard: a convenience library shared by evhttpd, evtop and the tests.
noinst_LIBRARIES += shm/libevsb.a
shm_libevsb_a_SOURCES = %reldir%/sb.c %reldir%/scoreboard.h
