#!/bin/sh
# kith synth: same seed -> byte-identical files, for any thread count.
. "$top_srcdir/tests/cli/lib.sh"

opts="--users 3000 --items 400 --categories 8 --communities 6 --events 60000 --mixing 0.25"
FILES="events.csv social.csv users.csv items.csv truth/communities.tsv truth/preferences.tsv truth/favourites.tsv synth.json"

check "first run" "$KITH" synth -q -o "$T/a" $opts --seed 5 --threads 2
check "second run" "$KITH" synth -q -o "$T/b" $opts --seed 5 --threads 2
check "one thread" "$KITH" synth -q -o "$T/c" $opts --seed 5 --threads 1
check "other seed" "$KITH" synth -q -o "$T/d" $opts --seed 6 --threads 2
for f in $FILES; do
	ok_if "$f identical twice" "$(cmp "$T/a/$f" "$T/b/$f" >/dev/null 2>&1 && echo same)" = same
	ok_if "$f identical with 1 and 2 threads" "$(cmp "$T/a/$f" "$T/c/$f" >/dev/null 2>&1 && echo same)" = same
done
for f in events.csv social.csv users.csv truth/communities.tsv; do
	ok_if "$f differs with another seed" "$(cmp "$T/a/$f" "$T/d/$f" >/dev/null 2>&1 && echo same)" != same
done
# rerunning over an existing folder replaces the files and leaves no temporaries
check "rerun into the same folder" "$KITH" synth -q -o "$T/a" $opts --seed 6
ok_if "replaced by the new seed" "$(cmp "$T/a/events.csv" "$T/d/events.csv" >/dev/null 2>&1 && echo same)" = same
ok_if "no temporary files left" "$(find "$T/a" -name '*.tmp' | wc -l)" -eq 0
done_testing
