#!/bin/sh
# Every bad-input case stops the ingest with exit 1 and FILE:LINE: reason;
# with --on-error skip the row lands in rejects.tsv (mode 0600).
. "$top_srcdir/tests/cli/lib.sh"
D=$top_srcdir/tests/data/ingest

bad() {  # file line reason-text reason-code
	check_fails 1 "$1 stops" $KITH ingest --events "$D/$1" -o "$T/s-$1"
	ok_if "$1: '$D/$1:$2: $3'" "$(grep -c "$D/$1:$2: $3" "$T/.err")" = 1
	ok_if "$1: no store written" ! -e "$T/s-$1"
	check "$1 skip" $KITH ingest --on-error skip --events "$D/$1" \
		-o "$T/k-$1" --json
	ok_if "$1: rejects.tsv has $4 at line $2" \
		"$(awk -F'\t' -v l="$2" -v r="$4" '$2 == l && $4 == r' "$T/k-$1/rejects.tsv" | wc -l)" = 1
}
bad columns.csv 3 "wrong column count" wrong_column_count
bad unterminated.csv 3 "unterminated quote" unterminated_quote
bad stray-quote.csv 3 "stray quote" stray_quote
bad utf8.csv 3 "invalid UTF-8" invalid_utf8
bad nul.csv 3 "embedded NUL byte" embedded_nul
bad overflow.csv 3 "number or id out of range in column 'value'" overflow
bad nan.csv 3 "NaN or infinity in column 'value'" nan_or_inf
bad negative.csv 3 "negative weight in column 'value'" negative_weight
bad timestamp.csv 3 "unparseable timestamp in column 'ts'" bad_timestamp
bad ts-overflow.csv 2 "unparseable timestamp" bad_timestamp

check_fails 1 "line too long stops" $KITH ingest --max-line-bytes 1000 \
	--events "$D/long.csv" -o "$T/l"
ok_if "line too long reason" "$(grep -c "long.csv:3: line too long" "$T/.err")" = 1
check "long line fits the default limit" $KITH ingest -q --events "$D/long.csv" -o "$T/l2"
check_fails 1 "empty file" $KITH ingest --events "$D/empty.csv" -o "$T/e"
ok_if "empty file reason" "$(grep -c "empty.csv: empty file" "$T/.err")" = 1
check_fails 1 "header-only file" $KITH ingest --events "$D/header-only.csv" -o "$T/e"
ok_if "header-only reason" "$(grep -c "header-only.csv: header but no data" "$T/.err")" = 1
check "negative allowed" $KITH ingest -q --allow-negative --events "$D/negative.csv" -o "$T/n" --json
ok_if "negative allowed: 2 events" "$(json_get "$T/.out" events)" = 2

# mixed file: the accounting identity, by reason, and the rejects file
check "mixed skip" $KITH ingest --comment '#' --on-error skip \
	--events "$D/mixed.csv" -o "$T/m" --json
cp "$T/.out" "$T/m.json"
ok_if "lines = wc -l" "$(json_get "$T/m.json" lines)" = "$(wc -l <"$D/mixed.csv" | tr -d ' ')"
ok_if "accepted 10" "$(json_get "$T/m.json" accepted)" = 10
ok_if "rejected 5" "$(json_get "$T/m.json" rejected)" = 5
ok_if "unique 8" "$(json_get "$T/m.json" unique)" = 8
ok_if "merged 2" "$(json_get "$T/m.json" merged)" = 2
ok_if "blank 2" "$(json_get "$T/m.json" blank)" = 2
ok_if "comments 1" "$(json_get "$T/m.json" comments)" = 1
ok_if "identity lines = header + comments + blank + accepted + rejected" \
	"$(json_get "$T/m.json" lines)" = $(( $(json_get "$T/m.json" header) + \
	$(json_get "$T/m.json" comments) + $(json_get "$T/m.json" blank) + \
	$(json_get "$T/m.json" accepted) + $(json_get "$T/m.json" rejected) ))
ok_if "rejects.tsv mode 0600" "$(stat -c %a "$T/m/rejects.tsv")" = 600
ok_if "rejects.tsv header" "$(head -1 "$T/m/rejects.tsv")" = "$(printf 'file\tline\tbyte_offset\treason\texcerpt')"
ok_if "rejects.tsv rows" "$(($(wc -l <"$T/m/rejects.tsv") - 1))" = 5
ok_if "reasons in order" "$(cut -f4 "$T/m/rejects.tsv" | tail -n +2 | tr '\n' ' ')" = \
	"wrong_column_count bad_timestamp negative_weight unterminated_quote nan_or_inf "
ok_if "byte offset of line 8" "$(awk -F'\t' '$2 == 8 {print $3}' "$T/m/rejects.tsv")" = \
	"$(head -7 "$D/mixed.csv" | wc -c | tr -d ' ')"
check_fails 1 "--max-rejects 4" $KITH ingest --comment '#' --on-error skip \
	--max-rejects 4 --events "$D/mixed.csv" -o "$T/m2"
ok_if "max-rejects message" "$(grep -c 'more than 4 rejected rows' "$T/.err")" = 1
check_fails 1 "--max-rejects 20%" $KITH ingest --comment '#' --on-error skip \
	--max-rejects 20% --events "$D/mixed.csv" -o "$T/m2"
check "--max-rejects 40%" $KITH ingest -q --comment '#' --on-error skip \
	--max-rejects 40% --events "$D/mixed.csv" -o "$T/m2"
ok_if "store written within the limit" -e "$T/m2/manifest.json"
done_testing
