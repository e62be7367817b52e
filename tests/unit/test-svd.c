/* Unit tests of src/nn/svd.c: the deterministic dense products against
 * naive double references, the same bytes for 1, 2 and 3 threads, and the
 * truncated SVD against the spectrum of a small dense matrix. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/nn.h"

static float *
random_floats(size_t n, uint64_t seed)
{
	struct kith_rng r;
	float *x = g_new(float, n);
	kith_rng_seed(&r, seed, 0);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)kith_rng_normal(&r);
	return x;
}

/* A CSR and its transpose as a kith_linop_fn. */
struct pair {
	const struct kith_csr *A, *At;
};

static gboolean
pair_apply(void *ctx, float *out, const float *in, int l, gboolean t,
           GError **error)
{
	const struct pair *c = ctx;
	(void)error;
	kith_spmm(out, t ? c->At : c->A, in, l);
	return TRUE;
}

/* Gram over shapes that exercise the 8-lane body, the tail and blocks
 * with fewer rows than threads. */
static void
test_gram(void)
{
	static const int64_t rows[] = { 1, 7, 70, 1000, 5003 };
	static const int ls[] = { 1, 3, 8, 13, 40 };
	for (size_t a = 0; a < G_N_ELEMENTS(rows); a++)
		for (size_t b = 0; b < G_N_ELEMENTS(ls); b++) {
			int64_t n = rows[a];
			int l = ls[b];
			float *X = random_floats((size_t)n * l, 3 + a * 7 + b);
			double *sc = g_new(double, kith_dense_gram_scratch(l));
			double *G[3];
			for (int t = 0; t < 3; t++) {
				G[t] = g_new(double, (size_t)l * l);
				kith_set_threads(t + 1);
				kith_dense_gram(G[t], X, n, l, sc);
			}
			kith_set_threads(0);
			for (int i = 0; i < l; i++)
				for (int j = 0; j < l; j++) {
					double s = 0, abs = 0;
					for (int64_t r = 0; r < n; r++) {
						double p = (double)X[r * l + i] *
						           X[r * l + j];
						s += p;
						abs += fabs(p);
					}
					g_assert_cmpfloat(fabs(G[0][i * l + j] - s), <=,
					                  1e-5 * abs + 1e-6);
				}
			g_assert_cmpint(memcmp(G[0], G[1], (size_t)l * l * 8), ==, 0);
			g_assert_cmpint(memcmp(G[0], G[2], (size_t)l * l * 8), ==, 0);
			for (int t = 0; t < 3; t++)
				g_free(G[t]);
			g_free(sc);
			g_free(X);
		}
}

/* XᵀY against a naive sum in double, the same bytes at 1, 2 and 3
 * threads, over shapes with 8-lane bodies, tails and tiny blocks. */
static void
test_cross(void)
{
	static const int64_t rows[] = { 1, 9, 1000, 5003 };
	static const int ks[] = { 1, 5, 16 };
	static const int ls[] = { 1, 11, 40 };
	for (size_t a = 0; a < G_N_ELEMENTS(rows); a++)
		for (size_t b = 0; b < G_N_ELEMENTS(ks); b++)
			for (size_t c = 0; c < G_N_ELEMENTS(ls); c++) {
				int64_t n = rows[a];
				int k = ks[b], l = ls[c];
				float *X = random_floats((size_t)n * k, 11 + a);
				float *Y = random_floats((size_t)n * l, 17 + b * 3 + c);
				double *sc = g_new(double,
				                   kith_dense_cross_scratch(k, l));
				float *C[3];
				for (int t = 0; t < 3; t++) {
					C[t] = g_new(float, (size_t)k * l);
					kith_set_threads(t + 1);
					kith_dense_cross(C[t], X, Y, n, k, l, sc);
				}
				kith_set_threads(0);
				for (int i = 0; i < k; i++)
					for (int j = 0; j < l; j++) {
						double s = 0, abs = 0;
						for (int64_t r = 0; r < n; r++) {
							double p = (double)X[r * k + i] *
							           Y[r * l + j];
							s += p;
							abs += fabs(p);
						}
						g_assert_cmpfloat(fabs(C[0][i * l + j] - s),
						                  <=, 1e-5 * abs + 1e-6);
					}
				for (int t = 1; t < 3; t++)
					g_assert_cmpint(memcmp(C[0], C[t],
					                       (size_t)k * l * 4), ==, 0);
				for (int t = 0; t < 3; t++)
					g_free(C[t]);
				g_free(sc);
				g_free(X);
				g_free(Y);
			}
}

