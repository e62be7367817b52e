#!/bin/sh
# mpirun -np 1, 2, 3 kith embed -m gcn on Cora (issue 13): full-graph GCN
# over the ranks, each holding its rows of Â and of the activations, the
# weights whole on every rank.  Supervised: one rank is one process to
# the byte; 2 and 3 ranks give the same best epoch, test accuracy within
# 0.005 and the same predictions but a few (only the order of reduced
# sums differs), an embedding within 1e-3 (also on the directed graph);
# bytes per epoch equal to the formula of kith-embed(1) with the halo
# rows H counted here from the store.  The auto-encoder (negatives from every rank's rows): held-out
# AUC within 0.002.  --resume under mpirun (same bytes on the same rank
# count; a one-process checkpoint resumed on 3 ranks), --from under
# mpirun, the per-rank memory estimate (within 15 % of the largest
# peak) and --max-memory, kill -9 of a rank (non-zero within 60 s, the
# previous folder intact).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi
need_shared cora
C=$SHARED/datasets/cora
check "ingest cora" "$KITH" ingest -q --social "$C/edges.tsv" \
	--user-features "$C/features.tsv" -o "$T/cora"
S="--model gcn --labels $C/nodes.tsv --seed 1 --threads 1"

check "one process" "$KITH" embed "$T/cora" $S -q -o "$T/g0"
acc0=$(json_get "$T/g0/manifest.json" test_accuracy)
best0=$(json_get "$T/g0/manifest.json" best_epoch)
for np in 1 2 3; do
	kith_np $np embed "$T/cora" $S -o "$T/g$np" >"$T/.out" 2>"$T/.err"
	ok_if "np $np: supervised gcn runs" $? = 0
	ok_if "np $np: one summary" "$(grep -c 'gcn h=64' "$T/.err")" = 1
	m=$T/g$np/manifest.json
	acc=$(json_get "$m" test_accuracy)
	ok_if "np $np: test accuracy $acc within 0.005 of one process ($acc0)" \
		"$(within "$acc" "$acc0" 0.005)" = y
	ok_if "np $np: best epoch $(json_get "$m" best_epoch) = $best0" \
		"$(json_get "$m" best_epoch)" = "$best0"
	d=$(differing "$T/g0/gcn.pred.npy" "$T/g$np/gcn.pred.npy")
	ok_if "np $np: $d of 2708 predictions differ (at most 10)" "$d" -le 10
	d=$(maxdiff "$T/g0/users.npy" "$T/g$np/users.npy")
	ok_if "np $np: users.npy within 1e-3 of one process ($d)" \
		"$(within "$d" 0 0.001)" = y
	check "np $np: the folder verifies" "$KITH" info --verify "$T/g$np"
	ok_if "np $np: the manifest names the ranks" \
		"$(json_get "$m" ranks)" = $np
	[ $np = 1 ] && continue
	b=$(row_bounds "$m")
	ok_if "np $np: $np row ranges" "$(echo $b | wc -w)" = $((np + 1))
	H=$(halo_users "$T/cora" "$b" 0)
	ok_if "np $np: halo rows $(json_get "$m" halo_rows) = $H from the store" \
		"$(json_get "$m" halo_rows)" = "$H"
	be=$(json_get "$m" bytes_per_epoch)
	bf=$(json_get "$m" bytes_per_epoch_formula)
	# the formula: 8 (h + c) H + 4 P (f h + h + h c + c) + 24 P
	f=$(json_get "$T/g0/manifest.json" n_in)
	want=$((8 * (64 + 7) * H + 4 * np * (f * 64 + 64 + 64 * 7 + 7) + 24 * np))
	ok_if "np $np: bytes per epoch $be = formula $bf = $want" \
		"$be" = "$bf" -a "$bf" = "$want"
done
for f in users.npy gcn.pred.npy gcn.w1.npy gcn.w2.npy gcn.b2.npy; do
	check "np 1: $f byte-identical to one process" \
		cmp "$T/g0/$f" "$T/g1/$f"
done

# a directed graph: each rank finds its rows' in-links in the whole graph
check "ingest cora, directed" "$KITH" ingest -q --social "$C/edges.tsv" \
	--directed --user-features "$C/features.tsv" -o "$T/cd"
check "directed, one process" "$KITH" embed "$T/cd" $S -q -o "$T/d0"
check "directed, np 3" kith_np 3 embed "$T/cd" $S -q -o "$T/d3"
d=$(maxdiff "$T/d0/users.npy" "$T/d3/users.npy")
ok_if "directed, np 3: users.npy within 1e-3 of one process ($d)" \
	"$(within "$d" 0 0.001)" = y
dacc=$(json_get "$T/d3/manifest.json" test_accuracy)
dacc0=$(json_get "$T/d0/manifest.json" test_accuracy)
ok_if "directed, np 3: test accuracy $dacc within 0.005 of one process ($dacc0)" \
	"$(within "$dacc" "$dacc0" 0.005)" = y

