## update: sources, tests and man pages of this part.
libkith_a_SOURCES += src/graph/update.c include/kith/update.h
src_kith_SOURCES += src/cli/cmd-update.c
TESTS += tests/cli/t5000-update-basic.sh tests/cli/t5001-update-stop-atomic.sh \
	tests/cli/t5002-update-lightgcn-warm.sh
EXTRA_DIST += tests/cli/t5000-update-basic.sh tests/cli/t5001-update-stop-atomic.sh \
	tests/cli/t5002-update-lightgcn-warm.sh \
	tools/bench-update
dist_man_MANS += man/kith-update.1
check_PROGRAMS += tests/unit/test-update
tests_unit_test_update_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-update
