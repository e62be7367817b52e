#!/bin/sh
# kith report --min-group: communities and segments below the minimum are
# never shown on their own; merged into "other (suppressed)" only when the
# merged group reaches the minimum; the suppression is stated.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/report-lib.sh"

have_numpy || skip_all "python3 with numpy not available"
check "shop store" report_shop
check "profiles" "$KITH" profile -q "$T/s" -o "$T/prof"
# communities of 300, 200, 50, 12, 9 and 5 users (24 users in none)
check "fixture communities" $PY "$FIXTURE" comm "$T/s" "$T/c" 300 200 50 12 9 5

check "min-group 10" "$KITH" report -q "$T/s" --communities "$T/c" \
	-o "$T/r10" --min-group 10
check "min-group 20" "$KITH" report -q "$T/s" --communities "$T/c" \
	-o "$T/r20" --min-group 20
check "min-group 60 with segments" "$KITH" report -q "$T/s" \
	--communities "$T/c" --profiles "$T/prof" -o "$T/r60" --min-group 60

cat >"$T/check.py" <<'PY'
import json, sys
t = sys.argv[1]
def load(n): return json.load(open("%s/%s/report.json" % (t, n)))
def labels(r): return [x["label"] for x in r["communities"]["shown"]]

r = load("r10")
c = r["communities"]
# 9 and 5 are suppressed; together 14 >= 10, so they appear merged
assert labels(r) == ["community 0", "community 1", "community 2",
                     "community 3", "other (suppressed)"], labels(r)
assert c["suppressed"] == {"groups": 2, "users": 14, "shown_as_other": True,
                           "min_group": 10}, c["suppressed"]
assert c["shown"][-1]["size"] == 14 and c["shown"][-1]["community"] is None
assert [x["label"] for x in c["category_mix"]["rows"]] == labels(r)

r = load("r20")
c = r["communities"]
# 12, 9, 5 suppressed: 26 >= 20 merged
assert labels(r) == ["community 0", "community 1", "community 2",
                     "other (suppressed)"], labels(r)
assert c["suppressed"]["users"] == 26

r = load("r60")
c = r["communities"]
# 50, 12, 9, 5 suppressed: 76 >= 60 merged
assert labels(r) == ["community 0", "community 1", "other (suppressed)"]
for x in c["shown"]:
    assert x["size"] >= 60
s = r["segments"]
prof = json.load(open(t + "/prof/manifest.json"))["segments"]
small = {k: v for k, v in prof.items() if 0 < v < 60}
for x in s["shown"]:
    assert x["size"] >= 60, x
    if not x["merged"]:
        assert prof[x["segment"]] == x["size"]
assert s["suppressed"]["groups"] == len(small), (s["suppressed"], small)
tot = sum(small.values())
if small:
    if tot >= 60:
        assert s["shown"][-1]["segment"] == "other (suppressed)"
        assert s["shown"][-1]["size"] == tot
    else:
        assert s["suppressed"]["users"] is None
        assert all(not x["merged"] for x in s["shown"])
print(sorted(small.items()))
PY
check "suppression in report.json" $PY "$T/check.py" "$T"
sed 's/^/# /' "$T/.out"

# names of suppressed communities appear in no output
for f in report.html report.md report.json; do
	ok_if "r20 $f does not name community 3" \
		-z "$(grep -o 'community 3\b' "$T/r20/$f")"
	ok_if "r20 $f does not name community 5" \
		-z "$(grep -o 'community 5\b' "$T/r20/$f")"
done
ok_if "the page states the suppression" \
	-n "$(grep -o 'communities with fewer than 20 members are not shown' "$T/r20/report.html")"
ok_if "the markdown states it" \
	-n "$(grep -o 'smaller than 20 users are suppressed' "$T/r20/report.md")"

# a merged group below the minimum is withheld entirely
check "fixture: 590 users in one community, 3 + 2 in two" \
	$PY "$FIXTURE" comm "$T/s" "$T/c2" 590 3 2
check "report" "$KITH" report -q "$T/s" --communities "$T/c2" -o "$T/rs"
ok_if "no other row" -z "$(grep -o 'other (suppressed)' "$T/rs/report.json")"
ok_if "suppressed user count withheld" \
	-n "$(tr -d ' \n' <"$T/rs/report.json" | grep -o '"groups":2,"users":null')"
ok_if "the page says they are left out" \
	-n "$(grep -o 'left out entirely' "$T/rs/report.html")"
done_testing
