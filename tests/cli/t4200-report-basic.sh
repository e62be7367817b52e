#!/bin/sh
# kith report: files, JSON keys and figures checked against the inputs,
# omitted sections, HTML escaping, usage and data errors, atomic rewrite.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/report-lib.sh"

check "shop store" report_shop
check "report of the store alone" "$KITH" report -q "$T/s" -o "$T/r0"
for f in report.html report.md report.json manifest.json; do
	ok_if "r0 has $f" -s "$T/r0/$f"
done
ok_if "report files are private (0600)" \
	"$(stat -c %a "$T/r0/report.html")" = 600
ok_if "schema_version 1" "$(json_get "$T/r0/report.json" schema_version)" = 1
ok_if "no script in the page" -z "$(grep -il '<script' "$T/r0/report.html")"
ok_if "no external resource" \
	-z "$(grep -Eo '(src|href)="(https?:)?//[^"]*"' "$T/r0/report.html")"
ok_if "degree chart present" -n "$(grep -o 'id="chart-degree"' "$T/r0/report.html")"
ok_if "omitted sections say how to get them" \
	"$(grep -c 'kith communities STORE -o COMM' "$T/r0/report.md")" = 1
ok_if "no community chart without --communities" \
	-z "$(grep -o 'chart-community-sizes' "$T/r0/report.html")"

check "analyses" report_analyses
check "full report" "$KITH" report -q "$T/s" --communities "$T/comm" \
	--influence "$T/infl" --profiles "$T/prof" --prefs "$T/prefs" -o "$T/r1"
for id in chart-degree chart-community-sizes chart-category-mix \
	chart-segments chart-prefs-eval table-influencers table-communities; do
	ok_if "html has $id" -n "$(grep -o "id=\"$id\"" "$T/r1/report.html")"
done
# one list of sections: the same order in the HTML and the Markdown, and
# the table of contents lists the sections present
ok_if "html sections in order" "$(grep -o '<section id="[a-z-]*"' \
	"$T/r1/report.html" | cut -d'"' -f2 | tr '\n' ' ')" = \
	"degree communities segments influencers propagation data-quality omitted "
ok_if "markdown sections in order" "$(grep '^## ' "$T/r1/report.md" | \
	tr '\n' '|')" = "## Summary|## Degree distribution|## Communities|## RFM segments|## Top influencers|## Preference propagation|## Data quality|## Not in this report|"
ok_if "table of contents" "$(grep -o '<nav class="toc">.*</nav>' \
	"$T/r1/report.html" | grep -o 'href="#[a-z-]*"' | tr '\n' ' ')" = \
	'href="#degree" href="#communities" href="#segments" href="#influencers" href="#propagation" href="#data-quality" href="#omitted" '

if have_python; then
	cat >"$T/check.py" <<'PY'
import json, sys, csv
t, = sys.argv[1:]
r = json.load(open(t + "/r1/report.json"))
keys = ["format", "schema_version", "kith_version", "title", "created",
        "store", "min_group", "counts", "degree_distribution", "communities",
        "segments", "influence", "propagation", "embedding", "data_quality",
        "omitted", "warnings"]
missing = [k for k in keys if k not in r]
assert not missing, missing
assert r["schema_version"] == 1 and r["format"] == "kith-report"
c = r["counts"]
info = json.load(open(t + "/s/manifest.json"))
ev = sum(1 for _ in open(t + "/shop/events.csv")) - 1
assert c["users"] == 600 and c["events"] == ev, c
# degree distribution: unbinned points count every user with >= 1 item
d = r["degree_distribution"]["users"]
if not d["binned"]:
    assert sum(n for _, n in d["points"]) + d["zero"] == 600
# communities: sizes agree with membership.tsv
cm = r["communities"]
man = json.load(open(t + "/comm/manifest.json"))
assert cm["count"] == man["communities"], (cm["count"], man["communities"])
assert abs(cm["modularity"] - man["modularity"]) < 1e-12
sizes = {}
for row in csv.DictReader(open(t + "/comm/membership.tsv"), delimiter="\t"):
    if row["community"] != "":
        sizes[int(row["community"])] = sizes.get(int(row["community"]), 0) + 1
shown = {x["community"]: x["size"] for x in cm["shown"] if not x["merged"]}
for k, v in shown.items():
    assert sizes[k] == v, (k, sizes[k], v)
assert sum(x["size"] for x in cm["shown"]) == sum(sizes.values())
mix = cm["category_mix"]
for row in mix["rows"]:
    assert abs(sum(row["shares"]) - 1) < 1e-9, row
# influencers: the top row is the user of highest pagerank
rows = list(csv.DictReader(open(t + "/infl/influence.tsv"), delimiter="\t"))
best = max(rows, key=lambda x: (float(x["pagerank"]), -rows.index(x)))
top = r["influence"]["top"]
assert top[0]["user"] == best["user"], (top[0], best["user"])
assert abs(top[0]["pagerank"] - float(best["pagerank"])) <= 1e-5 * float(best["pagerank"])
prs = [x["pagerank"] for x in top]
assert prs == sorted(prs, reverse=True) and len(top) == 20
# segments: counts from the profiles manifest
seg = json.load(open(t + "/prof/manifest.json"))["segments"]
got = {x["segment"]: x["size"] for x in r["segments"]["shown"]}
for k, v in seg.items():
    if v >= 10:
        assert got[k] == v, (k, got.get(k), v)
