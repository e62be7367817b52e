/*
 * Neural-network kernels of kith (src/nn/): sparse × dense products over
 * CSR, adjacency normalisation, dense helpers and optimisers.  Kernels are
 * pure: no I/O, no allocation inside parallel regions, deterministic
 * results for a given thread count (and bit-identical across thread counts
 * where the banner of the kernel says so).
 */
#ifndef KITH_NN_H
#define KITH_NN_H

#include <glib.h>
#include <stdint.h>

#include "kith/csr.h"
#include "kith/dense.h"

G_BEGIN_DECLS

/* Y = A·X.  A: n_rows x n_cols CSR (values NULL means ones); X: n_cols x d
 * and Y: n_rows x d, row-major float32, Y not aliasing X.  Rows are split
 * among threads by equal shares of nonzeros (binary search on indptr);
 * each output row is computed by one thread in a fixed order, so results
 * are bit-identical for every thread count. */
void kith_spmm(float *Y, const struct kith_csr *A, const float *X, int d);

/* Y = beta·Y + alpha·A·X (same contract as kith_spmm). */
void kith_spmm_axpby(float *Y, float beta, const struct kith_csr *A,
                     float alpha, const float *X, int d);

/* Adam optimiser state for one parameter block of n floats. */
struct kith_adam {
	size_t n;
	float *m;
	float *v;
	int64_t t;
	float lr;
	float beta1;
	float beta2;
	float eps;
	float weight_decay;  /* decoupled (AdamW) when > 0 */
};

/* Allocates moments (zeroed); FALSE with KITH_ERROR_NOMEM on failure. */
gboolean kith_adam_init(struct kith_adam *a, size_t n, float lr,
                        GError **error);
void kith_adam_clear(struct kith_adam *a);
/* One step: w -= lr * mhat / (sqrt(vhat) + eps).  OpenMP over n. */
void kith_adam_step(struct kith_adam *a, float *w, const float *g);

/* ==== Dense buffers (src/nn/dense.c) =================================== */

/* A float array of n elements (zero-filled when zero), 2 MiB-aligned and
 * backed by transparent huge pages when large (gathers of SpMM then rarely
 * miss the TLB).  NULL and KITH_ERROR_NOMEM on failure.  Free with
 * kith_floats_free() (or free()). */
float *kith_floats_new(size_t n, gboolean zero, GError **error);
void kith_floats_free(float *p);

/* ==== Normalised adjacency (src/nn/adj.c) ============================== */

/* out = D^-1/2 [[0, B], [Bᵀ, 0]] D^-1/2 over n+m nodes (users first, then
 * items), B the binary pattern of R (n x m).  RT is R's transpose (e.g.
 * the store's iu CSR) or NULL to compute it.  out is owned; caller frees
 * with kith_csr_clear().  KITH_ERROR_LIMIT when n+m > INT32_MAX,
 * KITH_ERROR_NOMEM. */
gboolean kith_adj_bipartite(struct kith_csr *out, const struct kith_csr *R,
                            const struct kith_csr *RT, GError **error);

/* out = D̃^-1/2 (P + I) D̃^-1/2 (Kipf & Welling) with P the binary pattern
 * of A (square, rows sorted) — of A ∪ Aᵀ when symmetrise — without its
 * diagonal.  Owned; caller frees with kith_csr_clear(). */
gboolean kith_adj_gcn(struct kith_csr *out, const struct kith_csr *A,
                      gboolean symmetrise, GError **error);

/* ==== Truncated SVD (src/nn/svd.c) ==================================== */

/* Top-k singular triplets of A (n x m CSR with values; At its
 * transpose) by randomised subspace iteration with `oversample` extra
 * columns and `iters` passes (4 is plenty for a spectral start), seeded
 * by seed.  Writes sigma[0..k) in decreasing order and, when non-NULL,
 * U (n x k) and V (m x k) with A ≈ U diag(sigma) Vᵀ.  Buffers are the
 * caller's.  KITH_ERROR_USAGE when k > min(n, m), KITH_ERROR_NOMEM.
 * Memory (n + m)·(k + oversample) floats plus O((k + oversample)²). */
gboolean kith_svd_sparse(float *U, double *sigma, float *V,
                         const struct kith_csr *A, const struct kith_csr *At,
                         int k, int oversample, int iters, uint64_t seed,
                         GError **error);

/* A linear operator A (n x m) given by its products with dense blocks:
 * out = A·in (in: m x l, out: n x l) or, with transpose, out = Aᵀ·in
 * (in: n x l, out: m x l), row-major float32, out not aliasing in.  For a
 * deterministic SVD the products must be the same bytes for any thread
 * count.  FALSE with error set stops the SVD. */
typedef gboolean (*kith_linop_fn)(void *ctx, float *out, const float *in,
                                  int l, gboolean transpose, GError **error);

/* kith_svd_sparse() of the operator apply (n x m, state ctx): the same
 * iteration, outputs and errors.  start (m x k, or NULL) replaces the
 * first k columns of the Gaussian start: the right vectors of a nearby
 * operator make one or two passes enough (a warm start). */
gboolean kith_svd_op(float *U, double *sigma, float *V, int64_t n, int64_t m,
                     kith_linop_fn apply, void *ctx, const float *start,
                     int k, int oversample, int iters, uint64_t seed,
                     GError **error);

/* kith_svd_op() over the ranks of an MPI job: the n rows of A are split
 * over the ranks, this rank holding n_local of them.  apply gives this
 * rank's rows of A·in (in: m x l, whole) and, with transpose, the whole
 * Aᵀ·in summed over the ranks (in: this rank's n_local x l rows); U is
 * this rank's n_local x k rows, sigma and V the whole, the same on every
 * rank (to the order of the reduced sums).  Every rank calls it alike.
 * Without MPI, or on one rank, the bytes of kith_svd_op(). */
gboolean kith_svd_op_rows(float *U, double *sigma, float *V, int64_t n,
                          int64_t n_local, int64_t m, kith_linop_fn apply,
                          void *ctx, const float *start, int k,
                          int oversample, int iters, uint64_t seed,
                          GError **error);

/* Distillation of a full-rank filter (src/nn/distill.c).  The teacher's
 * targets of users [u0, u1): row u - u0 of T (m columns) holds the k
 * items j outside u's own with the largest S[u, j] > 0, S = R D_i^-b1 Rᵀ
 * D_u^-a R D_i^-b2, as S[u, j] over the user's largest, in column
 * order (R n x m binary pattern, Rt its transpose).  Ties go to the
 * lower item.  O(three-hop paths of the users + their candidates log k);
 * the same bytes for any thread count. */
gboolean kith_distill_teacher(struct kith_csr *T, const struct kith_csr *R,
                              const struct kith_csr *Rt, int64_t u0,
                              int64_t u1, double a, double b1, double b2,
                              int k, GError **error);
/* One side of weighted ALS: each row x of X (T->n_rows x d) takes
 * `steps` conjugate-gradient steps, from its value, on
 *   (G + Σ_{j ∈ T_r} (c - alpha0) y_j y_jᵀ) x = c Σ_{j ∈ T_r} t_rj y_j
 * (Y rows of d floats indexed by T's columns; G = alpha0 YᵀY + lambda I,
 * d x d doubles, the caller's).  O(rows · steps · (d² + 2 d entries)). */
void kith_wals_cg(float *X, const struct kith_csr *T, const float *Y, int d,
                  const double *G, double c, double alpha0, int steps);

G_END_DECLS

#endif
