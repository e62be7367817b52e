# Helpers of the MPI tests (tests/cli/t70NN-mpi-*.sh), after lib.sh.
#   need_mpi               skip all unless mpirun runs kith with MPI
#   kith_np NP ARGS...     mpirun -np NP kith ARGS (as root too)
#   npy_values FILE TYPE   the elements of a .npy file, one a line (od
#                          type: d8 int64, d4 int32, f8 float64)
#   row_bounds MANIFEST    the "row_bounds" array of a manifest, spaces
#   halo_users STORE BOUNDS DIRECTED
#                          H = sum over ranks of the remote users that the
#                          rank's rows of uu touch (its in-links when
#                          DIRECTED is 1), self-loops left out: the count
#                          the byte formulas of kith(1) use

# CI runs as root; here, not globally
OMPI_ALLOW_RUN_AS_ROOT=1; export OMPI_ALLOW_RUN_AS_ROOT
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM

kith_np() {
	_np=$1; shift
	mpirun --oversubscribe -np "$_np" "$KITH" "$@"
}

need_mpi() {
	command -v mpirun >/dev/null 2>&1 || skip_all "mpirun is not installed"
	kith_np 2 influence >"$T/.mpi-probe" 2>&1
	if grep -q "built without MPI" "$T/.mpi-probe"; then
		skip_all "kith was built without MPI"
	fi
	grep -q "expected one STORE" "$T/.mpi-probe" ||
		skip_all "mpirun does not start kith here: $(head -3 "$T/.mpi-probe" | tr '\n' ' ')"
}

npy_values() {
	_hl=$(od -A n -t u2 -j 8 -N 2 "$1" | tr -d ' ')
	od -A n -v -t "$2" -j $((10 + _hl)) "$1" | tr -s ' ' '\n' | sed '/^$/d'
}

row_bounds() {
	sed -n '/"row_bounds"/,/\]/p' "$1" | tr -dc '0-9\n' | sed '/^$/d' |
		tr '\n' ' '
}

halo_users() {
	npy_values "$1/uu.indptr.npy" d8 >"$T/.indptr"
	npy_values "$1/uu.indices.npy" d4 >"$T/.indices"
	awk -v bounds="$2" -v directed="$3" '
	FNR == 1 { f++ }
	f == 1 { ip[n++] = $1; next }
	f == 2 { ix[m++] = $1; next }
	END {
		P = split(bounds, b, " ") - 1
		for (u = 0; u < n - 1; u++) {
			ru = 0
			while (u >= b[ru + 2]) ru++
			for (e = ip[u]; e < ip[u + 1]; e++) {
				v = ix[e]
				if (v == u) continue
				rv = 0
				while (v >= b[rv + 2]) rv++
				if (rv == ru) continue
				if (directed) key = rv " " u; else key = ru " " v
				if (!(key in seen)) { seen[key] = 1; h++ }
			}
		}
		print h + 0
	}' "$T/.indptr" "$T/.indices"
}

# mpi_shop: the 3000-user synthetic shop of the MPI tests in $T/shop and
# its store $T/s (social links and item categories)
mpi_shop() {
	check "synth" "$KITH" synth -q -o "$T/shop" --users 3000 --items 400 \
		--categories 8 --communities 5 --seed 2
	check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
		--social "$T/shop/social.csv" --items "$T/shop/items.csv" -o "$T/s"
}
