#!/bin/sh
# kith profile on a small synthetic shop: output layout, and features
# recomputed independently from events.csv.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -o "$T/shop" --users 600 --items 200 \
	--categories 8 --communities 4 --seed 3
check "ingest" "$KITH" ingest --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --users "$T/shop/users.csv" \
	--items "$T/shop/items.csv" -o "$T/s"
check "profile" "$KITH" profile "$T/s" -o "$T/p" --json
ok_if "json names the segments" -n "$(grep '"champions"' "$T/.out")"
for f in profiles.tsv profiles.npy columns.tsv catprefs.npy manifest.json; do
	ok_if "$f written" -f "$T/p/$f"
done
ok_if "profiles.tsv is private" "$(stat -c %a "$T/p/profiles.tsv")" = 600
ok_if "one row per user" "$(wc -l < "$T/p/profiles.tsv")" = 601
ok_if "header" "$(head -1 "$T/p/profiles.tsv")" = "$(printf 'user\tevents\tdistinct_items\trecency_days\tfrequency\tmonetary\ttenure_days\tactive_days\trepeat_rate\ttop1\ttop2\ttop3\tentropy\tgini\tnight_share\tmorning_share\tafternoon_share\tevening_share\tweekend_share\tsocial_degree\trfm_r\trfm_f\trfm_m\tsegment\tcold\tconfidence')"
ok_if "26 fields on every row" "$(awk -F'\t' 'NF != 26' "$T/p/profiles.tsv" 2>&1 | wc -l)" = 0
ok_if "rfm scores in 1..5" "$(awk -F'\t' 'NR > 1 && ($21 < 1 || $21 > 5 || $22 < 1 || $22 > 5 || $23 < 1 || $23 > 5)' "$T/p/profiles.tsv" 2>&1 | wc -l)" = 0
ok_if "cold iff confidence < 0.5" "$(awk -F'\t' 'NR > 1 && (($26 < 0.5) != $25)' "$T/p/profiles.tsv" 2>&1 | wc -l)" = 0
ok_if "segment counts add up" "$(tr -d ' \n' < "$T/p/manifest.json" | sed 's/.*"segments":{\([^}]*\)}.*/\1/' | tr ',' '\n' | sed 's/.*://' | awk '{s += $1} END {print s}')" = 600
ok_if "manifest has the rules" -n "$(grep segment_rules "$T/p/manifest.json")"
ok_if "manifest names the store" -n "$(grep "\"store\" : \"$T/s\"" "$T/p/manifest.json")"
check "manifest checksums verify" "$KITH" info --verify "$T/s"

# independent recomputation: events, distinct items, monetary (purchase
# values), active days, top category by decayed type-weighted counts
cat > "$T/check.py" <<'PY'
import csv, math, sys, collections, datetime
shop, prof = sys.argv[1], sys.argv[2]
w = {"view": 1.0, "cart": 3.0, "purchase": 5.0}
cats = {}
for r in csv.DictReader(open(shop + "/items.csv")):
    cats[r["item_id"]] = r["category"].split("|")
ev = collections.defaultdict(list)
T = 0
for r in csv.DictReader(open(shop + "/events.csv")):
    ev[r["user_id"]].append(r)
    T = max(T, int(r["timestamp"]))
bad = 0
rows = list(csv.DictReader(open(prof), delimiter="\t"))
for p in rows:
    e = ev.get(p["user"], [])
    money = sum(float(r["value"]) for r in e if r["event"] == "purchase")
    days = {int(r["timestamp"]) // 86400 for r in e}
    pref = collections.Counter()
    for r in e:
        d = 2 ** (-(T - int(r["timestamp"])) / (90 * 86400))
        cs = cats.get(r["item_id"], [])
        for c in cs:
            pref[c] += w[r["event"]] * d / len(cs)
    top = max(pref.values()) if pref else 0
    ok = (int(p["events"]) == len(e)
          and int(p["distinct_items"]) == len({r["item_id"] for r in e})
          and abs(float(p["monetary"] or 0) - money) <= 1e-4 * max(1, money)
          and int(p["active_days"]) == len(days)
          and (not e or abs(float(p["recency_days"]) -
               (T - max(int(r["timestamp"]) for r in e)) / 86400) < 1e-3)
          and (not pref or pref[p["top1"]] >= top * (1 - 1e-5)))
    if not ok:
        bad += 1
        if bad < 5:
            print("mismatch", p["user"], p["events"], len(e), p["monetary"], money, file=sys.stderr)
print(bad, len(rows))
PY
if /usr/bin/python3 -c 1 2>/dev/null; then
	check "python recomputation" /usr/bin/python3 "$T/check.py" "$T/shop" "$T/p/profiles.tsv"
	ok_if "every user matches" "$(cat "$T/.out")" = "0 600"
fi

mkdir -p "$T/emb"
check_fails 1 "missing embedding folder" "$KITH" profile "$T/s" --emb "$T/emb" -o "$T/p2"
check_fails 2 "no -o" "$KITH" profile "$T/s"
check_fails 2 "bad --cold-k" "$KITH" profile "$T/s" -o "$T/p2" --cold-k 0
check_fails 2 "two stores" "$KITH" profile "$T/s" "$T/s" -o "$T/p2"
check_fails 1 "missing store" "$KITH" profile "$T/none" -o "$T/p2"
ok_if "failed runs leave no folder" ! -e "$T/p2"
done_testing
