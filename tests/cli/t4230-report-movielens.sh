#!/bin/sh
# kith report on MovieLens-100K: counts, 19 genres in the category mix,
# no social graph (the social degree series is null), time span.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/report-lib.sh"

need_shared movielens-100k/u.item
M=$SHARED/datasets/movielens-100k
check "ingest" "$KITH" ingest -q --preset movielens --events "$M/u.data" \
	--items "$M/u.item" --users "$M/u.user" -o "$T/ml"
check "communities (co-interaction graph)" "$KITH" communities -q "$T/ml" \
	--graph cointeraction -o "$T/comm"
check "profile" "$KITH" profile -q "$T/ml" -o "$T/prof"
check "report" "$KITH" report -q "$T/ml" --communities "$T/comm" \
	--profiles "$T/prof" -o "$T/r"
J="$T/r/report.json"
tr -d ' \n' <"$J" >"$T/flat.json"
ok_if "943 users" -n "$(grep -o '"counts":{"users":943,"items":1682,"events":100000' "$T/flat.json")"
ok_if "19 categories" -n "$(grep -o '"categories":19,' "$T/flat.json")"
ok_if "no social series" -n "$(grep -o '"social":null' "$T/flat.json")"
ok_if "time span 1997-09-20 to 1998-04-22" \
	-n "$(grep -o '"time_min":"1997-09-20","time_max":"1998-04-22"' "$T/flat.json")"
ok_if "Drama in the category mix" -n "$(grep -o '"Drama"' "$T/flat.json")"
if have_python; then
	check "every user has >= 20 ratings in the degree series" $PY -c "
import json
d = json.load(open('$J'))['degree_distribution']['users']
assert d['zero'] == 0 and min(k for k, _ in d['points']) >= 20, d['points'][:3]
assert d['max'] == 737, d['max']
"
fi
done_testing
