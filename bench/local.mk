# Benchmarks: built on demand (`make bench/rearm`), never installed or run by `make check`.
EXTRA_PROGRAMS = bench/rearm
bench_rearm_SOURCES = bench/rearm.c
bench_rearm_LDADD = $(APR_LIBS)
CLEANFILES += bench/rearm
EXTRA_DIST += bench/bench.py bench/conf/evhttpd.conf bench/conf/nginx.conf bench/conf/apache2.conf \
	docs/BENCHMARKS.md
