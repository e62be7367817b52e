/* Unit tests of the distillation kernels (src/nn/distill.c) against naive
 * dense references: the teacher's top-k targets and the weighted-ALS
 * conjugate-gradient solve; thread counts give the same bytes. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/eval.h"
#include "kith/nn.h"

#include "unit-util.h"

/* The dense teacher S = R D_i^-b1 Rᵀ D_u^-a R D_i^-b2 (n x m doubles). */
static double *
naive_scores(const struct kith_csr *R, double a, double b1, double b2)
{
	int64_t n = R->n_rows, m = R->n_cols;
	double *D = g_new0(double, n * m), *C = g_new0(double, m * m);
	double *di = g_new0(double, m), *du = g_new0(double, n);

	for (int64_t e = 0; e < R->nnz; e++)
		di[R->indices[e]] += 1;
	for (int64_t u = 0; u < n; u++)
		du[u] = (double)(R->indptr[u + 1] - R->indptr[u]);
	for (int64_t u = 0; u < n; u++)
		for (int64_t e = R->indptr[u]; e < R->indptr[u + 1]; e++)
			D[u * m + R->indices[e]] = 1;
	/* C = D_i^-b1 Rᵀ D_u^-a R D_i^-b2 */
	for (int64_t v = 0; v < n; v++)
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < m; j++)
				if (D[v * m + i] != 0 && D[v * m + j] != 0)
					C[i * m + j] += pow(di[i], -b1) *
					                pow(du[v], -a) *
					                pow(di[j], -b2);
	double *S = g_new0(double, n * m);
	for (int64_t u = 0; u < n; u++)
		for (int64_t i = 0; i < m; i++)
			if (D[u * m + i] != 0)
				for (int64_t j = 0; j < m; j++)
					S[u * m + j] += C[i * m + j];
	/* the user's own items are not candidates */
	for (int64_t u = 0; u < n; u++)
		for (int64_t j = 0; j < m; j++)
			if (D[u * m + j] != 0)
				S[u * m + j] = 0;
	g_free(D);
	g_free(C);
	g_free(di);
	g_free(du);
	return S;
}

/* The teacher's targets equal the naive top-k of every user (positive
 * scores outside the user's items, over the best), in column order, for
 * any row range and thread count. */