static void
test_gemm(void)
{
	int64_t n = 777;
	int k = 21, m = 19;
	float *X = random_floats((size_t)n * k, 5);
	float *B = random_floats((size_t)k * m, 6);
	float *Y[3];
	for (int t = 0; t < 3; t++) {
		Y[t] = g_new(float, (size_t)n * m);
		kith_set_threads(t + 1);
		kith_dense_gemm(Y[t], X, n, k, B, m);
	}
	kith_set_threads(0);
	for (int64_t r = 0; r < n; r++)
		for (int c = 0; c < m; c++) {
			double s = 0, abs = 0;
			for (int t = 0; t < k; t++) {
				s += (double)X[r * k + t] * B[t * m + c];
				abs += fabs((double)X[r * k + t] * B[t * m + c]);
			}
			g_assert_cmpfloat(fabs(Y[0][r * m + c] - s), <=,
			                  1e-5 * abs + 1e-6);
		}
	g_assert_cmpint(memcmp(Y[0], Y[1], (size_t)n * m * 4), ==, 0);
	g_assert_cmpint(memcmp(Y[0], Y[2], (size_t)n * m * 4), ==, 0);
	/* Y + a·X·B: the product's bits, scaled and added, at any threads */
	float *A[3], *Y0 = random_floats((size_t)n * m, 8);
	for (int t = 0; t < 3; t++) {
		A[t] = g_memdup2(Y0, (size_t)n * m * 4);
		kith_set_threads(t + 1);
		kith_dense_gemm_add(A[t], -0.5f, X, n, k, B, m);
	}
	kith_set_threads(0);
	for (size_t e = 0; e < (size_t)n * m; e++)
		g_assert_cmpfloat(A[0][e], ==, Y0[e] + -0.5f * Y[0][e]);
	for (int t = 1; t < 3; t++) {
		g_assert_cmpint(memcmp(A[0], A[t], (size_t)n * m * 4), ==, 0);
		g_free(A[t]);
	}
	g_free(A[0]);
	g_free(Y0);
	/* in place, square B: the same bytes as out of place */
	float *B2 = random_floats((size_t)k * k, 7);
	float *Z = g_new(float, (size_t)n * k);
	kith_dense_gemm(Z, X, n, k, B2, k);
	kith_dense_gemm(X, X, n, k, B2, k);
	g_assert_cmpint(memcmp(Z, X, (size_t)n * k * 4), ==, 0);
	for (int t = 0; t < 3; t++)
		g_free(Y[t]);
	g_free(X); g_free(B); g_free(B2); g_free(Z);
}

/* Scores over shapes with and without 4 x 16 blocks and edges: the bits
 * equal a plain in-order float sum, wherever the score falls. */
static void
test_scores(void)
{
	static const int64_t nqs[] = { 1, 4, 7, 13 };
	static const int64_t njs[] = { 1, 16, 37, 600, 1043 };
	int d = 11;
	for (size_t a = 0; a < G_N_ELEMENTS(nqs); a++)
		for (size_t b = 0; b < G_N_ELEMENTS(njs); b++) {
			int64_t nq = nqs[a], nj = njs[b], ld = nj + 3;
			float *Q = random_floats((size_t)nq * d, 20 + a);
			float *Vt = random_floats((size_t)d * ld, 30 + b);
			float *S = g_new(float, (size_t)nq * (nj + 1));
			kith_dense_scores(S, nj + 1, Q, nq, d, Vt, ld, nj);
			for (int64_t r = 0; r < nq; r++)
				for (int64_t j = 0; j < nj; j++) {
					float s = 0.0f;
					for (int t = 0; t < d; t++) {
						volatile float p = Q[r * d + t] *
						                   Vt[t * ld + j];
						s += p;
					}
					g_assert_true(s == S[r * (nj + 1) + j]);
				}
			g_free(Q); g_free(Vt); g_free(S);
		}
}

/* A sparse 300 x 120 matrix with a planted rank-5 signal plus noise: the
 * top singular values match those of the dense matrix (eigenvalues of
 * AᵀA by power iteration with deflation, in double), U and V are
 * orthonormal, A v = σ u, and 1 vs 2 threads give the same bytes. */
