#!/bin/sh
# kith run and kith update call the library for every stage (ingest,
# profile, propagate, communities, influence, report, export): pipeline
# keys set the commands' options by name, a false value leaves an option
# unset, bad keys and values name file:line, the stage logs hold the
# commands' summaries, --max-memory reaches the stages; kith update
# recomputes profile, preference and community folders with their own
# options.
. "$top_srcdir/tests/cli/lib.sh"

mget() {
	sed -n "s/^ *\"$2\" : \\([-0-9.eE+]*\\).*/\\1/p" "$1/manifest.json" | head -1
}

# num_is FOLDER KEY VALUE: the manifest's number KEY equals VALUE
num_is() {
	awk -v a="$(mget "$1" "$2")" -v b="$3" 'BEGIN { exit !(a != "" && a + 0 == b + 0) }'
}

cp -r "$top_srcdir/datasets/shop-small" "$T/shop"
D="$T/shop"
cat >"$T/p.ini" <<EOP
[ingest]
events = $D/events.csv
social = $D/social.csv
items = $D/items.csv

[profile]
half-life = 45
cold-k = no

[propagate]
alpha = 0.7
iterations = 12

[communities]
method = labelprop
truth = $D/truth/communities.tsv

[influence]
top = 1
pagerank-only = yes

[report]
title = library stages
min-group = 5
EOP
check "run" "$KITH" run -q "$T/p.ini" -o "$T/out"
ok_if "six stages ran" -n "$(grep 'stages run: 6, up to date: 0' "$T/.out")"
ok_if "profile: half-life 45" "$(num_is "$T/out/profile" half_life_days 45 && echo y)" = y
ok_if "profile: a false value leaves cold-k at its default" \
	"$(num_is "$T/out/profile" cold_k 10 && echo y)" = y
ok_if "propagate: alpha 0.7" "$(num_is "$T/out/propagate" alpha 0.7 && echo y)" = y
ok_if "propagate: 12 iterations at most" \
	"$(num_is "$T/out/propagate" max_iterations 12 && echo y)" = y
ok_if "communities: labelprop" \
	-n "$(grep '"method" : "labelprop"' "$T/out/communities/manifest.json")"
ok_if "communities: compared with the truth" \
	-n "$(grep '^nmi ' "$T/out/communities.out")"
ok_if "influence: a value 1 is a number (top 1)" \
	"$(grep -c '"user"' "$T/out/influence/manifest.json")" = 1
ok_if "influence: pagerank only" \
	-n "$(grep 'betweenness not computed' "$T/out/influence.out")"
ok_if "report: title" -n "$(grep 'library stages' "$T/out/report/report.md")"
ok_if "profile log: the summary" -n "$(grep '^users 500 ' "$T/out/profile.out")"
ok_if "report log: the file names" \
	-n "$(grep 'report/report.html$' "$T/out/report.out")"
check "again" "$KITH" run -q "$T/p.ini" -o "$T/out"
ok_if "all up to date" -n "$(grep 'stages run: 0, up to date: 6' "$T/.out")"

# [ingest] too: its reader options (shared with kith update) are keys
printf 'user_id;item_id\nu1;i1\nu2;i1\nu2\n' >"$T/semi.csv"
printf '[ingest]\nevents = semi.csv\nsep = ;\non-error = skip\n' >"$T/ing.ini"
check "ingest stage with reader keys" "$KITH" run -q "$T/ing.ini" -o "$T/ing"
ok_if "the bad row was skipped into rejects.tsv" \
	"$(grep -c wrong_column_count "$T/ing/store/rejects.tsv")" = 1
printf '[ingest]\nevents = semi.csv\nsep = bogus\n' >"$T/ing2.ini"
check_fails 2 "ingest stage: a bad separator" "$KITH" run -q "$T/ing2.ini" \
	-o "$T/ing2"
ok_if "the reader's message" -n "$(grep "bad --sep 'bogus'" "$T/.err")"

