## core: error domain, npy, atomic folders, manifests, store, embeddings,
## CLI frame and the info/demo commands.

libkith_a_SOURCES += \
	include/kith/core.h include/kith/csr.h include/kith/io.h \
	include/kith/store.h include/kith/emb.h include/kith/nn.h \
	include/kith/analytics.h \
	src/io/core.c src/io/npy.c src/io/outdir.c src/io/manifest.c \
	src/graph/csr.c src/graph/store.c src/graph/stats.c src/nn/emb.c

src_kith_SOURCES += src/cli/main.c src/cli/cli.c src/cli/cli.h \
	src/cli/commands.h src/cli/cmd-info.c

dist_man_MANS += man/kith.1 man/kith-info.1

check_PROGRAMS += tests/unit/test-core tests/unit/test-store
tests_unit_test_core_LDADD = $(KITH_LIBS)
tests_unit_test_store_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-core tests/unit/test-store \
	tests/cli/t0000-basics.sh
EXTRA_DIST += tests/cli/t0000-basics.sh

if HAVE_MANDOC
TESTS += tests/cli/t0001-man-lint.sh
endif
EXTRA_DIST += tests/cli/t0001-man-lint.sh
