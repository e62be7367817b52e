#!/bin/sh
# mpirun -np 1, 2, 3 kith embed -m filter on LastFM 2K (issue 13): each
# rank fits its users' rows, the sums over users completed by Allreduce;
# Recall@20 within 0.002 of the single process (only the order of the
# reduced sums differs), np 1 the same bytes, one summary, the bytes all
# ranks sent equal to the formula of kith-embed(1); the default model
# (auto) under np 2 chooses as one process and records the same
# selection; errors leave no folder (a refused --max-memory, an output
# that cannot be written, a rank killed).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
lastfm_store
O="-m filter --seed 7"
check "single process" "$KITH" embed -q "$T/fm" -o "$T/e0" $O


r0=$(lastfm_recall "$T/e0")
for np in 1 2 3; do
	check "np $np: embed" kith_np $np embed "$T/fm" -o "$T/e$np" $O
	ok_if "np $np: one summary" "$(grep -c 'filter d=256' "$T/.err")" = 1
	ok_if "np $np: it names the ranks" \
		-n "$(grep "mpi ranks $np: bytes [0-9]* (formula" "$T/.err")"
	r=$(lastfm_recall "$T/e$np")
	ok_if "np $np: recall@20 $r within 0.002 of one process ($r0)" \
		"$(near "$r" "$r0")" = y
	m="$T/e$np/manifest.json"
	ok_if "np $np: $np + 1 row bounds" \
		"$(row_bounds "$m" | wc -w)" = $((np + 1))
	# the member "mpi" (the files have "bytes" too)
	sed -n '/"mpi" : {/,/}/p' "$m" >"$T/.mpi"
	b=$(json_get "$T/.mpi" bytes)
	ok_if "np $np: bytes sent ($b) = the formula" \
		"$b" = "$(json_get "$T/.mpi" bytes_formula)"
	if [ $np = 1 ]; then
		ok_if "np 1: no bytes" "$b" = 0
	else
		# at least the sums of the item blocks, P·4·m·l·(3 I + 1) a
		# fit: two candidates (I = 3) and the final fit (I = 1)
		m_items=$(json_get "$m" store_items)
		ok_if "np $np: bytes ($b) >= the item-block sums" "$b" -ge \
			$((np * 4 * m_items * 288 * 24))
	fi
	check "np $np: the folder verifies" "$KITH" info --verify "$T/e$np"
done
for f in users.npy items.npy; do
	check "np 1 = one process ($f)" cmp "$T/e0/$f" "$T/e1/$f"
done
ok_if "np 3: the same low-pass weight as one process" \
	"$(json_get "$T/e3/manifest.json" lowpass)" = \
	"$(json_get "$T/e0/manifest.json" lowpass)"

# the default model: auto runs both candidates over the ranks
A="--dim 32 --epochs 6 --seed 7 -q"
check "auto: single process" "$KITH" embed "$T/fm" -o "$T/a0" $A
check "auto: np 2" kith_np 2 embed "$T/fm" -o "$T/a2" $A
check "auto, np 2: the folder verifies" "$KITH" info --verify "$T/a2"
ma="$T/a2/manifest.json"
ok_if "auto, np 2: the model chosen as alone" \
	"$(json_str "$ma" model)" = "$(json_str "$T/a0/manifest.json" model)"
ok_if "auto, np 2: requested auto" "$(json_str "$ma" model_requested)" = auto
ok_if "auto, np 2: selected = model" \
	"$(json_str "$ma" selected)" = "$(json_str "$ma" model)"
ok_if "auto, np 2: both candidates validated" \
	"$(grep -c '"val_recall"' "$ma")" -ge 2
ok_if "auto, np 2: it ran over 2 ranks" "$(row_bounds "$ma" | wc -w)" = 3

# errors: nothing written
kith_np 2 embed "$T/fm" -o "$T/x" $O --max-memory 1K >"$T/.out" 2>"$T/.err"
ok_if "np 2, --max-memory 1K: refused" $? -ne 0
ok_if "refusal names the rank's users" -n "$(grep \
	'filter on .* on rank [01] of 2 ([0-9]* users, [0-9]* pairs.*: the largest share) needs an estimated' "$T/.err")"
ok_if "refused: nothing written" ! -e "$T/x"
: >"$T/file"
kith_np 2 embed "$T/fm" -o "$T/file/x" $O -q >"$T/.out" 2>"$T/.err"
ok_if "np 2, output under a file: fails" $? -ne 0
ok_if "np 2, output under a file: nothing written" ! -e "$T/file/x"
kill_each "1" "$T/e3" users.npy embed "$T/fm" -o "$T/e3" $O -q
done_testing
