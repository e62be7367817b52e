#!/bin/sh
# The planted communities are recoverable (issue 4's setting): Leiden on
# the social graph reaches NMI >= 0.9, and on a 20-NN cosine graph of
# co-interactions alone >= 0.8 (python3 with numpy, scipy, igraph).
. "$top_srcdir/tests/cli/lib.sh"

PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import numpy, scipy, igraph' 2>/dev/null ||
	skip_all "python3 with numpy, scipy and igraph not available"
check "synth" "$KITH" synth -q -o "$T/s" --users 20000 --items 2000 --categories 20 \
	--communities 10 --mixing 0.3 --seed 7
cat >"$T/nmi.py" <<'PY'
import sys, random
random.seed(1)
import numpy as np, scipy.sparse as sp, igraph as ig
d = sys.argv[1]
def ids(col): return np.array([int(x[1:]) for x in col])
tr = np.loadtxt(d + '/truth/communities.tsv', dtype=str, skiprows=1)
y = tr[:, 1].astype(int).tolist(); N = len(y)
so = np.loadtxt(d + '/social.csv', dtype=str, delimiter=',', skiprows=1)
g = ig.Graph(n=N, edges=np.c_[ids(so[:, 0]), ids(so[:, 1])].tolist())
m1 = g.community_leiden(objective_function='modularity', n_iterations=-1).membership
ev = np.loadtxt(d + '/events.csv', dtype=str, delimiter=',', skiprows=1, usecols=(0, 1))
A = sp.csr_matrix((np.ones(len(ev)), (ids(ev[:, 0]), ids(ev[:, 1]))))
A.data[:] = 1
W = A @ sp.diags(1 / np.log1p(np.asarray(A.sum(0)).ravel() + 1))
W = sp.diags(1 / np.sqrt(np.asarray(W.multiply(W).sum(1)).ravel() + 1e-12)) @ W
S = (W @ W.T).tocsr(); S.setdiag(0); S.eliminate_zeros()
R, C, V = [], [], []
for r in range(N):
    a, b = S.indptr[r], S.indptr[r + 1]
    if a == b: continue
    dd = S.data[a:b]; idx = np.argpartition(-dd, min(20, b - a) - 1)[:20]
    R.append(np.full(len(idx), r)); C.append(S.indices[a:b][idx]); V.append(dd[idx])
K = sp.csr_matrix((np.concatenate(V), (np.concatenate(R), np.concatenate(C))), shape=(N, N))
K = K.maximum(K.T).tocoo(); m = K.row < K.col
g2 = ig.Graph(n=N, edges=np.c_[K.row[m], K.col[m]].tolist(), edge_attrs={'weight': K.data[m]})
m2 = g2.community_leiden(objective_function='modularity', weights='weight', n_iterations=-1).membership
print('%.4f %.4f' % (ig.compare_communities(y, m1, method='nmi'),
                     ig.compare_communities(y, m2, method='nmi')))
PY
check "python nmi" $PY "$T/nmi.py" "$T/s"
read social co <"$T/.out"
echo "# NMI social $social, co-interaction kNN $co"
ok_if "social graph NMI $social >= 0.90" "$(awk -v x=$social 'BEGIN{print (x>=0.90)}')" = 1
ok_if "co-interaction NMI $co >= 0.80" "$(awk -v x=$co 'BEGIN{print (x>=0.80)}')" = 1
done_testing
