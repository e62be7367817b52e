## nn: sources, tests and man pages of this part.
libkith_a_SOURCES += src/nn/spmm.c src/nn/adam.c
check_PROGRAMS += tests/unit/test-spmm
tests_unit_test_spmm_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-spmm
libkith_a_SOURCES += src/nn/adj.c src/nn/dense.c src/nn/svd.c src/nn/filter.c \
	src/nn/distill.c
check_PROGRAMS += tests/unit/test-distill
tests_unit_test_distill_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-distill
noinst_PROGRAMS += tools/bench-spmm-run
tools_bench_spmm_run_SOURCES = tools/bench-spmm.c
tools_bench_spmm_run_LDADD = $(KITH_LIBS)
EXTRA_DIST += tools/bench-spmm
noinst_PROGRAMS += tools/bench-distill-run
tools_bench_distill_run_SOURCES = tools/bench-distill.c
tools_bench_distill_run_LDADD = $(KITH_LIBS)
libkith_a_SOURCES += src/nn/gcn.c
libkith_a_SOURCES += src/nn/sage.c
libkith_a_SOURCES += src/nn/gnn-common.c src/nn/gnn-internal.h
libkith_a_SOURCES += src/nn/gnn-ranks.c
libkith_a_SOURCES += src/nn/train.c src/nn/ckpt.c src/nn/train-internal.h \
	src/nn/embed.c
libkith_a_SOURCES += src/nn/features.c
## lightgcn: model, embed command, tests, benchmark
libkith_a_SOURCES += src/nn/lightgcn.c include/kith/models.h
src_kith_SOURCES += src/cli/cmd-embed.c
dist_man_MANS += man/kith-embed.1
check_PROGRAMS += tests/unit/test-lightgcn
tests_unit_test_lightgcn_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-lightgcn \
	tests/cli/t2000-embed-basic.sh tests/cli/t2001-embed-errors.sh \
	tests/cli/t2002-embed-lastfm.sh tests/cli/t2010-embed-filter.sh \
	tests/cli/t2011-embed-filter-yelp.sh
EXTRA_DIST += tests/cli/t2000-embed-basic.sh tests/cli/t2001-embed-errors.sh \
	tests/cli/t2002-embed-lastfm.sh tests/cli/t2010-embed-filter.sh \
	tests/cli/t2011-embed-filter-yelp.sh tools/bench-embed tools/bench-quality
## end lightgcn
check_PROGRAMS += tests/unit/test-gcn tests/unit/test-sage
tests_unit_test_gcn_LDADD = $(KITH_LIBS)
tests_unit_test_sage_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-gcn tests/unit/test-sage
EXTRA_DIST += tests/unit/unit-util.h
NN_CLI_TESTS = tests/cli/t2050-embed-gcn-cora.sh tests/cli/t2051-embed-sage.sh
TESTS += $(NN_CLI_TESTS)
EXTRA_DIST += $(NN_CLI_TESTS)
## checkpoints of gcn/sage and interrupts of every model
TESTS += tests/cli/t2060-embed-gcn-resume.sh \
	tests/cli/t2061-embed-sage-resume.sh \
	tests/cli/t2062-embed-lightgcn-sigint.sh
EXTRA_DIST += tests/cli/t2060-embed-gcn-resume.sh \
	tests/cli/t2061-embed-sage-resume.sh \
	tests/cli/t2062-embed-lightgcn-sigint.sh
check_PROGRAMS += tests/unit/test-gnn-checkpoint \
	tests/fuzz/replay-gnn-checkpoint
tests_unit_test_gnn_checkpoint_LDADD = $(KITH_LIBS)
tests_fuzz_replay_gnn_checkpoint_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-gnn-checkpoint.c
tests_fuzz_replay_gnn_checkpoint_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_NAME=\"gnn-checkpoint\"
tests_fuzz_replay_gnn_checkpoint_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-gnn-checkpoint tests/fuzz/replay-gnn-checkpoint
check_PROGRAMS += tests/unit/test-svd tests/unit/test-filter
tests_unit_test_filter_LDADD = $(KITH_LIBS)
tests_unit_test_svd_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-svd tests/unit/test-filter
EXTRA_DIST += tools/check-identical
## the training driver and the checkpoint format
check_PROGRAMS += tests/unit/test-train
tests_unit_test_train_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-train
