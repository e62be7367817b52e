## nn: sources, tests and man pages of this part.
libkith_a_SOURCES += src/nn/spmm.c src/nn/adam.c
check_PROGRAMS += tests/unit/test-spmm
tests_unit_test_spmm_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-spmm
libkith_a_SOURCES += src/nn/adj.c src/nn/dense.c
noinst_PROGRAMS += tools/bench-spmm-run
tools_bench_spmm_run_SOURCES = tools/bench-spmm.c
tools_bench_spmm_run_LDADD = $(KITH_LIBS)
EXTRA_DIST += tools/bench-spmm
libkith_a_SOURCES += src/nn/gcn.c
