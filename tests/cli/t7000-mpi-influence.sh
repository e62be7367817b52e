#!/bin/sh
# kith influence under mpirun -np 1, 2, 3: PageRank (global and
# personalised, undirected and directed) within 1e-9 of the single-process
# igraph run, bytes per iteration equal to the formula with H counted here
# from the store, one summary, and the refusals of what is single-node.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi

mpi_shop
check "ingest directed" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --directed -o "$T/d"
printf 'u000001\nu000002\nu000017\n' >"$T/seeds"
check "single process (igraph)" "$KITH" influence -q "$T/s" -o "$T/i0"
check "single process, directed, seeds" "$KITH" influence -q "$T/d" \
	-o "$T/d0" --seeds "$T/seeds" --pagerank-only

# column C of influence.npy (10 float64 a row)
col() { npy_values "$1/influence.npy" f8 | awk -v c="$2" 'NR % 10 == c % 10'; }
# max |a - b| over two columns
coldiff() {
	col "$1" "$3" >"$T/.a"; col "$2" "$3" >"$T/.b"
	paste "$T/.a" "$T/.b" | awk '{ d = $1 - $2; if (d < 0) d = -d
		if (d > m) m = d } END { printf "%.3g\n", m }'
}
small() { awk -v a="$1" 'BEGIN { if (a < 1e-9) print "y" }'; }

for np in 1 2 3; do
	check "np $np: influence --pagerank-only" kith_np $np influence -q \
		"$T/s" -o "$T/i$np" --pagerank-only
	ok_if "np $np: one summary" "$(grep -c '^users 3000' "$T/.out")" = 1
	ok_if "np $np: summary names the ranks" \
		-n "$(grep "^mpi ranks $np " "$T/.out")"
	d=$(coldiff "$T/i0" "$T/i$np" 1)
	ok_if "np $np: pagerank within 1e-9 of igraph ($d)" "$(small "$d")" = y
	h=$(halo_users "$T/s" "$(row_bounds "$T/i$np/manifest.json")" 0)
	ok_if "np $np: halo users counted from the store ($h)" \
		"$(json_get "$T/i$np/manifest.json" halo_users)" = "$h"
	want=$((8 * h + 16 * np)); [ $np = 1 ] && want=0
	ok_if "np $np: bytes per iteration = 8 H + 16 P ($want)" \
		"$(json_get "$T/i$np/manifest.json" bytes_per_iteration)" = $want
	check "np $np: the folder verifies" "$KITH" info --verify "$T/i$np"
done
ok_if "degrees not computed with --pagerank-only" \
	"$(awk -F'\t' 'NR > 1 && $4 != "" { n++ } END { print n + 0 }' "$T/i3/influence.tsv")" = 0

for np in 1 3; do
	check "np $np: directed, personalised" kith_np $np influence -q \
		"$T/d" -o "$T/d$np" --seeds "$T/seeds" --pagerank-only
	d=$(coldiff "$T/d0" "$T/d$np" 1)
	ok_if "np $np: directed pagerank within 1e-9 ($d)" "$(small "$d")" = y
	d=$(coldiff "$T/d0" "$T/d$np" 2)
	ok_if "np $np: personalised pagerank within 1e-9 ($d)" "$(small "$d")" = y
	h=$(halo_users "$T/d" "$(row_bounds "$T/d$np/manifest.json")" 1)
	ok_if "np $np: directed halo = remote in-link sources ($h)" \
		"$(json_get "$T/d$np/manifest.json" halo_users)" = "$h"
done

check_fails 2 "np 2 without --pagerank-only" kith_np 2 influence -q "$T/s" \
	-o "$T/x"
ok_if "says what is distributed" -n "$(grep 'add --pagerank-only' "$T/.err")"
ok_if "said once" "$(grep -c 'add --pagerank-only' "$T/.err")" = 1
ok_if "nothing written" ! -e "$T/x"
check_fails 2 "np 2 communities refuses" kith_np 2 communities "$T/s" -o "$T/c"
ok_if "names the distributed commands" \
	-n "$(grep 'runs on one machine only.*influence ingest propagate' "$T/.err")"
check_fails 2 "np 2 report refuses" kith_np 2 report "$T/s" -o "$T/r"
check "np 1 runs a single-node command" kith_np 1 info "$T/s"
check "np 3 --help is fine" kith_np 3 communities --help
ok_if "help printed once" "$(grep -c '^Usage:' "$T/.out")" = 1
check "KITH_MPI=0: plain run under mpirun" env KITH_MPI=0 \
	mpirun --oversubscribe -np 1 -x KITH_MPI "$KITH" info "$T/s"
done_testing
