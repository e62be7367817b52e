#!/bin/sh
# PageRank of kith influence on the LastFM trust network equals
# python-igraph's Graph.pagerank() to 1e-9 (issue 4); k-core numbers and
# exact betweenness equal igraph's too, and so does the modularity that
# kith communities reports for its own membership.
. "$top_srcdir/tests/cli/lib.sh"
need_shared lastfm-2k/trustnetwork.txt
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import numpy, igraph' 2>/dev/null ||
	skip_all "python3 with numpy and igraph not available"
L=$SHARED/datasets/lastfm-2k
check "ingest lastfm with its trust network" "$KITH" ingest -q \
	--events "$L/data1.txt" --columns user,item,_ \
	--social "$L/trustnetwork.txt" -o "$T/fm"
check "influence" "$KITH" influence -q "$T/fm" -o "$T/infl"
check "communities" "$KITH" communities -q "$T/fm" -o "$T/comm" --json
cp "$T/.out" "$T/comm.json"
cat >"$T/cmp.py" <<'PY'
import sys, json
import numpy as np, igraph as ig
store, infl, comm, net = sys.argv[1:5]
ids = [l.rstrip('\n') for l in open(store + '/users.tsv')][1:]
index = {u: i for i, u in enumerate(ids)}
pairs = set()
for line in open(net):
    a, b = line.split()[:2]
    if a != b:
        pairs.add((min(index[a], index[b]), max(index[a], index[b])))
g = ig.Graph(n=len(ids), edges=sorted(pairs), directed=False)
X = np.load(infl + '/influence.npy')
assert X.shape == (len(ids), 10), X.shape
pr = np.array(g.pagerank(damping=0.85))
print('pagerank max abs diff %.3g' % np.abs(pr - X[:, 0]).max())
assert np.abs(pr - X[:, 0]).max() < 1e-9
assert abs(X[:, 0].sum() - 1) < 1e-9
assert np.isnan(X[:, 1]).all()
deg = np.array(g.degree())
assert (deg == X[:, 2]).all() and (deg == X[:, 3]).all()
assert (np.array(g.coreness()) == X[:, 6]).all()
bt = np.array(g.betweenness())
print('betweenness max rel diff %.3g' % (np.abs(bt - X[:, 7]).max() / bt.max()))
assert np.allclose(bt, X[:, 7], rtol=1e-9, atol=1e-6)
m = {}
for line in list(open(comm + '/membership.tsv'))[1:]:
    u, c = line.rstrip('\n').split('\t')
    m[index[u]] = int(c)
memb = [m[i] if m[i] >= 0 else 100000 + i for i in range(len(ids))]
q = g.modularity(memb)
got = json.load(open(comm + '/manifest.json'))['modularity']
print('modularity igraph %.12f kith %.12f' % (q, got))
assert abs(q - got) < 1e-9
print('ok')
PY
check "pagerank, degree, k-core, betweenness and modularity match python-igraph" \
	$PY "$T/cmp.py" "$T/fm" "$T/infl" "$T/comm" "$L/trustnetwork.txt"
sed 's/^/# /' "$T/.out"
done_testing
