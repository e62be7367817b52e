/*
 * Deterministic dense products (src/base/dense.c), layer base.  Same
 * bytes for any thread count on any x86-64 CPU: fixed summation order,
 * no BLAS (see the banner of src/base/dense.c).
 */
#ifndef KITH_DENSE_H
#define KITH_DENSE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* G = XᵀX (l x l doubles, both triangles) of X (rows x l floats,
 * row-major).  scratch: kith_dense_gram_scratch(l) doubles, caller's. */
void kith_dense_gram(double *G, const float *X, int64_t rows, int l,
                     double *scratch);
size_t kith_dense_gram_scratch(int l);

/* C = XᵀY (k x l floats, summed in double): X rows x k, Y rows x l.
 * scratch: kith_dense_cross_scratch(k, l) doubles, caller's. */
void kith_dense_cross(float *C, const float *X, const float *Y, int64_t rows,
                      int k, int l, double *scratch);
size_t kith_dense_cross_scratch(int k, int l);

/* Y = X·B: X rows x k, B k x n, Y rows x n (floats, row-major).  Y may
 * be X only when n == k (in-place right multiplication). */
void kith_dense_gemm(float *Y, const float *X, int64_t rows, int k,
                     const float *B, int n);

/* Y += a·(X·B): X rows x k, B k x n, Y rows x n, not aliasing X. */
void kith_dense_gemm_add(float *Y, float a, const float *X, int64_t rows,
                         int k, const float *B, int n);

/* Scores S[r][j] = Σ_t Q[r][t]·Vt[t][j] for r < nq, j < nj: Q (nq x d,
 * row-major), Vt (d rows of stride ldv: the item vectors as columns),
 * S rows of stride lds.  Single-threaded (for use inside a parallel
 * region, one block of rows per thread); O(nq·nj·d). */
void kith_dense_scores(float *S, int64_t lds, const float *Q, int64_t nq,
                       int d, const float *Vt, int64_t ldv, int64_t nj);

G_END_DECLS

#endif
