#!/bin/sh
# A failing update (bad row, columns that do not fit the store) leaves the
# store byte-identical and no temporary folder.
. "$top_srcdir/tests/cli/lib.sh"
printf 'user,item,ts\nu1,i1,1700000000\nu2,i2,1700000100\n' >"$T/base.csv"
printf 'user,item,ts\nu3,i1,1700000200\nu4,i9,notatime\nu5,i1,1700000300\n' >"$T/bad.csv"
printf 'user,item\nu3,i1\n' >"$T/nots.csv"
check "ingest" $KITH ingest -q -o "$T/s" --events "$T/base.csv"
(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/before"
check_fails 1 "bad row stops the update" $KITH update "$T/s" --events "$T/bad.csv"
ok_if "message names file and line" "$(grep -c 'bad.csv:3' "$T/.err")" = 1
(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/after"
ok_if "store byte-identical after the bad row" "$(cmp -s "$T/before" "$T/after" && echo same)" = same
check_fails 2 "events without ts" $KITH update "$T/s" --events "$T/nots.csv"
(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/after"
ok_if "store byte-identical after the usage error" "$(cmp -s "$T/before" "$T/after" && echo same)" = same
ok_if "no temporary folders left" "$(ls "$T" | grep -c tmp)" = 0
check "skip mode applies the good rows" $KITH update -q --on-error skip "$T/s" --events "$T/bad.csv"
check "info" $KITH info "$T/s" --json
ok_if "4 users now" "$(json_get "$T/.out" users)" = 4
done_testing
