/*
 * Internals shared by the GCN (gcn.c) and GraphSAGE (sage.c) trainers:
 * dense helpers over OpenBLAS, Glorot initialisation and the held-out
 * edge split used for link-prediction model selection.  Implemented in
 * gnn-common.c.
 */
#ifndef KITH_NN_GNN_INTERNAL_H
#define KITH_NN_GNN_INTERNAL_H

#include <glib.h>
#include <stdint.h>

#include "kith/core.h"
#include "kith/csr.h"
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

/* Glorot-uniform init of a fan_in x fan_out matrix, in row order from r. */
void gnn_glorot(float *w, int64_t fan_in, int64_t fan_out,
                struct kith_rng *r);

/* Number of distinct entries of the union of two sorted lists, skipping
 * `skip`; writes them to out when out is not NULL (adj.c). */
int64_t gnn_merge_union(const int32_t *a, int64_t na, const int32_t *b,
                        int64_t nb, int32_t skip, int32_t *out);

/* TRUE when the undirected pair {a, b} is held out of training with
 * probability ratio: decided by the rng stream of (seed, stream) and the
 * pair alone, so that every rank of an MPI job decides the pairs of its
 * rows as one process does.  O(1). */
gboolean gnn_pair_held(uint64_t seed, uint64_t stream, int32_t a, int32_t b,
                       double ratio);

/* Splits the undirected pairs (a < b) of the symmetric graph A: each is
 * held out when gnn_pair_held(seed, stream, a, b, ratio) into *va, *vb
 * (*nv pairs; caller g_free()s), the others go both
 * ways into *train (caller clears).  FALSE with error when the CSR cannot
 * be built; the held-out arrays are set even then. */
gboolean gnn_split_edges(struct kith_csr *train, int32_t **va, int32_t **vb,
                         int64_t *nv, const struct kith_csr *A, double ratio,
                         uint64_t seed, uint64_t stream, GError **error);

#endif
