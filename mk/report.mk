## report: sources, tests and man pages of this part.

libkith_a_SOURCES += include/kith/report.h src/report/report-internal.h \
	src/report/report.c src/report/pca.c src/report/svg.c \
	src/report/html.c src/report/render-md.c src/report/render-json.c \
	src/report/format.c

src_kith_SOURCES += src/cli/cmd-report.c

dist_man_MANS += man/kith-report.1

check_PROGRAMS += tests/unit/test-report
tests_unit_test_report_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-report

REPORT_SH = tests/cli/t4200-report-basic.sh \
	tests/cli/t4210-report-privacy.sh \
	tests/cli/t4220-report-chromium.sh \
	tests/cli/t4230-report-movielens.sh \
	tests/cli/t4240-report-readers.sh
TESTS += $(REPORT_SH)
EXTRA_DIST += $(REPORT_SH) tools/bench-analytics tests/cli/report-fixture.py \
	tests/cli/report-lib.sh
