#!/bin/sh
# kith recommend: top-K unseen items and similar users/items, against a
# numpy reference (integer embeddings: exact scores, ties to the lower
# index); --users; atomic output; errors.
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy"

awk 'BEGIN { print "user,item";
	for (u = 0; u < 30; u++) for (j = 0; j <= u % 6; j++)
		printf "u%d,i%d\n", u, (u * 7 + j * 13) % 25 }' >"$T/ev.csv"
check "ingest" $KITH ingest --events "$T/ev.csv" -o "$T/s" -q
$PY - "$T/s" "$T/e" <<'PYEOF'
import sys, os, json, numpy as np
s, out = sys.argv[1:3]
nu = len(open(s + '/users.tsv').readlines()) - 1
ni = len(open(s + '/items.tsv').readlines()) - 1
r = np.random.default_rng(5)
os.makedirs(out, exist_ok=True)
np.save(out + '/users.npy', r.integers(-2, 3, (nu, 4)).astype(np.float32))
np.save(out + '/items.npy', r.integers(-2, 3, (ni, 4)).astype(np.float32))
json.dump({"format": "kith-emb", "dim": 4, "store": s}, open(out + '/manifest.json', 'w'))
PYEOF
check "recommend" $KITH recommend "$T/s" "$T/e" -k 7 -o "$T/recs.tsv"
check "similar users" $KITH recommend "$T/s" "$T/e" -k 4 --similar-users -o "$T/su.tsv"
check "similar items" $KITH recommend "$T/s" "$T/e" -k 4 --similar-items -o "$T/si.tsv"
cat >"$T/ref.py" <<'PYEOF'
import sys, numpy as np
s, e, recs, su, si = sys.argv[1:6]
users = [l.rstrip('\n') for l in open(s + '/users.tsv')][1:]
items = [l.rstrip('\n') for l in open(s + '/items.tsv')][1:]
ip = np.load(s + '/ui.indptr.npy'); ix = np.load(s + '/ui.indices.npy')
U = np.load(e + '/users.npy').astype(np.float64); V = np.load(e + '/items.npy').astype(np.float64)
def rows(p, head):
    l = [x.rstrip('\n').split('\t') for x in open(p)]
    assert l[0] == head.split('\t'), l[0]
    return l[1:]
got = rows(recs, 'user\trank\titem\tscore')
want = []
for u in range(len(users)):
    seen = set(ix[ip[u]:ip[u + 1]])
    c = sorted((j for j in range(len(items)) if j not in seen), key=lambda j: (-(U[u] @ V[j]), j))[:7]
    want += [[users[u], str(r + 1), items[j], U[u] @ V[j]] for r, j in enumerate(c)]
assert len(got) == len(want), (len(got), len(want))
for g, w in zip(got, want):
    assert g[:3] == w[:3], (g, w)
    assert abs(float(g[3]) - w[3]) < 1e-4
def cos_ref(M, ids, path, k):
    n = np.linalg.norm(M, axis=1); n[n == 0] = 1
    N = M / n[:, None]
    got = rows(path, path.endswith('su.tsv') and 'user\trank\tsimilar_user\tscore' or 'item\trank\tsimilar_item\tscore')
    i = 0
    for a in range(len(ids)):
        sims = N @ N[a]
        c = sorted((b for b in range(len(ids)) if b != a), key=lambda b: -sims[b])[:k]
        for r, b in enumerate(c):
            g = got[i]; i += 1
            assert g[0] == ids[a] and g[1] == str(r + 1), g
            # near-ties may swap: compare the similarity, not the id
            assert abs(float(g[3]) - sims[b]) < 1e-5, (g, sims[b])
            assert g[2] != ids[a]
    assert i == len(got)
cos_ref(U, users, su, 4)
cos_ref(V, items, si, 4)
print('ok')
PYEOF
check "lists equal the numpy reference" $PY "$T/ref.py" "$T/s" "$T/e" "$T/recs.tsv" "$T/su.tsv" "$T/si.tsv"
printf 'user\nu3\nnobody\nu7\n' >"$T/users.txt"
check "recommend for listed users" $KITH recommend "$T/s" "$T/e" -k 2 --users "$T/users.txt" -o "$T/r2.tsv"
ok_if "only the known listed users, in order" "$(cut -f1 "$T/r2.tsv" | tr '\n' ' ')" = "user u3 u3 u7 u7 "
ok_if "unknown id reported" -n "$(grep '1 ids of .* not in the store' "$T/.err")"
ok_if "no temporary file left" "$(ls "$T" | grep -c 'tmp-')" = 0
check "output to stdout" $KITH recommend "$T/s" "$T/e" -k 7 -o -
cp "$T/.out" "$T/stdout.tsv"
check "stdout equals the file" cmp "$T/stdout.tsv" "$T/recs.tsv"

check_fails 1 "missing store" $KITH recommend "$T/none" "$T/e" -o "$T/x.tsv"
check_fails 2 "bad option" $KITH recommend "$T/s" "$T/e" -o "$T/x.tsv" --bogus
check_fails 2 "missing -o" $KITH recommend "$T/s" "$T/e"
check_fails 2 "bad -k" $KITH recommend "$T/s" "$T/e" -k 0 -o "$T/x.tsv"
check_fails 1 "unwritable output" $KITH recommend "$T/s" "$T/e" -o "$T/no/such/dir/x.tsv"
done_testing
