## profile: kith profile, kith propagate and the kNN graph
## (src/analytics/knn.c, used by kith communities too): sources, tests and
## man pages.

libkith_a_SOURCES += include/kith/profile.h \
	src/analytics/knn.c \
	src/analytics/profile-internal.h \
	src/analytics/profile.c \
	src/analytics/propagate.c \
	src/analytics/stage.c

src_kith_SOURCES += src/cli/cmd-profile.c src/cli/cmd-propagate.c

dist_man_MANS += man/kith-profile.1 man/kith-propagate.1

check_PROGRAMS += tests/unit/test-knn tests/unit/test-profile \
	tests/unit/test-propagate
tests_unit_test_knn_LDADD = $(KITH_LIBS)
tests_unit_test_profile_LDADD = $(KITH_LIBS)
tests_unit_test_propagate_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-knn tests/unit/test-profile \
	tests/unit/test-propagate

PROFILE_CLI_TESTS = \
	tests/cli/t4000-profile-synth.sh \
	tests/cli/t4001-profile-movielens.sh \
	tests/cli/t4010-propagate-synth.sh \
	tests/cli/t4011-propagate-movielens.sh
TESTS += $(PROFILE_CLI_TESTS)
EXTRA_DIST += $(PROFILE_CLI_TESTS)
