/*
 * Truncated SVD of a sparse matrix (kith_svd_sparse) or of any linear
 * operator given by its products with dense blocks (kith_svd_op),
 * deterministic when the operator is.
 *
 * Randomised subspace iteration (Halko, Martinsson & Tropp 2011) on A
 * (n x m): Z ← Gaussian m x l (l = k + oversampling, one RNG stream per
 * row), then `iters` times Y = orth(A Z), Z = Aᵀ Y (orthonormalised except
 * after the last pass), with orthonormalisation by CholeskyQR2 (Gram,
 * Cholesky in double, Y ← Y L⁻ᵀ, twice).  Then A ≈ Y Zᵀ, ZᵀZ = W Σ² Wᵀ
 * (cyclic Jacobi in double), left vectors Y W, right vectors Z W Σ⁻¹.
 * Every dense product is one of kith/dense.h (fixed summation order, no
 * BLAS) and the SpMMs are thread-count independent, so the result is the
 * same bytes for any thread count on any x86-64-v3 CPU (kith_spmm has an
 * FMA clone for those and a generic one for older CPUs).  Cost per pass: 2
 * SpMMs of 2·nnz·l flops plus O((n + m)·l²) for the Gram products and
 * solves, O(l³) per Jacobi sweep; memory (n + m)·l floats plus O(l²).
 *
 * Over the ranks of an MPI job (kith_svd_op_rows()) each rank holds its
 * rows of the n side (Y, U) and the whole m side (Z, V): the operator
 * sums its transposed products over the ranks, the Gram matrix of Y is
 * summed over them (an Allreduce of l² doubles, twice a pass), and the
 * rest (Z's orthonormalisation, the Jacobi step, V) runs alike on every
 * rank, on the same data.
 */
#include "config.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dense.h"
#include "kith/dist.h"
#include "kith/nn.h"

/* ---- truncated SVD ------------------------------------------------------ */

/* Cyclic Jacobi eigen-decomposition of the symmetric l x l matrix a
 * (destroyed); eigenvalues into w, eigenvectors into the columns of V. */
