## scale: memory estimates (src/graph/memest.c, registered in core.mk),
## the --max-memory tests and the scale benchmark (issue 5).

SCALE_SH = tests/cli/t6000-memory-refusal.sh \
	tests/cli/t6001-memory-estimate.sh
TESTS += $(SCALE_SH)
EXTRA_DIST += $(SCALE_SH) tools/bench-scale
