## analytics: sources, tests and man pages of this part.

libkith_a_SOURCES += \
	src/analytics/analytics-internal.h \
	src/analytics/topk.c \
	src/analytics/metrics.c \
	src/analytics/rank-eval.c \
	src/analytics/split.c \
	src/analytics/classify.c

check_PROGRAMS += tests/unit/test-metrics tests/unit/test-topk
tests_unit_test_metrics_LDADD = $(KITH_LIBS)
tests_unit_test_topk_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-metrics tests/unit/test-topk
