#!/bin/sh
# mpirun -np 2 and 3 kith embed on yelp2018-sub (issue 13's second data
# set; LastFM 2K in t7021 and t7025): LightGCN with validation, early
# stopping and refit (d = 32, 4 epochs, to keep it short) and the
# default model (auto, which picks among its candidates on a validation
# split as one process does) give Recall@20 within 0.002 of the single
# process with the same seed; the ranks sum over users in another order
# than one process (the spectral start's and the gradients' sums), so
# bytes may differ, the ranking not by more than that.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi
need_shared yelp2018-sub
# under the sanitizers the same code runs on LastFM 2K (t7021, t7025);
# yelp2018-sub would add many minutes there
[ -n "${KITH_SANITIZED:-}" ] &&
	skip_all "yelp2018-sub is left to the plain build under the sanitizers"
Y=$SHARED/datasets/yelp2018-sub
check "ingest" "$KITH" ingest -q --events "$Y/train.tsv" --columns user,item \
	-o "$T/y"

recall() {
	"$KITH" eval "$T/y" "$1" --test "$Y/test.tsv" --columns user,item \
		-k 20 --json >"$T/.ev" && json_get "$T/.ev" 'recall@20'
}

O="-m lightgcn --dim 32 --epochs 4 --seed 7 -q"
check "lightgcn: single process" "$KITH" embed "$T/y" -o "$T/l0" $O
r0=$(recall "$T/l0")
for np in 2 3; do
	check "lightgcn, np $np" kith_np $np embed "$T/y" -o "$T/l$np" $O
	r=$(recall "$T/l$np")
	ok_if "lightgcn, np $np: recall@20 $r within 0.002 of one process ($r0)" \
		"$(near "$r" "$r0")" = y
	m="$T/l$np/manifest.json"
	ok_if "lightgcn, np $np: $np + 1 row bounds" \
		"$(row_bounds "$m" | wc -w)" = $((np + 1))
	ok_if "lightgcn, np $np: the same epochs as one process" \
		"$(json_get "$m" epochs_run) $(json_get "$m" refit_epochs)" = \
		"$(json_get "$T/l0/manifest.json" epochs_run) $(json_get "$T/l0/manifest.json" refit_epochs)"
	check "lightgcn, np $np: the folder verifies" "$KITH" info --verify \
		"$T/l$np"
done

A="--seed 7 -q"
check "default model: single process" "$KITH" embed "$T/y" -o "$T/a0" $A
ra=$(recall "$T/a0")
check "default model, np 2" kith_np 2 embed "$T/y" -o "$T/a2" $A
r=$(recall "$T/a2")
ok_if "default model, np 2: recall@20 $r within 0.002 of one process ($ra)" \
	"$(near "$r" "$ra")" = y
ok_if "default model, np 2: the model chosen as alone" \
	"$(json_str "$T/a2/manifest.json" model)" = \
	"$(json_str "$T/a0/manifest.json" model)"
check "default model, np 2: the folder verifies" "$KITH" info --verify \
	"$T/a2"
done_testing
