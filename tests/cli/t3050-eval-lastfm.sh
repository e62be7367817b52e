#!/bin/sh
# kith eval on the LastFM data of the LightGCN reference (test1.txt has
# items and users the training file lacks): the figures equal a vectorised
# numpy implementation of the reference protocol.
. "$top_srcdir/tests/cli/lib.sh"
need_shared lastfm-2k/data1.txt
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy"
D=$SHARED/datasets/lastfm-2k

check "ingest" $KITH ingest --events "$D/data1.txt" --columns user,item,_ -o "$T/fm" -q
# embeddings by two propagations of random user vectors: items = sum of
# their users' vectors, users = mean of their items' (co-occurrence)
$PY - "$T/fm" "$T/e" <<'PYEOF'
import sys, os, json, numpy as np
s, out = sys.argv[1:3]
ip = np.load(s + '/ui.indptr.npy'); ix = np.load(s + '/ui.indices.npy')
ni = len(open(s + '/items.tsv').readlines()) - 1
G = np.random.default_rng(4).standard_normal((len(ip) - 1, 32))
V = np.zeros((ni, 32))
for u in range(len(ip) - 1): V[ix[ip[u]:ip[u + 1]]] += G[u]
V = (V / np.maximum(np.linalg.norm(V, axis=1), 1e-9)[:, None]).astype(np.float32)
U = np.stack([V[ix[ip[u]:ip[u + 1]]].mean(0) for u in range(len(ip) - 1)]).astype(np.float32)
os.makedirs(out, exist_ok=True)
np.save(out + '/users.npy', U); np.save(out + '/items.npy', V)
json.dump({"format": "kith-emb", "dim": 32}, open(out + '/manifest.json', 'w'))
PYEOF
check "eval test1.txt" $KITH eval "$T/fm" "$T/e" --test "$D/test1.txt" --columns user,item,_ -k 20 --json
cp "$T/.out" "$T/res.json"
check "figures equal the numpy reference" $PY - "$T/fm" "$T/e" "$D/test1.txt" "$T/res.json" <<'PYEOF'
import sys, json, numpy as np
s, e, test, res = sys.argv[1:5]
users = {l.rstrip('\n'): i for i, l in enumerate(open(s + '/users.tsv').readlines()[1:])}
items = {l.rstrip('\n'): i for i, l in enumerate(open(s + '/items.tsv').readlines()[1:])}
ip = np.load(s + '/ui.indptr.npy'); ix = np.load(s + '/ui.indices.npy')
U = np.load(e + '/users.npy'); V = np.load(e + '/items.npy')
truth, extra, seen = {}, {}, set()
for l in open(test):
    f = l.split()
    if f[0] not in users or (f[0], f[1]) in seen: continue
    seen.add((f[0], f[1])); u = users[f[0]]
    if f[1] in items: truth.setdefault(u, set()).add(items[f[1]])
    else: extra[u] = extra.get(u, 0) + 1
ev = sorted(set(truth) | set(extra)); k = 20
S = U[ev] @ V.T
for r, u in enumerate(ev): S[r, ix[ip[u]:ip[u + 1]]] = -np.inf
top = np.argsort(-S, axis=1, kind='stable')[:, :k]
disc = 1 / np.log2(np.arange(2, k + 2))
R = N = P = 0.0
for r, u in enumerate(ev):
    t = truth.get(u, set()); tot = len(t) + extra.get(u, 0)
    h = np.array([j in t for j in top[r]])
    R += h.sum() / tot; P += h.sum() / k
    N += (h * disc).sum() / disc[:min(k, tot)].sum()
n = len(ev); out = json.load(open(res))
print('# recall', out['recall@20'], R / n, 'ndcg', out['ndcg@20'], N / n)
assert out['users_evaluated'] == n, (out['users_evaluated'], n)
assert out['test_items_unknown'] == sum(extra.values())
assert abs(out['recall@20'] - R / n) < 1e-3
assert abs(out['ndcg@20'] - N / n) < 1e-3
assert abs(out['precision@20'] - P / n) < 1e-3
PYEOF
sed -n 's/^/# /p' "$T/.out"
done_testing
