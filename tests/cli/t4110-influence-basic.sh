#!/bin/sh
# kith influence on a small synthetic shop: the documented columns, sane
# values, personalised PageRank from --seeds, sampled betweenness, a
# directed store, determinism across runs and thread counts.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -q -o "$T/shop" --users 3000 --items 400 \
	--categories 8 --communities 5 --seed 2
check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" -o "$T/s"
check "influence" "$KITH" influence "$T/s" -o "$T/i" --threads 1
cp "$T/.out" "$T/table"
ok_if "influence.tsv header" "$(head -1 "$T/i/influence.tsv")" = \
	"$(printf 'user\tpagerank\tpersonalized_pagerank\tin_degree\tout_degree\tweighted_in\tweighted_out\tkcore\tbetweenness\ttwo_hop_reach\tbehavioural\tbehavioural_events')"
ok_if "one row per user" "$(wc -l <"$T/i/influence.tsv")" = 3001
ok_if "influence.npy is 3000 x 10 float64" \
	"$(stat -c %s "$T/i/influence.npy")" = $((128 + 3000 * 10 * 8))
ok_if "influence.tsv is private" "$(stat -c %a "$T/i/influence.tsv")" = 600
ok_if "pagerank sums to 1" "$(awk -F'\t' 'NR > 1 { s += $2 }
	END { if (s > 0.999 && s < 1.001) print "y" }' "$T/i/influence.tsv")" = y
ok_if "no personalised column without --seeds" \
	"$(awk -F'\t' 'NR > 1 && $3 != "" { n++ } END { print n + 0 }' "$T/i/influence.tsv")" = 0
ok_if "undirected: in = out degree, kcore <= degree, reach >= degree" \
	"$(awk -F'\t' 'NR > 1 && ($4 != $5 || $8 > $4 || $10 < $4) { n++ }
	END { print n + 0 }' "$T/i/influence.tsv")" = 0
ok_if "behavioural in [0, 1], events >= 0" \
	"$(awk -F'\t' 'NR > 1 && ($11 == "" || $11 < 0 || $11 > 1 || $12 < 0) { n++ }
	END { print n + 0 }' "$T/i/influence.tsv")" = 0
ok_if "some user is followed by friends" \
	"$(awk -F'\t' 'NR > 1 && $12 > 0 { n++ } END { print (n > 0) ? "y" : "n" }' "$T/i/influence.tsv")" = y
ok_if "table lists 20 users" "$(grep -c '^ *[0-9][0-9]* u' "$T/table")" = 20
top=$(sort -t'	' -k2,2gr "$T/i/influence.tsv" | head -1 | cut -f1)
ok_if "rank 1 has the highest pagerank ($top)" \
	"$(awk '$1 == "1" { print $2 }' "$T/table")" = "$top"
ok_if "exact betweenness on a small graph" -n \
	"$(grep '"betweenness" : "exact"' "$T/i/manifest.json")"
ok_if "manifest lists the top users" -n "$(grep '"top"' "$T/i/manifest.json")"

check "same again with 2 threads" "$KITH" influence -q "$T/s" -o "$T/i2" --threads 2
ok_if "same output for 1 and 2 threads" -z \
	"$(cmp "$T/i/influence.tsv" "$T/i2/influence.tsv" 2>&1)"

printf 'user\nu000001\nu000002\nnobody\n' >"$T/seeds"
check "personalised" "$KITH" influence "$T/s" -o "$T/ip" --seeds "$T/seeds"
ok_if "unknown seed reported" -n "$(grep '1 seed users are not in the store' "$T/.err")"
ok_if "seeds have the top personalised scores" \
	"$(sort -t'	' -k3,3gr "$T/ip/influence.tsv" | head -2 | cut -f1 | sort | tr '\n' ' ')" = \
	"u000001 u000002 "
echo nobody >"$T/seeds0"
check_fails 1 "seed file without a known user" "$KITH" influence "$T/s" \
	-o "$T/ip0" --seeds "$T/seeds0"

check "sampled betweenness" "$KITH" influence -q "$T/s" -o "$T/is" \
	--exact-limit 100 --samples 300 --seed 4 --json
ok_if "--json prints the manifest" -n "$(grep '"format" : "kith-influence"' "$T/.out")"
ok_if "manifest: sampled" -n "$(grep '"betweenness" : "sampled"' "$T/is/manifest.json")"
ok_if "manifest: 300 samples" "$(json_get "$T/is/manifest.json" samples)" = 300
rse=$(json_get "$T/is/manifest.json" betweenness_rse)
ok_if "relative error reported ($rse)" \
	"$(awk -v a="$rse" 'BEGIN { if (a > 0 && a < 1) print "y" }')" = y
check "sampled again, same seed" "$KITH" influence -q "$T/s" -o "$T/is2" \
	--exact-limit 100 --samples 300 --seed 4
ok_if "same seed, same estimate" -z \
	"$(cmp "$T/is/influence.npy" "$T/is2/influence.npy" 2>&1)"
# the sampled estimate is close to the exact one for the top user
ex=$(awk -F'\t' -v u="$top" '$1 == u { print $9 }' "$T/i/influence.tsv")
es=$(awk -F'\t' -v u="$top" '$1 == u { print $9 }' "$T/is/influence.tsv")
ok_if "sampled betweenness of $top within 30% ($es vs $ex)" \
	"$(awk -v a="$es" -v b="$ex" 'BEGIN { d = a - b; if (d < 0) d = -d; if (d <= 0.3 * b) print "y" }')" = y

check "directed ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --directed -o "$T/sd"
check "influence on directed links" "$KITH" influence -q "$T/sd" -o "$T/id"
ok_if "manifest: directed" -n "$(grep '"directed" : true' "$T/id/manifest.json")"
ok_if "in and out degrees differ somewhere" \
	"$(awk -F'\t' 'NR > 1 && $4 != $5 { n++ } END { print (n > 0) ? "y" : "n" }' "$T/id/influence.tsv")" = y
ok_if "pagerank sums to 1 (directed)" "$(awk -F'\t' 'NR > 1 { s += $2 }
	END { if (s > 0.999 && s < 1.001) print "y" }' "$T/id/influence.tsv")" = y
done_testing
