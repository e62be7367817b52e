#!/bin/sh
# kith propagate under mpirun -np 1, 2, 3: prefs.npy and prefs.tsv
# byte-identical to the single-process run (social graph built from each
# rank's rows; co-interaction graph built whole and cut), bytes per
# iteration equal to 4 (c + 1) H + 8 P with H counted here.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi

mpi_shop
check "single process" "$KITH" propagate -q "$T/s" -o "$T/p0"
cats=$(json_get "$T/p0/manifest.json" categories)
for np in 1 2 3; do
	check "np $np: propagate" kith_np $np propagate -q "$T/s" -o "$T/p$np"
	ok_if "np $np: one summary" "$(grep -c '^iterations' "$T/.out")" = 1
	ok_if "np $np: prefs.npy identical" -z \
		"$(cmp "$T/p0/prefs.npy" "$T/p$np/prefs.npy" 2>&1)"
	ok_if "np $np: prefs.tsv identical" -z \
		"$(cmp "$T/p0/prefs.tsv" "$T/p$np/prefs.tsv" 2>&1)"
	h=$(halo_users "$T/s" "$(row_bounds "$T/p$np/manifest.json")" 0)
	want=$((4 * (cats + 1) * h + 8 * np)); [ $np = 1 ] && want=0
	ok_if "np $np: bytes per iteration = 4 (c + 1) H + 8 P ($want)" \
		"$(json_get "$T/p$np/manifest.json" bytes_per_iteration)" = $want
	check "np $np: the folder verifies" "$KITH" info --verify "$T/p$np"
done
check "single process, co-interaction graph" "$KITH" propagate -q "$T/s" \
	-o "$T/c0" --graph cointeraction
check "np 3, co-interaction graph" kith_np 3 propagate -q "$T/s" \
	-o "$T/c3" --graph cointeraction
ok_if "co-interaction: prefs.npy identical" -z \
	"$(cmp "$T/c0/prefs.npy" "$T/c3/prefs.npy" 2>&1)"
check_fails 2 "np 2 --eval-holdout refuses" kith_np 2 propagate -q "$T/s" \
	-o "$T/x" --eval-holdout 0.1
ok_if "says it is single-node" -n "$(grep 'eval-holdout runs on one machine' "$T/.err")"
done_testing
