# Helpers of the MPI tests (tests/cli/t70NN-mpi-*.sh), after lib.sh.
#   need_mpi               skip all unless mpirun runs kith with MPI
#   kith_np NP ARGS...     mpirun -np NP kith ARGS (as root too)
#   npy_values FILE TYPE   the elements of a .npy file, one a line (od
#                          type: d8 int64, d4 int32, f8 float64)
#   row_bounds MANIFEST    the "row_bounds" array of a manifest, spaces
#   kill_one RANK ARGS...  kith ARGS on 3 ranks, rank RANK killed (-9):
#                          prints "STATUS SECONDS"
#   end_job PID T0         waits for a background mpirun (90 s at most,
#                          then kills it): prints "STATUS SECONDS"
#   kill_each "RANKS" DIR FILE ARGS...
#                          kill_one for each rank of RANKS: a non-zero
#                          status within 60 s, and the folder DIR written
#                          before verifies with DIR/FILE unchanged
#   lastfm_store ARGS...   skip all unless MPI and LastFM 2K are here;
#                          else ingest LastFM 2K's pairs (and ARGS) into
#                          the store $T/fm, L its folder
#   lastfm_recall EMB      Recall@20 of EMB (of the LastFM 2K store
#                          $T/fm) on LastFM 2K's test pairs
#   near A B               "y" when |A - B| <= 0.002
#   within A B TOL         "y" when |A - B| <= TOL
#   maxdiff F1 F2          max |difference| of two float32 .npy files
#   differing F1 F2        the elements of two int32 .npy files that differ
#   estimate_near_peak PATTERN ARGS...
#                          kith ARGS on 2 ranks, each under /usr/bin/time:
#                          it runs, its memory estimate line names the
#                          largest share (grep PATTERN) and is within 15 %
#                          of the largest rank's peak (nothing under
#                          sanitizers or without /usr/bin/time)
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

lastfm_store() {
	need_mpi
	need_shared lastfm-2k
	L=$SHARED/datasets/lastfm-2k
	check "ingest" "$KITH" ingest -q --events "$L/data1.txt" \
		--columns user,item,_ "$@" -o "$T/fm"
}

lastfm_recall() {
	"$KITH" eval "$T/fm" "$1" --test "$SHARED/datasets/lastfm-2k/test1.txt" \
		--columns user,item,_ -k 20 --json >"$T/.ev" &&
		json_get "$T/.ev" 'recall@20'
}

near() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d
		print (d <= 0.002) ? "y" : "n" }'
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
	end_job $_mp $_t0
}

# end_job PID T0: waits at most 90 s for the background mpirun PID, then
# ends it and its ranks; prints "STATUS SECONDS-SINCE-T0"
end_job() {
	_w=0
	while ps -o stat= -p $1 2>/dev/null | grep -qv Z && [ $_w -lt 450 ]; do
		sleep 0.2; _w=$((_w + 1))
	done
	for _p in $(pgrep -P $1) $1; do kill -9 $_p 2>/dev/null; done
	wait $1
	_st=$?
	echo "$_st $(($(date +%s) - $2))"
}

kill_each() {
	_victims=$1; _dir=$2; _file=$3; shift 3
	cp "$_dir/$_file" "$T/.before"
	for _v in $_victims; do
		_r=$(kill_one $_v "$@")
		ok_if "$1, rank $_v killed: non-zero status (${_r% *})" \
			"${_r% *}" != 0
		ok_if "$1, rank $_v killed: ended within 60 s (${_r#* } s)" \
			"${_r#* }" -le 60
		check "previous output verifies" "$KITH" info --verify "$_dir"
		ok_if "previous output unchanged" -z \
			"$(cmp "$T/.before" "$_dir/$_file" 2>&1)"
	done
}

within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d
		print (d <= t) ? "y" : "n" }'
}

maxdiff() {
	npy_values "$1" f4 >"$T/.v1"
	npy_values "$2" f4 >"$T/.v2"
	paste "$T/.v1" "$T/.v2" | awk '{ d = $1 - $2; if (d < 0) d = -d
		if (d > m) m = d } END { printf "%.3g", m + 0 }'
}

differing() {
	npy_values "$1" d4 >"$T/.v1"
	npy_values "$2" d4 >"$T/.v2"
	paste "$T/.v1" "$T/.v2" | awk '$1 != $2 { c++ } END { print c + 0 }'
}

estimate_near_peak() {
	[ -x /usr/bin/time ] && [ -z "${KITH_SANITIZED:-}" ] || return 0
	_pat=$1; shift
	rm -f "$T"/rss.*
	mpirun --oversubscribe -np 2 sh -c '/usr/bin/time -o "$0.$OMPI_COMM_WORLD_RANK" -f "%M" "$@"' \
		"$T/rss" "$KITH" "$@" >"$T/.out" 2>"$T/.err"
	ok_if "np 2 under /usr/bin/time: runs" $? = 0
	_line=$(grep 'memory estimate .* on rank' "$T/.err")
	ok_if "np 2: the estimate names the largest share" \
		-n "$(echo "$_line" | grep "$_pat")"
	_est=$(echo "$_line" |
		sed -n 's/.*memory estimate \([0-9.]*\)[^0-9A-Za-z]*\([KMG]iB\).*/\1 \2/p' |
		awk '{ f = $2 == "KiB" ? 1 / 1024 : $2 == "GiB" ? 1024 : 1
		       printf "%.1f", $1 * f }')
	_peak=$(cat "$T"/rss.* |
		awk '$1 > m { m = $1 } END { printf "%.1f", m / 1024 }')
	ok_if "np 2: estimate $_est MiB within 15 % of the peak $_peak MiB" \
		"$(awk -v e="$_est" -v p="$_peak" 'BEGIN { r = e / p
			print (r >= 0.85 && r <= 1.15) ? "y" : "n" }')" = y
}
