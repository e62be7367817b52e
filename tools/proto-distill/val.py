"""Validation-split comparison of teacher / product / distilled student, then warm refit on all training.
usage: val.py DATASET [STAGES=val,refit,prodtest]
Validation: 10% of each user's TRAINING pairs held out (seed 1), <=3000 sampled val users (seed 1).
test.tsv is used ONLY in the 'refit' and 'prodtest' stages, for diagnosis."""
import os, sys, time, json
from valcommon import *

name = sys.argv[1]
stages = (sys.argv[2] if len(sys.argv) > 2 else 'val,refit,prodtest').split(',')
a, b1, b2 = 0.5, 0.5, 0.3
R, T = load(name)
t0 = time.time(); Rtr, Rva = split_train(R); tsplit = time.time() - t0
ev = val_evaluator(Rtr, Rva)
log(name, 'train', R.nnz, 'val-train', Rtr.nnz, 'val-heldout', Rva.nnz, 'val users scored', len(ev.users),
    'split %.1fs' % tsplit)
vn = name + '-val'
nu, ni = R.shape; d = 256
di = np.asarray(Rtr.sum(0)).ravel()
# flops of one teacher row block product (sparse-sparse Rt[us] R^T: sum_i deg_i^2 over all users,
# then dense BT @ M^T: 2*nnz*nu)
f_teacher = 2.0 * (di ** 2).sum() + 2.0 * Rtr.nnz * nu
f_spmm = 2.0 * Rtr.nnz            # per column
res = {}
if 'val' in stages:
    tp = teacher_pass(vn, Rtr, ev, a, b1, b2)
    log('VAL teacher full-rank recall %.4f ndcg %.4f | pass incl top-200 %.1fs (~%.1f GF dense+sparse)'
        % (tp['rec'], tp['ndcg'], tp['secs'], f_teacher / 1e9))
    res['teacher'] = (float(tp['rec']), float(tp['ndcg']))
    # product
    tq = teacher_pass(vn, Rtr, ev, 1.0, 0.5, 0.5, Kmax=20)
    log('VAL GF-CF linear filter full-rank recall %.4f ndcg %.4f | norms pass %.1fs' % (tq['rec'], tq['ndcg'], tq['secs']))
    res['gfcf_full'] = (float(tq['rec']), float(tq['ndcg']))
    Up, Vp, tsvd, tU = product(Rtr, tq['norms'])
    k = d + 32; f_prod = (2 * 3 + 2) * 3 * f_spmm * k
    t1 = time.time(); r, n = ev.eval_emb(Up, Vp); te_ = time.time() - t1
    log('VAL product (rank-256 proj of row-normalised GF-CF P, over 32, 3 passes) recall %.4f ndcg %.4f | '
        'svd %.1fs (~%.1f GF SpMM) users=WPV %.1fs eval %.1fs' % (r, n, tsvd, f_prod / 1e9, tU, te_))
    res['product'] = (r, n)
    del Up, Vp
    # student
    t1 = time.time(); Us, Vs, tsv = rsvd_student(vn, Rtr, tp['norms'], a, b1, b2); 
    log('VAL student init: rSVD of row-normalised teacher (over 64, 4 passes) %.1fs (~%.1f GF SpMM)'
        % (tsv, (2 * 4 + 2) * 3 * f_spmm * (d + 64) / 1e9))
    r, n = ev.eval_emb(Us, Vs); log('VAL teacher-rSVD (init) recall %.4f ndcg %.4f' % (r, n)); res['tsvd'] = (r, n)
    U, V, out = fit_als(Rtr, tp['tidx'], tp['tval'], Vs, sweeps=3, evalf=ev.eval_emb, tag=vn + ' chol')
    res['student_chol'] = out
    np.savez(f'{CACHE}/{vn}_student_V.npz', V=V)
    top1 = np.maximum(tp['tval'][:, 0], 1e-12)
    U0 = (Us / top1[:, None]).astype(np.float32)
    U, V, out = fit_als(Rtr, tp['tidx'], tp['tval'], Vs, U0=U0, sweeps=3, usolver='cg', ucg=8,
                        evalf=ev.eval_emb, tag=vn + ' cg8')
    res['student_cg8'] = out
    json.dump(res, open(os.path.join(CACHE, f'val_{name}.json'), 'w'), indent=1)
    del tp, tq, Us, Vs, U, V
if 'refit' in stages:
    evt = Evaluator(R, T)
    tpf = teacher_pass(name, R, evt, a, b1, b2)
    Vv = np.load(f'{CACHE}/{vn}_student_V.npz')['V']
    log('TEST(diagnosis) refit on all training, warm start from validation student V')
    U, V, out = fit_als(R, tpf['tidx'], tpf['tval'], Vv, sweeps=2, evalf=evt.eval_emb, tag=name + ' refit-warm chol')
    json.dump(out, open(os.path.join(CACHE, f'refit_{name}.json'), 'w'), indent=1)
if 'prodtest' in stages:
    evt = Evaluator(R, T)
    tq = teacher_pass(name, R, evt, 1.0, 0.5, 0.5, Kmax=20)
    log('TEST(diagnosis) GF-CF linear full-rank recall %.4f ndcg %.4f' % (tq['rec'], tq['ndcg']))
    Up, Vp, tsvd, tU = product(R, tq['norms'])
    r, n = evt.eval_emb(Up, Vp)
    log('TEST(diagnosis) product recall %.4f ndcg %.4f | svd %.1fs users %.1fs' % (r, n, tsvd, tU))
