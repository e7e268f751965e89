# Benchmarks: built on demand (`make bench/rearm`), never installed or run by `make check`.
# bench.py builds the clients and the responder itself (make bench/slowread ...) before use.
EXTRA_PROGRAMS = bench/rearm bench/responder bench/slowread bench/idleconns
bench_rearm_SOURCES = bench/rearm.c
bench_rearm_LDADD = $(APR_LIBS)
bench_responder_SOURCES = bench/responder.c
bench_slowread_SOURCES = bench/slowread.c
bench_idleconns_SOURCES = bench/idleconns.c
CLEANFILES += bench/rearm bench/responder bench/slowread bench/idleconns
EXTRA_DIST += bench/bench.py bench/vhosts.py bench/conf/evhttpd.conf bench/conf/nginx.conf bench/conf/apache2.conf \
	bench/conf/lighttpd.conf bench/conf/h2o.conf docs/BENCHMARKS.md
