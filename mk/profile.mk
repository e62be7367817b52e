## profile: sources, tests and man pages of this part (kith profile,
## kith propagate, the kNN graph).

libkith_a_SOURCES += src/analytics/knn.c

check_PROGRAMS += tests/unit/test-knn
tests_unit_test_knn_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-knn

libkith_a_SOURCES += src/analytics/profile-internal.h \
	src/analytics/profile.c
src_kith_SOURCES += src/cli/cmd-profile.c

libkith_a_SOURCES += src/analytics/propagate.c
src_kith_SOURCES += src/cli/cmd-propagate.c
