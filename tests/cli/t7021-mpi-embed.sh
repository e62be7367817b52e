#!/bin/sh
# mpirun -np 1, 2, 3 kith embed -m lightgcn (validation, early stopping and
# refit; and with social links) on LastFM 2K: Recall@20 within 0.002 of
# the single process (the ranks draw the same triples; only the order of
# reduced sums differs, in the training and in the spectral start's sums
# over users),
# one summary, bytes per epoch equal to the formula of kith-embed(1) with
# the halo rows H counted here from the store; --resume under mpirun
# (same bytes on the same rank count, within tolerance on another); kill
# -9 of a rank ends the job and leaves the previous folder intact (gcn
# runs over the ranks in t7027, sage in t7028, the filter and auto in
# t7025); kith update's warm start still runs under one rank.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
lastfm_store --social "$SHARED/datasets/lastfm-2k/trustnetwork.txt"
O="-m lightgcn --dim 32 --epochs 10 --seed 7"
check "single process" "$KITH" embed -q "$T/fm" -o "$T/e0" $O

# halo_rows STORE BOUNDS: H = sum over ranks of the remote rows of the
# user-item graph (users, then items) that the rank's rows touch
halo_rows() {
	npy_values "$1/ui.indptr.npy" d8 >"$T/.indptr"
	npy_values "$1/ui.indices.npy" d4 >"$T/.indices"
	awk -v bounds="$2" '
	FNR == 1 { f++ }
	f == 1 { ip[n++] = $1; next }
	f == 2 { ix[m++] = $1; next }
	function owner(x,  r) { r = 0; while (x >= b[r + 2]) r++; return r }
	END {
		P = split(bounds, b, " ") - 1
		users = n - 1
		for (u = 0; u < users; u++) {
			ru = owner(u)
			for (e = ip[u]; e < ip[u + 1]; e++) {
				i = users + ix[e]
				ri = owner(i)
				if (ri == ru) continue
				if (!((ru " " i) in seen)) { seen[ru " " i] = 1; h++ }
				if (!((ri " " u) in seen)) { seen[ri " " u] = 1; h++ }
			}
		}
		print h + 0
	}' "$T/.indptr" "$T/.indices"
}

r0=$(lastfm_recall "$T/e0")
for np in 1 2 3; do
	check "np $np: embed" kith_np $np embed "$T/fm" -o "$T/e$np" $O
	ok_if "np $np: one summary" "$(grep -c 'lightgcn d=32' "$T/.err")" = 1
	ok_if "np $np: it names the ranks" \
		-n "$(grep "mpi ranks $np: halo rows" "$T/.err")"
	r=$(lastfm_recall "$T/e$np")
	ok_if "np $np: recall@20 $r within 0.002 of one process ($r0)" \
		"$(near "$r" "$r0")" = y
	m="$T/e$np/manifest.json"
	h=$(halo_rows "$T/fm" "$(row_bounds "$m")")
	[ $np = 1 ] && h=0
	ok_if "np $np: halo rows counted from the store ($h)" \
		"$(json_get "$m" halo_rows)" = "$h"
	ok_if "np $np: bytes of the steps = the formula" \
		"$(json_get "$m" bytes_steps)" = \
		"$(json_get "$m" bytes_steps_formula)"
	b=$(json_get "$m" bytes_per_epoch)
	if [ $np = 1 ]; then
		ok_if "np 1: no bytes" "$b" = 0
	else
		ok_if "np $np: bytes per epoch ($b) >= 8 K d H x 16 steps" \
			"$b" -ge $((8 * 3 * 32 * h * 16))
	fi
	check "np $np: the folder verifies" "$KITH" info --verify "$T/e$np"
done

# the social links in the graph (each rank builds its rows of Â alone)
S="-m lightgcn --dim 16 --epochs 4 --val-ratio 0 --social-weight 0.5 -q"
check "social links: single process" "$KITH" embed "$T/fm" -o "$T/s0" $S
check "social links: np 3" kith_np 3 embed "$T/fm" -o "$T/s3" $S
r=$(lastfm_recall "$T/s3")
r0s=$(lastfm_recall "$T/s0")
ok_if "social links, np 3: recall@20 $r within 0.002 ($r0s)" \
	"$(near "$r" "$r0s")" = y

# --resume: a run cut after its first epoch by the time limit
R="$O -q"
check "np 2: cut by the time limit" kith_np 2 embed "$T/fm" -o "$T/c" $R \
	--checkpoint-every 1 --time-limit 0.000001
ok_if "np 2: checkpoint kept" -f "$T/c.ckpt/state.json"
sh=$(tr -d ' \n' <"$T/c.ckpt/state.json" |
	grep -o '"ego.npy":{"shape":\[[0-9,]*\]' | tr -dc '0-9,')
N=$(($(json_get "$T/e2/manifest.json" store_users) + \
	$(json_get "$T/e2/manifest.json" store_items)))
ok_if "np 2: the checkpoint holds all $N rows ($sh)" "$sh" = "$N,32"
cp -r "$T/c.ckpt" "$T/c3.ckpt"
check "np 2: resumed" kith_np 2 embed "$T/fm" -o "$T/c" $R \
	--checkpoint-every 1 --resume
for f in users.npy items.npy lightgcn.ego.npy; do
	check "np 2: resumed = uninterrupted ($f)" cmp "$T/e2/$f" "$T/c/$f"
done
check "np 3 resumes the checkpoint of np 2" kith_np 3 embed "$T/fm" \
	-o "$T/c3" $O --checkpoint-every 1 --resume
ok_if "np 3: it says so" -n "$(grep 'resumed after epoch 1 ' "$T/.err")"
r=$(lastfm_recall "$T/c3")
ok_if "np 3 resumed: recall@20 $r within 0.002 of one process ($r0)" \
	"$(near "$r" "$r0")" = y
ok_if "finished runs remove their checkpoints" ! -e "$T/c3.ckpt"

# kill -9 of a rank: the job ends, the previous folder stays
kill_each "1 0" "$T/e3" users.npy embed -m lightgcn -q "$T/fm" -o "$T/e3" --dim 32 \
	--val-ratio 0 --epochs 100000

# kith update (single-node) on one rank: the warm start trains as alone
printf 'user,item,event,ts\nu1,i1,view,1\nu1,i2,view,2\nu2,i2,view,3\nu2,i3,view,4\nu3,i1,view,5\nu3,i3,view,6\n' >"$T/b0.csv"
printf 'user,item,event,ts\nu2,i4,view,7\nu4,i1,view,8\n' >"$T/b1.csv"
check "small store" "$KITH" ingest -q -o "$T/w" --events "$T/b0.csv"
check "small embed" "$KITH" embed -m lightgcn -q "$T/w" -o "$T/we" --dim 4 --epochs 2 \
	--val-ratio 0
cp -r "$T/w" "$T/w1"; cp -r "$T/we" "$T/we1"
check "update" "$KITH" update -q "$T/w" --events "$T/b1.csv" --emb "$T/we"
check "np 1: update" kith_np 1 update -q "$T/w1" --events "$T/b1.csv" \
	--emb "$T/we1"
check "np 1: the same refreshed users.npy" cmp "$T/we/users.npy" \
	"$T/we1/users.npy"

done_testing
