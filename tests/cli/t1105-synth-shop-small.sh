#!/bin/sh
# datasets/shop-small is what tools/make-shop-small generates, and small.
. "$top_srcdir/tests/cli/lib.sh"

D=$top_srcdir/datasets/shop-small
[ -f "$D/events.csv" ] || skip_all "no datasets/shop-small"
check "regenerate" sh "$top_srcdir/tools/make-shop-small" "$T/shop"
for f in events.csv social.csv users.csv items.csv truth/communities.tsv truth/preferences.tsv truth/favourites.tsv; do
	ok_if "$f matches the generator" "$(cmp "$D/$f" "$T/shop/$f" >/dev/null 2>&1 && echo same)" = same
done
ok_if "at most 1 MB" "$(du -sk --exclude=README.md "$D" | cut -f1)" -le 1024
ok_if "README present" -s "$D/README.md"
done_testing
