/* Unit tests of the top-K kernels (src/eval/topk.c) against a naive
 * full sort. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"

#include "unit-util.h"

/* naive reference: full sort of (score desc, index asc), mask skipped */
static void
naive_topk(int32_t *out, const float *U, const float *V, int64_t n_items,
           int d, int64_t u, int k, const struct kith_csr *mask,
           int64_t self)
{
	struct test_cand *c = g_new(struct test_cand, n_items);
	int64_t n = 0;
	for (int64_t j = 0; j < n_items; j++) {
		gboolean skip = j == self;
		if (mask)
			for (int64_t e = mask->indptr[u]; e < mask->indptr[u + 1];
			     e++)
				skip |= mask->indices[e] == j;
		if (skip)
			continue;
		double s = 0;
		for (int t = 0; t < d; t++)
			s += (double)U[u * d + t] * V[j * d + t];
		c[n].s = s;
		c[n].j = (int32_t)j;
		n++;
	}
	qsort(c, n, sizeof(*c), test_cmp_cand);
	for (int i = 0; i < k; i++)
		out[i] = i < n ? c[i].j : -1;
	g_free(c);
}

/* small integer entries: float dot products are exact, ties are many */
static float *
int_matrix(int64_t n, int d, uint64_t seed)
{
	struct kith_rng rng;
	kith_rng_seed(&rng, seed, 1);
	float *m = g_new(float, n * d);
	for (int64_t i = 0; i < n * d; i++)
		m[i] = (float)((int)kith_rng_below(&rng, 7) - 3);
	return m;
}

static void
test_exact_ties(void)
{
	const int64_t nu = 300, ni = 777;
	const int d = 8, k = 25;
	float *U = int_matrix(nu, d, 1), *V = int_matrix(ni, d, 2);
	struct kith_csr mask = test_random_csr(nu, ni, 0.05, 3);
	int64_t *q = g_new(int64_t, nu);
	for (int64_t i = 0; i < nu; i++)
		q[i] = nu - 1 - i;
	int32_t *got = g_new(int32_t, nu * k);
	float *sc = g_new(float, nu * k);
	int32_t ref[25];
	GError *err = NULL;
	g_assert_true(kith_topk_dot(got, sc, U, V, ni, d, q, nu, k, &mask,
	                            &err));
	g_assert_no_error(err);
	for (int64_t i = 0; i < nu; i++) {
		naive_topk(ref, U, V, ni, d, q[i], k, &mask, -1);
		g_assert_cmpmem(got + i * k, k * sizeof(int32_t), ref,
		                k * sizeof(int32_t));
		for (int t = 0; t < k; t++) {
			double s = 0;
			for (int c = 0; c < d; c++)
				s += U[q[i] * d + c] * V[ref[t] * d + c];
			g_assert_cmpfloat(sc[i * k + t], ==, (float)s);
		}
	}
	/* no mask */
	g_assert_true(kith_topk_dot(got, NULL, U, V, ni, d, q, 10, k, NULL,
	                            &err));
	for (int64_t i = 0; i < 10; i++) {
		naive_topk(ref, U, V, ni, d, q[i], k, NULL, -1);
		g_assert_cmpmem(got + i * k, k * sizeof(int32_t), ref,
		                k * sizeof(int32_t));
	}
	kith_csr_clear(&mask);
	g_free(U); g_free(V); g_free(q); g_free(got); g_free(sc);
}

static void
test_random_floats(void)
{
	const int64_t nu = 64, ni = 5000;
	const int d = 32, k = 20;
	struct kith_rng rng;
	kith_rng_seed(&rng, 9, 0);
	float *U = g_new(float, nu * d), *V = g_new(float, ni * d);
	for (int64_t i = 0; i < nu * d; i++)
		U[i] = (float)kith_rng_normal(&rng);
	for (int64_t i = 0; i < ni * d; i++)
		V[i] = (float)kith_rng_normal(&rng);
	struct kith_csr mask = test_random_csr(nu, ni, 0.2, 4);
	int64_t *q = g_new(int64_t, nu);
	for (int64_t i = 0; i < nu; i++)
		q[i] = i;
	int32_t *got = g_new(int32_t, nu * k);
	float *sc = g_new(float, nu * k);
	int32_t ref[20];
	GError *err = NULL;
	g_assert_true(kith_topk_dot(got, sc, U, V, ni, d, q, nu, k, &mask,
	                            &err));
	int mismatches = 0;
	for (int64_t u = 0; u < nu; u++) {
		naive_topk(ref, U, V, ni, d, u, k, &mask, -1);
		for (int t = 0; t < k; t++) {
			if (got[u * k + t] != ref[t])
				mismatches++;
			if (t > 0)
				g_assert_cmpfloat(sc[u * k + t], <=,
				                  sc[u * k + t - 1]);
		}
	}
	/* float vs double rounding may swap near-equal neighbours only */
	g_assert_cmpint(mismatches, <=, 2);

	/* same result with 1 and 2 threads, byte for byte */
	int32_t *got1 = g_new(int32_t, nu * k);
	float *sc1 = g_new(float, nu * k);
	kith_set_threads(1);
	g_assert_true(kith_topk_dot(got1, sc1, U, V, ni, d, q, nu, k, &mask,
	                            &err));
	kith_set_threads(2);
	g_assert_true(kith_topk_dot(got, sc, U, V, ni, d, q, nu, k, &mask,
	                            &err));
	g_assert_cmpmem(got, nu * k * 4, got1, nu * k * 4);
	g_assert_cmpmem(sc, nu * k * 4, sc1, nu * k * 4);
	kith_csr_clear(&mask);
	g_free(U); g_free(V); g_free(q); g_free(got); g_free(sc);
	g_free(got1); g_free(sc1);
}

