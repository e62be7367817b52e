#!/bin/sh
# kith embed --model lightgcn: output layout, manifest, determinism, thread
# counts, checkpoint/resume, quality on a planted graph.
. "$top_srcdir/tests/cli/lib.sh"

# 120 users, 60 items in 3 planted clusters: user u likes a random half of
# the items of cluster u % 3 plus one random item; the test file holds one
# more item of the user's cluster that is not in its training rows
planted_clusters 120 60 7 "$T/ev.csv" "$T/test.csv"
check "ingest" "$KITH" ingest -q --events "$T/ev.csv" --columns user,item \
	-o "$T/s"

E="--dim 16 --epochs 12 --seed 5 --quiet"
check "embed, 1 thread" "$KITH" embed --model lightgcn "$T/s" -o "$T/e1" $E --threads 1
ok_if "users.npy written" -s "$T/e1/users.npy"
ok_if "items.npy written" -s "$T/e1/items.npy"
# 120 users x 16 float32 after a 128-byte npy v1 header
ok_if "users.npy has 120 x 16 floats" \
	"$(wc -c <"$T/e1/users.npy")" -eq $((128 + 120 * 16 * 4))
ok_if "items.npy has 60 x 16 floats" \
	"$(wc -c <"$T/e1/items.npy")" -eq $((128 + 60 * 16 * 4))
m="$T/e1/manifest.json"
ok_if "manifest names the model" \
	"$(grep -c '"model" *: *"lightgcn"' "$m")" -ge 1
ok_if "manifest has the store checksum" \
	"$(grep -c '"store_manifest_sha256" *: *"[0-9a-f]\{64\}"' "$m")" -eq 1
ok_if "manifest has a training curve with validation" \
	"$(grep -c '"val_recall"' "$m")" -ge 2
ok_if "manifest records the seed" "$(json_get "$m" seed)" = 5
ok_if "manifest records the batch" "$(json_get "$m" batch)" -ge 1024

check "same seed again" "$KITH" embed --model lightgcn "$T/s" -o "$T/e2" $E --threads 1
check "byte-identical users" cmp "$T/e1/users.npy" "$T/e2/users.npy"
check "byte-identical items" cmp "$T/e1/items.npy" "$T/e2/items.npy"
check "other seed" "$KITH" embed --model lightgcn "$T/s" -o "$T/e3" --dim 16 --epochs 12 \
	--seed 6 --quiet --threads 1
check_fails 1 "other seed differs" cmp -s "$T/e1/users.npy" "$T/e3/users.npy"

check "embed, 2 threads" "$KITH" embed --model lightgcn "$T/s" -o "$T/e4" $E --threads 2
check "1 vs 2 threads: byte-identical users" \
	cmp "$T/e1/users.npy" "$T/e4/users.npy"
check "1 vs 2 threads: byte-identical items" \
	cmp "$T/e1/items.npy" "$T/e4/items.npy"
check "eval 1 thread" "$KITH" eval "$T/s" "$T/e1" --test "$T/test.csv" \
	--columns user,item --json
cp "$T/.out" "$T/m1.json"
check "eval 2 threads" "$KITH" eval "$T/s" "$T/e4" --test "$T/test.csv" \
	--columns user,item --json
cp "$T/.out" "$T/m2.json"
r1=$(json_get "$T/m1.json" 'recall@20')
r2=$(json_get "$T/m2.json" 'recall@20')
ok_if "1 vs 2 threads: recall within 0.5 % ($r1, $r2)" \
	"$(awk -v a="$r1" -v b="$r2" 'BEGIN { d = a - b; if (d < 0) d = -d;
		print (d <= 0.005 * a) ? 1 : 0 }')" = 1
# about 8 unseen items of the user's cluster among ~45 unseen items:
# popularity or chance gives recall@20 near 0.45
ok_if "planted clusters are found (recall $r1 > 0.9)" \
	"$(awk -v a="$r1" 'BEGIN { print (a > 0.9) ? 1 : 0 }')" = 1

check "no validation" "$KITH" embed --model lightgcn "$T/s" -o "$T/e5" --dim 8 --epochs 3 \
	--val-ratio 0 --quiet
ok_if "no validation: curve has 3 epochs" \
	"$(grep -c '"epoch"' "$T/e5/manifest.json")" -eq 3

# checkpoint, stop early, resume: same bytes as one run
R="--dim 8 --epochs 10 --eval-every 2 --patience 50 --seed 3 --quiet"
check "uninterrupted run" "$KITH" embed --model lightgcn "$T/s" -o "$T/f1" $R
check "run cut by the time limit" "$KITH" embed --model lightgcn "$T/s" -o "$T/f2" $R \
	--checkpoint-every 1 --time-limit 0.000001
ok_if "checkpoint kept" -f "$T/f2.ckpt/state.json"
check "resumed run" "$KITH" embed --model lightgcn "$T/s" -o "$T/f2" $R --checkpoint-every 1 \
	--resume
check "resume gives the same bytes" cmp "$T/f1/users.npy" "$T/f2/users.npy"

check "social graph in the adjacency" "$KITH" embed --model lightgcn "$T/s" -o "$T/g" \
	--dim 8 --epochs 2 --social-weight 0.5 --quiet
done_testing
