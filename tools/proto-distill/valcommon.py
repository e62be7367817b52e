"""Validation split, sampled validation evaluator, product (GF-CF linear filter rank-256 projection),
and a refactored weighted-ALS student (Cholesky or CG user solves). numpy/scipy only.
test.tsv is used ONLY for diagnosis (never for choosing anything here)."""
import time
import numpy as np, scipy.sparse as sp
from common import *


def split_train(R, frac=0.1, seed=1):
    """Hold out round(frac*n) (>=1, <=n-1) of each user's training pairs, users with >=2 pairs."""
    rng = np.random.default_rng(seed)
    R = R.tocsr(); nu, ni = R.shape
    tr_r, tr_c, va_r, va_c = [], [], [], []
    for u in range(nu):
        it = R.indices[R.indptr[u]:R.indptr[u + 1]]
        n = len(it)
        if n < 2:
            tr_r.append(np.full(n, u)); tr_c.append(it); continue
        h = min(n - 1, max(1, int(round(frac * n))))
        p = rng.permutation(n)
        va_r.append(np.full(h, u)); va_c.append(it[p[:h]])
        tr_r.append(np.full(n - h, u)); tr_c.append(it[p[h:]])
    mk = lambda r, c: sp.csr_matrix((np.ones(sum(map(len, c)), np.float32),
                                     (np.concatenate(r), np.concatenate(c))), shape=(nu, ni))
    return mk(tr_r, tr_c), mk(va_r, va_c)


def val_evaluator(Rtr, Rva, max_users=3000, seed=1):
    ev = Evaluator(Rtr, Rva)
    rng = np.random.default_rng(seed)
    if len(ev.users) > max_users:
        ev.users = np.sort(rng.choice(ev.users, max_users, replace=False))
    return ev


def product(R, norms, d=256, over=32, iters=3, seed=0):
    """Current product: rSVD of W P (P = R Di^-1/2 R^T Du^-1 R Di^-1/2, W = 1/row norms);
    users = W P V (exact, via three SpMMs), items = V. Returns U, V, timings."""
    t0 = time.time()
    te = Teacher(R, 1.0, 0.5, 0.5)
    inv = (1.0 / norms).astype(np.float32)[:, None]
    A = lambda X: inv * te.S_mat(X)
    At = lambda Y: te.ST_mat(inv * Y)
    rng = np.random.default_rng(seed)
    k = d + over
    Q = np.linalg.qr(A(rng.standard_normal((R.shape[1], k)).astype(np.float32)))[0]
    for _ in range(iters):
        Wq = np.linalg.qr(At(Q))[0]
        Q = np.linalg.qr(A(Wq))[0]
    Bt = At(Q)
    Wv, s, Zt = np.linalg.svd(Bt.astype(np.float64), full_matrices=False)
    V = Wv[:, :d].astype(np.float32)
    tsvd = time.time() - t0
    t1 = time.time(); U = A(V); tU = time.time() - t1
    return U, V, tsvd, tU


def spmm_flops(R):
    """2*nnz*1 flops per column for one SpMM with R (or R^T)."""
    return 2.0 * R.nnz


