#!/bin/sh
# --max-memory of mpirun -np P kith embed -m lightgcn (issue 13): the
# estimate is each rank's peak (its rows of Â and of the training arrays,
# its halo, the whole spectral start and batch, the ranking of its
# validation users; rank 0 also the gathered output), the largest shown;
# on LastFM 2K it is within ±15 % of the largest peak RSS the ranks
# reach (np 1 and 2), and below it every rank refuses before allocating
# and nothing is written.  The single-process estimate is unchanged.
# Under the sanitizers (KITH_SANITIZED) only the peaks are not compared.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
[ -x /usr/bin/time ] || skip_all "no /usr/bin/time"
lastfm_store
O="-m lightgcn --dim 64 --epochs 3 --seed 7"

# mib LINE: the MiB of "memory estimate X UNIT" in LINE (glib puts a
# no-break space before the unit)
mib() {
	echo "$1" | sed -n 's/.*memory estimate \([0-9.]*\)[^0-9A-Za-z]*\([KMG]iB\).*/\1 \2/p' |
		awk '{ f = $2 == "KiB" ? 1 / 1024 : $2 == "GiB" ? 1024 : 1
		       printf "%.1f", $1 * f }'
}

for np in 1 2; do
	# each rank's peak in its own file: mpirun forwards the ranks'
	# stderr lines, and two of them written at once can share a line
	rm -f "$T"/rss.*
	mpirun --oversubscribe -np $np sh -c '/usr/bin/time -o "$0.$OMPI_COMM_WORLD_RANK" -f "rss $OMPI_COMM_WORLD_RANK %M" "$@"' \
		"$T/rss" "$KITH" embed "$T/fm" -o "$T/e$np" $O >"$T/.out" 2>"$T/.err"
	ok_if "np $np: runs" $? = 0
	line=$(grep 'memory estimate .* on rank' "$T/.err")
	ok_if "np $np: one estimate line (rank 0 prints)" \
		"$(echo "$line" | grep -c .)" = 1
	ok_if "np $np: the line names the rank's share" -n "$(echo "$line" |
		grep "lightgcn on [0-9]* users, [0-9]* items on rank [0-9] of $np ([0-9]* rows of the graph, [0-9]* entries, a halo of at most [0-9]* rows.*: the largest share)")"
	est=$(mib "$line")
	peak=$(cat "$T"/rss.* | sed -n 's/^rss [0-9]* //p' |
		awk '$1 > m { m = $1 } END { printf "%.1f", m / 1024 }')
	ok_if "np $np: a peak per rank" \
		"$(cat "$T"/rss.* | grep -c '^rss [0-9]')" = $np
	echo "# np $np: estimate $est MiB, largest peak RSS of the ranks $peak MiB"
	# the sanitizers' shadow memory inflates the peak (as in t6001)
	[ -n "${KITH_SANITIZED:-}" ] && continue
	ok_if "np $np: estimate $est MiB within 15 % of the peak $peak MiB" \
		"$(awk -v e="$est" -v p="$peak" 'BEGIN { r = e / p
			print (r >= 0.85 && r <= 1.15) ? "y" : "n" }')" = y
done

# refused below the estimate: every rank, non-zero status, no folder
half=$(awk -v e="$est" 'BEGIN { printf "%dK", e * 1024 / 2 }')
kith_np 2 embed "$T/fm" -o "$T/r" $O --max-memory "$half" \
	>"$T/.out" 2>"$T/.err"
ok_if "np 2, --max-memory $half: refused" $? -ne 0
ok_if "np 2: the message names the largest share" -n "$(grep \
	'kith embed[^:]*: lightgcn on .* on rank [01] of 2 (.* the largest share) needs an estimated .*refused before allocating' "$T/.err")"
ok_if "np 2: nothing written" ! -e "$T/r"
ok_if "np 2: no training began" -z "$(grep -i 'epoch' "$T/.err")"

# one process: the estimate of one process, not a rank's
check "one process" "$KITH" embed "$T/fm" -o "$T/e0" $O
ok_if "one process: its own estimate" -n \
	"$(grep 'memory estimate .* for lightgcn on [0-9]* users, [0-9]* items$' "$T/.err")"
done_testing
