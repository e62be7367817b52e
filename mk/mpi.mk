## mpi: the ranks of an MPI job (src/base/dist.c), the distributed PageRank
## (src/analytics/pagerank-dist.c), propagation and LightGCN and GCN
## training (src/nn/lightgcn.c, src/nn/gcn.c, kith embed); their tests run
## mpirun with 1, 2 and 3 ranks and skip when mpirun is absent.

libkith_a_SOURCES += include/kith/dist.h src/base/dist.c

check_PROGRAMS += tests/unit/test-memest
tests_unit_test_memest_LDADD = $(KITH_LIBS)
TESTS += tests/unit/test-memest

MPI_CLI_TESTS = tests/cli/t7000-mpi-influence.sh \
	tests/cli/t7001-mpi-propagate.sh tests/cli/t7010-mpi-kill9.sh \
	tests/cli/t7020-mpi-ingest.sh tests/cli/t7021-mpi-embed.sh \
	tests/cli/t7022-mpi-memory.sh tests/cli/t7023-mpi-embed-memory.sh \
	tests/cli/t7024-mpi-signals.sh tests/cli/t7025-mpi-embed-filter.sh \
	tests/cli/t7026-mpi-embed-yelp.sh tests/cli/t7027-mpi-embed-gcn.sh \
	tests/cli/t7028-mpi-embed-sage.sh
TESTS += $(MPI_CLI_TESTS)
EXTRA_DIST += $(MPI_CLI_TESTS) tests/cli/mpi-lib.sh tools/bench-mpi
