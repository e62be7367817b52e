#!/bin/sh
# kith embed --model sage checkpoints on Cora: stopped after epoch 1 and
# resumed, and interrupted by SIGINT (exit 130, checkpoint) and resumed,
# both byte-identical to uninterrupted runs
. "$top_srcdir/tests/cli/lib.sh"
need_shared cora
C=$SHARED/datasets/cora
check "ingest cora" $KITH ingest --social "$C/edges.tsv" \
	--user-features "$C/features.tsv" -o "$T/cora" --quiet
O="--model sage --dim 16 --fanout 5,5 --patience 1000 --seed 3 --threads 2 --quiet"
check "uninterrupted" $KITH embed "$T/cora" $O --epochs 30 -o "$T/full"
check "cut by the time limit" $KITH embed "$T/cora" $O --epochs 30 \
	-o "$T/a" --checkpoint-every 1 --time-limit 0.000001
ok_if "after epoch 1" "$(json_get "$T/a.ckpt/state.json" epoch)" = 1
check "resume" $KITH embed "$T/cora" $O --epochs 30 -o "$T/a" \
	--checkpoint-every 10 --resume
check "users.npy byte-identical" cmp "$T/full/users.npy" "$T/a/users.npy"
check "sage.params.npy byte-identical" cmp "$T/full/sage.params.npy" \
	"$T/a/sage.params.npy"

# id embeddings and the pool aggregator hold more state
P="$O --aggregator pool --id-emb --epochs 12"
check "pool + id-emb uninterrupted" $KITH embed "$T/cora" $P -o "$T/pf"
check "pool + id-emb cut" $KITH embed "$T/cora" $P -o "$T/p" \
	--checkpoint-every 1 --time-limit 0.000001
ok_if "id embedding state saved" -f "$T/p.ckpt/adam_v_id.npy"
check "pool + id-emb resume" $KITH embed "$T/cora" $P -o "$T/p" \
	--checkpoint-every 5 --resume
check "pool + id-emb byte-identical" cmp "$T/pf/users.npy" "$T/p/users.npy"

# SIGINT once training runs (a first checkpoint exists)
$KITH embed "$T/cora" $O --epochs 100000 -o "$T/i" --checkpoint-every 10 \
	2>"$T/i.err" &
pid=$!
wait_for_file "$T/i.ckpt/state.json"
sleep 0.3
kill -INT $pid
wait $pid
ok_if "SIGINT exits 130" $? = 130
ok_if "checkpoint written at the interrupt" -f "$T/i.ckpt/state.json"
ep=$(json_get "$T/i.ckpt/state.json" epoch)
ok_if "message names epoch $ep" -n "$(grep "after epoch $ep;" "$T/i.err")"
n=$((ep + 5))
check "uninterrupted $n epochs" $KITH embed "$T/cora" $O --epochs $n \
	-o "$T/i2"
check "resume after SIGINT" $KITH embed "$T/cora" $O --epochs $n \
	-o "$T/i" --checkpoint-every 1000 --resume
check "equals the uninterrupted run" cmp "$T/i2/users.npy" "$T/i/users.npy"

# SIGTERM: the same
rm -rf "$T/i.ckpt" "$T/i.ckpt.old"
$KITH embed "$T/cora" $O --epochs 100000 -o "$T/i" --checkpoint-every 10 \
	2>"$T/i.err" &
pid=$!
wait_for_file "$T/i.ckpt/state.json"
kill -TERM $pid
wait $pid
ok_if "SIGTERM exits 130" $? = 130
ep=$(json_get "$T/i.ckpt/state.json" epoch)
ok_if "checkpoint after the epoch in progress ($ep)" \
	-n "$(grep "after epoch $ep;" "$T/i.err")"
done_testing
