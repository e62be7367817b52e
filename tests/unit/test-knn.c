/* Unit tests of the kNN graph (src/analytics/knn.c) against a naive O(n²)
 * reference computed in double precision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"

#include "unit-util.h"

static float *
random_matrix(int64_t n, int d, uint64_t seed, int zero_every)
{
	struct kith_rng r;
	float *X = g_new(float, n * d);
	kith_rng_seed(&r, seed, 0);
	for (int64_t i = 0; i < n * d; i++)
		X[i] = (float)kith_rng_normal(&r);
	if (zero_every > 0)
		for (int64_t i = 0; i < n; i += zero_every)
			memset(X + i * d, 0, sizeof(float) * d);
	return X;
}

static double
cosine(const float *X, int d, int64_t i, int64_t j)
{
	double s = 0, a = 0, b = 0;
	for (int t = 0; t < d; t++) {
		s += (double)X[i * d + t] * X[j * d + t];
		a += (double)X[i * d + t] * X[i * d + t];
		b += (double)X[j * d + t] * X[j * d + t];
	}
	return a > 0 && b > 0 ? s / sqrt(a * b) : 0.0;
}

/* naive directed kNN: dense n x n boolean adjacency + weights */
static void
naive_knn(uint8_t *adj, double *w, const float *X, int64_t n, int d, int k,
          double min_sim)
{
	struct test_cand *c = g_new(struct test_cand, n);
	memset(adj, 0, n * n);
	for (int64_t i = 0; i < n; i++) {
		int64_t m = 0;
		for (int64_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			c[m].s = cosine(X, d, i, j);
			c[m].j = (int32_t)j;
			m++;
		}
		qsort(c, m, sizeof(*c), test_cmp_cand);
		for (int e = 0; e < k && e < m; e++) {
			if (!(c[e].s > min_sim))
				continue;
			adj[i * n + c[e].j] = 1;
			w[i * n + c[e].j] = c[e].s;
		}
	}
	g_free(c);
}

static void
check_against_naive(int64_t n, int d, int k, gboolean sym, int zero_every)
{
	g_autofree float *X = random_matrix(n, d, 7 + n + k, zero_every);
	g_autofree uint8_t *adj = g_new0(uint8_t, n * n);
	g_autofree double *w = g_new0(double, n * n);
	struct kith_csr g;
	GError *err = NULL;

	naive_knn(adj, w, X, n, d, k, 0.0);
	if (sym)
		for (int64_t i = 0; i < n; i++)
			for (int64_t j = 0; j < n; j++)
				if (adj[i * n + j]) {
					adj[j * n + i] = 1;
					w[j * n + i] = w[i * n + j];
				}
	g_assert_true(kith_knn_graph(&g, X, n, d, k, 0.0, sym, &err));
	g_assert_no_error(err);
	g_assert_cmpint(g.n_rows, ==, n);
	g_assert_cmpint(g.n_cols, ==, n);
	int64_t want_nnz = 0;
	for (int64_t i = 0; i < n * n; i++)
		want_nnz += adj[i];
	g_assert_cmpint(g.nnz, ==, want_nnz);
	for (int64_t i = 0; i < n; i++) {
		if (!sym)
			g_assert_cmpint(g.indptr[i + 1] - g.indptr[i], <=, k);
		for (int64_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) {
			int32_t j = g.indices[e];
			g_assert_cmpint(j, !=, i);
			if (e > g.indptr[i])
				g_assert_cmpint(g.indices[e - 1], <, j);
			g_assert_true(adj[i * n + j]);
			g_assert_cmpfloat(fabs(g.values[e] - w[i * n + j]), <,
			                  1e-5);
			g_assert_cmpfloat(g.values[e], >, 0.0f);
		}
	}
	kith_csr_clear(&g);
}

static void
test_directed(void)
{
	check_against_naive(300, 16, 10, FALSE, 0);
	check_against_naive(57, 5, 3, FALSE, 0);
}

static void
test_symmetric(void)
{
	check_against_naive(300, 16, 10, TRUE, 0);
	check_against_naive(120, 8, 1, TRUE, 0);
}

static void
test_zero_rows(void)
{
	/* zero rows have similarity 0 to everything: no edges to or from */
	check_against_naive(200, 8, 5, TRUE, 7);
	check_against_naive(200, 8, 5, FALSE, 7);
}

static void
test_threads_identical(void)
{
	int64_t n = 700;
	int d = 12, k = 8;
	g_autofree float *X = random_matrix(n, d, 99, 0);
	struct kith_csr a, b;
	GError *err = NULL;
	int t = kith_get_threads();

	kith_set_threads(1);
	g_assert_true(kith_knn_graph(&a, X, n, d, k, 0.0, TRUE, &err));
	kith_set_threads(2);
	g_assert_true(kith_knn_graph(&b, X, n, d, k, 0.0, TRUE, &err));
	kith_set_threads(t);
	g_assert_cmpint(a.nnz, ==, b.nnz);
	g_assert_cmpmem(a.indptr, (n + 1) * 8, b.indptr, (n + 1) * 8);
	g_assert_cmpmem(a.indices, a.nnz * 4, b.indices, b.nnz * 4);
	g_assert_cmpmem(a.values, a.nnz * 4, b.values, b.nnz * 4);
	kith_csr_clear(&a);
	kith_csr_clear(&b);
}

static void
test_small_and_errors(void)
{
	float X[6] = { 1, 0, 0, 1, 1, 1 };
	struct kith_csr g;
	GError *err = NULL;

	/* k larger than n - 1 is clipped */
	g_assert_true(kith_knn_graph(&g, X, 3, 2, 10, -2.0, FALSE, &err));
	g_assert_cmpint(g.nnz, ==, 6);
	/* row 0 = (1,0): neighbours 2 (cos 0.707) then 1 (cos 0), sorted
	 * by column in the CSR */
	g_assert_cmpint(g.indices[0], ==, 1);
	g_assert_cmpint(g.indices[1], ==, 2);
	g_assert_cmpfloat(fabs(g.values[1] - M_SQRT1_2), <, 1e-6);
	kith_csr_clear(&g);
	/* min_sim 0 drops the orthogonal pair */
	g_assert_true(kith_knn_graph(&g, X, 3, 2, 10, 0.0, TRUE, &err));
	g_assert_cmpint(g.nnz, ==, 4);
	kith_csr_clear(&g);
	g_assert_true(kith_knn_graph(&g, X, 1, 2, 5, 0.0, TRUE, &err));
	g_assert_cmpint(g.nnz, ==, 0);
	kith_csr_clear(&g);
	g_assert_false(kith_knn_graph(&g, X, 3, 2, 0, 0.0, TRUE, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/knn/directed", test_directed);
	g_test_add_func("/knn/symmetric", test_symmetric);
	g_test_add_func("/knn/zero-rows", test_zero_rows);
	g_test_add_func("/knn/threads-identical", test_threads_identical);
	g_test_add_func("/knn/small-and-errors", test_small_and_errors);
	return g_test_run();
}
