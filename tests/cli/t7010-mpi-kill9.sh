#!/bin/sh
# mpirun -np 3 kith propagate / influence: kill -9 of one rank ends the
# whole job with a non-zero status within 60 s, and the output folder
# written before stays intact (kith info --verify, same bytes).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi

mpi_shop
check "previous output" "$KITH" propagate -q "$T/s" -o "$T/p"
kill_each "1 0 2" "$T/p" prefs.npy propagate -q "$T/s" -o "$T/p" --tol 0 \
	--iterations 2000000000
ok_if "mpirun names the killed process" -n "$(grep -i 'signal 9\|killed' "$T/.kerr")"
check "a later run writes the folder" kith_np 3 propagate -q "$T/s" -o "$T/p"
check "and it verifies" "$KITH" info --verify "$T/p"
done_testing
