#!/bin/sh
# LastFM 2K: tab, no header, CRLF, all detected; social users count.
. "$top_srcdir/tests/cli/lib.sh"
need_shared lastfm-2k/trustnetwork.txt
L=$SHARED/datasets/lastfm-2k
check "ingest lastfm" $KITH ingest --events "$L/data1.txt" --columns user,item,_ \
	--social "$L/trustnetwork.txt" -o "$T/fm" --json
cp "$T/.out" "$T/sum.json"
check "info" $KITH info "$T/fm" --json
ok_if "42135 events" "$(json_get "$T/.out" events)" = 42135
ok_if "12717 social pairs" "$(json_get "$T/.out" social_pairs)" = 12717
ok_if "1892 users" "$(json_get "$T/.out" users)" = 1892
ok_if "12717 merged reverse rows" "$(grep -c '"merged" : 12717' "$T/sum.json")" = 1
check "verify" $KITH info "$T/fm" --verify
done_testing
