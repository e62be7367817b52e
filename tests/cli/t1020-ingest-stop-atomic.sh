#!/bin/sh
# A failing ingest leaves an existing store byte-identical; a good one
# replaces it.
. "$top_srcdir/tests/cli/lib.sh"
D=$top_srcdir/tests/data/ingest

check "first store" $KITH ingest -q --comment '#' --events "$D/good.csv" -o "$T/s"
(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/before"
for f in columns.csv nul.csv timestamp.csv empty.csv unterminated.csv; do
	check_fails 1 "bad $f over an existing store" $KITH ingest --events "$D/$f" -o "$T/s"
	(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/after"
	ok_if "store byte-identical after $f" "$(cmp -s "$T/before" "$T/after" && echo same)" = same
done
ok_if "no temporary folders left" "$(ls "$T" | grep -c tmp)" = 0
check "good ingest replaces it" $KITH ingest -q --events "$D/bom-semicolon.csv" -o "$T/s" --json
ok_if "new store has 2 users" "$(json_get "$T/.out" users)" = 2
check "verify" $KITH info "$T/s" --verify
done_testing
