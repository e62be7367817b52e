"""Shared helpers for the rank-256 distillation diagnostic (numpy/scipy only).
Teacher: S = (R Di^-b1) R^T Du^-a R Di^-b2 ; Sn = rows of S scaled to unit norm.
Evaluation follows the protocol of ../shared/tools/gfcf.py: all items ranked, train masked, Recall/NDCG@20."""
import os, time, resource
import numpy as np, scipy.sparse as sp

D = os.environ.get('KITH_DATASETS', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../shared/datasets'))
CACHE = os.environ.get('DISTILL_CACHE', '/tmp/distill/cache')
os.makedirs(CACHE, exist_ok=True)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log(*a):
    print(time.strftime('%H:%M:%S'), *a, '| peakRSS %.0fMB' % peak_mb(), flush=True)


def load(name):
    a = np.loadtxt(f'{D}/{name}/train.tsv', dtype=np.int64, usecols=(0, 1))
    b = np.loadtxt(f'{D}/{name}/test.tsv', dtype=np.int64, usecols=(0, 1))
    nu = int(max(a[:, 0].max(), b[:, 0].max())) + 1
    ni = int(max(a[:, 1].max(), b[:, 1].max())) + 1
    R = sp.csr_matrix((np.ones(len(a), np.float32), (a[:, 0], a[:, 1])), shape=(nu, ni))
    R.data[:] = 1.0
    T = sp.csr_matrix((np.ones(len(b), np.float32), (b[:, 0], b[:, 1])), shape=(nu, ni))
    T.data[:] = 1.0
    return R, T


class Evaluator:
    def __init__(self, R, T, K=20, block=1000):
        self.R, self.T, self.K, self.block = R, T, K, block
        tc = np.diff(T.indptr)
        self.users = np.where(tc > 0)[0]
        self.disc = 1.0 / np.log2(np.arange(2, K + 2))

    def eval_block(self, us, sc):
        """sc: dense scores (len(us) x ni) float32, modified in place."""
        K = self.K
        rb = self.R[us]
        sc[rb.nonzero()] = -np.inf
        top = np.argpartition(-sc, K, axis=1)[:, :K]
        o = np.argsort(-np.take_along_axis(sc, top, 1), axis=1)
        top = np.take_along_axis(top, o, 1)
        Tb = self.T[us]
        hits = np.zeros(top.shape, np.float64)
        for j in range(len(us)):
            row = Tb.indices[Tb.indptr[j]:Tb.indptr[j + 1]]
            hits[j] = np.isin(top[j], row)
        nt = np.diff(Tb.indptr)
        rec = (hits.sum(1) / nt).sum()
        idcg = np.cumsum(self.disc)[np.minimum(nt, K) - 1]
        nd = ((hits * self.disc).sum(1) / idcg).sum()
        return rec, nd

    def eval_fn(self, score_fn):
        rec = nd = 0.0
        for s in range(0, len(self.users), self.block):
            us = self.users[s:s + self.block]
            r, n = self.eval_block(us, score_fn(us))
            rec += r; nd += n
        return rec / len(self.users), nd / len(self.users)

    def eval_emb(self, U, V):
        Vt = np.ascontiguousarray(V.T.astype(np.float32))
        U = U.astype(np.float32)
        return self.eval_fn(lambda us: U[us] @ Vt)


class Teacher:
    def __init__(self, R, a=0.5, b1=0.5, b2=0.3):
        du = np.asarray(R.sum(1)).ravel(); di = np.asarray(R.sum(0)).ravel()
        pw = lambda x, e: np.where(x > 0, np.power(np.maximum(x, 1e-12), -e), 0).astype(np.float32)
        self.R = R
        self.Rt = (R @ sp.diags(pw(di, b1))).tocsr().astype(np.float32)      # R Di^-b1
        self.RT = R.T.tocsr()
        self.Dua = pw(du, a)
        self.B = (R @ sp.diags(pw(di, b2))).tocsr().astype(np.float32)       # R Di^-b2
        self.BT = self.B.T.tocsr()

    def scores(self, us):
        """dense S[us] (len x ni)."""
        M = (self.Rt[us] @ self.RT).toarray() * self.Dua[None, :]             # len x nu
        return np.ascontiguousarray((self.BT @ M.T).T).astype(np.float32)

    # linear operators for S (unnormalised); normalisation applied by caller
    def S_mat(self, X):   # S @ X, X: ni x k
        # S = Rt R^T Du^-a B  ->  S X = Rt (R^T (Du^-a (B X)))
        Y = self.Dua[:, None] * (self.B @ X)
        return self.Rt @ (self.RT @ Y)

    def ST_mat(self, Y):  # S^T @ Y, Y: nu x k  ->  B^T Du^-a R Rt^T Y
        Z = self.R @ (self.Rt.T @ Y)
        return self.BT @ (self.Dua[:, None] * Z)


def teacher_pass(name, R, ev, a, b1, b2, Kmax=200, block=1000):
    """Full-rank eval, row norms, top-Kmax non-train items with Sn values. Cached."""
    fn = f'{CACHE}/{name}_a{a}_b{b1}_{b2}_K{Kmax}.npz'
    if os.path.exists(fn):
        z = np.load(fn)
        return dict(z)
    t0 = time.time()
    te = Teacher(R, a, b1, b2)
    nu, ni = R.shape
    norms = np.zeros(nu, np.float32)
    tidx = np.zeros((nu, Kmax), np.int32); tval = np.zeros((nu, Kmax), np.float32)
    testset = set(ev.users.tolist())
    rec = nd = 0.0
    for s in range(0, nu, block):
        us = np.arange(s, min(nu, s + block))
        sc = te.scores(us)
        nrm = np.linalg.norm(sc, axis=1); nrm[nrm == 0] = 1
        norms[us] = nrm
        sc /= nrm[:, None]
        rb = R[us]
        sc[rb.nonzero()] = -np.inf
        top = np.argpartition(-sc, Kmax, axis=1)[:, :Kmax]
        v = np.take_along_axis(sc, top, 1)
        o = np.argsort(-v, axis=1)
        tidx[us] = np.take_along_axis(top, o, 1); tval[us] = np.take_along_axis(v, o, 1)
        m = np.isin(us, ev.users)
        if m.any():
            r, n = ev.eval_block(us[m], sc[m])
            rec += r; nd += n
    res = dict(norms=norms, tidx=tidx, tval=tval, rec=rec / len(ev.users), ndcg=nd / len(ev.users),
               secs=time.time() - t0)
    np.savez(fn, **res)
    return res


def rsvd_student(name, R, norms, a, b1, b2, d=256, over=64, iters=4, seed=0):
    """Randomised SVD of Sn = diag(1/norms) S. Returns U*sigma (nu x d), V (ni x d). Cached."""
    fn = f'{CACHE}/{name}_svd_a{a}_b{b1}_{b2}_d{d}.npz'
    if os.path.exists(fn):
        z = np.load(fn); return z['U'], z['V'], float(z['secs'])
    t0 = time.time()
    te = Teacher(R, a, b1, b2)
    inv = (1.0 / norms).astype(np.float32)[:, None]
    Sn = lambda X: inv * te.S_mat(X)
    SnT = lambda Y: te.ST_mat(inv * Y)
    rng = np.random.default_rng(seed)
    k = d + over
    Q = np.linalg.qr(Sn(rng.standard_normal((R.shape[1], k)).astype(np.float32)))[0]
    for _ in range(iters):
        W = np.linalg.qr(SnT(Q))[0]
        Q = np.linalg.qr(Sn(W))[0]
    Bt = SnT(Q)                       # ni x k  = (Q^T Sn)^T
    Wv, s, Zt = np.linalg.svd(Bt.astype(np.float64), full_matrices=False)   # Bt = Wv s Zt
    # Sn ~ Q Bt^T = Q Zt^T s Wv^T
    U = (Q @ Zt.T[:, :d].astype(np.float32)) * s[:d].astype(np.float32)
    V = Wv[:, :d].astype(np.float32)
    secs = time.time() - t0
    np.savez(fn, U=U, V=V, secs=secs)
    return U, V, secs
