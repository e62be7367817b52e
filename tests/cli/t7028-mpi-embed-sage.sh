#!/bin/sh
# mpirun -np 1, 2, 3 kith embed -m sage (issue 13): GraphSAGE over the
# ranks, each holding its nodes' rows of the joint graph, of the sampled
# neighbourhoods (a halo per hop and epoch) and of the id embeddings, the
# weights whole on every rank.  On LastFM 2K (id embeddings): one rank is
# one process to the byte; 2 and 3 ranks give the same held-out AUC
# within 0.002, Recall@20 within 0.002 and embeddings within 1e-3 (only
# the order of reduced sums differs); bytes per epoch equal to the
# formula of kith-embed(1).  The pool aggregator at np 3; supervised on
# Cora at np 2; --from on a newer store under mpirun; --resume (same bytes
# on the same rank count; a one-process checkpoint resumed on 3 ranks);
# the per-rank memory estimate (within 15 % of the largest peak) and
# --max-memory; kill -9 of a rank (non-zero within 60 s, the previous
# folder intact).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
lastfm_store --social "$SHARED/datasets/lastfm-2k/trustnetwork.txt"
S="--model sage --epochs 15 --dim 16 --fanout 10,5 --seed 1 --threads 1"

val_auc() {
	sed -n 's/.*"val_auc"[ ]*:[ ]*\([-0-9.eE+]*\).*/\1/p' "$1" | tail -1
}

check "one process" "$KITH" embed "$T/fm" $S -q -o "$T/s0"
auc0=$(val_auc "$T/s0/manifest.json")
rec0=$(lastfm_recall "$T/s0")
best0=$(json_get "$T/s0/manifest.json" best_epoch)
for np in 1 2 3; do
	kith_np $np embed "$T/fm" $S -o "$T/s$np" >"$T/.out" 2>"$T/.err"
	ok_if "np $np: sage runs" $? = 0
	ok_if "np $np: one summary" "$(grep -c 'sage-mean d=16' "$T/.err")" = 1
	m=$T/s$np/manifest.json
	auc=$(val_auc "$m")
	ok_if "np $np: held-out AUC $auc within 0.002 of one process ($auc0)" \
		"$(within "$auc" "$auc0" 0.002)" = y
	ok_if "np $np: best epoch $(json_get "$m" best_epoch) = $best0" \
		"$(json_get "$m" best_epoch)" = "$best0"
	rec=$(lastfm_recall "$T/s$np")
	ok_if "np $np: Recall@20 $rec within 0.002 of one process ($rec0)" \
		"$(near "$rec" "$rec0")" = y
	for f in users.npy items.npy sage.id_emb.npy; do
		d=$(maxdiff "$T/s0/$f" "$T/s$np/$f")
		ok_if "np $np: $f within 1e-3 of one process ($d)" \
			"$(within "$d" 0 0.001)" = y
	done
	check "np $np: the folder verifies" "$KITH" info --verify "$T/s$np"
	ok_if "np $np: the manifest names the ranks" \
		"$(json_get "$m" ranks)" = $np
	[ $np = 1 ] && continue
	b=$(row_bounds "$m")
	ok_if "np $np: $np row ranges" "$(echo $b | wc -w)" = $((np + 1))
	ok_if "np $np: the ranges cover users and items" \
		"$(echo $b | awk '{ print $NF }')" = \
		$(($(json_get "$T/fm/manifest.json" users) + \
		   $(json_get "$T/fm/manifest.json" items)))
	ok_if "np $np: the sampled halos counted" \
		"$(json_get "$m" batch_halo_rows)" -gt 0
	be=$(json_get "$m" bytes_per_epoch)
	ok_if "np $np: bytes per epoch $be = formula" \
		"$be" = "$(json_get "$m" bytes_per_epoch_formula)" -a "$be" -gt 0
done
for f in users.npy items.npy sage.params.npy sage.id_emb.npy \
    sage.nodes.tsv; do
	check "np 1: $f byte-identical to one process" \
		cmp "$T/s0/$f" "$T/s1/$f"
done

# the pool aggregator: its argmax may pick a remote row
P="--model sage --aggregator pool --epochs 8 --dim 16 --seed 2 --threads 1 -q"
check "pool, one process" "$KITH" embed "$T/fm" $P -o "$T/p0"
check "pool, np 3" kith_np 3 embed "$T/fm" $P -o "$T/p3"
a=$(val_auc "$T/p3/manifest.json")
ok_if "pool, np 3: held-out AUC $a within 0.002 of one process" \
	"$(within "$a" "$(val_auc "$T/p0/manifest.json")" 0.002)" = y
d=$(maxdiff "$T/p0/users.npy" "$T/p3/users.npy")
ok_if "pool, np 3: users.npy within 1e-3 of one process ($d)" \
	"$(within "$d" 0 0.001)" = y

