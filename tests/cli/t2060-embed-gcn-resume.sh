#!/bin/sh
# kith embed --model gcn checkpoints on Cora: a run stopped after epoch 1
# (time limit), killed with SIGKILL or interrupted with SIGINT resumes to
# the same bytes as an uninterrupted run; damaged checkpoints fall back to
# the previous generation or are rejected; other parameters are refused
. "$top_srcdir/tests/cli/lib.sh"
need_shared cora
C=$SHARED/datasets/cora
check "ingest cora" $KITH ingest --social "$C/edges.tsv" \
	--user-features "$C/features.tsv" -o "$T/cora" --quiet
O="--model gcn --labels $C/nodes.tsv --epochs 120 --patience 1000 --seed 1 --threads 2 --quiet"
check "uninterrupted" $KITH embed "$T/cora" $O -o "$T/full"

# stopped by the time limit after epoch 1: the checkpoint is kept
check "cut by the time limit" $KITH embed "$T/cora" $O -o "$T/a" \
	--checkpoint-every 1 --time-limit 0.000001
ok_if "checkpoint kept" -f "$T/a.ckpt/state.json"
ok_if "after epoch 1" "$(json_get "$T/a.ckpt/state.json" epoch)" = 1
# resumed with the time limit again: epoch 2, the previous generation kept
check "resume one more epoch" $KITH embed "$T/cora" $O -o "$T/a" \
	--checkpoint-every 1 --time-limit 0.000001 --resume
ok_if "newest after epoch 2" "$(json_get "$T/a.ckpt/state.json" epoch)" = 2
ok_if "previous generation after epoch 1" \
	"$(json_get "$T/a.ckpt.old/state.json" epoch)" = 1
cp -r "$T/a.ckpt" "$T/k-saved.ckpt"
cp -r "$T/a.ckpt.old" "$T/k-saved.ckpt.old"
check "resume" $KITH embed "$T/cora" $O -o "$T/a" --checkpoint-every 50 \
	--resume
check "resumed users.npy byte-identical" cmp "$T/full/users.npy" \
	"$T/a/users.npy"
check "resumed weights byte-identical" cmp "$T/full/gcn.w2.npy" \
	"$T/a/gcn.w2.npy"
ok_if "finished run removes both generations" ! -e "$T/a.ckpt" -a \
	! -e "$T/a.ckpt.old"

# SIGKILL (a crash) after a few checkpoints
$KITH embed "$T/cora" $O --epochs 100000 --patience 100000 -o "$T/k" \
	--checkpoint-every 1 2>/dev/null &
pid=$!
i=0
while [ $i -lt 300 ]; do
	[ "$(json_get "$T/k.ckpt/state.json" epoch 2>/dev/null)" -ge 3 ] \
		2>/dev/null && break
	sleep 0.1
	i=$((i + 1))
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
ok_if "a checkpoint generation after SIGKILL" -f "$T/k.ckpt/state.json" -o \
	-f "$T/k.ckpt.old/state.json"
check "resume after SIGKILL" $KITH embed "$T/cora" $O -o "$T/k" \
	--checkpoint-every 50 --resume
check "equals the uninterrupted run" cmp "$T/full/users.npy" \
	"$T/k/users.npy"

# a damaged newest generation: the previous one is used
rm -rf "$T/k.ckpt" "$T/k.ckpt.old" "$T/k"
cp -r "$T/k-saved.ckpt" "$T/k.ckpt"
cp -r "$T/k-saved.ckpt.old" "$T/k.ckpt.old"
head -c 1000 "$T/k-saved.ckpt/w1.npy" > "$T/k.ckpt/w1.npy"
$KITH embed "$T/cora" $O -o "$T/k" --checkpoint-every 50 --resume \
	--quiet 2>/dev/null
ok_if "truncated newest: falls back" $? = 0
check "fallback run equals the uninterrupted one" cmp "$T/full/users.npy" \
	"$T/k/users.npy"
# both damaged: a clear error
rm -rf "$T/k"
cp -r "$T/k-saved.ckpt" "$T/k.ckpt"
cp -r "$T/k-saved.ckpt.old" "$T/k.ckpt.old"
printf 'x' | dd of="$T/k.ckpt/b2.npy" bs=1 seek=130 conv=notrunc 2>/dev/null
printf '{"format": 1' > "$T/k.ckpt.old/state.json"
check_fails 1 "both generations damaged" $KITH embed "$T/cora" $O \
	-o "$T/k" --checkpoint-every 50 --resume
ok_if "error names the damaged array" -n \
	"$(grep "b2.npy' is damaged" "$T/.err")"
ok_if "no output written" ! -e "$T/k"
# other parameters: refused
rm -rf "$T/k.ckpt" "$T/k.ckpt.old"
cp -r "$T/k-saved.ckpt" "$T/k.ckpt"
check_fails 1 "another learning rate" $KITH embed "$T/cora" $O --lr 0.02 \
	-o "$T/k" --checkpoint-every 50 --resume
ok_if "says other parameters" -n "$(grep 'other parameters' "$T/.err")"

# SIGINT once training runs (a first checkpoint exists): finish the
# epoch, checkpoint, exit 130, resume to the same bytes
$KITH embed "$T/cora" $O --epochs 100000 --patience 100000 -o "$T/i" \
	--checkpoint-every 20 --quiet 2>"$T/i.err" &
pid=$!
wait_for_file "$T/i.ckpt/state.json"
sleep 0.3
kill -INT $pid
wait $pid
ok_if "SIGINT exits 130" $? = 130
ok_if "checkpoint written at the interrupt" -f "$T/i.ckpt/state.json"
ok_if "message names the checkpoint" -n "$(grep 'continue with --resume' \
	"$T/i.err")"
ep=$(json_get "$T/i.ckpt/state.json" epoch)
ok_if "message names epoch $ep" -n "$(grep "after epoch $ep;" "$T/i.err")"
$KITH embed "$T/cora" $O --epochs "$((ep + 40))" --patience 100000 \
	-o "$T/i2" --seed 1 --quiet
check "resume after SIGINT" $KITH embed "$T/cora" $O \
	--epochs "$((ep + 40))" --patience 100000 -o "$T/i" \
	--checkpoint-every 100000 --resume
check "equals an uninterrupted run of $((ep + 40)) epochs" cmp \
	"$T/i2/users.npy" "$T/i/users.npy"
done_testing