def fit_als(R, tidx, tval, V0, U0=None, K=200, c=1.0, a0=0.003, lam=0.01, sweeps=3, cgit=8,
            usolver='chol', ucg=8, evalf=None, tag=''):
    """Weighted ALS as in als.py (targets Sn/top1 on teacher top-K; weight c on targets, a0 elsewhere).
    usolver='chol': exact batched solves; 'cg': warm-started batched CG with ucg steps (start U0 or 0).
    Returns U, V, list of per-sweep dicts."""
    nu, ni = R.shape; d = V0.shape[1]
    tv = tval[:, :K].astype(np.float32)
    tt = tv / np.maximum(tv[:, :1], 1e-12)
    rows = np.repeat(np.arange(nu), K); cols = tidx[:, :K].ravel().astype(np.int64); tgt = tt.ravel()
    w = np.full(len(rows), c, np.float32)
    Cu_cw = sp.csr_matrix(((w - a0).astype(np.float32), (rows, cols)), shape=(nu, ni)); Cu_cw.sort_indices()
    Cu_bw = sp.csr_matrix(((w * tgt).astype(np.float32), (rows, cols)), shape=(nu, ni)); Cu_bw.sort_indices()
    Ci_cw = Cu_cw.T.tocsr(); Ci_bw = Cu_bw.T.tocsr()
    cnt = np.diff(Cu_cw.indptr); order = np.argsort(cnt, kind='stable')
    ie_items = np.repeat(np.arange(ni), np.diff(Ci_cw.indptr)); ie_users = Ci_cw.indices
    nnz = Cu_cw.nnz

    def gather(us):
        n = cnt[us]; L = int(n.max())
        pos = Cu_cw.indptr[us][:, None] + np.arange(L)[None, :]
        m = np.arange(L)[None, :] < n[:, None]
        pos = np.where(m, pos, 0)
        idx = np.where(m, Cu_cw.indices[pos], 0)
        gw = np.where(m, Cu_cw.data[pos], 0).astype(np.float32)
        bb = np.where(m, Cu_bw.data[pos], 0).astype(np.float32)
        return idx, gw, bb

    def solve_users(V, Uprev):
        G = a0 * (V.T @ V) + lam * np.eye(d, dtype=np.float32)
        Un = np.zeros((nu, d), np.float32)
        for s in range(0, nu, 512):
            us = order[s:s + 512]
            idx, gw, bb = gather(us)
            Vg = V[idx]                                        # B x L x d
            rhs = np.matmul(Vg.transpose(0, 2, 1), bb[..., None])[..., 0]
            if usolver == 'chol':
                A = np.matmul((Vg * gw[..., None]).transpose(0, 2, 1), Vg) + G[None]
                Un[us] = np.linalg.solve(A, rhs[..., None])[..., 0]
            else:
                VgT = np.ascontiguousarray(Vg.transpose(0, 2, 1))
                mv = lambda X: X @ G + np.matmul(VgT, (gw * np.matmul(Vg, X[..., None])[..., 0])[..., None])[..., 0]
                X = Uprev[us].copy() if Uprev is not None else np.zeros((len(us), d), np.float32)
                r = rhs - mv(X); p = r.copy(); rs = (r * r).sum(1)
                for _ in range(ucg):
                    Ap = mv(p); den = (p * Ap).sum(1)
                    al = np.where(den > 0, rs / np.where(den > 0, den, 1), 0).astype(np.float32)
                    X += al[:, None] * p; r -= al[:, None] * Ap
                    rn = (r * r).sum(1)
                    be = np.where(rs > 0, rn / np.where(rs > 0, rs, 1), 0).astype(np.float32)
                    p = r + be[:, None] * p; rs = rn
                Un[us] = X
        return Un

    def item_matvec(X, U, G):
        out = X @ G
        p = np.empty(len(ie_users), np.float32)
        for s in range(0, len(p), 200000):
            e = slice(s, s + 200000)
            p[e] = np.einsum('ij,ij->i', U[ie_users[e]], X[ie_items[e]])
        p *= Ci_cw.data
        M = sp.csr_matrix((p, Ci_cw.indices, Ci_cw.indptr), shape=(ni, nu))
        return out + M @ U

    def solve_items(U, V0):
        G = a0 * (U.T @ U) + lam * np.eye(d, dtype=np.float32)
        b = Ci_bw @ U
        X = V0.copy()
        r = b - item_matvec(X, U, G); p = r.copy(); rs = (r * r).sum(1)
        for it in range(cgit):
            Ap = item_matvec(p, U, G)
            den = (p * Ap).sum(1)
            al = np.where(den > 0, rs / np.where(den > 0, den, 1), 0).astype(np.float32)
            X += al[:, None] * p; r -= al[:, None] * Ap
            rn = (r * r).sum(1)
            be = np.where(rs > 0, rn / np.where(rs > 0, rs, 1), 0).astype(np.float32)
            p = r + be[:, None] * p; rs = rn
        return X, float(np.sqrt(rs.sum() / max((b * b).sum(), 1e-30)))

    # flop model (dense part only)
    if usolver == 'chol':
        fu = nu * (2.0 * K * d * d + 2.0 / 3 * d ** 3 + 2 * d * d) + 2.0 * d * d * ni
    else:
        fu = nu * (ucg + 1) * (2.0 * d * d + 4.0 * K * d) + 2.0 * d * d * ni
    fi = 2.0 * d * d * nu + (cgit + 1) * (2.0 * ni * d * d + 4.0 * nnz * d)
    U = U0; V = V0; out = []
    for sw in range(1, sweeps + 1):
        t0 = time.time(); U = solve_users(V, U); tu = time.time() - t0
        t0 = time.time(); V, rel = solve_items(U, V); ti = time.time() - t0
        rec = {'sweep': sw, 'tu': tu, 'ti': ti, 'rel': rel, 'gf_u': fu / 1e9, 'gf_i': fi / 1e9}
        if evalf is not None:
            t0 = time.time(); rec['rec'], rec['ndcg'] = evalf(U, V); rec['te'] = time.time() - t0
        log('RESULT', tag, ' '.join(f'{k}={v:.4f}' if isinstance(v, float) else f'{k}={v}' for k, v in rec.items()))
        out.append(rec)
    return U, V, out
