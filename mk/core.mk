## core: error domain, npy, atomic folders, manifests, store, embeddings,
## CLI frame and the info/demo commands.

libkith_a_SOURCES += \
	include/kith/core.h include/kith/csr.h include/kith/io.h \
	include/kith/store.h include/kith/emb.h include/kith/nn.h \
	include/kith/analytics.h include/kith/dense.h include/kith/eval.h \
	src/base/core.c src/base/csr.c src/base/dense.c \
	src/io/npy.c src/io/outdir.c src/io/manifest.c src/io/ids.c \
	src/eval/topk.c src/eval/metrics.c src/eval/rank-eval.c \
	src/eval/split-mask.c src/eval/testset.c src/eval/eval-internal.h \
	src/graph/store.c src/graph/stats.c src/nn/emb.c \
	include/kith/pipeline.h src/io/pipeline.c

src_kith_SOURCES += src/cli/main.c src/cli/cli.c src/cli/cli.h \
	src/cli/commands.h src/cli/cmd-info.c src/cli/cmd-run.c src/cli/ingest-options.c \
	src/cli/cmd-demo.c
src_kith_CPPFLAGS = $(AM_CPPFLAGS) \
	-DKITH_SRCDATADIR=\"$(abs_top_srcdir)/datasets\" \
	-DKITH_PKGDATADIR=\"$(pkgdatadir)\"

dist_man_MANS += man/kith.1 man/kith-info.1 man/kith-run.1 man/kith-demo.1

check_PROGRAMS += tests/unit/test-core tests/unit/test-store
tests_unit_test_core_LDADD = $(KITH_LIBS)
tests_unit_test_store_LDADD = $(KITH_LIBS)
TESTS += tests/cli/t0002-layers.sh
EXTRA_DIST += tests/cli/t0002-layers.sh tools/check-layers
TESTS += tests/unit/test-core tests/unit/test-store \
	tests/cli/t0000-basics.sh
EXTRA_DIST += tests/cli/t0000-basics.sh

if HAVE_MANDOC
TESTS += tests/cli/t0001-man-lint.sh
endif
EXTRA_DIST += tests/cli/t0001-man-lint.sh

## Fuzz targets (tools/fuzz runs them under libFuzzer); in make check their
## corpus and every crash found are replayed through the same entry point.
check_PROGRAMS += tests/fuzz/replay-csv tests/fuzz/replay-npy \
	tests/fuzz/replay-json tests/fuzz/replay-pipeline \
	tests/fuzz/replay-checkpoint
tests_fuzz_replay_csv_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-csv.c
tests_fuzz_replay_csv_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME=\"csv\"
tests_fuzz_replay_csv_LDADD = $(KITH_LIBS)
tests_fuzz_replay_npy_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-npy.c
tests_fuzz_replay_npy_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME=\"npy\"
tests_fuzz_replay_npy_LDADD = $(KITH_LIBS)
tests_fuzz_replay_json_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-json.c
tests_fuzz_replay_json_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME=\"json\"
tests_fuzz_replay_json_LDADD = $(KITH_LIBS)
tests_fuzz_replay_pipeline_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-pipeline.c
tests_fuzz_replay_pipeline_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME=\"pipeline\"
tests_fuzz_replay_pipeline_LDADD = $(KITH_LIBS)
tests_fuzz_replay_checkpoint_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-checkpoint.c
tests_fuzz_replay_checkpoint_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_NAME=\"checkpoint\"
tests_fuzz_replay_checkpoint_LDADD = $(KITH_LIBS)
TESTS += tests/fuzz/replay-csv tests/fuzz/replay-npy tests/fuzz/replay-json \
	tests/fuzz/replay-pipeline tests/fuzz/replay-checkpoint
EXTRA_DIST += tools/fuzz tests/fuzz/corpus tests/fuzz/crashes

## Fault injection: an LD_PRELOAD shim (not under the sanitizers).
check_DATA = tests/fault/libkithfault.so
tests/fault/libkithfault.so: $(top_srcdir)/tests/fault/fault.c
	@$(MKDIR_P) tests/fault
	$(AM_V_CC)$(CC) -shared -fPIC -O1 -o $@ $(top_srcdir)/tests/fault/fault.c -ldl
CLEANFILES += tests/fault/libkithfault.so
EXTRA_DIST += tests/fault/fault.c
TESTS += tests/cli/t0100-fault-injection.sh tests/cli/t0110-kill9.sh tests/cli/t0111-kill9-embed-update.sh \
	tests/cli/t0200-run.sh tests/cli/t0201-run-library-stages.sh
EXTRA_DIST += tests/cli/t0100-fault-injection.sh tests/cli/t0110-kill9.sh tests/cli/t0111-kill9-embed-update.sh \
	tests/cli/t0200-run.sh tests/cli/t0201-run-library-stages.sh

## The bundled sample and example pipelines, installed for kith demo.
shopdir = $(pkgdatadir)/shop-small
dist_shop_DATA = datasets/shop-small/events.csv \
	datasets/shop-small/social.csv datasets/shop-small/users.csv \
	datasets/shop-small/items.csv datasets/shop-small/pipeline.ini \
	datasets/shop-small/README.md datasets/shop-small/synth.json
shoptruthdir = $(pkgdatadir)/shop-small/truth
dist_shoptruth_DATA = datasets/shop-small/truth/communities.tsv \
	datasets/shop-small/truth/preferences.tsv \
	datasets/shop-small/truth/favourites.tsv
dist_pkgdata_DATA = datasets/movielens-example.ini

libkith_a_SOURCES += src/graph/memest.c include/kith/memest.h
