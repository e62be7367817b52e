/* Unit tests of src/nn/spmm.c and src/nn/adam.c against naive references. */
#include "config.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "kith/core.h"
#include "kith/nn.h"

/* A random n x m CSR with power-law row lengths (a few hubs holding a large
 * share of the nonzeros), sorted distinct columns, optional values. */
static void
random_csr(struct kith_csr *A, int64_t n, int64_t m, gboolean with_values,
           uint64_t seed)
{
	struct kith_rng r;
	int64_t *deg = g_new(int64_t, n);
	int64_t nnz = 0;
	guint8 *mark = g_new0(guint8, m);

	kith_rng_seed(&r, seed, 0);
	for (int64_t i = 0; i < n; i++) {
		/* Pareto-like degree: floor(2 / u^1.2), capped at m; some rows
		 * empty. */
		double u = kith_rng_uniform(&r) + 1e-9;
		int64_t k = (int64_t)(2.0 / pow(u, 1.2)) - 1;
		if (k > m)
			k = m;
		deg[i] = k;
		nnz += k;
	}
	/* One guaranteed hub with a third of all columns. */
	if (n > 3 && m / 3 > deg[3]) {
		nnz += m / 3 - deg[3];
		deg[3] = m / 3;
	}
	g_assert_true(kith_csr_alloc(A, n, m, nnz, with_values, NULL));
	A->indptr[0] = 0;
	for (int64_t i = 0; i < n; i++) {
		int64_t p = A->indptr[i], c = 0;
		while (c < deg[i]) {
			int32_t j = (int32_t)kith_rng_below(&r, (uint64_t)m);
			if (!mark[j]) {
				mark[j] = 1;
				A->indices[p + c++] = j;
			}
		}
		/* Sort the row and clear the marks. */
		for (int64_t a = 1; a < c; a++) {
			int32_t x = A->indices[p + a];
			int64_t b = a - 1;
			while (b >= 0 && A->indices[p + b] > x) {
				A->indices[p + b + 1] = A->indices[p + b];
				b--;
			}
			A->indices[p + b + 1] = x;
		}
		for (int64_t a = 0; a < c; a++) {
			mark[A->indices[p + a]] = 0;
			if (with_values)
				A->values[p + a] =
				    (float)(kith_rng_uniform(&r) * 2 - 0.5);
		}
		A->indptr[i + 1] = p + c;
	}
	g_free(deg);
	g_free(mark);
}

static void
naive_spmm(double *Y, const struct kith_csr *A, const float *X, int d)
{
	for (int64_t i = 0; i < A->n_rows; i++) {
		for (int j = 0; j < d; j++)
			Y[i * d + j] = 0;
		for (int64_t k = A->indptr[i]; k < A->indptr[i + 1]; k++) {
			double v = A->values ? A->values[k] : 1.0;
			for (int j = 0; j < d; j++)
				Y[i * d + j] += v * X[(int64_t)A->indices[k] * d + j];
		}
	}
}

/* |got - want| <= 1e-5 · (|want| + scale) where scale is the row's sum of
 * |a|·|x| — the natural bound of a float32 dot product. */
static void
check_close(const float *got, const double *want, const double *scale,
            size_t len)
{
	for (size_t i = 0; i < len; i++) {
		double tol = 1e-5 * (fabs(want[i]) + scale[i]) + 1e-30;
		if (fabs(got[i] - want[i]) > tol)
			g_error("entry %zu: got %.9g want %.9g", i, got[i],
			        want[i]);
	}
}

static void
run_case(int64_t n, int64_t m, int d, gboolean with_values, uint64_t seed)
{
	struct kith_csr A = { 0 }, Aabs;
	struct kith_rng r;
	size_t xn = (size_t)m * d, yn = (size_t)n * d;
	float *X = g_new(float, xn), *Xabs = g_new(float, xn);
	float *Y = g_new(float, yn), *Y1 = g_new(float, yn);
	float *Y2 = g_new(float, yn);
	double *R = g_new(double, yn), *S = g_new(double, yn);
	float *absval = NULL;

	random_csr(&A, n, m, with_values, seed);
	kith_rng_seed(&r, seed, 1);
	for (size_t i = 0; i < xn; i++) {
		X[i] = (float)kith_rng_normal(&r);
		Xabs[i] = fabsf(X[i]);
	}
	Aabs = A;
	Aabs.owned = FALSE;
	if (with_values) {
		absval = g_new(float, A.nnz);
		for (int64_t k = 0; k < A.nnz; k++)
			absval[k] = fabsf(A.values[k]);
		Aabs.values = absval;
	}
	naive_spmm(R, &A, X, d);
	naive_spmm(S, &Aabs, Xabs, d);

	omp_set_num_threads(2);
	kith_spmm(Y, &A, X, d);
	check_close(Y, R, S, yn);

	/* Bit-identical across thread counts. */
	omp_set_num_threads(1);
	kith_spmm(Y1, &A, X, d);
	omp_set_num_threads(2);
	kith_spmm(Y2, &A, X, d);
	g_assert_cmpmem(Y1, yn * sizeof(float), Y2, yn * sizeof(float));
	g_assert_cmpmem(Y, yn * sizeof(float), Y2, yn * sizeof(float));

	/* axpby: Y2 = 0.5·Y2 - 2·A·X, i.e. 0.5·AX - 2·AX = -1.5·AX. */
	kith_spmm_axpby(Y2, 0.5f, &A, -2.0f, X, d);
	for (size_t i = 0; i < yn; i++) {
		R[i] *= -1.5;
		S[i] *= 2.5;
	}
	check_close(Y2, R, S, yn);
	/* beta = 0 must ignore the old contents, even NaN. */
	for (size_t i = 0; i < yn; i++)
		Y1[i] = NAN;
	kith_spmm_axpby(Y1, 0.0f, &A, -1.5f, X, d);
	check_close(Y1, R, S, yn);

	g_free(absval);
	kith_csr_clear(&A);
	g_free(X);
	g_free(Xabs);
	g_free(Y);
	g_free(Y1);
	g_free(Y2);
	g_free(R);
	g_free(S);
}