static void
test_teacher_naive(void)
{
	const int64_t n = 40, m = 30;
	const int k = 7;
	struct kith_csr R = test_random_csr(n, m, 0.15, 11), Rt, T, T2;
	GError *err = NULL;

	g_assert_true(kith_csr_transpose(&Rt, &R, &err));
	double *S = naive_scores(&R, 0.5, 0.5, 0.3);
	kith_set_threads(1);
	g_assert_true(kith_distill_teacher(&T, &R, &Rt, 0, n, 0.5, 0.5, 0.3,
	                                   k, &err));
	g_assert_no_error(err);
	g_assert_cmpint(T.n_rows, ==, n);
	g_assert_cmpint(T.n_cols, ==, m);
	int64_t full = 0;
	for (int64_t u = 0; u < n; u++) {
		struct test_cand c[30];
		int nc = 0;
		for (int64_t j = 0; j < m; j++)
			if (S[u * m + j] > 0)
				c[nc++] = (struct test_cand){ S[u * m + j],
				                              (int32_t)j };
		qsort(c, nc, sizeof c[0], test_cmp_cand);
		int want = MIN(nc, k);
		int64_t ne = T.indptr[u + 1] - T.indptr[u];
		g_assert_cmpint(ne, ==, want);
		full += ne == k;
		for (int q = 0; q < want; q++) {
			/* the q-th best is in the row, scaled by the best */
			int64_t e = T.indptr[u];
			while (e < T.indptr[u + 1] && T.indices[e] != c[q].j)
				e++;
			g_assert_cmpint(e, <, T.indptr[u + 1]);
			g_assert_cmpfloat_with_epsilon(T.values[e],
			                               c[q].s / c[0].s, 1e-5);
		}
		for (int64_t e = T.indptr[u] + 1; e < T.indptr[u + 1]; e++)
			g_assert_cmpint(T.indices[e - 1], <, T.indices[e]);
	}
	g_assert_cmpint(full, >, n / 2);      /* the test has full rows */
	/* a row range and two threads: the same bytes */
	kith_set_threads(2);
	g_assert_true(kith_distill_teacher(&T2, &R, &Rt, 13, 29, 0.5, 0.5,
	                                   0.3, k, &err));
	g_assert_cmpint(T2.n_rows, ==, 16);
	for (int64_t r = 0; r < 16; r++) {
		int64_t e0 = T.indptr[13 + r], ne = T.indptr[14 + r] - e0;
		g_assert_cmpint(T2.indptr[r + 1] - T2.indptr[r], ==, ne);
		g_assert_cmpmem(T2.indices + T2.indptr[r], ne * 4,
		                T.indices + e0, ne * 4);
		g_assert_cmpmem(T2.values + T2.indptr[r], ne * 4,
		                T.values + e0, ne * 4);
	}
	kith_csr_clear(&T2);
	g_assert_false(kith_distill_teacher(&T2, &R, &Rt, 5, 3, 0.5, 0.5, 0.3,
	                                    k, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&T);
	kith_csr_clear(&Rt);
	kith_csr_clear(&R);
	g_free(S);
}

/* Solves the d x d system A x = b in place (Gaussian elimination with
 * partial pivoting, doubles). */
static void
naive_solve(double *A, double *b, int d)
{
	for (int c = 0; c < d; c++) {
		int p = c;
		for (int r = c + 1; r < d; r++)
			if (fabs(A[r * d + c]) > fabs(A[p * d + c]))
				p = r;
		for (int j = 0; j < d; j++) {
			double t = A[c * d + j];
			A[c * d + j] = A[p * d + j];
			A[p * d + j] = t;
		}
		double t = b[c]; b[c] = b[p]; b[p] = t;
		for (int r = c + 1; r < d; r++) {
			double f = A[r * d + c] / A[c * d + c];
			for (int j = c; j < d; j++)
				A[r * d + j] -= f * A[c * d + j];
			b[r] -= f * b[c];
		}
	}
	for (int c = d - 1; c >= 0; c--) {
		for (int j = c + 1; j < d; j++)
			b[c] -= A[c * d + j] * b[j];
		b[c] /= A[c * d + c];
	}
}

/* The weighted objective of row x: Σ_T c (t - x·y)² + alpha0 Σ_rest
 * (x·y)² + lambda ‖x‖² (all m columns of Y visited). */
static double
objective(const float *x, const struct kith_csr *T, int64_t row,
          const float *Y, int64_t m, int d, double c, double a0, double lam)
{
	double f = 0;
	int64_t e = T->indptr[row];
	for (int64_t j = 0; j < m; j++) {
		double s = 0;
		for (int q = 0; q < d; q++)
			s += (double)x[q] * Y[j * d + q];
		if (e < T->indptr[row + 1] && T->indices[e] == j) {
			f += c * (T->values[e] - s) * (T->values[e] - s);
			e++;
		} else {
			f += a0 * s * s;
		}
	}
	for (int q = 0; q < d; q++)
		f += lam * x[q] * x[q];
	return f;
}

/* kith_wals_cg(): with d steps it reaches the exact minimiser; each step
 * lowers the objective; 0 steps leave X; threads give the same bytes. */
static void
test_wals_cg(void)
{
	const int64_t rows = 25, m = 40;
	const int d = 6;
	const double c = 1.0, a0 = 0.05, lam = 0.01;
	struct kith_csr T = test_random_csr(rows, m, 0.2, 5);
	struct kith_rng rng;
	GError *err = NULL;

	T.values = g_new(float, MAX(T.nnz, 1));
	kith_rng_seed(&rng, 3, 0);
	for (int64_t e = 0; e < T.nnz; e++)
		T.values[e] = (float)kith_rng_uniform(&rng);
	float *Y = g_new(float, m * d), *X0 = g_new(float, rows * d);
	for (int64_t q = 0; q < m * d; q++)
		Y[q] = (float)(kith_rng_uniform(&rng) - 0.5);
	for (int64_t q = 0; q < rows * d; q++)
		X0[q] = (float)(kith_rng_uniform(&rng) - 0.5);
	double G[36];
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++) {
			double s = 0;
			for (int64_t r = 0; r < m; r++)
				s += (double)Y[r * d + i] * Y[r * d + j];
			G[i * d + j] = a0 * s + (i == j ? lam : 0);
		}
	float *X = g_memdup2(X0, rows * d * sizeof(float));
	kith_wals_cg(X, &T, Y, d, G, c, a0, 0);
	g_assert_cmpmem(X, rows * d * 4, X0, rows * d * 4);
	/* one step, then two: the objective falls every time */
	float *X1 = g_memdup2(X0, rows * d * sizeof(float));
	float *X2 = g_memdup2(X0, rows * d * sizeof(float));
	kith_wals_cg(X1, &T, Y, d, G, c, a0, 1);
	kith_wals_cg(X2, &T, Y, d, G, c, a0, 2);
	kith_set_threads(1);
	kith_wals_cg(X, &T, Y, d, G, c, a0, 3 * d);
	for (int64_t r = 0; r < rows; r++) {
		double f0 = objective(X0 + r * d, &T, r, Y, m, d, c, a0, lam);
		double f1 = objective(X1 + r * d, &T, r, Y, m, d, c, a0, lam);
		double f2 = objective(X2 + r * d, &T, r, Y, m, d, c, a0, lam);
		double fx = objective(X + r * d, &T, r, Y, m, d, c, a0, lam);
		g_assert_cmpfloat(f1, <=, f0 + 1e-9);
		g_assert_cmpfloat(f2, <=, f1 + 1e-9);
		g_assert_cmpfloat(fx, <=, f2 + 1e-9);
		/* the exact minimiser of the normal equations */
		double A[36], b[6] = { 0 };
		memcpy(A, G, sizeof A);
		for (int64_t e = T.indptr[r]; e < T.indptr[r + 1]; e++) {
			const float *y = Y + (int64_t)T.indices[e] * d;
			for (int i = 0; i < d; i++) {
				b[i] += c * T.values[e] * y[i];
				for (int j = 0; j < d; j++)
					A[i * d + j] += (c - a0) * y[i] * y[j];
			}
		}
		naive_solve(A, b, d);
		for (int i = 0; i < d; i++)
			g_assert_cmpfloat_with_epsilon(X[r * d + i], b[i],
			                               1e-4 * (1 + fabs(b[i])));
	}
	/* two threads: the same bytes */
	float *Xt = g_memdup2(X0, rows * d * sizeof(float));
	kith_set_threads(2);
	kith_wals_cg(Xt, &T, Y, d, G, c, a0, 3 * d);
	g_assert_cmpmem(Xt, rows * d * 4, X, rows * d * 4);
	g_assert_no_error(err);
	kith_csr_clear(&T);
	g_free(Y);
	g_free(X0);
	g_free(X);
	g_free(X1);
	g_free(X2);
	g_free(Xt);
}

/* kith_topk_pairs(): best first, ties to the lower item, NaN last,
 * padded. */
static void
test_topk_pairs(void)
{
	const int32_t items[] = { 9, 4, 7, 2, 5 };
	const float scores[] = { 1.0f, NAN, 3.0f, 1.0f, 2.0f };
	int32_t oi[7];
	float os[7];

	kith_topk_pairs(oi, os, items, scores, 5, 7);
	const int32_t want[] = { 7, 5, 2, 9, 4, -1, -1 };
	g_assert_cmpmem(oi, sizeof oi, want, sizeof want);
	g_assert_cmpfloat(os[0], ==, 3.0f);
	g_assert_true(isinf(os[4]) && os[4] < 0);
	kith_topk_pairs(oi, os, items, scores, 5, 2);
	g_assert_cmpint(oi[0], ==, 7);
	g_assert_cmpint(oi[1], ==, 5);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/distill/teacher-naive", test_teacher_naive);
	g_test_add_func("/distill/wals-cg", test_wals_cg);
	g_test_add_func("/distill/topk-pairs", test_topk_pairs);
	return g_test_run();
}
