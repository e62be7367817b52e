/*
 * Internals shared by the GCN (gcn.c) and GraphSAGE (sage.c) trainers:
 * dense helpers over OpenBLAS, Glorot initialisation and the held-out
 * pairs of link-prediction model selection (gnn-common.c); the pieces of
 * a network over the ranks of an MPI job (gnn-ranks.c).
 */
#ifndef KITH_NN_GNN_INTERNAL_H
#define KITH_NN_GNN_INTERNAL_H

#include <glib.h>
#include <stdint.h>

#include "kith/core.h"
#include "kith/csr.h"
#include "kith/dist.h"
#include "kith/models.h"

/* Element-wise loops shorter than this run on one thread: waking the
 * team costs more than the work (and much more on a loaded machine). */
#define PAR_MIN (1 << 18)

/* OpenBLAS's own prototype; cblas.h of some builds lacks it. */
void openblas_set_num_threads(int num_threads);

/* One BLAS thread for GEMMs of fewer than 2^26 flops (n x h x c), else
 * kith_get_threads(): a pool would compete with the OpenMP team. */
void gnn_blas_threads(int64_t n, int h, int c);

/* C (m x n) = op(A) · op(B) + beta C, row-major, one OpenBLAS call. */
void gnn_gemm(gboolean ta, gboolean tb, int64_t m, int64_t n, int64_t k,
              const float *A, const float *B, float *C, float beta);

/* Y[i, j] += b[j] for an n x c matrix Y. */
void gnn_add_bias(float *Y, const float *b, int64_t n, int c);

/* Softmax cross-entropy of the logits z (c of them) against class y:
 * returns the loss, *hit when the first largest logit is y's; with g,
 * g[j] = (softmax_j - [j = y]) / cnt (g may be z). */
double gnn_softmax_row(const float *z, int c, int y, float *g, double cnt,
                       gboolean *hit);

/* Glorot-uniform init of a fan_in x fan_out matrix, in row order from r. */
void gnn_glorot(float *w, int64_t fan_in, int64_t fan_out,
                struct kith_rng *r);

/* Number of distinct entries of the union of two sorted lists, skipping
 * `skip`; writes them to out when out is not NULL (adj.c). */
int64_t gnn_merge_union(const int32_t *a, int64_t na, const int32_t *b,
                        int64_t nb, int32_t skip, int32_t *out);

/* The in-links of rows [u0, u1) of the square graph uu: row u - u0 of At
 * lists the rows i with an entry (i, u), ascending (one pass over uu;
 * At owned, no values). */
gboolean gnn_in_links(struct kith_csr *At, const struct kith_csr *uu,
                      int64_t u0, int64_t u1, GError **error);

/* TRUE when the undirected pair {a, b} is held out of training with
 * probability ratio: decided by the rng stream of (seed, stream) and the
 * pair alone, so that every rank of an MPI job decides the pairs of its
 * rows as one process does.  O(1). */
gboolean gnn_pair_held(uint64_t seed, uint64_t stream, int32_t a, int32_t b,
                       double ratio);

/* ---- over the ranks (gnn-ranks.c) ----------------------------------------
 * Rank r of an MPI job (one process: the one rank) owns the rows
 * [lo, lo + rows) of every node array; see kith/dist.h for the halo. */

/* A float buffer that grows: a product's input with its halo rows, or
 * the rows a backward product scatters before they go to their owners. */
struct gnn_ws {
	float *buf;
	size_t cap;             /* floats */
};
void gnn_ws_clear(struct gnn_ws *w);
/* Room for `floats` floats (the old contents are lost when it grows). */
gboolean gnn_ws_reserve(struct gnn_ws *w, size_t floats, GError **error);
/* X (the h->n_local owned rows of `width` floats) with the rows of halo h
 * after them: X itself when h has none, else w's buffer (room made by
 * gnn_ws_reserve()) holding a copy of X's rows, then the halo's, fetched
 * from their owners.  NULL on failure.  Collective. */
const float *gnn_with_halo(struct gnn_ws *w, const struct kith_halo *h,
                           const float *X, int width, GError **error);

/* The owned rows of a sparse feature matrix X: a view into X with its
 * own row pointers and the values a dropout rewrites, and, for the
 * gradient of the first weights, its transpose with the X entry of every
 * transposed entry. */
struct gnn_xrows {
	struct kith_csr Xd;     /* indices borrowed from X */
	const float *xval;      /* the owned rows' X values, NULL: ones */
	int64_t xoff;           /* global index of the first owned entry */
	int64_t x_nnz;          /* entries of the whole X */
	struct kith_csr XT;     /* Xdᵀ (when built) */
	int64_t *perm;          /* XT entry -> Xd entry */
};
/* Whether the features X of a graph of n rows hold only this rank's rows
 * of the partition (*local) or every row: every row when every rank has
 * n rows (a rank that owns all rows has both).  Collective. */
