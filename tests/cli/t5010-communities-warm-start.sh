#!/bin/sh
# kith communities --warm-start (issue 5): on an unchanged store the warm
# start begins from the previous partition (start modularity equal to
# it) and does not lower the modularity; kept + changed add up and match
# a recount from the two membership files; new users start in the
# community of their labelled neighbours, level by level, or alone; the
# previous folder may be the output; same seed, same result.
. "$top_srcdir/tests/cli/lib.sh"

ge() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && a + 0 >= b + 0) print "y" }'; }
mget() {  # DIR KEY: a number of the manifest (first match)
	sed -n "s/^ *\"$2\" : \\([-0-9.eE+]*\\).*/\\1/p" "$1/manifest.json" | head -1
}

check "synth" "$KITH" synth -q -o "$T/shop" --users 3000 --items 300 \
	--categories 6 --communities 5 --mixing 0.3 --seed 3
check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" -o "$T/s"
check "from scratch" "$KITH" communities -q "$T/s" -o "$T/c1" --seed 5 --json
q1=$(json_get "$T/.out" modularity)
check "warm start on the same store" "$KITH" communities -q "$T/s" \
	-o "$T/c2" --seed 5 --warm-start "$T/c1" --json
cp "$T/.out" "$T/c2.json"
q2=$(json_get "$T/c2.json" modularity)
qs=$(json_get "$T/c2.json" start_modularity)
echo "# modularity scratch $q1 warm $q2 start $qs"
ok_if "start modularity is the previous partition's ($qs = $q1)" \
	"$(awk -v a="$qs" -v b="$q1" 'BEGIN { d = a - b; if (a != "" && d < 1e-9 && d > -1e-9) print "y" }')" = y
ok_if "modularity not lower ($q2 >= $q1)" "$(ge "$q2" "$q1")" = y
ok_if "json names the previous folder" \
	-n "$(grep "\"from\" : \"$T/c1\"" "$T/c2.json")"
ok_if "no new user" "$(json_get "$T/c2.json" new_users)" = 0
ok_if "manifest: warm_start.from" \
	-n "$(grep "\"from\" : \"$T/c1\"" "$T/c2/manifest.json")"
kept=$(mget "$T/c2" kept)
changed=$(mget "$T/c2" changed)
cmp_=$(sed -n 's/^    "users_compared" : \([0-9]*\).*/\1/p' "$T/c2/manifest.json")
ok_if "kept + changed = users compared ($kept + $changed = $cmp_)" \
	"$((kept + changed))" = "$cmp_"
ok_if "most users keep their community ($kept of $cmp_)" \
	"$((kept * 100 >= cmp_ * 95))" = 1
# the kept count recounted: map each old community to the new one that
# holds most of its users
recount=$(awk -F'\t' 'FNR == 1 { next } NR == FNR { a[$1] = $2; next }
	a[$1] >= 0 && $2 >= 0 { n[a[$1], $2]++ }
	END { for (k in n) { split(k, p, SUBSEP); if (n[k] > b[p[1]]) b[p[1]] = n[k] }
	      for (c in b) s += b[c]; print s }' \
	"$T/c1/membership.tsv" "$T/c2/membership.tsv")
ok_if "kept recounted from the files ($recount)" "$recount" = "$kept"
check "same seed again" "$KITH" communities -q "$T/s" -o "$T/c3" --seed 5 \
	--warm-start "$T/c1"
ok_if "same seed, same membership" \
	"$(cmp "$T/c2/membership.npy" "$T/c3/membership.npy" && echo same)" = same
check "warm start in place" "$KITH" communities -q "$T/s" -o "$T/c3" \
	--seed 5 --warm-start "$T/c3" --json
ok_if "in place: modularity not lower" \
	"$(ge "$(json_get "$T/.out" modularity)" "$q2")" = y
check "labelprop from scratch" "$KITH" communities -q "$T/s" -o "$T/l1" \
	--method labelprop --seed 5
check "labelprop warm start (method taken from PREV)" "$KITH" communities \
	-q "$T/s" -o "$T/l2" --seed 5 --warm-start "$T/l1" --json
ok_if "labelprop: method kept" -n "$(grep '"method" : "labelprop"' "$T/.out")"
ok_if "labelprop: start modularity is the previous partition's" \
	"$(awk -v a="$(json_get "$T/.out" start_modularity)" \
	    -v b="$(mget "$T/l1" modularity)" \
	    'BEGIN { d = a - b; if (a != "" && d < 1e-9 && d > -1e-9) print "y" }')" = y

# new users: two 5-cliques (a, b) joined by a5-b1; then n1 links a1, a2,
# n2 links n1 only (second level), n3-n4 link each other only
{
	echo user,item
	for i in 1 2 3 4 5; do echo a$i,i1; done
	for i in 1 2 3 4 5; do echo b$i,i2; done
} >"$T/ev.csv"
{
	echo src,dst
	for x in a b; do for i in 1 2 3 4 5; do for j in 1 2 3 4 5; do
		[ $i -lt $j ] && echo $x$i,$x$j
	done; done; done
	echo a5,b1
} >"$T/soc.csv"
printf 'user,item\nn1,i1\nn2,i1\nn3,i2\nn4,i2\n' >"$T/ev2.csv"
printf 'src,dst\nn1,a1\nn1,a2\nn2,n1\nn3,n4\n' >"$T/soc2.csv"
check "small store" "$KITH" ingest -q --events "$T/ev.csv" \
	--social "$T/soc.csv" -o "$T/t"
check "small: communities" "$KITH" communities -q "$T/t" -o "$T/tc" --seed 1
ok_if "small: the two cliques" "$(cut -f2 "$T/tc/membership.tsv" | tr '\n' ' ')" = \
	"community 0 0 0 0 0 1 1 1 1 1 "
check "small: update the store only" "$KITH" update -q "$T/t" \
	--events "$T/ev2.csv" --social "$T/soc2.csv"
check "small: warm start" "$KITH" communities -q "$T/t" -o "$T/tc2" \
	--seed 1 --warm-start "$T/tc" --json
ok_if "small: 4 new users" "$(json_get "$T/.out" new_users)" = 4
ok_if "small: 2 joined a neighbour's community (n1, then n2)" \
	"$(mget "$T/tc2" new_joined)" = 2
ok_if "small: 2 started alone (n3, n4)" "$(mget "$T/tc2" new_singletons)" = 2
ok_if "small: old users kept" "$(mget "$T/tc2" changed)" = 0
ok_if "small: n1, n2 with the a clique, n3 n4 together" \
	"$(tail -n +2 "$T/tc2/membership.tsv" | cut -f2 | tr '\n' ' ')" = \
	"0 0 0 0 0 1 1 1 1 1 0 0 2 2 "
done_testing
