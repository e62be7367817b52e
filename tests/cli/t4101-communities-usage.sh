#!/bin/sh
# Usage and data errors of kith communities and kith influence.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -q -o "$T/shop" --users 300 --items 100 \
	--categories 5 --communities 3 --seed 1
check "ingest without social" "$KITH" ingest -q \
	--events "$T/shop/events.csv" -o "$T/s"
check_fails 2 "no -o" "$KITH" communities "$T/s"
check_fails 2 "no store" "$KITH" communities -o "$T/c"
check_fails 2 "unknown method" "$KITH" communities "$T/s" -o "$T/c" --method kmeans
check_fails 2 "unknown graph" "$KITH" communities "$T/s" -o "$T/c" --graph foo
check_fails 2 "knn without --emb" "$KITH" communities "$T/s" -o "$T/c" --graph knn
check_fails 2 "resolution 0" "$KITH" communities "$T/s" -o "$T/c" --resolution 0
check_fails 1 "social graph of a store without links" \
	"$KITH" communities "$T/s" -o "$T/c" --graph social
ok_if "message names the missing links" -n "$(grep 'no social links' "$T/.err")"
check_fails 1 "missing store" "$KITH" communities "$T/nope" -o "$T/c"
check_fails 1 "missing truth file" "$KITH" communities "$T/s" -o "$T/c" \
	--truth "$T/nope.tsv"
ok_if "nothing written on failure" ! -e "$T/c"
check_fails 2 "unknown --denoise" "$KITH" communities "$T/s" -o "$T/c" \
	--denoise maybe
check_fails 1 "influence --graph social without links" "$KITH" influence \
	"$T/s" -o "$T/i" --graph social
ok_if "message names the missing links" -n "$(grep 'no social links' "$T/.err")"
check_fails 2 "influence: unknown graph" "$KITH" influence "$T/s" -o "$T/i" \
	--graph knn
check_fails 2 "influence: no -o" "$KITH" influence "$T/s"
check_fails 2 "influence: damping 1" "$KITH" influence "$T/s" -o "$T/i" --damping 1
check_fails 2 "influence: negative window" "$KITH" influence "$T/s" -o "$T/i" \
	--window-days -1
check "help" "$KITH" help communities
ok_if "help lists --resolution" -n "$(grep -e '--resolution' "$T/.out")"
done_testing