# supervised on Cora: the head's gradients and accuracy span the ranks
if [ -d "$SHARED/datasets/cora" ]; then
	C=$SHARED/datasets/cora
	check "ingest cora" "$KITH" ingest -q --social "$C/edges.tsv" \
		--user-features "$C/features.tsv" -o "$T/cora"
	V="--model sage --labels $C/nodes.tsv --epochs 30 --seed 1 --threads 1 -q"
	check "supervised, one process" "$KITH" embed "$T/cora" $V -o "$T/c0"
	check "supervised, np 2" kith_np 2 embed "$T/cora" $V -o "$T/c2"
	for k in val_accuracy best_epoch; do
		ok_if "supervised, np 2: the same $k" \
			"$(json_get "$T/c2/manifest.json" $k)" = \
			"$(json_get "$T/c0/manifest.json" $k)"
	done
	d=$(maxdiff "$T/c0/users.npy" "$T/c2/users.npy")
	ok_if "supervised, np 2: users.npy within 1e-3 of one process ($d)" \
		"$(within "$d" 0 0.001)" = y
	be=$(json_get "$T/c2/manifest.json" bytes_per_epoch)
	ok_if "supervised, np 2: bytes per epoch $be = formula" \
		"$be" = "$(json_get "$T/c2/manifest.json" bytes_per_epoch_formula)"
fi

# --from under mpirun: inductive, on a newer store with more nodes
head -n 30000 "$L/data1.txt" >"$T/old.txt"
awk '$1 <= 1500 && $2 <= 1500' "$L/trustnetwork.txt" >"$T/old-social.txt"
check "ingest old" "$KITH" ingest -q --events "$T/old.txt" \
	--columns user,item,_ --social "$T/old-social.txt" -o "$T/old"
check "train on the old store" "$KITH" embed "$T/old" $S -q -o "$T/o0"
check "--from, one process" "$KITH" embed "$T/fm" --model sage \
	--from "$T/o0" -q -o "$T/f0"
check "--from, np 2" kith_np 2 embed "$T/fm" --model sage --from "$T/o0" \
	-q -o "$T/f2"
for f in users.npy items.npy; do
	d=$(maxdiff "$T/f0/$f" "$T/f2/$f")
	ok_if "np 2 --from: $f within 1e-5 ($d)" "$(within "$d" 0 0.00001)" = y
done

# --resume: cut after epoch 1 on 2 ranks, resumed on 2 ranks = one run
R="$S --patience 1000 -q"
check "np 2: uninterrupted" kith_np 2 embed "$T/fm" $R -o "$T/r2"
check "np 2: cut by the time limit" kith_np 2 embed "$T/fm" $R -o "$T/c" \
	--checkpoint-every 1 --time-limit 0.000001
ok_if "np 2: a checkpoint after epoch 1" \
	"$(json_get "$T/c.ckpt/state.json" epoch)" = 1
ok_if "np 2: the id embeddings checkpointed whole" \
	"$(sed -n '/"id_emb.npy"/,/\]/p' "$T/c.ckpt/state.json" |
		tr -dc '0-9\n' | sed '/^$/d' | head -1)" = \
	$(($(json_get "$T/fm/manifest.json" users) + \
	   $(json_get "$T/fm/manifest.json" items)))
check "np 2: resumed" kith_np 2 embed "$T/fm" $R -o "$T/c" \
	--checkpoint-every 1 --resume
for f in users.npy items.npy sage.params.npy sage.id_emb.npy; do
	check "np 2: resumed = uninterrupted ($f)" cmp "$T/r2/$f" "$T/c/$f"
done
ok_if "np 2: the finished run removes its checkpoint" ! -e "$T/c.ckpt"
check "one process: cut" "$KITH" embed "$T/fm" $R -o "$T/c1" \
	--checkpoint-every 1 --time-limit 0.000001
kith_np 3 embed "$T/fm" $R -o "$T/c1" --checkpoint-every 1 --resume \
	>"$T/.out" 2>"$T/.err"
ok_if "np 3 resumes a one-process checkpoint" $? = 0
check "one process, uninterrupted" "$KITH" embed "$T/fm" $R -o "$T/r1"
d=$(maxdiff "$T/r1/users.npy" "$T/c1/users.npy")
ok_if "np 3 resumed: users.npy within 1e-3 of one process ($d)" \
	"$(within "$d" 0 0.001)" = y

# the memory estimate per rank, and --max-memory
estimate_near_peak \
	'sage on 1892 users, 4476 items on rank [01] of 2 ([0-9]* rows of the graph, [0-9]* entries, a halo of at most [0-9]* rows.*the largest share)' \
	embed "$T/fm" $S -o "$T/m2"
kith_np 2 embed "$T/fm" $S -o "$T/x" --max-memory 4M >"$T/.out" 2>"$T/.err"
ok_if "np 2, --max-memory 4M: refused" $? -ne 0
ok_if "np 2: nothing written" ! -e "$T/x"

# kill -9 of a rank: the job ends, the previous folder stays
kill_each "1 0" "$T/s2" users.npy embed "$T/fm" $S -q -o "$T/s2" \
	--epochs 1000000 --patience 1000000
done_testing
