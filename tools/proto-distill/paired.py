"""Paired per-user comparison on the validation users: product vs student vs teacher (recall@20).
Student = chol 3 sweeps re-run (deterministic, same as val.py). Validation split only (no test)."""
import sys
from valcommon import *
name = sys.argv[1]; vn = name + '-val'
R, T = load(name); Rtr, Rva = split_train(R); ev = val_evaluator(Rtr, Rva)

def per_user(score_fn):
    out = []
    for s in range(0, len(ev.users), 1000):
        us = ev.users[s:s + 1000]; sc = score_fn(us); K = 20
        sc[ev.R[us].nonzero()] = -np.inf
        top = np.argpartition(-sc, K, axis=1)[:, :K]
        Tb = ev.T[us]
        for j in range(len(us)):
            row = Tb.indices[Tb.indptr[j]:Tb.indptr[j + 1]]
            out.append(np.isin(top[j], row).sum() / len(row))
    return np.array(out)

tp = teacher_pass(vn, Rtr, ev, 0.5, 0.5, 0.3)
tq = teacher_pass(vn, Rtr, ev, 1.0, 0.5, 0.5, Kmax=20)
te = Teacher(Rtr, 0.5, 0.5, 0.3)
rt = per_user(lambda us: te.scores(us))
Up, Vp, _, _ = product(Rtr, tq['norms'])
rp = per_user(lambda us: Up[us] @ Vp.T)
Us, Vs, _ = rsvd_student(vn, Rtr, tp['norms'], 0.5, 0.5, 0.3)
U, V, _ = fit_als(Rtr, tp['tidx'], tp['tval'], Vs, sweeps=3, tag=vn + ' chol (paired re-run)')
rs = per_user(lambda us: U[us] @ V.T)
n = len(rs)
for a_, b_, lab in [(rp, rs, 'product - student'), (rt, rs, 'teacher - student'), (rp, rt, 'product - teacher')]:
    dlt = a_ - b_
    log('PAIRED %s %s: means %.4f vs %.4f diff %+.4f  SE %.4f  (z=%.1f, n=%d)' % (name, lab, a_.mean(), b_.mean(),
        dlt.mean(), dlt.std(ddof=1) / np.sqrt(n), dlt.mean() / (dlt.std(ddof=1) / np.sqrt(n)), n))