static void
test_spmm_widths(void)
{
	static const int widths[] = { 1, 7, 16, 64, 65, 100 };
	for (size_t w = 0; w < G_N_ELEMENTS(widths); w++) {
		run_case(3000, 2500, widths[w], TRUE, 11 + w);
		run_case(2000, 4000, widths[w], FALSE, 101 + w);
	}
}

static void
test_spmm_edge_shapes(void)
{
	/* Fewer rows than threads, one row, and an all-empty matrix. */
	run_case(1, 50, 64, TRUE, 7);
	run_case(3, 500, 16, TRUE, 8);
	{
		struct kith_csr A = { 0 };
		float X[4 * 3] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
		float Y[5 * 3];
		g_assert_true(kith_csr_alloc(&A, 5, 4, 0, TRUE, NULL));
		memset(A.indptr, 0, 6 * sizeof(int64_t));
		memset(Y, 0xff, sizeof Y);
		kith_spmm(Y, &A, X, 3);
		for (int i = 0; i < 15; i++)
			g_assert_cmpfloat(Y[i], ==, 0.0f);
		kith_csr_clear(&A);
	}
	/* A hand-computed 2 x 3 product. */
	{
		int64_t ip[] = { 0, 2, 3 };
		int32_t ix[] = { 0, 2, 1 };
		float v[] = { 2, -1, 0.5f };
		struct kith_csr A = { 2, 3, 3, ip, ix, v, FALSE };
		float X[3 * 2] = { 1, 2, 3, 4, 5, 6 };
		float Y[2 * 2];
		kith_spmm(Y, &A, X, 2);
		g_assert_cmpfloat(Y[0], ==, 2 * 1 - 5);
		g_assert_cmpfloat(Y[1], ==, 2 * 2 - 6);
		g_assert_cmpfloat(Y[2], ==, 1.5f);
		g_assert_cmpfloat(Y[3], ==, 2.0f);
	}
}

/* Adam against a double-precision reference on a quadratic; AdamW decay. */
static void
test_adam(void)
{
	enum { N = 100003 };
	struct kith_adam a;
	float *w = g_new(float, N), *g = g_new(float, N);
	double *rw = g_new(double, N), *rm = g_new0(double, N);
	double *rv = g_new0(double, N);
	GError *err = NULL;

	g_assert_true(kith_adam_init(&a, N, 0.01f, &err));
	g_assert_no_error(err);
	a.weight_decay = 0.1f;
	for (int i = 0; i < N; i++)
		w[i] = rw[i] = (float)((i % 17) - 8);
	omp_set_num_threads(2);
	for (int t = 1; t <= 50; t++) {
		for (int i = 0; i < N; i++) {
			g[i] = 2 * w[i] - (float)(i % 5);
			double gi = 2 * rw[i] - (i % 5);
			rm[i] = 0.9 * rm[i] + 0.1 * gi;
			rv[i] = 0.999 * rv[i] + 0.001 * gi * gi;
			rw[i] -= 0.01 * 0.1 * rw[i];
			rw[i] -= 0.01 * (rm[i] / (1 - pow(0.9, t))) /
			         (sqrt(rv[i] / (1 - pow(0.999, t))) + 1e-8);
		}
		kith_adam_step(&a, w, g);
	}
	g_assert_cmpint(a.t, ==, 50);
	for (int i = 0; i < N; i++)
		g_assert_cmpfloat(fabs(w[i] - rw[i]), <, 1e-4 * (1 + fabs(rw[i])));
	/* Minimises: w moved towards the optimum (i%5)/2 for every i (up to
	 * Adam's step-size oscillation near it). */
	for (int i = 0; i < N; i++) {
		double opt = (i % 5) / 2.0, w0 = (i % 17) - 8;
		g_assert_cmpfloat(fabs(w[i] - opt), <=,
		                  MAX(fabs(w0 - opt) - 0.3, 0.05));
	}
	kith_adam_clear(&a);
	g_assert_null(a.m);
	g_free(w);
	g_free(g);
	g_free(rw);
	g_free(rm);
	g_free(rv);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/spmm/widths", test_spmm_widths);
	g_test_add_func("/spmm/edge-shapes", test_spmm_edge_shapes);
	g_test_add_func("/adam/reference", test_adam);
	return g_test_run();
}