static void
test_svd(void)
{
	int64_t n = 300, m = 120;
	int k = 5;
	struct kith_rng r;
	double *D = g_new0(double, (size_t)n * m);
	kith_rng_seed(&r, 9, 1);
	for (int64_t u = 0; u < n; u++)
		for (int64_t i = 0; i < m; i++) {
			gboolean in = (u % 5) == (i % 5);
			if (kith_rng_uniform(&r) < (in ? 0.3 : 0.02))
				D[u * m + i] = 0.5 + kith_rng_uniform(&r);
		}
	int64_t nnz = 0;
	for (size_t x = 0; x < (size_t)n * m; x++)
		nnz += D[x] != 0;
	struct kith_csr A, At;
	g_assert_true(kith_csr_alloc(&A, n, m, nnz, TRUE, NULL));
	int64_t p = 0;
	A.indptr[0] = 0;
	for (int64_t u = 0; u < n; u++) {
		for (int64_t i = 0; i < m; i++)
			if (D[u * m + i] != 0) {
				A.indices[p] = (int32_t)i;
				A.values[p++] = (float)D[u * m + i];
			}
		A.indptr[u + 1] = p;
	}
	g_assert_true(kith_csr_transpose(&At, &A, NULL));

	/* reference: eigenvalues of AᵀA by power iteration + deflation */
	double *M = g_new0(double, (size_t)m * m);
	for (int64_t u = 0; u < n; u++)
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < m; j++)
				M[i * m + j] += (double)(float)D[u * m + i] *
				                (float)D[u * m + j];
	double ref[5];
	double *v = g_new(double, m), *w = g_new(double, m);
	for (int c = 0; c < k; c++) {
		for (int64_t i = 0; i < m; i++)
			v[i] = 1.0 + 0.01 * i;
		double lam = 0;
		for (int it = 0; it < 5000; it++) {
			double nr = 0;
			for (int64_t i = 0; i < m; i++) {
				w[i] = 0;
				for (int64_t j = 0; j < m; j++)
					w[i] += M[i * m + j] * v[j];
				nr += w[i] * w[i];
			}
			nr = sqrt(nr);
			lam = nr;
			for (int64_t i = 0; i < m; i++)
				v[i] = w[i] / nr;
		}
		ref[c] = sqrt(lam);
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < m; j++)
				M[i * m + j] -= lam * v[i] * v[j];
	}

	float *U[2], *V[2];
	double sg[2][5];
	for (int t = 0; t < 2; t++) {
		U[t] = g_new(float, (size_t)n * k);
		V[t] = g_new(float, (size_t)m * k);
		kith_set_threads(t + 1);
		g_assert_true(kith_svd_sparse(U[t], sg[t], V[t], &A, &At, k, 10,
		                              6, 17, NULL));
	}
	kith_set_threads(0);
	for (int c = 0; c < k; c++)
		g_assert_cmpfloat(fabs(sg[0][c] - ref[c]), <=, 1e-3 * ref[0]);
	for (int c = 1; c < k; c++)
		g_assert_cmpfloat(sg[0][c], <=, sg[0][c - 1]);
	for (int a = 0; a < k; a++)
		for (int b = 0; b < k; b++) {
			double su = 0, sv = 0;
			for (int64_t x = 0; x < n; x++)
				su += (double)U[0][x * k + a] * U[0][x * k + b];
			for (int64_t x = 0; x < m; x++)
				sv += (double)V[0][x * k + a] * V[0][x * k + b];
			g_assert_cmpfloat(fabs(su - (a == b)), <=, 1e-3);
			g_assert_cmpfloat(fabs(sv - (a == b)), <=, 1e-3);
		}
	/* A v_c = σ_c u_c */
	for (int c = 0; c < k; c++)
		for (int64_t u = 0; u < n; u++) {
			double s = 0;
			for (int64_t q = A.indptr[u]; q < A.indptr[u + 1]; q++)
				s += A.values[q] * (double)V[0][A.indices[q] * k + c];
			g_assert_cmpfloat(fabs(s - sg[0][c] * U[0][u * k + c]), <=,
			                  1e-3 * sg[0][0]);
		}
	g_assert_cmpint(memcmp(U[0], U[1], (size_t)n * k * 4), ==, 0);
	g_assert_cmpint(memcmp(V[0], V[1], (size_t)m * k * 4), ==, 0);
	/* the rows version in one process: the same bytes (no ranks) */
	{
		struct pair c = { &A, &At };
		double sr[5];
		g_autofree float *Ur = g_new(float, (size_t)n * k);
		g_autofree float *Vr = g_new(float, (size_t)m * k);
		kith_set_threads(1);
		g_assert_true(kith_svd_op_rows(Ur, sr, Vr, n, n, m, pair_apply,
		                               &c, NULL, k, 10, 6, 17, NULL));
		kith_set_threads(0);
		g_assert_cmpint(memcmp(Ur, U[0], (size_t)n * k * 4), ==, 0);
		g_assert_cmpint(memcmp(Vr, V[0], (size_t)m * k * 4), ==, 0);
		g_assert_cmpint(memcmp(sr, sg[0], sizeof sr), ==, 0);
	}
	/* k above min(n, m): a usage error */
	GError *err = NULL;
	g_assert_false(kith_svd_sparse(NULL, sg[0], NULL, &A, &At, 121, 0, 1,
	                               1, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	for (int t = 0; t < 2; t++) {
		g_free(U[t]);
		g_free(V[t]);
	}
	g_free(D); g_free(M); g_free(v); g_free(w);
	kith_csr_clear(&A);
	kith_csr_clear(&At);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/svd/gram", test_gram);
	g_test_add_func("/svd/cross", test_cross);
	g_test_add_func("/svd/gemm", test_gemm);
	g_test_add_func("/svd/scores", test_scores);
	g_test_add_func("/svd/svd", test_svd);
	return g_test_run();
}