# propagation eval copied from the prefs manifest
pe = json.load(open(t + "/prefs/manifest.json"))["eval"]
assert abs(r["propagation"]["eval"]["ndcg@3"] - pe["ndcg@3"]) < 1e-12
assert r["embedding"] is None
assert any("kith embed" in x for x in r["omitted"])
PY
	check "report.json agrees with its inputs" $PY "$T/check.py" "$T"
fi

if have_numpy; then
	check "fixture communities with names to escape" \
		$PY "$FIXTURE" comm "$T/s" "$T/cx" 300 200 100
	check "report with them" "$KITH" report -q "$T/s" --communities "$T/cx" \
		-o "$T/r2" --title 'Shop <&> "report"'
	ok_if "category names escaped in html" \
		-n "$(grep -o '&lt;b&gt;&amp;cat0&lt;/b&gt;' "$T/r2/report.html")"
	ok_if "no raw markup from data in html" \
		-z "$(grep -o '<b>&cat' "$T/r2/report.html")"
	ok_if "title escaped" \
		-n "$(grep -o '<title>Shop &lt;&amp;&gt; &quot;report&quot;</title>' "$T/r2/report.html")"
	ok_if "markdown escapes markup" \
		-z "$(grep -o '<b>' "$T/r2/report.md")"
fi

check_fails 2 "missing -o" "$KITH" report "$T/s"
check_fails 2 "missing store" "$KITH" report -o "$T/rx"
check_fails 2 "bad --min-group" "$KITH" report "$T/s" -o "$T/rx" --min-group 0
check_fails 2 "a profiles folder given as --communities" \
	"$KITH" report "$T/s" -o "$T/rx" --communities "$T/prof"
check_fails 2 "missing folder" "$KITH" report "$T/s" -o "$T/rx" \
	--influence "$T/nonexistent"
check_fails 1 "missing store folder" "$KITH" report "$T/nostore" -o "$T/rx"
ok_if "failed runs leave no report" ! -e "$T/rx"

# a communities folder from another store (other number of users)
check "other store" "$KITH" synth -q -o "$T/shop2" --users 300 --items 100 \
	--seed 9
check "ingest it" "$KITH" ingest -q --events "$T/shop2/events.csv" \
	--social "$T/shop2/social.csv" -o "$T/s2"
check "its communities" "$KITH" communities -q "$T/s2" -o "$T/comm2"
check_fails 1 "communities of another store are refused" \
	"$KITH" report "$T/s" -o "$T/rx" --communities "$T/comm2"
ok_if "the message names the mismatch" \
	-n "$(grep -o 'one per store user' "$T/.err")"

# data quality: rejects by reason, from the ingest summary, else from
# rejects.tsv
{ head -301 "$T/shop/events.csv"; echo "u1,,view,2024-01-01,1"
  echo "u2,i3,view,notatime,1"; echo "u2,i3,view,notatime,2"; } >"$T/bad.csv"
check "ingest with rejects" "$KITH" ingest -q --on-error skip \
	--events "$T/bad.csv" -o "$T/sb"
check "report of it" "$KITH" report -q "$T/sb" -o "$T/rb"
tr -d ' \n' <"$T/rb/report.json" >"$T/rb.json"
ok_if "3 rejected" -n "$(grep -o '"accepted":300,"rejected":3,' "$T/rb.json")"
ok_if "by reason" \
	-n "$(grep -o '"by_reason":{"bad_timestamp":2,"empty_field":1}' "$T/rb.json")"
ok_if "rejects chart" -n "$(grep -o 'id="chart-rejects"' "$T/rb/report.html")"
if have_python; then
	check "drop the ingest summary" $PY -c "
import json; p = '$T/sb/manifest.json'; m = json.load(open(p))
del m['ingest']; json.dump(m, open(p, 'w'))"
	check "report from rejects.tsv" "$KITH" report -q "$T/sb" -o "$T/rb2"
	tr -d ' \n' <"$T/rb2/report.json" >"$T/rb2.json"
	ok_if "rejects.tsv source" \
		-n "$(grep -o '"source":"rejects.tsv","lines":null,"accepted":null,"rejected":3' "$T/rb2.json")"
	ok_if "by reason from rejects.tsv" \
		-n "$(grep -o '"by_reason":{"bad_timestamp":2,"empty_field":1}' "$T/rb2.json")"
fi

# a pseudonymised store: the report says ids are pseudonyms
if have_python; then
	cp -r "$T/s" "$T/sp"
	check "mark the copy pseudonymised" $PY -c "
import json; p = '$T/sp/manifest.json'; m = json.load(open(p))
m['pseudonymized'] = True; json.dump(m, open(p, 'w'))"
	check "report of it" "$KITH" report -q "$T/sp" -o "$T/rp"
	ok_if "json says pseudonymized" \
		-n "$(tr -d ' \n' <"$T/rp/report.json" | grep -o '"pseudonymized":true')"
	ok_if "page says ids are pseudonyms" \
		-n "$(grep -o 'every id shown is a pseudonym' "$T/rp/report.html")"
	ok_if "store-only json says not pseudonymized" \
		-n "$(tr -d ' \n' <"$T/r0/report.json" | grep -o '"pseudonymized":false')"
fi

# rewriting replaces the folder atomically, leaving no temporary folder
check "rewrite r1 as a store-only report" "$KITH" report -q "$T/s" -o "$T/r1"
ok_if "r1 replaced" "$(grep -c 'chart-community-sizes' "$T/r1/report.html")" = 0
ok_if "no temporary folders left" \
	-z "$(ls -d "$T"/r1.tmp-* 2>/dev/null)"
done_testing