# the auto-encoder: its negatives and validation pairs span the ranks
A="--model gcn --epochs 60 --dim 16 --seed 3 --threads 1 -q"
check "auto-encoder, one process" "$KITH" embed "$T/cora" $A -o "$T/a0"
auc0=$(sed -n 's/.*"val_auc"[ ]*:[ ]*\([-0-9.eE+]*\).*/\1/p' \
	"$T/a0/manifest.json" | tail -1)
for np in 2 3; do
	check "np $np: auto-encoder" kith_np $np embed "$T/cora" $A -o "$T/a$np"
	m=$T/a$np/manifest.json
	auc=$(sed -n 's/.*"val_auc"[ ]*:[ ]*\([-0-9.eE+]*\).*/\1/p' "$m" |
		tail -1)
	ok_if "np $np: held-out AUC $auc within 0.002 of one process ($auc0)" \
		"$(within "$auc" "$auc0" 0.002)" = y
	ok_if "np $np: the negatives' halo counted" \
		"$(json_get "$m" batch_halo_rows)" -gt 0
	ok_if "np $np: bytes per epoch = formula" \
		"$(json_get "$m" bytes_per_epoch)" = \
		"$(json_get "$m" bytes_per_epoch_formula)"
	d=$(maxdiff "$T/a0/users.npy" "$T/a$np/users.npy")
	ok_if "np $np: users.npy within 0.01 of one process ($d)" \
		"$(within "$d" 0 0.01)" = y
done

# --from under mpirun: the weights of one process applied over the ranks
check "np 2: --from" kith_np 2 embed "$T/cora" --model gcn --from "$T/g0" \
	-q -o "$T/f2"
d=$(maxdiff "$T/g0/users.npy" "$T/f2/users.npy")
ok_if "np 2 --from: users.npy within 1e-5 ($d)" "$(within "$d" 0 0.00001)" = y
ok_if "np 2 --from: the same predictions" \
	"$(differing "$T/g0/gcn.pred.npy" "$T/f2/gcn.pred.npy")" = 0

# --resume: cut after epoch 1 on 2 ranks, resumed on 2 ranks = one run
R="$S --epochs 40 --patience 1000 -q"
check "np 2: uninterrupted" kith_np 2 embed "$T/cora" $R -o "$T/r2"
check "np 2: cut by the time limit" kith_np 2 embed "$T/cora" $R -o "$T/c" \
	--checkpoint-every 1 --time-limit 0.000001
ok_if "np 2: a checkpoint after epoch 1" \
	"$(json_get "$T/c.ckpt/state.json" epoch)" = 1
check "np 2: resumed" kith_np 2 embed "$T/cora" $R -o "$T/c" \
	--checkpoint-every 1 --resume
for f in users.npy gcn.w1.npy gcn.pred.npy; do
	check "np 2: resumed = uninterrupted ($f)" cmp "$T/r2/$f" "$T/c/$f"
done
ok_if "np 2: the finished run removes its checkpoint" ! -e "$T/c.ckpt"
check "one process: cut" "$KITH" embed "$T/cora" $R -o "$T/c1" \
	--checkpoint-every 1 --time-limit 0.000001
kith_np 3 embed "$T/cora" $S --epochs 40 --patience 1000 -o "$T/c1" \
	--checkpoint-every 1 --resume >"$T/.out" 2>"$T/.err"
ok_if "np 3 resumes a one-process checkpoint" $? = 0
ok_if "np 3: it says so" -n "$(grep 'resumed after epoch 1 ' "$T/.err")"
check "one process, uninterrupted" "$KITH" embed "$T/cora" $R -o "$T/r1"
acc1=$(json_get "$T/r1/manifest.json" test_accuracy)
acc=$(json_get "$T/c1/manifest.json" test_accuracy)
ok_if "np 3 resumed: test accuracy $acc within 0.005 of one process ($acc1)" \
	"$(within "$acc" "$acc1" 0.005)" = y

# the memory estimate per rank, and --max-memory
estimate_near_peak \
	'gcn on 2708 users, 0 items on rank [01] of 2 ([0-9]* rows of the graph, [0-9]* entries, a halo of at most [0-9]* rows.*the largest share)' \
	embed "$T/cora" $S -o "$T/m2"
kith_np 2 embed "$T/cora" $S -o "$T/x" --max-memory 4M >"$T/.out" 2>"$T/.err"
ok_if "np 2, --max-memory 4M: refused" $? -ne 0
ok_if "np 2: nothing written" ! -e "$T/x"

# kill -9 of a rank: the job ends, the previous folder stays
kill_each "1 0" "$T/g2" users.npy embed "$T/cora" $S -q -o "$T/g2" \
	--epochs 1000000 --patience 1000000
done_testing
