## synth: the synthetic shop generator (kith synth), its tests, man page,
## and the tool that regenerates datasets/shop-small.

libkith_a_SOURCES += include/kith/synth.h src/analytics/synth.c

src_kith_SOURCES += src/cli/cmd-synth.c

dist_man_MANS += man/kith-synth.1

check_PROGRAMS += tests/unit/test-synth
tests_unit_test_synth_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-synth

SYNTH_CLI_TESTS = \
	tests/cli/t1100-synth-determinism.sh \
	tests/cli/t1101-synth-files.sh \
	tests/cli/t1102-synth-social.sh \
	tests/cli/t1103-synth-funnel.sh \
	tests/cli/t1104-synth-usage.sh \
	tests/cli/t1105-synth-shop-small.sh \
	tests/cli/t1106-synth-communities.sh
TESTS += $(SYNTH_CLI_TESTS)
EXTRA_DIST += $(SYNTH_CLI_TESTS) tools/make-shop-small \
	datasets/shop-small/README.md datasets/shop-small/events.csv \
	datasets/shop-small/social.csv datasets/shop-small/users.csv \
	datasets/shop-small/items.csv datasets/shop-small/synth.json \
	datasets/shop-small/truth/communities.tsv \
	datasets/shop-small/truth/preferences.tsv \
	datasets/shop-small/truth/favourites.tsv
