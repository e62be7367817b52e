#!/bin/sh
# kith embed --model filter and --model auto: layout, manifest, the width
# clipped to the catalogue, the same bytes for 1, 2 and 3 threads, quality
# on a planted graph, the selection record of auto, refusals, and kith
# update refitting a filter folder.
. "$top_srcdir/tests/cli/lib.sh"

# 150 users, 90 items in 3 planted clusters (as t2000): user u likes a
# random half of the items of cluster u % 3 plus one random item; the
# test file holds one more item of its cluster
planted_clusters 150 90 11 "$T/ev.csv" "$T/test.csv"
check "ingest" "$KITH" ingest -q --events "$T/ev.csv" --columns user,item \
	-o "$T/s"

for t in 1 2 3; do
	check "filter, $t threads" "$KITH" embed -m filter "$T/s" -o "$T/f$t" \
		--dim 32 --threads $t
done
ok_if "the summary names the filter, its low-pass choice and validation" \
	-n "$(grep 'filter d=32, low-pass 0\(\.3\)\? (val recall@20 0\.[0-9]* at 0, 0\.[0-9]* at 0\.3): closed form; val recall@20 0\.[0-9]' "$T/.err")"
check "1 vs 2 threads: same users" cmp "$T/f1/users.npy" "$T/f2/users.npy"
check "1 vs 3 threads: same items" cmp "$T/f1/items.npy" "$T/f3/items.npy"
m="$T/f1/manifest.json"
ok_if "users.npy has 150 x 32 floats" \
	"$(wc -c <"$T/f1/users.npy")" -eq $((128 + 150 * 32 * 4))
ok_if "manifest names the model" "$(json_str "$m" model)" = filter
ok_if "manifest: closed form" "$(json_str "$m" stop_reason)" = closed-form
ok_if "manifest: effective width" "$(json_get "$m" dim)" = 32
ok_if "manifest: validation recall" -n "$(json_get "$m" 'recall@20')"
lp=$(json_get "$m" lowpass)
ok_if "manifest: the low-pass weight used ($lp) is a candidate" \
	"$(awk -v a="$lp" 'BEGIN { print (a == 0 || a + 0 == 0.3) ? 1 : 0 }')" = 1
ok_if "manifest: low-pass width" "$(json_get "$m" lowpass_dim)" = 64
ok_if "manifest: the low-pass selection and its two candidates" \
	"$(sed -n '/"lowpass_selection"/,/]/p' "$m" | grep -c '"val_recall" *:')" = 2
ok_if "manifest: the selected weight is the one used" \
	"$(json_get "$m" selected)" = "$lp"
check "folder verifies" "$KITH" info "$T/f1" --verify
for a in 0 0.3; do
	check "--lowpass $a" "$KITH" embed -m filter "$T/s" -o "$T/lp$a" \
		--dim 32 --lowpass $a
	ok_if "--lowpass $a: the summary says it" \
		-n "$(grep "filter d=32, low-pass $a: closed form" "$T/.err")"
	ok_if "--lowpass $a: recorded" "$(awk -v a=$a -v b="$(json_get \
		"$T/lp$a/manifest.json" lowpass)" 'BEGIN { print a == b }')" = 1
	ok_if "--lowpass $a: nothing chosen" \
		"$(grep -c lowpass_selection "$T/lp$a/manifest.json")" = 0
done
ok_if "the weights give other embeddings" -n \
	"$(cmp "$T/lp0/users.npy" "$T/lp0.3/users.npy" 2>&1)"
check_fails 2 "--lowpass -0.5 is refused" "$KITH" embed -m filter "$T/s" \
	-o "$T/lpx" --lowpass -0.5
ok_if "the refusal names the option" -n "$(grep -- '--lowpass must be' "$T/.err")"
check "eval" "$KITH" eval "$T/s" "$T/f1" --test "$T/test.csv" \
	--columns user,item --json
r=$(json_get "$T/.out" 'recall@20')
# popularity or chance gives recall@20 near 0.3
ok_if "planted clusters are found (recall $r > 0.9)" \
	"$(awk -v a="$r" 'BEGIN { print (a > 0.9) ? 1 : 0 }')" = 1

check "the width is clipped to the catalogue" "$KITH" embed -q -m filter \
	"$T/s" -o "$T/fw" --dim 500
ok_if "clipped to 90 items" "$(json_get "$T/fw/manifest.json" dim)" = 90
check "no validation" "$KITH" embed -q -m filter "$T/s" -o "$T/f0" \
	--dim 16 --val-ratio 0
ok_if "no validation recorded" \
	"$(grep -c '"recall@20"' "$T/f0/manifest.json")" = 0

# auto (the default): both candidates on this small store
check "auto" "$KITH" embed "$T/s" -o "$T/a" --dim 16 --epochs 6
a="$T/a/manifest.json"
ok_if "auto says what it chose" \
	-n "$(grep 'kith embed: auto: \(filter\|lightgcn\) (validation recall@20 filter 0\.[0-9]*, lightgcn 0\.[0-9]*)' "$T/.err")"
ok_if "manifest: requested auto" "$(json_str "$a" model_requested)" = auto
sel=$(json_str "$a" selected)
ok_if "manifest: the model written is the one selected ($sel)" \
	"$(json_str "$a" model)" = "$sel"
ok_if "manifest: two candidates with validation" \
	"$(grep -c '"val_recall"' "$a")" -ge 2
check_fails 2 "auto without validation is refused" "$KITH" embed "$T/s" \
	-o "$T/a0" --val-ratio 0
ok_if "refusal says why" -n "$(grep 'chooses on validation' "$T/.err")"
ok_if "nothing written" ! -e "$T/a0"

# kith update refits a filter folder with its own parameters
printf 'u900,i1\nu900,i4\nu3,i7\n' >"$T/b1.csv"
check "update refits the filter" "$KITH" update -q --columns user,item \
	"$T/s" --events "$T/b1.csv" --emb "$T/f1"
ok_if "refreshed: one more user row" \
	"$(wc -c <"$T/f1/users.npy")" -eq $((128 + 151 * 32 * 4))
ok_if "still a filter of width 32" \
	"$(json_get "$T/f1/manifest.json" dim)" = 32
ok_if "with the low-pass weight chosen before" \
	"$(json_get "$T/f1/manifest.json" lowpass)" = "$lp"
check "refreshed folder verifies" "$KITH" info "$T/f1" --verify
done_testing
