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

G_END_DECLS

#endif
