#!/bin/sh
# kith communities --warm-start rejects a previous folder that does not
# fit: other options (exit 1), louvain (usage, exit 2), another store, a
# larger store, a damaged or truncated membership, a folder of another
# kind, a missing folder (exit 1); nothing is written on failure.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -q -o "$T/shop" --users 400 --items 100 \
	--categories 4 --communities 3 --seed 2
check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" -o "$T/s"
check "communities" "$KITH" communities -q "$T/s" -o "$T/c"

check_fails 1 "other method" "$KITH" communities "$T/s" -o "$T/x" \
	--warm-start "$T/c" --method labelprop
ok_if "message names the options" -n "$(grep 'needs the same options' "$T/.err")"
check_fails 1 "other resolution" "$KITH" communities "$T/s" -o "$T/x" \
	--warm-start "$T/c" --resolution 2
check_fails 1 "other graph" "$KITH" communities "$T/s" -o "$T/x" \
	--warm-start "$T/c" --graph cointeraction
check_fails 2 "louvain cannot warm-start" "$KITH" communities "$T/s" \
	-o "$T/x" --warm-start "$T/c" --method louvain
ok_if "message names louvain" -n "$(grep 'louvain cannot start' "$T/.err")"
check "a louvain folder" "$KITH" communities -q "$T/s" -o "$T/cl" \
	--method louvain
check_fails 2 "warm start from a louvain folder" "$KITH" communities "$T/s" \
	-o "$T/x" --warm-start "$T/cl"
check_fails 2 "--resolution not a number" "$KITH" communities "$T/s" \
	-o "$T/x" --resolution abc

# another store: the same users in another order
sort -t, -k1,1r "$T/shop/events.csv" | { echo user_id,item_id,event,timestamp,value; grep -v '^user_id'; } >"$T/rev.csv"
check "another store" "$KITH" ingest -q --events "$T/rev.csv" \
	--social "$T/shop/social.csv" -o "$T/s2"
check_fails 1 "partition of another store" "$KITH" communities "$T/s2" \
	-o "$T/x" --warm-start "$T/c"
ok_if "message: not an earlier partition" \
	-n "$(grep 'not an earlier partition of this store' "$T/.err")"
# a smaller store: PREV has more users
head -n 200 "$T/shop/events.csv" >"$T/small.csv"
awk -F, 'NR == FNR { u[$1] = 1; next } FNR == 1 || ($1 in u && $2 in u)' \
	"$T/small.csv" "$T/shop/social.csv" >"$T/small-social.csv"
check "smaller store" "$KITH" ingest -q --events "$T/small.csv" \
	--social "$T/small-social.csv" -o "$T/s3"
check_fails 1 "partition with more users than the store" "$KITH" communities \
	"$T/s3" -o "$T/x" --warm-start "$T/c"
ok_if "message: more users" -n "$(grep 'the store only' "$T/.err")"

cp -r "$T/c" "$T/bad"
printf '\377' | dd of="$T/bad/membership.npy" bs=1 seek=200 conv=notrunc 2>/dev/null
check_fails 1 "damaged membership.npy" "$KITH" communities "$T/s" -o "$T/x" \
	--warm-start "$T/bad"
ok_if "message: damaged" -n "$(grep 'damaged' "$T/.err")"
rm -rf "$T/bad"; cp -r "$T/c" "$T/bad"
head -n 100 "$T/c/membership.tsv" >"$T/bad/membership.tsv"
check_fails 1 "truncated membership.tsv" "$KITH" communities "$T/s" -o "$T/x" \
	--warm-start "$T/bad"
ok_if "message: truncated" -n "$(grep 'truncated' "$T/.err")"
rm -rf "$T/bad"; cp -r "$T/c" "$T/bad"
sed 's/"users" : 400/"users" : 399/' "$T/c/manifest.json" >"$T/bad/manifest.json"
check_fails 1 "manifest user count differs" "$KITH" communities "$T/s" \
	-o "$T/x" --warm-start "$T/bad"
check_fails 1 "a store is not a communities folder" "$KITH" communities \
	"$T/s" -o "$T/x" --warm-start "$T/s"
ok_if "message: not a communities folder" \
	-n "$(grep 'not a communities folder' "$T/.err")"
check_fails 1 "missing folder" "$KITH" communities "$T/s" -o "$T/x" \
	--warm-start "$T/nope"
ok_if "nothing written on failure" ! -e "$T/x"
check "help lists --warm-start" "$KITH" help communities
ok_if "help lists --warm-start" -n "$(grep -e '--warm-start' "$T/.out")"
done_testing
