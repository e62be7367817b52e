#!/bin/sh
# Ids files: every folder with one row per user (or item) holds users.tsv
# (items.tsv) naming its rows in array order, the same file as the
# store's, listed in its manifest with a checksum; ids with a tab, a
# backslash or a line end are escaped as in the store.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -o "$T/shop" --users 300 --items 80 \
	--categories 6 --communities 3 --seed 3
check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --users "$T/shop/users.csv" \
	--items "$T/shop/items.csv" -o "$T/s"
ok_if "store users.tsv headed user" "$(head -1 "$T/s/users.tsv")" = user
ok_if "store items.tsv headed item" "$(head -1 "$T/s/items.tsv")" = item

check "embed" "$KITH" embed "$T/s" -o "$T/emb" --dim 8 --epochs 2 -q
check "profile" "$KITH" profile "$T/s" -o "$T/prof" -q
check "propagate" "$KITH" propagate "$T/s" -o "$T/prefs" -q
check "communities" "$KITH" communities "$T/s" -o "$T/comm" -q
check "influence" "$KITH" influence "$T/s" -o "$T/infl" -q
for d in emb prof prefs comm infl; do
	ok_if "$d: users.tsv is the store's" \
		-z "$(cmp "$T/s/users.tsv" "$T/$d/users.tsv" 2>&1)"
	ok_if "$d: users.tsv is private" "$(stat -c %a "$T/$d/users.tsv")" = 600
	ok_if "$d: manifest lists users.tsv" \
		-n "$(grep '"users.tsv"' "$T/$d/manifest.json")"
	check "$d: checksums verify" "$KITH" info --verify "$T/$d"
done
ok_if "emb: items.tsv is the store's" \
	-z "$(cmp "$T/s/items.tsv" "$T/emb/items.tsv" 2>&1)"
ok_if "emb: manifest lists items.tsv" \
	-n "$(grep '"items.tsv"' "$T/emb/manifest.json")"
sed '2s/^u/X/' "$T/s/users.tsv" >"$T/u.tsv"
cat "$T/u.tsv" >"$T/comm/users.tsv"
check_fails 1 "a changed users.tsv fails the checksum" \
	"$KITH" info --verify "$T/comm"
ok_if "the message names users.tsv" -n "$(grep users.tsv "$T/.err")"

# ids that need escaping, in a store and in the folders made from it
printf 'user,item\n"a\tb",x\n"c\\d",x\n"e\nf",y\nplain,y\nplain,x\n' \
	>"$T/ev.csv"
check "ingest awkward ids" "$KITH" ingest -q --events "$T/ev.csv" -o "$T/w"
check "embed awkward ids" "$KITH" embed "$T/w" -o "$T/we" --dim 4 \
	--epochs 1 -q
ok_if "escaped in the store" "$(sed -n 2,4p "$T/w/users.tsv" | tr '\n' ' ')" \
	= 'a\tb c\\d e\nf '
ok_if "the same in the embedding folder" \
	-z "$(cmp "$T/w/users.tsv" "$T/we/users.tsv" 2>&1)"
done_testing
