## nn: sources, tests and man pages of this part.
libkith_a_SOURCES += src/nn/spmm.c src/nn/adam.c
check_PROGRAMS += tests/unit/test-spmm
tests_unit_test_spmm_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-spmm
