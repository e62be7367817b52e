#!/bin/sh
# kith influence on a store without social links (MovieLens-style data)
# does not fail: it warns on stderr and measures the co-interaction graph,
# the graph kith communities would use; its columns agree with kith
# communities' co-interaction graph (degrees sum to twice its edges).
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -q -o "$T/shop" --users 2000 --items 300 \
	--categories 6 --communities 4 --seed 3
check "ingest without social" "$KITH" ingest -q \
	--events "$T/shop/events.csv" -o "$T/s"
check "influence without links" "$KITH" influence -q "$T/s" -o "$T/i"
ok_if "warning names the missing links, even with -q" -n \
	"$(grep "has no social links: measuring influence on the co-interaction graph" "$T/.err")"
ok_if "one row per user" "$(wc -l <"$T/i/influence.tsv")" = 2001
ok_if "manifest: graph cointeraction" -n \
	"$(grep '"graph" : "cointeraction"' "$T/i/manifest.json")"
ok_if "pagerank sums to 1" "$(awk -F'\t' 'NR > 1 { s += $2 }
	END { if (s > 0.999 && s < 1.001) print "y" }' "$T/i/influence.tsv")" = y
ok_if "every user has co-interaction neighbours" \
	"$(awk -F'\t' 'NR > 1 && $4 < 1 { n++ } END { print n + 0 }' "$T/i/influence.tsv")" = 0
ok_if "behavioural column computed (timestamps present)" \
	"$(awk -F'\t' 'NR > 1 && $11 == "" { n++ } END { print n + 0 }' "$T/i/influence.tsv")" = 0
check "communities on the same graph" "$KITH" communities -q "$T/s" -o "$T/c" \
	--json
edges=$(json_get "$T/.out" edges)
ok_if "degrees sum to twice the co-interaction edges ($edges)" \
	"$(awk -F'\t' 'NR > 1 { s += $4 } END { print s }' "$T/i/influence.tsv")" = \
	"$((2 * edges))"
ok_if "influence reports the same edge count" \
	"$(json_get "$T/i/manifest.json" edges)" = "$edges"
check "explicit --graph cointeraction -k 10" "$KITH" influence -q "$T/s" \
	-o "$T/i10" --graph cointeraction -k 10
ok_if "no warning when the graph is chosen" -z "$(cat "$T/.err")"
done_testing
