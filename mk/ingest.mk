## ingest: input files (streams, compression, encodings), CSV/TSV reader,
## id map, `kith ingest`, its tests, man page and benchmark.

libkith_a_SOURCES += include/kith/input.h include/kith/csv.h \
	include/kith/ingest.h src/io/input.c src/io/csv.c src/graph/idmap.c \
	src/graph/ingest.c src/graph/ingest-events.c src/graph/ingest-files.c \
	src/graph/ingest-build.c src/graph/ingest-rows.c src/graph/ingest-key.c \
	src/graph/ingest-dist.c src/graph/ingest-dist-build.c \
	src/graph/ingest-dist-feed.c \
	src/graph/ingest-internal.h

src_kith_SOURCES += src/cli/cmd-ingest.c

dist_man_MANS += man/kith-ingest.1

check_PROGRAMS += tests/unit/test-input tests/unit/test-csv \
	tests/unit/test-ingest tests/unit/test-ingest-io
tests_unit_test_input_LDADD = $(KITH_LIBS)
tests_unit_test_csv_LDADD = $(KITH_LIBS)
tests_unit_test_ingest_LDADD = $(KITH_LIBS)
tests_unit_test_ingest_io_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-input tests/unit/test-csv tests/unit/test-ingest \
	tests/unit/test-ingest-io

INGEST_SH = tests/cli/t1000-ingest-basic.sh \
	tests/cli/t1010-ingest-bad-input.sh \
	tests/cli/t1020-ingest-stop-atomic.sh \
	tests/cli/t1030-ingest-python.sh \
	tests/cli/t1040-ingest-parallel.sh \
	tests/cli/t1060-ingest-pseudonymize.sh \
	tests/cli/t1050-ingest-movielens.sh \
	tests/cli/t1051-ingest-lastfm.sh \
	tests/cli/t1052-ingest-cora.sh \
	tests/cli/t1070-ingest-fastpath.sh \
	tests/cli/t1080-ingest-streams.sh \
	tests/cli/t1081-ingest-compressed.sh \
	tests/cli/t1082-ingest-signals.sh
TESTS += $(INGEST_SH)
EXTRA_DIST += $(INGEST_SH) tests/cli/ingest-lib.sh tests/data/ingest tools/bench-ingest \
	tools/check-store-identical
