#!/bin/sh
# Cora: a pure user-user graph with sparse features, no events file.
. "$top_srcdir/tests/cli/lib.sh"
need_shared cora/features.tsv
C=$SHARED/datasets/cora
check "ingest cora" $KITH ingest --social "$C/edges.tsv" \
	--user-features "$C/features.tsv" -o "$T/cora"
check "info" $KITH info "$T/cora" --json
ok_if "2708 nodes" "$(json_get "$T/.out" users)" = 2708
ok_if "5278 pairs" "$(json_get "$T/.out" social_pairs)" = 5278
ok_if "0 events" "$(json_get "$T/.out" events)" = 0
ok_if "features" "$(json_get "$T/.out" user_features)" -ge 1400
done_testing
