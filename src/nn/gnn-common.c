/*
 * Pieces shared by the GCN and GraphSAGE trainers (see gnn-internal.h):
 * OpenBLAS thread choice, GEMM and bias helpers, Glorot init (U(-a, a),
 * a = sqrt(6 / (fan_in + fan_out))) and the held-out pairs of the link
 * objectives (each pair decided by a hash of its ends: gnn_pair_held()).
 * Their training loop and checkpoints are train.c's and ckpt.c's.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "nn/gnn-internal.h"

/* The GEMMs of a GNN are skinny (n x h x c with h, c <= a few hundred):
 * below this many flops one BLAS thread is faster than waking a pool
 * that would compete with the OpenMP team for the same cores. */
#define BLAS_PARALLEL_MIN (1 << 26)

void
gnn_blas_threads(int64_t n, int h, int c)
{
	openblas_set_num_threads((double)n * h * c < BLAS_PARALLEL_MIN ? 1 :
	                         kith_get_threads());
}

void
gnn_gemm(gboolean ta, gboolean tb, int64_t m, int64_t n, int64_t k,
         const float *A, const float *B, float *C, float beta)
{
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
	            tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
	            1.0f, A, ta ? (int)m : (int)k, B, tb ? (int)k : (int)n,
	            beta, C, (int)n);
}

void
gnn_add_bias(float *Y, const float *b, int64_t n, int c)
{
#pragma omp parallel for schedule(static) if (n * c > PAR_MIN)
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < c; j++)
			Y[i * c + j] += b[j];
}

double
gnn_softmax_row(const float *z, int c, int y, float *g, double cnt,
                gboolean *hit)
{
	float mx = z[0];
	int arg = 0;
	double s = 0;

	for (int j = 1; j < c; j++)
		if (z[j] > mx) {
			mx = z[j];
			arg = j;
		}
	for (int j = 0; j < c; j++)
		s += exp((double)(z[j] - mx));
	double loss = log(s) - (z[y] - mx);
	*hit = arg == y;
	if (g)
		for (int j = 0; j < c; j++)
			g[j] = (float)((exp((double)(z[j] - mx)) / s - (j == y)) /
			               cnt);
	return loss;
}

void
gnn_glorot(float *w, int64_t fan_in, int64_t fan_out, struct kith_rng *r)
{
	double a = sqrt(6.0 / (double)(fan_in + fan_out));
	for (int64_t i = 0; i < fan_in * fan_out; i++)
		w[i] = (float)((2 * kith_rng_uniform(r) - 1) * a);
}

gboolean
gnn_in_links(struct kith_csr *At, const struct kith_csr *uu, int64_t u0,
             int64_t u1, GError **error)
{
	int64_t rows = u1 - u0;
	g_autofree int64_t *tp = kith_alloc0_n(rows + 1, sizeof(int64_t),
	                                       error);

	if (!tp)
		return FALSE;
	for (int64_t k = 0; k < uu->nnz; k++)
		if (uu->indices[k] >= u0 && uu->indices[k] < u1)
			tp[uu->indices[k] - u0 + 1]++;
	for (int64_t r = 0; r < rows; r++)
		tp[r + 1] += tp[r];
	if (!kith_csr_alloc(At, rows, uu->n_rows, tp[rows], FALSE, error))
		return FALSE;
	memcpy(At->indptr, tp, (rows + 1) * sizeof(int64_t));
	for (int64_t i = 0; i < uu->n_rows; i++)
		for (int64_t k = uu->indptr[i]; k < uu->indptr[i + 1]; k++)
			if (uu->indices[k] >= u0 && uu->indices[k] < u1)
				At->indices[tp[uu->indices[k] - u0]++] = (int32_t)i;
	return TRUE;
}

gboolean
gnn_pair_held(uint64_t seed, uint64_t stream, int32_t a, int32_t b,
              double ratio)
{
	struct kith_rng r;
	uint64_t lo = (uint32_t)MIN(a, b), hi = (uint32_t)MAX(a, b);

	if (!(ratio > 0))
		return FALSE;
	kith_rng_seed(&r, seed ^ (stream * 0x9e3779b97f4a7c15ULL),
	              lo << 32 | hi);
	return kith_rng_uniform(&r) < ratio;
}
