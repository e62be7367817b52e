#!/bin/sh
# MovieLens 100K through --preset movielens.
. "$top_srcdir/tests/cli/lib.sh"
need_shared movielens-100k/u.item
M=$SHARED/datasets/movielens-100k
check "ingest movielens" $KITH ingest --preset movielens --events "$M/u.data" \
	--users "$M/u.user" --items "$M/u.item" -o "$T/ml"
check "info" $KITH info "$T/ml" --json
ok_if "943 users" "$(json_get "$T/.out" users)" = 943
ok_if "1682 items" "$(json_get "$T/.out" items)" = 1682
ok_if "100000 events" "$(json_get "$T/.out" events)" = 100000
ok_if "100000 interactions" "$(json_get "$T/.out" interactions)" = 100000
ok_if "19 categories" "$(json_get "$T/.out" categories)" = 19
ok_if "genre names in u.genre order" "$(sed -n '2p;6p;20p' "$T/ml/categories.tsv" | cut -f1 | tr '\n' ' ')" = "unknown Children's Western "
ok_if "age + 2 genders + 21 occupations" "$(json_get "$T/.out" user_attrs)" = 24
check "verify" $KITH info "$T/ml" --verify
/usr/bin/python3 -c 'import numpy' 2>/dev/null && {
	/usr/bin/python3 - "$T/ml" "$M" >"$T/py.out" 2>&1 <<'PY'
import sys, numpy as np
d, m = sys.argv[1] + "/", sys.argv[2] + "/"
ids = [l.split("\t")[0] for l in open(d + "users.tsv").read().splitlines()[1:]]
items = [l.split("\t")[0] for l in open(d + "items.tsv").read().splitlines()[1:]]
ip = np.load(d + "ui.indptr.npy"); ix = np.load(d + "ui.indices.npy")
val = np.load(d + "ui.value.npy")
ratings = {}
for line in open(m + "u.data"):
    u, i, r, t = line.split()
    ratings[(u, i)] = float(r)
for uu in range(len(ids)):
    for j in range(ip[uu], ip[uu + 1]):
        assert ratings[(ids[uu], items[ix[j]])] == val[j]
# item 1 (Toy Story): Animation, Children's, Comedy
cip = np.load(d + "item_cat.indptr.npy"); cix = np.load(d + "item_cat.indices.npy")
k = items.index("1")
assert sorted(cix[cip[k]:cip[k + 1]]) == [3, 4, 5]
attr = np.load(d + "user_attr.npy")
assert attr[ids.index("1"), 0] == 24
print("ok")
PY
	ok_if "ratings and genres match the files" "$(tail -1 "$T/py.out")" = ok
}
done_testing