static void
test_padding_and_errors(void)
{
	/* 2 users, 4 items, user 0 has 3 items masked: 1 candidate left */
	float U[] = { 1, 0, 0, 1 };
	float V[] = { 1, 0, 2, 0, 3, 0, 0, 5 };
	int64_t indptr[] = { 0, 3, 3 };
	int32_t indices[] = { 0, 1, 2 };
	struct kith_csr mask = { 2, 4, 3, indptr, indices, NULL, FALSE };
	int64_t q[] = { 0, 1 };
	int32_t got[6];
	float sc[6];
	GError *err = NULL;
	g_assert_true(kith_topk_dot(got, sc, U, V, 4, 2, q, 2, 3, &mask,
	                            &err));
	g_assert_cmpint(got[0], ==, 3);
	g_assert_cmpint(got[1], ==, -1);
	g_assert_cmpint(got[2], ==, -1);
	g_assert_true(isinf(sc[1]) && sc[1] < 0);
	/* user 1: scores 0,0,0,5 -> 3, then ties 0,1 */
	g_assert_cmpint(got[3], ==, 3);
	g_assert_cmpint(got[4], ==, 0);
	g_assert_cmpint(got[5], ==, 1);
	g_assert_cmpfloat(sc[3], ==, 5.0f);

	int64_t bad[] = { 2 };
	g_assert_false(kith_topk_dot(got, sc, U, V, 4, 2, bad, 1, 3, &mask,
	                             &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	g_assert_false(kith_topk_dot(got, sc, U, V, 4, 2, q, 2, 0, NULL,
	                             &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
}

static void
test_cosine(void)
{
	const int64_t n = 200;
	const int d = 6, k = 10;
	float *M = int_matrix(n, d, 5);
	int64_t q[200];
	for (int i = 0; i < n; i++)
		q[i] = i;
	int32_t *got = g_new(int32_t, n * k);
	float *sc = g_new(float, n * k);
	GError *err = NULL;
	g_assert_true(kith_topk_cosine(got, sc, M, n, d, q, n, k, &err));
	g_assert_no_error(err);
	for (int64_t i = 0; i < n; i++) {
		double ni = 0;
		for (int c = 0; c < d; c++)
			ni += M[i * d + c] * M[i * d + c];
		for (int t = 0; t < k; t++) {
			int32_t j = got[i * k + t];
			g_assert_cmpint(j, !=, i);
			g_assert_cmpint(j, >=, 0);
			double nj = 0, dot = 0;
			for (int c = 0; c < d; c++) {
				nj += M[j * d + c] * M[j * d + c];
				dot += M[i * d + c] * M[j * d + c];
			}
			double cos = ni > 0 && nj > 0 ? dot / sqrt(ni * nj) : 0;
			g_assert_cmpfloat(fabs(cos - sc[i * k + t]), <, 1e-5);
			if (t > 0)
				g_assert_cmpfloat(sc[i * k + t], <=,
				                  sc[i * k + t - 1]);
		}
		/* the k-th best bounds every other row (up to rounding) */
		for (int64_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			gboolean in = FALSE;
			for (int t = 0; t < k; t++)
				in |= got[i * k + t] == j;
			if (in)
				continue;
			double nj = 0, dot = 0;
			for (int c = 0; c < d; c++) {
				nj += M[j * d + c] * M[j * d + c];
				dot += M[i * d + c] * M[j * d + c];
			}
			double cos = ni > 0 && nj > 0 ? dot / sqrt(ni * nj) : 0;
			g_assert_cmpfloat(cos, <=, sc[i * k + k - 1] + 1e-5);
		}
	}
	g_free(M); g_free(got); g_free(sc);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	kith_set_threads(2);
	g_test_add_func("/topk/exact-ties", test_exact_ties);
	g_test_add_func("/topk/random-floats", test_random_floats);
	g_test_add_func("/topk/padding-errors", test_padding_and_errors);
	g_test_add_func("/topk/cosine", test_cosine);
	return g_test_run();
}
