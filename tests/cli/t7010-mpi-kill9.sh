#!/bin/sh
# mpirun -np 3 kith propagate / influence: kill -9 of one rank ends the
# whole job with a non-zero status within 60 s, and the output folder
# written before stays intact (kith info --verify, same bytes).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi

mpi_shop
check "previous output" "$KITH" propagate -q "$T/s" -o "$T/p"
cp "$T/p/prefs.npy" "$T/prefs.before"

# kill_one RANK ARGS...: starts kith ARGS on 3 ranks, kills rank RANK's
# process (the RANK-th started: mpirun starts them in rank order) once
# all three run, prints "STATUS SECONDS"
kill_one() {
	_victim=$1; shift
	mpirun --oversubscribe -np 3 "$KITH" "$@" >"$T/.kout" 2>"$T/.kerr" &
	_mp=$!
	_w=0
	while [ "$(pgrep -P $_mp | wc -l)" -lt 3 ] && [ $_w -lt 300 ]; do
		sleep 0.1; _w=$((_w + 1))
	done
	sleep 1
	_pid=$(pgrep -P $_mp | sort -n | sed -n "$((_victim + 1))p")
	_t0=$(date +%s)
	[ -n "$_pid" ] && kill -9 "$_pid"
	# wait at most 90 s for the job, then end mpirun and its ranks
	_w=0
	while ps -o stat= -p $_mp 2>/dev/null | grep -qv Z && [ $_w -lt 450 ]; do
		sleep 0.2; _w=$((_w + 1))
	done
	for _p in $(pgrep -P $_mp) $_mp; do kill -9 $_p 2>/dev/null; done
	wait $_mp
	_st=$?
	echo "$_st $(($(date +%s) - _t0))"
}

for victim in 1 0 2; do
	set -- $(kill_one $victim propagate -q "$T/s" -o "$T/p" --tol 0 \
		--iterations 2000000000)
	ok_if "propagate, rank $victim killed: non-zero status ($1)" "$1" != 0
	ok_if "propagate, rank $victim killed: ended within 60 s ($2 s)" "$2" -le 60
	check "previous output verifies" "$KITH" info --verify "$T/p"
	ok_if "previous output unchanged" -z \
		"$(cmp "$T/prefs.before" "$T/p/prefs.npy" 2>&1)"
done
ok_if "mpirun names the killed process" -n "$(grep -i 'signal 9\|killed' "$T/.kerr")"
check "a later run writes the folder" kith_np 3 propagate -q "$T/s" -o "$T/p"
check "and it verifies" "$KITH" info --verify "$T/p"
done_testing
