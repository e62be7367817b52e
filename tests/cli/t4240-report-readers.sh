#!/bin/sh
# kith report reads the TSV files of the analytics folders with the CSV
# reader (FILE:LINE errors for broken rows) and the embedding folder's
# manifest through the library (model, training curve).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/report-lib.sh"

check "shop store" report_shop
check "communities" "$KITH" communities -q "$T/s" -o "$T/comm"
check "profiles" "$KITH" profile -q "$T/s" -o "$T/prof"
check "report" "$KITH" report -q "$T/s" --communities "$T/comm" \
	--profiles "$T/prof" -o "$T/r1"

# a row with a missing field in communities.tsv: file and line
cp -r "$T/comm" "$T/comm-bad"
awk 'NR == 3 { sub(/\t[^\t]*$/, "") } { print }' "$T/comm/communities.tsv" \
	>"$T/comm-bad/communities.tsv"
check_fails 1 "short row in communities.tsv" "$KITH" report -q "$T/s" \
	--communities "$T/comm-bad" -o "$T/r2"
ok_if "names communities.tsv:3" \
	-n "$(grep 'comm-bad/communities.tsv:3: wrong column count' "$T/.err")"
ok_if "no report written" ! -e "$T/r2"

# an extra field in profiles.tsv
cp -r "$T/prof" "$T/prof-bad"
awk 'NR == 5 { $0 = $0 "\tx" } { print }' "$T/prof/profiles.tsv" \
	>"$T/prof-bad/profiles.tsv"
check_fails 1 "long row in profiles.tsv" "$KITH" report -q "$T/s" \
	--profiles "$T/prof-bad" -o "$T/r3"
ok_if "names profiles.tsv:5" \
	-n "$(grep 'prof-bad/profiles.tsv:5: wrong column count' "$T/.err")"

# an empty profiles.tsv
cp -r "$T/prof" "$T/prof-empty"
: >"$T/prof-empty/profiles.tsv"
check_fails 1 "empty profiles.tsv" "$KITH" report -q "$T/s" \
	--profiles "$T/prof-empty" -o "$T/r4"
ok_if "says it is empty" -n "$(grep "profiles.tsv' is empty" "$T/.err")"

# blank lines and CRLF line ends are read as before
cp -r "$T/prof" "$T/prof-crlf"
sed 's/$/\r/' "$T/prof/profiles.tsv" >"$T/prof-crlf/profiles.tsv"
echo >>"$T/prof-crlf/profiles.tsv"
check "CRLF profiles.tsv" "$KITH" report -q "$T/s" --profiles "$T/prof-crlf" \
	-o "$T/r5"
check "LF profiles.tsv" "$KITH" report -q "$T/s" --profiles "$T/prof" \
	-o "$T/r6"
ok_if "same segments" "$(grep -c segment "$T/r5/report.md")" = \
	"$(grep -c segment "$T/r6/report.md")"
# the embedding section: model and training curve from the library
check "embedding" "$KITH" embed -q -m lightgcn "$T/s" -o "$T/emb" --epochs 4 --dim 8 \
	--eval-every 1 --no-refit
check "report with --emb" "$KITH" report -q "$T/s" --emb "$T/emb" -o "$T/r7"
ok_if "model named" \
	-n "$(tr -d ' \n' <"$T/r7/report.json" | grep -o '"model":"lightgcn"')"
ok_if "loss curve drawn" -n "$(grep 'Training curve `loss`' "$T/r7/report.md")"
done_testing
