#!/bin/sh
# --max-memory under mpirun (issue 13): kith influence --pagerank-only
# and kith propagate estimate each rank's share (its rows of the graph,
# its halo, its vectors) before allocating; the largest share is shown,
# and when it is above the limit every rank refuses and nothing is
# written.  The share named is the rank's rows of the partition the run
# uses.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi

mpi_shop
n=$(json_get "$T/s/manifest.json" users)

# refused: every rank, exit status not 0, no folder
kith_np 2 influence --pagerank-only "$T/s" -o "$T/i1" --max-memory 1K \
	>"$T/.out" 2>"$T/.err"
ok_if "np 2 pagerank: refused" $? -ne 0
ok_if "np 2 pagerank: the message names the rank's share" -n "$(grep \
	'kith influence[^:]*: pagerank on rank [01] of 2 ([0-9]* users, [0-9]* graph entries, a halo of at most [0-9]* users: the largest share) needs an estimated .*refused before allocating' "$T/.err")"
ok_if "np 2 pagerank: nothing written" ! -e "$T/i1"
kith_np 2 propagate "$T/s" -o "$T/p1" --max-memory 1K >"$T/.out" 2>"$T/.err"
ok_if "np 2 propagate: refused" $? -ne 0
ok_if "np 2 propagate: the message names the rank's share" -n "$(grep \
	'kith propagate[^:]*: propagation on rank [01] of 2 (.* the largest share) needs an estimated .*refused before allocating' "$T/.err")"
ok_if "np 2 propagate: nothing written" ! -e "$T/p1"
kith_np 2 propagate "$T/s" -o "$T/p1" --graph cointeraction --max-memory 1K \
	>"$T/.out" 2>"$T/.err"
ok_if "np 2 propagate, co-interaction graph: refused" $? -ne 0

# within the limit: runs, and the estimate names a rank of the partition
for np in 1 2 3; do
	check "np $np pagerank within 4G" kith_np $np influence --pagerank-only \
		"$T/s" -o "$T/i$np" --max-memory 4G
	line=$(grep 'memory estimate .* for pagerank on rank' "$T/.err")
	ok_if "np $np pagerank: one estimate line (rank 0 prints)" \
		"$(echo "$line" | grep -c .)" = 1
	rows=$(echo "$line" | sed -n 's/.*on rank \([0-9]*\) of [0-9]* (\([0-9]*\) users.*/\1 \2/p')
	q=${rows% *}
	b=$(row_bounds "$T/i$np/manifest.json")
	[ -n "$b" ] || b="0 $n"
	want=$(echo "$b" | awk -v q="$q" '{ print $(q + 2) - $(q + 1) }')
	ok_if "np $np pagerank: the share is rank $q's rows ($want)" \
		"${rows#* }" = "$want"
	check "np $np propagate within 4G" kith_np $np propagate "$T/s" \
		-o "$T/p$np" --max-memory 4G
	ok_if "np $np propagate: estimate shown" \
		-n "$(grep 'memory estimate .* for propagation on rank' "$T/.err")"
done
ok_if "np 3 propagate: the same preferences as np 1" \
	-z "$(cmp "$T/p1/prefs.npy" "$T/p3/prefs.npy" 2>&1)"
done_testing
