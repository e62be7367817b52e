## analytics: sources, tests and man pages of this part.

libkith_a_SOURCES += \
	src/analytics/analytics-internal.h \
	src/analytics/topk.c \
	src/analytics/metrics.c \
	src/analytics/rank-eval.c \
	src/analytics/split.c \
	src/analytics/classify.c \
	src/analytics/testset.c \
	src/analytics/link-eval.c \
	src/analytics/export.c \
	src/analytics/recommend.c

check_PROGRAMS += tests/unit/test-metrics tests/unit/test-topk
tests_unit_test_metrics_LDADD = $(KITH_LIBS)
tests_unit_test_topk_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-metrics tests/unit/test-topk

src_kith_SOURCES += src/cli/cmd-eval.c
src_kith_SOURCES += src/cli/cmd-split.c
src_kith_SOURCES += src/cli/cmd-recommend.c src/cli/cmd-export.c