gboolean gnn_xrows_local(const struct kith_csr *X, int64_t n,
                         gboolean *local, GError **error);
/* The owned rows [lo, lo + rows) of X (all of X's rows when local, then
 * exactly `rows` of them), with the global index of their first entry
 * and the entries of the whole X over the ranks.  Collective. */
gboolean gnn_xrows_init(struct gnn_xrows *x, const struct kith_csr *X,
                        gboolean local, int64_t lo, int64_t rows,
                        GError **error);
/* The transpose of the owned rows (for the gradient of the first
 * weights). */
gboolean gnn_xrows_transpose(struct gnn_xrows *x, GError **error);
/* A digest of the content of the features (the rows of X are global rows
 * row0 on; local: summed over the ranks' rows, collective), the same for
 * any partition: what a checkpoint's configuration hash takes of X. */
gboolean gnn_rows_digest(const struct kith_csr *X, gboolean local,
                         int64_t row0, uint64_t *digest, GError **error);
void gnn_xrows_clear(struct gnn_xrows *x);
/* Xd's values = X's times mask (one per owned entry; NULL: X's). */
void gnn_xrows_drop(struct gnn_xrows *x, const float *mask);
/* gW (f x width) = Xdᵀ · dXW (Xd's current values). */
void gnn_xrows_grad(const struct gnn_xrows *x, float *gW, const float *dXW,
                    int width);

/* Entries per block of a dropout mask. */
#define GNN_MASK_BLOCK (256 * 64)
/* The mask of global entries [g0, g1) of one masked array into m (0 or
 * 1/(1-p)): blocks of GNN_MASK_BLOCK entries, block b drawn from the
 * stream of (seed, epoch, first, b + b_off), so a rank draws the entries
 * of its rows as one process does (arrays masked in one epoch take
 * distinct first / b_off). */
void gnn_fill_mask(float *m, int64_t g0, int64_t g1, double p, uint64_t seed,
                   int epoch, gboolean first, int64_t b_off);

/* The pairs of an epoch's link loss over the owned rows of the training
 * graph T (rows of global row lo on, global columns): each edge followed
 * by `neg` uniform nodes of 0..n drawn from the stream of (seed, epoch,
 * row), into q (local columns, 1 + neg entries an edge) with the halo of
 * the rows they touch.  Collective. */
gboolean gnn_link_targets(struct kith_csr *q, struct kith_halo *h,
                          const struct kith_csr *T, int64_t lo, int64_t n,
                          const int64_t *bounds, int neg, uint64_t seed,
                          int epoch, GError **error);
/* The logistic loss of σ(temp · z_i·z_j) over q's pairs (Z: owned rows
 * then q's halo rows, c wide), summed; the gradient of the mean over all
 * `pairs` of the job into dZ's owned rows (row i's pairs update z_i
 * only).  skip_self: a pair (i, i) counts for nothing. */
double gnn_link_loss(const struct kith_csr *q, const float *Z, float *dZ,
                     int c, int per, int64_t pairs, float temp,
                     gboolean skip_self);

/* Model selection of a link objective: the held-out pairs (numbered in
 * row order over the ranks) against as many random pairs, pair e's from
 * the stream of (seed, e), scored by the dot products of the rows of Z;
 * each rank scores its pairs (their remote rows fetched over a halo built
 * once), rank 0 gathers the scores and computes the AUC. */
struct gnn_val {
	int64_t np;             /* this rank's held-out pairs */
	int64_t *count;         /* every rank's (P) */
	int64_t total;
	struct kith_csr q;      /* pa, pb, ra, rb of each pair, local */
	struct kith_halo h;
	double *score;          /* 2 np: held-out, then random */
};
/* held: n_held pairs (2 global nodes each) of this rank's rows; ws gets
 * room for the halo of rows `width` wide.  Collective. */
gboolean gnn_val_setup(struct gnn_val *v, const int64_t *held,
                       int64_t n_held, int64_t rows, int64_t n,
                       const int64_t *bounds, uint64_t seed,
                       struct gnn_ws *ws, int width, GError **error);
/* The AUC of Zown (the owned rows, width wide), the same on every rank
 * (-1: no pairs).  Collective. */
gboolean gnn_val_auc(struct gnn_val *v, struct gnn_ws *ws, const float *Zown,
                     int width, int64_t n, double *auc, GError **error);
void gnn_val_clear(struct gnn_val *v);

/* The partition (bounds, P + 1) and the formula of the bytes per epoch
 * (a static string) into the report of a run over the ranks, and its
 * halo_rows: this rank's n_halo summed over the ranks.  Collective. */
gboolean gnn_dist_report(struct kith_train_report *rep, const int64_t *bounds,
                         int64_t n_halo, const char *formula,
                         GError **error);

#endif
