#!/bin/sh
# SIGINT and SIGTERM sent to mpirun: mpirun passes them to every rank.
# kith embed -m lightgcn on 2 ranks: the ranks agree on the step to stop
# after, write one checkpoint and end; the job ends with a non-zero
# status within 30 s, no output folder is half-written, and --resume on
# 2 ranks ends byte-identical to an uninterrupted 2-rank run. kith
# propagate on 2 ranks: SIGTERM ends the job within 30 s and the output
# folder written before stays intact.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi
need_shared lastfm-2k
L=$SHARED/datasets/lastfm-2k

# signal_job SIGNAL FILE ARGS...: kith ARGS on 2 ranks in the background;
# once FILE exists (with FILE "-": once both ranks have run for a
# second), SIGNAL to mpirun; prints "STATUS SECONDS"
signal_job() {
	_sig=$1; _file=$2; shift 2
	mpirun --oversubscribe -np 2 "$KITH" "$@" >"$T/.sout" 2>"$T/.serr" &
	_mp=$!
	if [ "$_file" = - ]; then
		_w=0
		while [ "$(pgrep -P $_mp | wc -l)" -lt 2 ] && [ $_w -lt 300 ]; do
			sleep 0.1; _w=$((_w + 1))
		done
		sleep 1
	else
		wait_for_file "$_file" 0.05
	fi
	_t0=$(date +%s)
	kill -"$_sig" $_mp
	end_job $_mp $_t0
}

check "ingest" "$KITH" ingest -q --events "$L/data1.txt" \
	--columns user,item,_ -o "$T/fm"
O="-m lightgcn --dim 16 --epochs 8 --val-ratio 0 --seed 5"
check "uninterrupted, 2 ranks" kith_np 2 embed -q "$T/fm" -o "$T/e0" $O
r=$(signal_job INT "$T/e.ckpt/state.json" embed "$T/fm" -o "$T/e" $O \
	--checkpoint-every 1)
if grep -q "lightgcn d=16: 8 epochs" "$T/.serr"; then
	# the machine was fast: the run finished before the signal
	ok_if "embed finished before the signal (skipped)" 1 = 1
else
	ok_if "embed, SIGINT: non-zero status (${r% *})" "${r% *}" != 0
	ok_if "embed, SIGINT: ended within 30 s (${r#* } s)" "${r#* }" -le 30
	ok_if "both ranks stop after the same step" 1 = "$(sed -n \
		's/.*\[rank [01] of 2\]: training interrupted \(after .*\);.*/\1/p' \
		"$T/.serr" | sort | uniq -c | awk '$1 == 2' | wc -l)"
	ok_if "no output folder" ! -e "$T/e"
	ok_if "checkpoint written" -f "$T/e.ckpt/state.json"
	check "resume on 2 ranks" kith_np 2 embed -q "$T/fm" -o "$T/e" $O \
		--checkpoint-every 100 --resume
	check "users.npy byte-identical" cmp "$T/e0/users.npy" "$T/e/users.npy"
	check "items.npy byte-identical" cmp "$T/e0/items.npy" "$T/e/items.npy"
fi

mpi_shop
check "previous output" kith_np 2 propagate -q "$T/s" -o "$T/p"
cp "$T/p/prefs.npy" "$T/.before"
r=$(signal_job TERM - propagate -q "$T/s" -o "$T/p" --tol 0 \
	--iterations 2000000000)
ok_if "propagate, SIGTERM: non-zero status (${r% *})" "${r% *}" != 0
ok_if "propagate, SIGTERM: ended within 30 s (${r#* } s)" "${r#* }" -le 30
check "previous output verifies" "$KITH" info --verify "$T/p"
ok_if "previous output unchanged" -z "$(cmp "$T/.before" "$T/p/prefs.npy" 2>&1)"
ok_if "no ranks left" -z "$(pgrep -f "$T/s" 2>/dev/null)"
done_testing
