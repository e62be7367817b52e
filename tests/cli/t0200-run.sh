#!/bin/sh
# kith run: stages in order, make-like skipping decided from content,
# errors with file:line, and kith demo.
. "$top_srcdir/tests/cli/lib.sh"
cp -r "$top_srcdir/datasets/shop-small" "$T/shop"
D="$T/shop"
cat >"$T/p.ini" <<EOP
# a test pipeline
[ingest]
events = $D/events.csv
social = $D/social.csv
items = $D/items.csv

[profile]
half-life = 30

[communities]
truth = $D/truth/communities.tsv

[influence]

[report]
title = test
EOP
check "first run" "$KITH" run -q "$T/p.ini" -o "$T/out"
ok_if "all stages ran" -n "$(grep 'stages run: 5, up to date: 0' "$T/.out")"
for d in store profile communities influence report; do
	ok_if "$d has a manifest" -f "$T/out/$d/manifest.json"
done
ok_if "report.html written" -s "$T/out/report/report.html"
check "second run" "$KITH" run -q "$T/p.ini" -o "$T/out"
ok_if "second run does no work" -n "$(grep 'stages run: 0, up to date: 5' "$T/.out")"
touch "$D/events.csv"
check "touching an input changes nothing" "$KITH" run -q "$T/p.ini" -o "$T/out"
ok_if "still up to date" -n "$(grep 'stages run: 0' "$T/.out")"
sed 's/half-life = 30/half-life = 60/' "$T/p.ini" >"$T/p2.ini"
check "changed option" "$KITH" run -q "$T/p2.ini" -o "$T/out"
ok_if "only profile and report rerun" -n "$(grep 'stages run: 2, up to date: 3' "$T/.out")"
rm -rf "$T/out/influence"
check "removed output" "$KITH" run -q "$T/p2.ini" -o "$T/out"
ok_if "influence and report rerun" -n "$(grep 'stages run: 2, up to date: 3' "$T/.out")"
check "--force" "$KITH" run -q --force "$T/p2.ini" -o "$T/out"
ok_if "everything reran" -n "$(grep 'stages run: 5, up to date: 0' "$T/.out")"

printf '[ingest]\nevents = %s/events.csv\n\n[profile]\nhalf-lfe = 3\n' "$D" >"$T/bad.ini"
check_fails 2 "unknown key" "$KITH" run "$T/bad.ini" -o "$T/bad"
ok_if "unknown key names file:line" -n "$(grep "bad.ini:5:" "$T/.err")"
ok_if "nothing ran" ! -d "$T/bad/store"
printf '[profile]\nhalf-life = x\n' >"$T/bad2.ini"
check_fails 2 "invalid value" "$KITH" run "$T/bad2.ini" -o "$T/bad"
ok_if "invalid value names file:line" -n "$(grep "bad2.ini:2:" "$T/.err")"
printf '[ingest]\nevents = a\n[frobnicate]\n' >"$T/bad3.ini"
check_fails 2 "unknown stage" "$KITH" run "$T/bad3.ini" -o "$T/bad"
ok_if "unknown stage names file:line" -n "$(grep "bad3.ini:3:" "$T/.err")"
printf '[ingest]\nevents\n' >"$T/bad4.ini"
check_fails 2 "syntax error" "$KITH" run "$T/bad4.ini" -o "$T/bad"
ok_if "syntax error names file:line" -n "$(grep "bad4.ini:2:" "$T/.err")"
printf '[ingest]\noutput = x\n' >"$T/bad5.ini"
check_fails 2 "reserved key" "$KITH" run "$T/bad5.ini" -o "$T/bad"
printf '[ingest]\nevents = %s/nothing.csv\n' "$T" >"$T/bad6.ini"
check_fails 1 "failing stage" "$KITH" run "$T/bad6.ini" -o "$T/bad6"
check_fails 2 "missing -o" "$KITH" run "$T/p.ini"

# the [embed] stage is a library call: its keys set kith embed's options
printf '[ingest]\nevents = %s/events.csv\n\n[embed]\nepochs = 1\ndim = 8\nno-refit = yes\n' "$D" >"$T/e.ini"
check "embed stage" "$KITH" run -q "$T/e.ini" -o "$T/e"
ok_if "embed keys reach the model" \
	"$(json_get "$T/e/embed/manifest.json" max_epochs)" = 1
printf '[ingest]\nevents = %s/events.csv\n\n[embed]\ndim = x\n' "$D" >"$T/bad7.ini"
check_fails 2 "invalid embed value" "$KITH" run "$T/bad7.ini" -o "$T/bad7"
ok_if "invalid embed value names file:line" -n "$(grep "bad7.ini:5: \[embed\] dim" "$T/.err")"
printf '[ingest]\nevents = %s/events.csv\n\n[embed]\nfrob = 1\n' "$D" >"$T/bad8.ini"
check_fails 2 "unknown embed key" "$KITH" run "$T/bad8.ini" -o "$T/bad8"
ok_if "nothing ran" ! -d "$T/bad8/store"

check "kith demo" "$KITH" demo -q -o "$T/demo"
ok_if "demo prints the report path" -n "$(grep 'report.html' "$T/.out")"
ok_if "demo report exists" -s "$T/demo/report/report.html"
check "demo again" "$KITH" demo -q -o "$T/demo"
ok_if "demo again does no work" -n "$(grep 'stages run: 0' "$T/.out")"

# --max-memory reaches the stages: the ingest is refused, nothing written
check_fails 1 "run with --max-memory 1M" "$KITH" run \
	"$top_srcdir/datasets/shop-small/pipeline.ini" -o "$T/mm" --max-memory 1M
ok_if "the refusal is reported" "$(grep -c 'max-memory' "$T/.err")" -ge 1
ok_if "no store written" ! -e "$T/mm/store"
done_testing
