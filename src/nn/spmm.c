/*
 * Sparse × dense products: Y = beta·Y + alpha·A·X with A in CSR (n × m,
 * nnz entries) and X, Y row-major float32 of width d.
 *
 *   Y[i,:] = beta·Y[i,:] + alpha · Σ_{k ∈ row i} a_k · X[col_k,:]
 *
 * Cost: 2·nnz·d flops; memory traffic ≈ 8(n+1) + 4·nnz (indices) +
 * 4·nnz (values) + 4·nnz·d (gathered rows of X) + 4·n·d (rows of Y written,
 * read too when beta ≠ 0).  At the widths kith uses (d ≥ 16) the gathers
 * of X dominate, so the kernel is bound by memory bandwidth and latency of
 * the random row reads: rows of X are prefetched a few nonzeros ahead.
 *
 * Parallelism: rows are split among the threads of one OpenMP team so that
 * every thread gets an equal share of (nnz + rows); the split is found by
 * binary search on indptr[r] + r, so power-law matrices whose hubs hold
 * a large part of the nonzeros still balance.  Each output row is computed
 * by one thread, accumulating its nonzeros in CSR order in registers, so the
 * result does not depend on the thread count (bit-identical for 1..T
 * threads on one machine).
 *
 * Vectorisation: the width is processed in blocks of 64, 32, 16 and 8
 * columns with compile-time widths (accumulators held in vector registers)
 * plus a scalar-width tail; the function is compiled for x86-64-v3
 * (AVX2 + FMA) and baseline x86-64, chosen at load time.
 */
#include "config.h"

#include <omp.h>
#include <string.h>

#include "kith/nn.h"

/* How many nonzeros ahead the row of X is prefetched. */
#ifndef SPMM_PREFETCH
#define SPMM_PREFETCH 8
#endif

/* Below this many flops the product runs on one thread. */
#define SPMM_PARALLEL_MIN (1 << 22)

/* Eight floats; loads and stores through it need only float alignment. */
typedef float spmm_v8 __attribute__((vector_size(32), aligned(4), may_alias));

/*
 * One block of NV·8 columns (starting at column j0) of rows r0..r1-1 with
 * NV a compile-time constant: the NV accumulators stay in vector registers
 * across the nonzeros of a row.
 */
static inline __attribute__((always_inline)) void
spmm_block_v(float *restrict Y, const int64_t *restrict indptr,
             const int32_t *restrict indices, const float *restrict values,
             const float *restrict X, int64_t d, int64_t r0, int64_t r1,
             int j0, const int NV, float alpha, float beta)
{
	for (int64_t r = r0; r < r1; r++) {
		int64_t k0 = indptr[r], k1 = indptr[r + 1];
		const float *restrict xb = X + j0;
		float *restrict y = Y + r * d + j0;
		spmm_v8 acc[8];

#pragma GCC unroll 8
		for (int q = 0; q < NV; q++)
			acc[q] = (spmm_v8){ 0 };
		for (int64_t k = k0; k < k1; k++) {
			const float v = values ? values[k] : 1.0f;
			const spmm_v8 *x = (const spmm_v8 *)(xb +
			    (int64_t)indices[k] * d);
			if (k + SPMM_PREFETCH < k1) {
				const char *p = (const char *)(xb +
				    (int64_t)indices[k + SPMM_PREFETCH] * d);
#pragma GCC unroll 8
				for (int q = 0; q < NV; q += 2)
					__builtin_prefetch(p + 64 * (q / 2), 0, 0);
			}
#pragma GCC unroll 8
			for (int q = 0; q < NV; q++)
				acc[q] += v * x[q];
		}
		spmm_v8 *yv = (spmm_v8 *)y;
		if (beta == 0.0f) {
#pragma GCC unroll 8
			for (int q = 0; q < NV; q++)
				yv[q] = alpha * acc[q];
		} else {
#pragma GCC unroll 8
			for (int q = 0; q < NV; q++)
				yv[q] = beta * yv[q] + alpha * acc[q];
		}
	}
}

/* The remaining w < 8 columns from j0. */
static inline void
spmm_block_tail(float *restrict Y, const int64_t *restrict indptr,
                const int32_t *restrict indices, const float *restrict values,
                const float *restrict X, int64_t d, int64_t r0, int64_t r1,
                int j0, int w, float alpha, float beta)
{
	for (int64_t r = r0; r < r1; r++) {
		float acc[8] = { 0 };
		float *restrict y = Y + r * d + j0;
		for (int64_t k = indptr[r]; k < indptr[r + 1]; k++) {
			const float v = values ? values[k] : 1.0f;
			const float *restrict x = X + (int64_t)indices[k] * d + j0;
			for (int j = 0; j < w; j++)
				acc[j] += v * x[j];
		}
		for (int j = 0; j < w; j++)
			y[j] = beta == 0.0f ? alpha * acc[j]
			                    : beta * y[j] + alpha * acc[j];
	}
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
static void
spmm_rows(float *restrict Y, const struct kith_csr *A,
          const float *restrict X, int d, int64_t r0, int64_t r1,
          float alpha, float beta)
{
	const int64_t *indptr = A->indptr;
	const int32_t *indices = A->indices;
	const float *values = A->values;
	int j0 = 0;

	/* Rows of d = 64 (the default width) and d = 32 / 16 take one pass. */
	while (d - j0 >= 64) {
		spmm_block_v(Y, indptr, indices, values, X, d, r0, r1, j0, 8,
		             alpha, beta);
		j0 += 64;
	}
	if (d - j0 >= 32) {
		spmm_block_v(Y, indptr, indices, values, X, d, r0, r1, j0, 4,
		             alpha, beta);
		j0 += 32;
	}
	if (d - j0 >= 16) {
		spmm_block_v(Y, indptr, indices, values, X, d, r0, r1, j0, 2,
		             alpha, beta);
		j0 += 16;
	}
	if (d - j0 >= 8) {
		spmm_block_v(Y, indptr, indices, values, X, d, r0, r1, j0, 1,
		             alpha, beta);
		j0 += 8;
	}
	if (d > j0)
		spmm_block_tail(Y, indptr, indices, values, X, d, r0, r1, j0,
		                d - j0, alpha, beta);
}

void
kith_spmm_axpby(float *Y, float beta, const struct kith_csr *A, float alpha,
                const float *X, int d)
{
	int64_t n = A->n_rows;
	int64_t total;

	if (n <= 0 || d <= 0)
		return;
	total = A->indptr[n] + n;
	if ((double)A->nnz * d < SPMM_PARALLEL_MIN || omp_get_max_threads() == 1
	    || omp_in_parallel()) {
		spmm_rows(Y, A, X, d, 0, n, alpha, beta);
		return;
	}
#pragma omp parallel
	{
		int t = omp_get_thread_num(), nt = omp_get_num_threads();
		int64_t r0 = t == 0 ? 0 :
		    kith_csr_row_split(A->indptr, n, (int64_t)((__int128)total * t / nt));
		int64_t r1 = t == nt - 1 ? n :
		    kith_csr_row_split(A->indptr, n,
		               (int64_t)((__int128)total * (t + 1) / nt));
		if (r1 > r0)
			spmm_rows(Y, A, X, d, r0, r1, alpha, beta);
	}
}

void
kith_spmm(float *Y, const struct kith_csr *A, const float *X, int d)
{
	kith_spmm_axpby(Y, 0.0f, A, 1.0f, X, d);
}