# keys and values are checked before anything runs, with file:line
printf '[propagate]\nalpha = x\n' >"$T/bad1.ini"
check_fails 2 "bad value" "$KITH" run "$T/bad1.ini" -o "$T/out"
ok_if "bad value names file:line" \
	-n "$(grep "bad1.ini:2: \[propagate\] alpha: cannot parse 'x'" "$T/.err")"
printf '[communities]\nmethod = leiden\nfrob = 1\n' >"$T/bad2.ini"
check_fails 2 "unknown key" "$KITH" run "$T/bad2.ini" -o "$T/out"
ok_if "unknown key names file:line" \
	-n "$(grep "bad2.ini:3: \[communities\] frob: unknown option --frob" "$T/.err")"
printf '[report]\njson = yes\n' >"$T/bad3.ini"
check_fails 2 "reserved key" "$KITH" run "$T/bad3.ini" -o "$T/out"
printf '[profile]\ncold-k = -1\n' >"$T/bad4.ini"
check_fails 2 "value out of range" "$KITH" run "$T/bad4.ini" -o "$T/out"
ok_if "the command's check" -n "$(grep 'cold-k must be positive' "$T/.err")"

# --max-memory reaches a library stage
printf '[profile]\nhalf-life = 44\n' >"$T/mem.ini"
check_fails 1 "refused by --max-memory" "$KITH" run --max-memory 1K \
	"$T/mem.ini" -o "$T/out"
ok_if "refusal message" -n "$(grep 'kith profile: profiles of 500 users needs an estimated .*: refused before allocating' "$T/.err")"
ok_if "the folder is the old one" "$(num_is "$T/out/profile" half_life_days 45 && echo y)" = y

# kith update: the folders are recomputed with their own options
head -n 9000 "$D/events.csv" >"$T/a.csv"
{ head -n 1 "$D/events.csv"; tail -n +9001 "$D/events.csv"; } >"$T/b.csv"
check "base store" "$KITH" ingest -q --events "$T/a.csv" --social "$D/social.csv" \
	--items "$D/items.csv" -o "$T/s"
check "profiles" "$KITH" profile -q "$T/s" -o "$T/prof" --half-life 45 --cold-k 5
check "prefs" "$KITH" propagate -q "$T/s" -o "$T/prefs" --graph social --alpha 0.6
check "communities" "$KITH" communities -q "$T/s" -o "$T/comm" --method labelprop
check "update" "$KITH" update "$T/s" --events "$T/b.csv" --profiles "$T/prof" \
	--prefs "$T/prefs" --communities "$T/comm"
ok_if "profiles refreshed" -n "$(grep "refreshed '$T/prof'" "$T/.err")"
ok_if "prefs refreshed" -n "$(grep "refreshed '$T/prefs'" "$T/.err")"
ok_if "communities warm-started" \
	-n "$(grep "refreshed '$T/comm' in .* (warm start: " "$T/.err")"
ok_if "profiles keep half-life 45" "$(num_is "$T/prof" half_life_days 45 && echo y)" = y
ok_if "profiles keep cold-k 5" "$(num_is "$T/prof" cold_k 5 && echo y)" = y
ok_if "prefs keep alpha 0.6" "$(num_is "$T/prefs" alpha 0.6 && echo y)" = y
ok_if "prefs keep the social graph" \
	-n "$(grep '"graph" : "social"' "$T/prefs/manifest.json")"
ok_if "communities keep labelprop" \
	-n "$(grep '"method" : "labelprop"' "$T/comm/manifest.json")"
check "the same profiles by hand" "$KITH" profile -q "$T/s" -o "$T/prof2" \
	--half-life 45 --cold-k 5
ok_if "update's profiles are kith profile's" \
	"$(cat "$T/prof/profiles.tsv" | cksum)" = "$(cat "$T/prof2/profiles.tsv" | cksum)"
printf 'user_id,item_id,event,timestamp,value\nu000001,i00001,view,1707663101,0\n' >"$T/c.csv"
check_fails 1 "update refused by --max-memory" "$KITH" update --max-memory 1K \
	"$T/s" --events "$T/c.csv" --profiles "$T/prof"
ok_if "update names the refusal" -n "$(grep 'kith update: profiles of .* refused before allocating' "$T/.err")"
done_testing