static void
jacobi_eigen(double *a, double *w, double *V, int l)
{
	for (int i = 0; i < l; i++)
		for (int j = 0; j < l; j++)
			V[i * l + j] = i == j;
	for (int sweep = 0; sweep < 60; sweep++) {
		double off = 0, tot = 0;
		for (int i = 0; i < l; i++)
			for (int j = 0; j < l; j++) {
				tot += a[i * l + j] * a[i * l + j];
				if (i != j)
					off += a[i * l + j] * a[i * l + j];
			}
		if (off <= 1e-24 * tot)
			break;
		for (int p = 0; p < l - 1; p++) {
			for (int q = p + 1; q < l; q++) {
				double apq = a[p * l + q];
				if (fabs(apq) < 1e-300)
					continue;
				double th = (a[q * l + q] - a[p * l + p]) /
				            (2 * apq);
				double t = (th >= 0 ? 1.0 : -1.0) /
				           (fabs(th) + sqrt(th * th + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;
				for (int k = 0; k < l; k++) {
					double akp = a[k * l + p];
					double akq = a[k * l + q];
					a[k * l + p] = c * akp - s * akq;
					a[k * l + q] = s * akp + c * akq;
				}
				for (int k = 0; k < l; k++) {
					double apk = a[p * l + k];
					double aqk = a[q * l + k];
					a[p * l + k] = c * apk - s * aqk;
					a[q * l + k] = s * apk + c * aqk;
				}
				for (int k = 0; k < l; k++) {
					double vkp = V[k * l + p];
					double vkq = V[k * l + q];
					V[k * l + p] = c * vkp - s * vkq;
					V[k * l + q] = s * vkp + c * vkq;
				}
			}
		}
	}
	for (int i = 0; i < l; i++)
		w[i] = a[i * l + i];
}

struct svd_work {
	int l;
	double *G;      /* l x l */
	double *part;   /* Gram partials */
	float *M;       /* l x l */
};

/* Orthonormalises the columns of Y (rows x l) in place by CholeskyQR
 * (G = YᵀY = LLᵀ, Y ← Y L⁻ᵀ); numerically dependent columns are zeroed.
 * With ranks, Y is this rank's rows of a block split over the ranks of
 * an MPI job and G is summed over them. */
static gboolean
chol_qr(float *Y, int64_t rows, struct svd_work *w, gboolean ranks,
        GError **error)
{
	int l = w->l;
	double *G = w->G;
	kith_dense_gram(G, Y, rows, l, w->part);
	if (ranks && !kith_dist_allreduce_f64(G, l * l, KITH_DIST_SUM, error))
		return FALSE;
	/* Cholesky G = L Lᵀ, L lower, in G */
	for (int j = 0; j < l; j++) {
		double s = G[j * l + j];
		for (int k = 0; k < j; k++)
			s -= G[j * l + k] * G[j * l + k];
		double dj = s > 1e-12 * (G[j * l + j] + 1e-30) ? sqrt(s) : 0.0;
		G[j * l + j] = dj;
		for (int i = j + 1; i < l; i++) {
			double t = G[i * l + j];
			for (int k = 0; k < j; k++)
				t -= G[i * l + k] * G[j * l + k];
			G[i * l + j] = dj > 0 ? t / dj : 0.0;
		}
	}
	/* M = L⁻ᵀ (upper triangular) column by column in double: column c
	 * of M solves Lᵀ m = e_c; a dependent column of L gives a zero
	 * column of M, so Y's column becomes zero */
	memset(w->M, 0, (size_t)l * l * sizeof(float));
	for (int c = 0; c < l; c++) {
		if (G[c * l + c] == 0.0)
			continue;
		double m[l];
		for (int i = l - 1; i >= 0; i--) {
			double s = i == c ? 1.0 : 0.0;
			if (i > c || G[i * l + i] == 0.0) {
				m[i] = 0.0;
				continue;
			}
			for (int k = i + 1; k <= c; k++)
				s -= G[k * l + i] * m[k];
			m[i] = s / G[i * l + i];
		}
		for (int i = 0; i <= c; i++)
			w->M[i * l + c] = (float)m[i];
	}
	kith_dense_gemm(Y, Y, rows, l, w->M, l);
	return TRUE;
}

/* kith_svd_op_rows(); ranks: the rows are split over the ranks. */
static gboolean
svd_op(float *U, double *sigma, float *V, int64_t n, int64_t n_local,
       int64_t m, kith_linop_fn apply, void *ctx, const float *start, int k,
       int oversample, int iters, uint64_t seed, gboolean ranks,
       GError **error)
{
	int l = k + MAX(oversample, 0);
	gboolean ok = FALSE;
	struct svd_work w = { 0 };
	float *Y = NULL, *Z = NULL, *B = NULL;
	double *ev = NULL, *W = NULL;

	if (l > n || l > m)
		l = (int)MIN(n, m);
	if (k < 1 || l < k) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "a rank-%d SVD needs at least %d rows and columns "
		            "(the matrix is %" G_GINT64_FORMAT " x %"
		            G_GINT64_FORMAT ")", k, k, n, m);
		return FALSE;
	}
	w.l = l;
	Y = kith_alloc_n((size_t)MAX(n_local, 1), (size_t)l * sizeof(float),
	                 error);
	Z = Y ? kith_alloc_n((size_t)m, (size_t)l * sizeof(float), error)
	      : NULL;
	w.M = Z ? kith_alloc_n((size_t)l * l, sizeof(float), error) : NULL;
	w.G = w.M ? kith_alloc_n((size_t)l * l, sizeof(double), error) : NULL;
	w.part = w.G ? kith_alloc_n(kith_dense_gram_scratch(l),
	                            sizeof(double), error) : NULL;
	ev = w.part ? kith_alloc_n((size_t)l, sizeof(double), error) : NULL;
	W = ev ? kith_alloc_n((size_t)l * l, sizeof(double), error) : NULL;
	B = W ? kith_alloc_n((size_t)l * k, sizeof(float), error) : NULL;
	if (!B)
		goto out;

	/* Z: m x l Gaussian test matrix, one stream per row; a start's
	 * columns replace the first k */
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < m; i++) {
		struct kith_rng rng;
		kith_rng_seed(&rng, seed, ((uint64_t)1 << 62) + i);
		for (int j = 0; j < l; j++)
			Z[i * l + j] = (float)kith_rng_normal(&rng);
		if (start)
			memcpy(Z + i * l, start + i * k, (size_t)k * sizeof(float));
	}
	for (int it = 0; it < iters; it++) {
		if (!apply(ctx, Y, Z, l, FALSE, error))
			goto out;
		if (!chol_qr(Y, n_local, &w, ranks, error) ||
		    !chol_qr(Y, n_local, &w, ranks, error) ||
		    !apply(ctx, Z, Y, l, TRUE, error))
			goto out;
		if (it + 1 < iters) {
			chol_qr(Z, m, &w, FALSE, NULL);
			chol_qr(Z, m, &w, FALSE, NULL);
		}
	}
	/* A ≈ Y Zᵀ; ZᵀZ = W Σ² Wᵀ */
	kith_dense_gram(w.G, Z, m, l, w.part);
	jacobi_eigen(w.G, ev, W, l);
	{
		int ord[l];
		for (int i = 0; i < l; i++)
			ord[i] = i;
		for (int i = 1; i < l; i++) {
			int x = ord[i], j = i;
			while (j > 0 && ev[ord[j - 1]] < ev[x]) {
				ord[j] = ord[j - 1];
				j--;
			}
			ord[j] = x;
		}
		for (int c = 0; c < k; c++)
			sigma[c] = sqrt(MAX(ev[ord[c]], 0.0));
		/* U = Y W_k */
		for (int r = 0; r < l; r++)
			for (int c = 0; c < k; c++)
				B[r * k + c] = (float)W[r * l + ord[c]];
		if (U)
			kith_dense_gemm(U, Y, n_local, l, B, k);
		/* V = Z W_k Σ⁻¹ */
		for (int r = 0; r < l; r++)
			for (int c = 0; c < k; c++)
				B[r * k + c] = sigma[c] > 1e-12 ?
				    (float)(W[r * l + ord[c]] / sigma[c]) : 0.0f;
		if (V)
			kith_dense_gemm(V, Z, m, l, B, k);
	}
	ok = TRUE;
