#!/bin/sh
# kith communities against python-igraph on a synthetic shop: the
# reported modularity is igraph's for the same membership and graph (built
# here from social.csv); --graph knn over an embedding made here; RFM
# means from a profile folder.
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import numpy, igraph' 2>/dev/null ||
	skip_all "python3 with numpy and igraph not available"
check "synth" "$KITH" synth -q -o "$T/shop" --users 5000 --items 800 \
	--categories 12 --communities 8 --mixing 0.3 --seed 3
check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --items "$T/shop/items.csv" -o "$T/s"
for m in leiden louvain labelprop; do
	check "communities --method $m" "$KITH" communities -q "$T/s" \
		-o "$T/c-$m" --method $m --seed 5
done
check "communities --resolution 2" "$KITH" communities -q "$T/s" \
	-o "$T/c-r2" --resolution 2
cat >"$T/q.py" <<'PY'
import sys, json, csv
import numpy as np, igraph as ig
shop, store = sys.argv[1], sys.argv[2]
ids = [l.rstrip('\n') for l in open(store + '/users.tsv')][1:]
index = {u: i for i, u in enumerate(ids)}
pairs = set()
with open(shop + '/social.csv') as f:
    r = csv.reader(f); next(r)
    for a, b in r:
        a, b = index[a], index[b]
        if a != b: pairs.add((min(a, b), max(a, b)))
g = ig.Graph(n=len(ids), edges=sorted(pairs))
for d in sys.argv[3:]:
    mem = {}
    for line in list(open(d + '/membership.tsv'))[1:]:
        u, c = line.rstrip('\n').split('\t'); mem[index[u]] = int(c)
    memb = [mem[i] if mem[i] >= 0 else 10**6 + i for i in range(len(ids))]
    man = json.load(open(d + '/manifest.json'))
    res = man['resolution']
    q = g.modularity(memb)
    # Graph.modularity() of python-igraph 0.10.2 drops the resolution
    qr = ig.GraphBase.modularity(g, memb, resolution=res)
    print('%s: igraph %.12f kith %.12f (resolution %g: %.12f %.12f)' % (
        man['method'], q, man['modularity'], res, qr,
        man['modularity_at_resolution']))
    assert abs(q - man['modularity']) < 1e-9
    assert abs(qr - man['modularity_at_resolution']) < 1e-9
    assert len(set(memb)) == man['communities'] + sum(1 for v in mem.values() if v < 0)
print('ok')
PY
check "modularity equals python-igraph's" $PY "$T/q.py" "$T/shop" "$T/s" \
	"$T/c-leiden" "$T/c-louvain" "$T/c-labelprop" "$T/c-r2"
sed 's/^/# /' "$T/.out"
ok_if "resolution 2 gives more communities" \
	"$(json_get "$T/c-r2/manifest.json" communities)" -gt \
	"$(json_get "$T/c-leiden/manifest.json" communities)"

# An embedding that encodes the planted community with noise.
cat >"$T/emb.py" <<'PY'
import sys, json, os
import numpy as np
shop, store, out = sys.argv[1:4]
ids = [l.rstrip('\n') for l in open(store + '/users.tsv')][1:]
truth = dict(l.rstrip('\n').split('\t') for l in list(open(shop + '/truth/communities.tsv'))[1:])
rng = np.random.default_rng(1)
X = rng.normal(0, 0.2, (len(ids), 16)).astype(np.float32)
for i, u in enumerate(ids):
    X[i, int(truth[u])] += 1
os.makedirs(out)
np.save(out + '/users.npy', X)
np.save(out + '/items.npy', np.zeros((0, 16), np.float32))
json.dump({'format': 'kith-emb', 'format_version': 1, 'dim': 16},
          open(out + '/manifest.json', 'w'))
PY
check "make an embedding" $PY "$T/emb.py" "$T/shop" "$T/s" "$T/emb"
check "communities --graph knn" "$KITH" communities -q "$T/s" -o "$T/c-knn" \
	--graph knn --emb "$T/emb" --truth "$T/shop/truth/communities.tsv" --json
nmi=$(json_get "$T/.out" nmi)
echo "# knn: nmi $nmi"
ok_if "knn NMI >= 0.9 ($nmi)" "$(awk -v a="$nmi" 'BEGIN { if (a + 0 >= 0.9) print "y" }')" = y
ok_if "manifest records k" "$(json_get "$T/c-knn/manifest.json" neighbours)" = 20

if "$KITH" profile -q "$T/s" -o "$T/prof" >/dev/null 2>&1; then
	check "communities --profiles" "$KITH" communities -q "$T/s" \
		-o "$T/c-p" --profiles "$T/prof"
	cat >"$T/rfm.py" <<'PY'
import sys
import numpy as np
prof, comm = sys.argv[1:3]
rows = [l.rstrip('\n').split('\t') for l in open(prof + '/profiles.tsv')]
h = rows[0]; rows = rows[1:]
col = {n: h.index(n) for n in ('user', 'rfm_r', 'rfm_f', 'rfm_m')}
rfm = {r[col['user']]: [float(r[col[k]]) for k in ('rfm_r', 'rfm_f', 'rfm_m')]
       for r in rows if r[col['rfm_r']] != ''}
mem = dict(l.rstrip('\n').split('\t') for l in list(open(comm + '/membership.tsv'))[1:])
lines = [l.rstrip('\n').split('\t') for l in open(comm + '/communities.tsv')][1:]
for l in lines:
    c = l[0]
    v = np.array([rfm[u] for u, cc in mem.items() if cc == c and u in rfm])
    want = '|'.join('%.3f' % x for x in v.mean(0))
    assert l[6] == want, (c, l[6], want)
print('ok', len(lines))
PY
	check "mean RFM per community" $PY "$T/rfm.py" "$T/prof" "$T/c-p"
fi
done_testing
