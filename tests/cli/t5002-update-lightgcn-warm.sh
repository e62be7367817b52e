#!/bin/sh
# kith update --emb (lightgcn): kith embed keeps the ego embeddings, the
# refresh starts from them, records its schedule, touched users and new
# pairs, falls back to the propagated rows without them, rejects a
# damaged ego array, is deterministic, and checks --steps / --focus.
. "$top_srcdir/tests/cli/lib.sh"
/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip_all "no python3-numpy"

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
# u2 gains i5 (new item) and repeats i2 (merged), u5 is new with i1, i5
cat >"$T/b1.csv" <<'X'
user,item,event,ts
u2,i5,view,1700001000
u5,i1,view,1700001100
u5,i5,cart,1700001200
u2,i2,view,1700001300
X

check "ingest" $KITH ingest -q -o "$T/s" --events "$T/base.csv"
check "embed" $KITH embed -q -m lightgcn "$T/s" -o "$T/e" --dim 4 --epochs 2 --val-ratio 0 --seed 1
ok_if "embed keeps the ego array" "$(test -f "$T/e/lightgcn.ego.npy" && echo yes)" = yes
check "embedding folder verifies" $KITH info "$T/e" --verify
cp -r "$T/s" "$T/s0"; cp -r "$T/e" "$T/e0"

check_fails 2 "--steps 0" $KITH update "$T/s" --events "$T/b1.csv" --emb "$T/e" --steps 0
check_fails 2 "--focus 2" $KITH update "$T/s" --events "$T/b1.csv" --emb "$T/e" --focus 2
check_fails 2 "--focus nan" $KITH update "$T/s" --events "$T/b1.csv" --emb "$T/e" --focus nan

check "update" $KITH update -q --seed 5 "$T/s" --events "$T/b1.csv" --emb "$T/e"
check "refreshed folder verifies" $KITH info "$T/e" --verify

# a damaged ego array: exit 1, store and embeddings of the copy untouched
cp -r "$T/s0" "$T/s2"; cp -r "$T/e0" "$T/e2"
/usr/bin/python3 - "$T/e2/lightgcn.ego.npy" <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1])
np.save(sys.argv[1], a[:-1])       # one row short
PY
(cd "$T/e2" && sha256sum *) >"$T/e2.before"
check_fails 1 "short ego array" $KITH update -q "$T/s2" --events "$T/b1.csv" --emb "$T/e2"
ok_if "message names the array" "$(grep -c 'lightgcn.ego.npy' "$T/.err")" -ge 1
(cd "$T/e2" && sha256sum *) >"$T/e2.after"
ok_if "embeddings untouched" "$(cmp -s "$T/e2.before" "$T/e2.after" && echo same)" = same

# without the ego array (an older folder): Richardson start, no ego_start
cp -r "$T/s0" "$T/s3"; cp -r "$T/e0" "$T/e3"
rm "$T/e3/lightgcn.ego.npy"
check "update without ego array" $KITH update -q --seed 5 "$T/s3" --events "$T/b1.csv" --emb "$T/e3"

# the same update twice from copies: the same bytes
cp -r "$T/s0" "$T/s4"; cp -r "$T/e0" "$T/e4"
check "update again from copies" $KITH update -q --seed 5 "$T/s4" --events "$T/b1.csv" --emb "$T/e4"
ok_if "deterministic users.npy" "$(cmp -s "$T/e/users.npy" "$T/e4/users.npy" && echo same)" = same
ok_if "deterministic ego" "$(cmp -s "$T/e/lightgcn.ego.npy" "$T/e4/lightgcn.ego.npy" && echo same)" = same

check "manifests and shapes" /usr/bin/python3 - "$T" <<'PY'
import json, sys, numpy as np
T = sys.argv[1]
m = json.load(open(T + "/e/manifest.json"))
up = m["updates"][-1]
assert up["method"] == "lightgcn-warm-start", up
assert up["steps"] == 8 and up["focus"] == 0.25, up
assert up["touched_users"] == 2, up     # u2 and the new u5
assert up["new_pairs"] == 3, up         # (u2,i5) (u5,i1) (u5,i5)
assert up["ego_start"] is True, up
E = np.load(T + "/e/lightgcn.ego.npy")
assert E.shape == (5 + 5, 4) and np.isfinite(E).all(), E.shape
assert "lightgcn.ego.npy" in m["arrays"], m["arrays"]
m3 = json.load(open(T + "/e3/manifest.json"))
assert m3["updates"][-1]["ego_start"] is False
# the old ego rows are the start: the untouched user u4 and item i4 move
# little compared with their scale
E0 = np.load(T + "/e0/lightgcn.ego.npy")
assert E0.shape == (4 + 4, 4)
for r, r0 in ((3, 3), (5 + 3, 4 + 3)):     # u4, i4
    assert np.linalg.norm(E[r] - E0[r0]) < np.linalg.norm(E0[r0]), r
PY
done_testing