out:
	g_free(Y);
	g_free(Z);
	g_free(w.M);
	g_free(w.G);
	g_free(w.part);
	g_free(ev);
	g_free(W);
	g_free(B);
	return ok;
}

gboolean
kith_svd_op(float *U, double *sigma, float *V, int64_t n, int64_t m,
            kith_linop_fn apply, void *ctx, const float *start, int k,
            int oversample, int iters, uint64_t seed, GError **error)
{
	return svd_op(U, sigma, V, n, n, m, apply, ctx, start, k, oversample,
	              iters, seed, FALSE, error);
}

gboolean
kith_svd_op_rows(float *U, double *sigma, float *V, int64_t n,
                 int64_t n_local, int64_t m, kith_linop_fn apply, void *ctx,
                 const float *start, int k, int oversample, int iters,
                 uint64_t seed, GError **error)
{
	return svd_op(U, sigma, V, n, n_local, m, apply, ctx, start, k,
	              oversample, iters, seed, TRUE, error);
}

/* kith_linop_fn of a CSR and its transpose. */
struct csr_pair {
	const struct kith_csr *A, *At;
};

static gboolean
csr_apply(void *ctx, float *out, const float *in, int l, gboolean transpose,
          GError **error)
{
	const struct csr_pair *c = ctx;
	(void)error;
	kith_spmm(out, transpose ? c->At : c->A, in, l);
	return TRUE;
}

gboolean
kith_svd_sparse(float *U, double *sigma, float *V, const struct kith_csr *A,
                const struct kith_csr *At, int k, int oversample,
                int iters, uint64_t seed, GError **error)
{
	struct csr_pair c = { A, At };
	return kith_svd_op(U, sigma, V, A->n_rows, A->n_cols, csr_apply, &c,
	                   NULL, k, oversample, iters, seed, error);
}
