## communities: user-user graphs, community detection and influence
## (kith communities, kith influence), their tests and man pages.

libkith_a_SOURCES += include/kith/community.h \
	src/analytics/graphs.c src/analytics/communities.c \
	src/analytics/influence.c src/analytics/pagerank-dist.c

src_kith_SOURCES += src/cli/cmd-communities.c src/cli/cmd-influence.c

dist_man_MANS += man/kith-communities.1 man/kith-influence.1

check_PROGRAMS += tests/unit/test-communities tests/unit/test-influence
tests_unit_test_communities_LDADD = $(KITH_LIBS)
tests_unit_test_influence_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-communities tests/unit/test-influence

COMMUNITIES_CLI_TESTS = \
	tests/cli/t4100-communities-synth.sh \
	tests/cli/t4101-communities-usage.sh \
	tests/cli/t4110-influence-basic.sh \
	tests/cli/t4111-influence-lastfm-python.sh \
	tests/cli/t4112-influence-no-social.sh \
	tests/cli/t4102-communities-python.sh
TESTS += $(COMMUNITIES_CLI_TESTS)
EXTRA_DIST += $(COMMUNITIES_CLI_TESTS)

## warm-started refresh of a communities folder (issue 5)
COMMUNITIES_WARM_TESTS = \
	tests/cli/t5010-communities-warm-start.sh \
	tests/cli/t5011-communities-warm-start-errors.sh \
	tests/cli/t5012-update-communities-warm.sh
TESTS += $(COMMUNITIES_WARM_TESTS)
EXTRA_DIST += $(COMMUNITIES_WARM_TESTS) tools/bench-communities-update
