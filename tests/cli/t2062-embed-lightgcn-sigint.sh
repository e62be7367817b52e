#!/bin/sh
# kith embed --model lightgcn and SIGINT: the step in progress finishes, a
# checkpoint of that step (inside the epoch; after an epoch's last step,
# of the epoch) is written, exit 130; --resume continues from there and
# ends byte-identical to an uninterrupted run
. "$top_srcdir/tests/cli/lib.sh"
need_shared lastfm-2k
L=$SHARED/datasets/lastfm-2k
check "ingest" $KITH ingest --events "$L/data1.txt" --columns user,item,_ \
	-o "$T/s" --quiet
O="--model lightgcn --dim 16 --seed 5 --threads 2 --quiet"
for case in "plain:--val-ratio 0 --epochs 20" "refit:--epochs 10"; do
	name=${case%%:*}
	opts=${case#*:}
	check "$name: uninterrupted" $KITH embed "$T/s" $O $opts -o "$T/full"
	# the signal once training runs (the first checkpoint exists)
	$KITH embed "$T/s" $O $opts -o "$T/i" --checkpoint-every 1 \
		2>"$T/i.err" &
	pid=$!
	wait_for_file "$T/i.ckpt/state.json" 0.05
	kill -INT $pid
	wait $pid
	rc=$?
	if [ $rc = 0 ]; then
		# the machine was fast: the run finished before the signal
		ok_if "$name: finished before the signal (skipped)" 1 = 1
		rm -rf "$T/full" "$T/i"
		continue
	fi
	ok_if "$name: SIGINT exits 130" $rc = 130
	ok_if "$name: checkpoint written" -f "$T/i.ckpt/state.json"
	st=$(json_get "$T/i.ckpt/state.json" step)
	ep=$(json_get "$T/i.ckpt/state.json" epoch)
	# inside an epoch: the step; after an epoch's last step the epoch
	# finishes (with its validation) and the checkpoint is the epoch's
	if [ "${st:-0}" -gt 0 ]; then
		ok_if "$name: it records the step inside the epoch ($st)" -n \
			"$(grep "after step $st of [0-9]* of epoch $((ep + 1));" "$T/i.err")"
	else
		ok_if "$name: it records the epoch just finished ($ep)" -n \
			"$(grep "after epoch $ep;" "$T/i.err")"
	fi
	check "$name: resume" $KITH embed "$T/s" $O $opts -o "$T/i" \
		--checkpoint-every 100 --resume
	check "$name: users.npy byte-identical" cmp "$T/full/users.npy" \
		"$T/i/users.npy"
	check "$name: items.npy byte-identical" cmp "$T/full/items.npy" \
		"$T/i/items.npy"
	rm -rf "$T/full" "$T/i" "$T/i.ckpt"
done
done_testing
