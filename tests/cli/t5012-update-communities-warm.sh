#!/bin/sh
# kith update --communities C refreshes C warm-started from its own
# partition (issue 5): the manifest records warm_start (from C, the old
# user count, kept + changed, the new users), every new user with a link
# gets a community, the options of C (method, resolution, seed) are kept;
# a louvain folder is recomputed from scratch; a labelprop folder is
# warm-started too.
. "$top_srcdir/tests/cli/lib.sh"

mget() {
	sed -n "s/^ *\"$2\" : \\([-0-9.eE+]*\\).*/\\1/p" "$1/manifest.json" | head -1
}

check "synth" "$KITH" synth -q -o "$T/shop" --users 2000 --items 300 \
	--categories 6 --communities 4 --mixing 0.2 --seed 4
# the first 1600 users are the base, the rest arrive in the batch with
# their events and the links that touch them
awk -F, 'NR == 1 || substr($1, 2) + 0 < 1600' "$T/shop/events.csv" >"$T/base.csv"
awk -F, 'NR == 1 || substr($1, 2) + 0 >= 1600' "$T/shop/events.csv" >"$T/new.csv"
awk -F, 'NR == 1 || (substr($1, 2) + 0 < 1600 && substr($2, 2) + 0 < 1600)' \
	"$T/shop/social.csv" >"$T/base-soc.csv"
awk -F, 'NR > 1 && (substr($1, 2) + 0 >= 1600 || substr($2, 2) + 0 >= 1600)' \
	"$T/shop/social.csv" | { echo src,dst; cat; } >"$T/new-soc.csv"
check "ingest the base" "$KITH" ingest -q --events "$T/base.csv" \
	--social "$T/base-soc.csv" -o "$T/s"
check "communities (leiden, resolution 1.5, seed 9)" "$KITH" communities \
	-q "$T/s" -o "$T/c" --resolution 1.5 --seed 9
check "communities (louvain)" "$KITH" communities -q "$T/s" -o "$T/cl" \
	--method louvain
check "communities (labelprop)" "$KITH" communities -q "$T/s" -o "$T/cp" \
	--method labelprop
n0=$(mget "$T/c" users)
ok_if "base has 1600 users" "$n0" = 1600
cp "$T/c/membership.tsv" "$T/c-old.tsv"
check "update with the three folders" "$KITH" update "$T/s" \
	--events "$T/new.csv" --social "$T/new-soc.csv" --communities "$T/c"
ok_if "update reports the warm start" \
	-n "$(grep 'warm start: [0-9]* of 1600 users changed community, 400 new users' "$T/.err")"
ok_if "manifest: warm_start from C" \
	-n "$(grep "\"from\" : \"$T/c\"" "$T/c/manifest.json")"
ok_if "manifest: previous_users 1600" "$(mget "$T/c" previous_users)" = 1600
ok_if "manifest: 400 new users" "$(mget "$T/c" new_users)" = 400
ok_if "manifest: users 2000" "$(mget "$T/c" users)" = 2000
ok_if "kept + changed = 1600" \
	"$(($(mget "$T/c" kept) + $(mget "$T/c" changed)))" = 1600
ok_if "resolution kept" "$(mget "$T/c" resolution)" = 1.5
ok_if "seed kept" "$(mget "$T/c" seed)" = 9
ok_if "every new user has a community" \
	"$(awk -F'\t' 'NR > 1601 && $2 < 0' "$T/c/membership.tsv" | wc -l)" = 0
ok_if "old users in the same rows" \
	"$(head -n 1601 "$T/c/membership.tsv" | cut -f1 | cksum)" = \
	"$(cut -f1 "$T/c-old.tsv" | cksum)"
check "update again with the same batch" "$KITH" update "$T/s" \
	--events "$T/new.csv" --communities "$T/cl"
ok_if "nothing new: a no-op" -n "$(grep 'nothing new' "$T/.err")"
printf 'user_id,item_id,event,timestamp,value\nu009999,i00001,view,1706298472,0\n' >"$T/one.csv"
printf 'src,dst\nu009999,u000001\n' >"$T/one-soc.csv"
check "update: louvain folder" "$KITH" update "$T/s" --events "$T/one.csv" \
	--social "$T/one-soc.csv" --communities "$T/cl"
ok_if "louvain: from scratch" -n "$(grep 'louvain, from scratch' "$T/.err")"
ok_if "louvain: no warm_start" -z "$(grep warm_start "$T/cl/manifest.json")"
ok_if "louvain: 2001 users" "$(mget "$T/cl" users)" = 2001
printf 'user_id,item_id,event,timestamp,value\nu009998,i00001,view,1706298472,0\n' >"$T/two.csv"
printf 'src,dst\nu009998,u000002\n' >"$T/two-soc.csv"
check "update: labelprop folder" "$KITH" update "$T/s" --events "$T/two.csv" \
	--social "$T/two-soc.csv" --communities "$T/cp"
ok_if "labelprop: warm_start recorded" -n "$(grep warm_start "$T/cp/manifest.json")"
ok_if "labelprop: method kept" -n "$(grep '"method" : "labelprop"' "$T/cp/manifest.json")"
ok_if "labelprop: 402 new users since it was made" "$(mget "$T/cp" new_users)" = 402
done_testing
