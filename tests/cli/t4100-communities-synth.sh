#!/bin/sh
# kith communities recovers the planted communities of a synthetic shop
# (issue 4): NMI >= 0.90 on the social graph, >= 0.80 from the
# co-interaction graph of a store ingested without the social file; the
# output folder has the documented files; same seed, same result.
. "$top_srcdir/tests/cli/lib.sh"

ge() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && a + 0 >= b + 0) print "y" }'; }

check "synth" "$KITH" synth -q -o "$T/shop" --users 20000 --items 2000 \
	--categories 20 --communities 10 --mixing 0.3 --seed 7
check "ingest with social" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --users "$T/shop/users.csv" \
	--items "$T/shop/items.csv" -o "$T/s"
check "ingest without social" "$KITH" ingest -q \
	--events "$T/shop/events.csv" --items "$T/shop/items.csv" -o "$T/s2"

check "communities on the social graph" "$KITH" communities -q "$T/s" \
	-o "$T/c" --truth "$T/shop/truth/communities.tsv" --json
cp "$T/.out" "$T/c.json"
nmi=$(json_get "$T/c.json" nmi)
ari=$(json_get "$T/c.json" ari)
q=$(json_get "$T/c.json" modularity)
echo "# social: nmi $nmi ari $ari modularity $q"
ok_if "social NMI >= 0.90 ($nmi)" "$(ge "$nmi" 0.90)" = y
ok_if "social ARI >= 0.85 ($ari)" "$(ge "$ari" 0.85)" = y
ok_if "graph is social" -n "$(grep '"graph" : "social"' "$T/c.json")"
for f in membership.tsv membership.npy communities.tsv manifest.json; do
	ok_if "$f written" -s "$T/c/$f"
done
ok_if "membership.tsv: header + one row per user" \
	"$(wc -l <"$T/c/membership.tsv")" = 20001
ok_if "membership.tsv header" "$(head -1 "$T/c/membership.tsv")" = \
	"$(printf 'user\tcommunity')"
ok_if "communities.tsv header" "$(head -1 "$T/c/communities.tsv")" = \
	"$(printf 'community\tsize\tinternal_density\tconductance\ttop_categories\ttop_items\tmean_rfm\tcentral_members')"
ok_if "membership.npy is 20000 int32" \
	"$(stat -c %s "$T/c/membership.npy")" = 80128
ok_if "sizes add up to the users in the graph" \
	"$(awk -F'\t' 'NR > 1 { s += $2 } END { print s }' "$T/c/communities.tsv")" = \
	"$(json_get "$T/c.json" users_in_graph)"
ok_if "manifest has format, modularity, nmi" -n \
	"$(grep '"format" : "kith-communities"' "$T/c/manifest.json" &&
	   grep '"modularity"' "$T/c/manifest.json" &&
	   grep '"nmi"' "$T/c/manifest.json" && grep '"store_created"' "$T/c/manifest.json")"
ok_if "membership.tsv is private" "$(stat -c %a "$T/c/membership.tsv")" = 600
# membership.tsv and the sizes in communities.tsv agree
awk -F'\t' 'NR > 1 { n[$2]++ } END { for (c in n) print c "\t" n[c] }' \
	"$T/c/membership.tsv" | sort -n >"$T/sz1"
awk -F'\t' 'NR > 1 { print $1 "\t" $2 }' "$T/c/communities.tsv" | sort -n >"$T/sz2"
ok_if "community sizes match membership" -z "$(cmp "$T/sz1" "$T/sz2" 2>&1)"

check "same seed again" "$KITH" communities -q "$T/s" -o "$T/c-again"
ok_if "same seed, same membership" -z \
	"$(cmp "$T/c/membership.npy" "$T/c-again/membership.npy" 2>&1)"
check "other method: louvain" "$KITH" communities -q "$T/s" -o "$T/c-lv" \
	--method louvain --truth "$T/shop/truth/communities.tsv" --json
nmi_lv=$(json_get "$T/.out" nmi)
ok_if "louvain NMI >= 0.85 ($nmi_lv)" "$(ge "$nmi_lv" 0.85)" = y

check "communities from co-interactions only" "$KITH" communities -q "$T/s2" \
	-o "$T/c2" --truth "$T/shop/truth/communities.tsv" --json
nmi2=$(json_get "$T/.out" nmi)
echo "# cointeraction: nmi $nmi2"
ok_if "default graph without links is cointeraction" -n \
	"$(grep '"graph" : "cointeraction"' "$T/.out")"
ok_if "co-interaction NMI >= 0.80 ($nmi2)" "$(ge "$nmi2" 0.80)" = y
check "text summary" "$KITH" communities -q "$T/s" -o "$T/c3" --graph cointeraction
ok_if "text summary names the modularity" -n "$(grep '^modularity ' "$T/.out")"
done_testing
