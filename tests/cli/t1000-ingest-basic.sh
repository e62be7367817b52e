#!/bin/sh
# kith ingest on small files: header mapping, merging, timestamps, summary
# identity, JSON summary and kith info agree.
. "$top_srcdir/tests/cli/lib.sh"
D=$top_srcdir/tests/data/ingest

check "ingest good.csv" $KITH ingest --comment '#' --events "$D/good.csv" \
	--social "$D/social.tsv" -o "$T/s" --json
cp "$T/.out" "$T/sum.json"
cp "$T/.err" "$T/sum.txt"
ok_if "users (events then social: u1 u2 u3 A B C)" "$(json_get "$T/sum.json" users)" = 6
ok_if "items" "$(json_get "$T/sum.json" items)" = 3
ok_if "events" "$(json_get "$T/sum.json" events)" = 5
ok_if "interactions (u1,i1 merged)" "$(json_get "$T/sum.json" interactions)" = 4
ok_if "social pairs (A-B twice, C-C dropped)" "$(json_get "$T/sum.json" social_pairs)" = 2
ok_if "self-loop counted" "$(grep -c '"self_loops" : 1' "$T/sum.json")" = 1
ok_if "unknown type listed" "$(grep -c 'event types without a weight (weight 1): like' "$T/sum.txt")" = 1
ok_if "text identity events" "$(grep -c "8 lines = 1 header + 2 comment/blank + 5 accepted + 0 rejected" "$T/sum.txt")" = 1

# the identity lines = header + comments + blank + accepted + rejected
/usr/bin/python3 - "$T/sum.json" >"$T/id.out" 2>&1 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for f in s["files"]:
    assert f["lines"] == f["header"] + f["comments"] + f["blank"] + f["accepted"] + f["rejected"], f
    assert f["accepted"] == f["unique"] + f["merged"] + f["self_loops"], f
    assert f["rejected"] == sum(f["rejected_by_reason"].values()), f
print("ok")
PY
ok_if "accounting identity (json)" "$(cat "$T/id.out")" = ok

check "info --json" $KITH info "$T/s" --json
ok_if "info users" "$(json_get "$T/.out" users)" = 6
ok_if "info interactions" "$(json_get "$T/.out" interactions)" = 4
ok_if "info event_types" "$(json_get "$T/.out" event_types)" = 4
ok_if "manifest has sources with sha256" "$(grep -c '"sha256" : "[0-9a-f]\{64\}"' "$T/s/manifest.json")" = 2
ok_if "manifest has event weights" "$(grep -c '"purchase" : 5' "$T/s/manifest.json")" = 1
ok_if "no rejects.tsv by default" ! -e "$T/s/rejects.tsv"
ok_if "user ids in first-appearance order" "$(sed -n '2,7p' "$T/s/users.tsv" | cut -f1 | tr '\n' ' ')" = "u1 u2 u3 A B C "

# quoted fields with CRLF inside, escaped quotes; BOM and ';' sniffed
check "quoted CRLF" $KITH ingest -q --events "$D/quoted-crlf.csv" -o "$T/q" --json
ok_if "quoted: 3 events" "$(json_get "$T/.out" events)" = 3
ok_if "quoted: 2 items (x and the CRLF one)" "$(json_get "$T/.out" items)" = 2
ok_if "quoted user with quotes" "$(grep -c 'c "q"' "$T/q/users.tsv")" = 1
check "BOM + semicolon" $KITH ingest -q --events "$D/bom-semicolon.csv" -o "$T/b" --json
ok_if "bom: 2 users" "$(json_get "$T/.out" users)" = 2
ok_if "bom: first id clean" "$(sed -n 2p "$T/b/users.tsv" | cut -f1)" = u1

# --columns and --sep/--header overrides, stdin
printf 'a\tx\t5\nb\tx\t7\na\ty\t1\n' >"$T/h.tsv"
check "stdin with --columns" sh -c "$KITH ingest -q --events - --columns user,item,_ -o '$T/c' --json <'$T/h.tsv'"
ok_if "stdin: 3 interactions" "$(json_get "$T/.out" interactions)" = 3
check_fails 2 "unknown role" $KITH ingest --events "$T/h.tsv" --columns user,bogus -o "$T/x"
check_fails 2 "bad --on-error" $KITH ingest --events "$T/h.tsv" --on-error maybe -o "$T/x"
check_fails 2 "no input" $KITH ingest -o "$T/x"
check_fails 2 "missing -o" $KITH ingest --events "$T/h.tsv"
check_fails 1 "missing file" $KITH ingest --events "$T/nope.csv" -o "$T/x"

# event weights: purchase=5 + view=1 merged into one pair of weight 6
/usr/bin/python3 -c 'import numpy' 2>/dev/null && {
	/usr/bin/python3 - "$T/s" >"$T/w.out" 2>&1 <<'PY'
import numpy as np, sys
d = sys.argv[1] + "/"
w = np.load(d + "ui.weight.npy"); c = np.load(d + "ui.count.npy")
ip = np.load(d + "ui.indptr.npy"); ix = np.load(d + "ui.indices.npy")
t0 = np.load(d + "ui.ts_first.npy"); t1 = np.load(d + "ui.ts_last.npy")
# user 0 = u1: items i1 (view+purchase) and i3 (view)
assert ip[1] - ip[0] == 2
assert list(w[ip[0]:ip[1]]) == [6.0, 1.0], w
assert list(c[ip[0]:ip[1]]) == [2, 1]
assert t0[0] == 1700000000 and t1[0] == 1700000100
# u2's ISO timestamp and u3's milliseconds
assert t0[2] == 1700000000 and t0[3] == 1700000200, (t0, t1)
print("ok")
PY
	ok_if "merged weights, counts, timestamps" "$(cat "$T/w.out")" = ok
}
done_testing
