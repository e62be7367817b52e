## analytics: sources, tests and man pages of this part.

libkith_a_SOURCES += \
	src/analytics/analytics-internal.h \
	src/analytics/split.c \
	src/analytics/classify.c \
	src/analytics/link-eval.c \
	src/analytics/export.c \
	src/analytics/graph-export.c \
	src/analytics/recommend.c

check_PROGRAMS += tests/unit/test-metrics tests/unit/test-topk
tests_unit_test_metrics_LDADD = $(KITH_LIBS)
tests_unit_test_topk_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-metrics tests/unit/test-topk

src_kith_SOURCES += src/cli/cmd-eval.c
src_kith_SOURCES += src/cli/cmd-split.c
src_kith_SOURCES += src/cli/cmd-recommend.c src/cli/cmd-export.c

dist_man_MANS += man/kith-split.1 man/kith-eval.1 man/kith-recommend.1 \
	man/kith-export.1

ANALYTICS_CLI_TESTS = tests/cli/t3000-split.sh tests/cli/t3010-eval-rank.sh \
	tests/cli/t3020-eval-link-classify.sh tests/cli/t3030-recommend.sh \
	tests/cli/t3040-export.sh tests/cli/t3041-ids-files.sh \
	tests/cli/t3042-export-graph.sh tests/cli/t3043-export-serving.sh \
	tests/cli/t3050-eval-lastfm.sh
TESTS += $(ANALYTICS_CLI_TESTS)
EXTRA_DIST += $(ANALYTICS_CLI_TESTS)
