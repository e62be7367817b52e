#!/bin/sh
# kith update: new users and items appended, old indices and rows kept,
# ledger with the ingest identity per batch, same batch twice a no-op,
# refreshed lightgcn embeddings, usage and missing-store errors.
. "$top_srcdir/tests/cli/lib.sh"

cat >"$T/base.csv" <<'X'
user,item,event,ts
u1,i1,view,1700000000
u1,i2,cart,1700000100
u2,i2,view,1700000200
u2,i3,purchase,1700000300
u3,i1,view,1700000400
u3,i3,view,1700000500
u4,i2,view,1700000600
u4,i4,view,1700000700
X
cat >"$T/social.csv" <<'X'
src,dst
u1,u2
u2,u3
X
cat >"$T/b1.csv" <<'X'
user,item,event,ts
u2,i5,view,1700001000
u5,i1,view,1700001100
u5,i5,cart,1700001200
u2,i2,view,1700001300
# a comment line
u6,,view,1700001400
X
cat >"$T/b1-social.csv" <<'X'
src,dst
u5,u1
u2,u1
X

check "ingest" $KITH ingest -q --comment '#' -o "$T/s" --events "$T/base.csv" --social "$T/social.csv"
check "embed" $KITH embed -q -m lightgcn "$T/s" -o "$T/e" --dim 4 --epochs 2 --val-ratio 0 --seed 1
cp -r "$T/s" "$T/s0"
check "update" $KITH update -q --comment '#' --on-error skip "$T/s" --events "$T/b1.csv" --social "$T/b1-social.csv" --emb "$T/e" --json
ok_if "users_added 1" "$(json_get "$T/.out" users_added)" = 1
ok_if "items_added 1" "$(json_get "$T/.out" items_added)" = 1
check "verify" $KITH info "$T/s" --verify

# indices, rows and the ledger, checked against the files with python
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	check "indices and rows kept" /usr/bin/python3 - "$T/s0" "$T/s" <<'PY'
import json, sys, numpy as np
a, b = sys.argv[1], sys.argv[2]
ua = open(a + "/users.tsv").read().split("\n")[1:-1]
ub = open(b + "/users.tsv").read().split("\n")[1:-1]
ia = open(a + "/items.tsv").read().split("\n")[1:-1]
ib = open(b + "/items.tsv").read().split("\n")[1:-1]
assert ub[:len(ua)] == ua and ub[len(ua):] == ["u5"], ub
assert ib[:len(ia)] == ia and ib[len(ia):] == ["i5"], ib
L = lambda d, n: np.load(d + "/" + n)
pa, pb = L(a, "ui.indptr.npy"), L(b, "ui.indptr.npy")
for u, name in enumerate(ua):
    ra = L(a, "ui.indices.npy")[pa[u]:pa[u + 1]]
    rb = L(b, "ui.indices.npy")[pb[u]:pb[u + 1]]
    wa = L(a, "ui.weight.npy")[pa[u]:pa[u + 1]]
    wb = L(b, "ui.weight.npy")[pb[u]:pb[u + 1]]
    if name != "u2":   # the only old user with new events
        assert (ra == rb).all() and (wa == wb).all(), name
# u2 gained i5 and a second view of i2 (weight 1 + 1 = 2 on top of view)
u2 = ua.index("u2")
row = dict(zip(L(b, "ui.indices.npy")[pb[u2]:pb[u2 + 1]].tolist(),
               L(b, "ui.weight.npy")[pb[u2]:pb[u2 + 1]].tolist()))
assert row[ib.index("i2")] == 2.0 and row[ib.index("i5")] == 1.0, row
# the event log: rows of untouched users unchanged, sorted by user, time
eu_a, eu_b = L(a, "ev.user.npy"), L(b, "ev.user.npy")
et_a, et_b = L(a, "ev.ts.npy"), L(b, "ev.ts.npy")
assert len(eu_b) == len(eu_a) + 4
for u, name in enumerate(ua):
    if name != "u2":
        assert (et_a[eu_a == u] == et_b[eu_b == u]).all()
assert (np.diff(eu_b) >= 0).all()
m = json.load(open(b + "/manifest.json"))
led = m["ledger"]
assert [e["index"] for e in led] == [0, 1]
f = {x["kind"]: x for x in led[1]["files"]}
ev = f["events"]
assert ev["lines"] == 7 and ev["header"] == 1 and ev["comments"] == 1
assert ev["accepted"] == 4 and ev["rejected"] == 1
assert ev["rejected_by_reason"] == {"empty_field": 1}, ev["rejected_by_reason"]
assert ev["unique"] == 3 and ev["merged"] == 1   # u2,i2 merged
so = f["social"]
assert so["accepted"] == 2 and so["unique"] == 1 and so["merged"] == 1
import hashlib
assert ev["sha256"] == hashlib.sha256(open(sys.argv[2] + "/../b1.csv", "rb").read()).hexdigest()
for e in led:
    for x in e["files"]:
        assert x["lines"] == x["header"] + x["comments"] + x["blank"] + x["accepted"] + x["rejected"]
        assert x["accepted"] == x["unique"] + x["merged"] + x["self_loops"]
assert m["counts"]["users"] == 5 and m["counts"]["social_pairs"] == 3
e = json.load(open(b + "/../e/manifest.json"))
assert e["n_users"] == 5 and e["n_items"] == 5, e
U = np.load(b + "/../e/users.npy")
assert U.shape == (5, 4) and np.isfinite(U).all() and abs(U[4]).sum() > 0
PY
fi

check "ledger text" $KITH info "$T/s" --ledger
ok_if "ledger lists two batches" "$(grep -c '^batch' "$T/.out")" = 2
ok_if "ledger shows the identity" "$(grep -c '7 lines = 1 header + 1 comment/blank + 4 accepted + 1 rejected' "$T/.out")" = 1
check "ledger json" $KITH info "$T/s" --ledger --json
ok_if "ledger json has sha256" "$(grep -c sha256 "$T/.out")" -ge 4
ok_if "rejects.tsv kept" "$(grep -c empty_field "$T/s/rejects.tsv")" = 1

(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/before"
check "same batch again" $KITH update "$T/s" --events "$T/b1.csv" --social "$T/b1-social.csv"
ok_if "reported as a no-op" "$(grep -c 'nothing new' "$T/.err")" = 1
(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/after"
ok_if "store untouched by the no-op" "$(cmp -s "$T/before" "$T/after" && echo same)" = same

check_fails 1 "missing store" $KITH update "$T/nope" --events "$T/b1.csv"
check_fails 2 "bad option" $KITH update "$T/s" --events "$T/b1.csv" --bogus
check_fails 2 "no file" $KITH update "$T/s"
check_fails 2 "no store" $KITH update --events "$T/b1.csv"
check "the same events from stdin" sh -c '"$1" update --comment "#" \
      --on-error skip "$2" --events - <"$3"' sh "$KITH" "$T/s" "$T/b1.csv"
ok_if "stdin: a no-op too (hashed while read)" \
      "$(grep -c 'nothing new' "$T/.err")" = 1
(cd "$T/s" && find . -type f | sort | xargs sha256sum) >"$T/after"
ok_if "store untouched by the stdin no-op" \
      "$(cmp -s "$T/before" "$T/after" && echo same)" = same
done_testing
