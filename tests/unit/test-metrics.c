/* Unit tests of the metrics (src/eval/metrics.c), full-ranking
 * evaluation (rank-eval.c), splits (split.c) and the logistic regression
 * (classify.c): hand-computed cases and naive references. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"

#include "unit-util.h"

#define EPS 1e-12

static void
test_hand_ranking(void)
{
	/* top-4 = 5 3 9 1, truth = {1 3 7}: hits at ranks 2 and 4 */
	int32_t top[] = { 5, 3, 9, 1 };
	int32_t truth[] = { 1, 3, 7 };
	double l3 = 1 / log2(3.0), l5 = 1 / log2(5.0);
	g_assert_cmpfloat_with_epsilon(kith_metric_recall(top, 4, truth, 3, 3),
	                               2.0 / 3, EPS);
	g_assert_cmpfloat_with_epsilon(kith_metric_recall(top, 4, truth, 3, 4),
	                               0.5, EPS);
	g_assert_cmpfloat_with_epsilon(kith_metric_precision(top, 4, truth, 3),
	                               0.5, EPS);
	g_assert_cmpfloat(kith_metric_hit(top, 4, truth, 3), ==, 1.0);
	/* DCG = 1/log2 3 + 1/log2 5; IDCG over 3 = 1 + 1/log2 3 + 1/2 */
	g_assert_cmpfloat_with_epsilon(kith_metric_ndcg(top, 4, truth, 3, 3),
	                               (l3 + l5) / (1 + l3 + 0.5), EPS);
	/* one unknown test item: IDCG over min(4, 4) */
	g_assert_cmpfloat_with_epsilon(kith_metric_ndcg(top, 4, truth, 3, 4),
	                               (l3 + l5) / (1 + l3 + 0.5 + l5), EPS);
	/* k = 2: only the hit at rank 2; IDCG over min(2, 3) */
	g_assert_cmpfloat_with_epsilon(kith_metric_ndcg(top, 2, truth, 3, 3),
	                               l3 / (1 + l3), EPS);
	g_assert_cmpfloat_with_epsilon(kith_metric_precision(top, 2, truth, 3),
	                               0.5, EPS);
	/* padding -1 never hits; no hit at all */
	int32_t pad[] = { 7, -1, -1 };
	g_assert_cmpfloat_with_epsilon(kith_metric_recall(pad, 3, truth, 3, 3),
	                               1.0 / 3, EPS);
	g_assert_cmpfloat_with_epsilon(kith_metric_ndcg(pad, 3, truth, 3, 3),
	                               1.0 / (1 + l3 + 0.5), EPS);
	int32_t miss[] = { 0, 2 };
	g_assert_cmpfloat(kith_metric_hit(miss, 2, truth, 3), ==, 0.0);
	g_assert_cmpfloat(kith_metric_ndcg(miss, 2, truth, 3, 3), ==, 0.0);
	/* only unknown truth items: zero, not NaN */
	g_assert_cmpfloat(kith_metric_recall(top, 4, truth, 0, 2), ==, 0.0);
	g_assert_cmpfloat(kith_metric_ndcg(top, 4, truth, 0, 2), ==, 0.0);
	/* perfect ranking */
	int32_t perfect[] = { 3, 1, 7, 8 };
	g_assert_cmpfloat_with_epsilon(kith_metric_ndcg(perfect, 4, truth, 3,
	                                                3), 1.0, EPS);
	g_assert_cmpfloat_with_epsilon(kith_metric_recall(perfect, 4, truth, 3,
	                                                  3), 1.0, EPS);
}

static double
naive_auc(const float *p, int np, const float *n, int nn)
{
	double s = 0;
	for (int i = 0; i < np; i++)
		for (int j = 0; j < nn; j++)
			s += p[i] > n[j] ? 1 : p[i] == n[j] ? 0.5 : 0;
	return s / ((double)np * nn);
}

static void
test_auc(void)
{
	float pos[] = { 0.9f, 0.8f, 0.5f };
	float neg[] = { 0.5f, 0.1f };
	g_assert_cmpfloat_with_epsilon(kith_metric_auc(pos, 3, neg, 2),
	                               5.5 / 6, EPS);
	g_assert_cmpfloat_with_epsilon(kith_metric_auc(neg, 2, pos, 3),
	                               0.5 / 6, EPS);
	g_assert_true(isnan(kith_metric_auc(pos, 3, neg, 0)));
	struct kith_rng rng;
	kith_rng_seed(&rng, 7, 0);
	float a[300], b[500];
	for (int i = 0; i < 300; i++)
		a[i] = (float)kith_rng_below(&rng, 20);
	for (int i = 0; i < 500; i++)
		b[i] = (float)kith_rng_below(&rng, 17);
	g_assert_cmpfloat_with_epsilon(kith_metric_auc(a, 300, b, 500),
	                               naive_auc(a, 300, b, 500), 1e-12);
}

static void
test_classify(void)
{
	/* truth 0 0 1 1 2 2, pred 0 1 1 1 2 0 */
	int32_t t[] = { 0, 0, 1, 1, 2, 2, -1 };
	int32_t p[] = { 0, 1, 1, 1, 2, 0, 2 };
	int64_t conf[9];
	struct kith_class_metrics m;
	kith_metric_classify(&m, t, p, 7, 3, conf);
	g_assert_cmpint(m.n, ==, 6);
	g_assert_cmpfloat_with_epsilon(m.accuracy, 4.0 / 6, EPS);
	/* F1: class 0 tp1 fp1 fn1 = 0.5; class 1 tp2 fp1 fn0 = 0.8;
	 * class 2 tp1 fp0 fn1 = 2/3 */
	g_assert_cmpfloat_with_epsilon(m.macro_f1, (0.5 + 0.8 + 2.0 / 3) / 3,
	                               EPS);
	int64_t want[] = { 1, 1, 0, 0, 2, 0, 1, 0, 1 };
	g_assert_cmpmem(conf, sizeof(conf), want, sizeof(want));
}

static void
test_rank_eval_naive(void)
{
	const int64_t nu = 120, ni = 300;
	const int d = 6, k = 10;
	struct kith_rng rng;
	kith_rng_seed(&rng, 11, 0);
	float *U = g_new(float, nu * d), *V = g_new(float, ni * d);
	/* integer entries: exact scores, so the naive ranking is the same */
	for (int64_t i = 0; i < nu * d; i++)
		U[i] = (float)((int)kith_rng_below(&rng, 9) - 4);
	for (int64_t i = 0; i < ni * d; i++)
		V[i] = (float)((int)kith_rng_below(&rng, 9) - 4);
	struct kith_csr train = test_random_csr(nu, ni, 0.08, 1);
	struct kith_csr test = test_random_csr(nu, ni, 0.03, 2);
	int32_t *extra = g_new0(int32_t, nu);
	for (int64_t u = 0; u < nu; u += 7)
		extra[u] = 1 + u % 3;
	/* the naive protocol: a test item in train still counts in the
	 * denominator but can never be hit (it is masked) */
	double R = 0, N = 0, P = 0, H = 0;
	int64_t n_eval = 0;
	gboolean *seen = g_new0(gboolean, ni);
	struct test_cand *c = g_new(struct test_cand, ni);
	for (int64_t u = 0; u < nu; u++) {
		int64_t nt = test.indptr[u + 1] - test.indptr[u];
		int64_t tot = nt + extra[u];
		if (tot == 0)
			continue;
		n_eval++;
		int64_t n = 0;
		for (int32_t j = 0; j < ni; j++) {
			gboolean masked = FALSE;
			for (int64_t e = train.indptr[u]; e < train.indptr[u + 1];
			     e++)
				masked |= train.indices[e] == j;
			if (masked)
				continue;
			double s = 0;
			for (int t = 0; t < d; t++)
				s += (double)U[u * d + t] * V[j * d + t];
			c[n].s = s;
			c[n].j = j;
			n++;
		}
		qsort(c, n, sizeof(*c), test_cmp_cand);
		double hits = 0, dcg = 0, idcg = 0;
		for (int i = 0; i < k && i < n; i++) {
			seen[c[i].j] = TRUE;
			for (int64_t e = test.indptr[u]; e < test.indptr[u + 1];
			     e++)
				if (test.indices[e] == c[i].j) {
					hits++;
					dcg += 1 / log2(i + 2.0);
				}
		}
		for (int i = 0; i < k && i < tot; i++)
			idcg += 1 / log2(i + 2.0);
		R += hits / tot;
		N += dcg / idcg;
		P += hits / k;
		H += hits > 0;
	}
	int64_t distinct = 0;
	for (int64_t j = 0; j < ni; j++)
		distinct += seen[j];

	struct kith_rank_metrics m;
	GError *err = NULL;
	g_assert_true(kith_rank_eval(&m, U, V, nu, ni, d, k, &train, &test,
	                             extra, &err));
	g_assert_no_error(err);
	g_assert_cmpint(m.users_evaluated, ==, n_eval);
	g_assert_cmpint(m.k, ==, k);
	g_assert_cmpfloat_with_epsilon(m.recall, R / n_eval, 1e-12);
	g_assert_cmpfloat_with_epsilon(m.ndcg, N / n_eval, 1e-12);
	g_assert_cmpfloat_with_epsilon(m.precision, P / n_eval, 1e-12);
	g_assert_cmpfloat_with_epsilon(m.hit, H / n_eval, 1e-12);
	g_assert_cmpfloat_with_epsilon(m.coverage, (double)distinct / ni,
	                               1e-12);
	g_assert_cmpfloat(m.recall, >, 0.0);

	/* several cut-offs at once agree with one call per cut-off */
	int ks[] = { 3, 10, 5 };
	struct kith_rank_metrics mm[3], one;
	g_assert_true(kith_rank_eval_multi(mm, ks, 3, U, V, nu, ni, d, &train,
	                                   &test, extra, &err));
	for (int q = 0; q < 3; q++) {
		g_assert_true(kith_rank_eval(&one, U, V, nu, ni, d, ks[q],
		                             &train, &test, extra, &err));
		g_assert_cmpint(mm[q].k, ==, ks[q]);
		g_assert_cmpfloat(mm[q].recall, ==, one.recall);
		g_assert_cmpfloat(mm[q].ndcg, ==, one.ndcg);
		g_assert_cmpfloat(mm[q].precision, ==, one.precision);
		g_assert_cmpfloat(mm[q].hit, ==, one.hit);
		g_assert_cmpfloat(mm[q].coverage, ==, one.coverage);
	}
	g_assert_cmpfloat(mm[0].recall, <, mm[1].recall);

	/* a block of users (one rank's): all of them is kith_rank_eval()
	 * without extra misses; two halves cover the users once */
	{
		struct kith_rank_metrics all, lo, hi;
		int64_t h = nu / 2;
		g_assert_true(kith_rank_eval(&one, U, V, nu, ni, d, k, &train,
		                             &test, NULL, &err));
		g_assert_true(kith_rank_eval_rows(&all, U, V, 0, nu, ni, d, k,
		                                  &train, &test, &err));
		g_assert_cmpfloat(all.recall, ==, one.recall);
		g_assert_cmpfloat(all.ndcg, ==, one.ndcg);
		g_assert_cmpint(all.users_evaluated, ==, one.users_evaluated);
		g_assert_true(kith_rank_eval_rows(&lo, U, V, 0, h, ni, d, k,
		                                  &train, &test, &err));
		g_assert_true(kith_rank_eval_rows(&hi, U + h * d, V, h, nu, ni,
		                                  d, k, &train, &test, &err));
		g_assert_cmpint(lo.users_evaluated + hi.users_evaluated, ==,
		                one.users_evaluated);
		g_assert_cmpfloat(fabs((lo.recall * lo.users_evaluated +
		                        hi.recall * hi.users_evaluated) /
		                       one.users_evaluated - one.recall), <,
		                  1e-12);
	}

	/* shape mismatch is a usage error */
	g_assert_false(kith_rank_eval(&m, U, V, nu - 1, ni, d, k, &train,
	                              &test, NULL, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);

	kith_csr_clear(&train);
	kith_csr_clear(&test);
	g_free(U); g_free(V); g_free(extra); g_free(seen); g_free(c);
}

static void
test_split_csr(void)
{
	struct kith_csr r = test_random_csr(500, 200, 0.05, 3);
	/* make row 0 have exactly one entry, row 1 none */
	g_assert_cmpint(r.indptr[2] - r.indptr[0], >, 1);
	struct kith_csr a, b, a2, b2;
	GError *err = NULL;
	g_assert_true(kith_split_csr(&a, &b, &r, 0.2, 77, &err));
	g_assert_no_error(err);
	g_assert_cmpint(a.nnz + b.nnz, ==, r.nnz);
	g_assert_cmpint(a.n_rows, ==, r.n_rows);
	g_assert_cmpint(b.n_cols, ==, r.n_cols);
	for (int64_t u = 0; u < r.n_rows; u++) {
		int64_t deg = r.indptr[u + 1] - r.indptr[u];
		int64_t da = a.indptr[u + 1] - a.indptr[u];
		int64_t db = b.indptr[u + 1] - b.indptr[u];
		g_assert_cmpint(da + db, ==, deg);
		if (deg >= 1)
			g_assert_cmpint(da, >=, 1);
		if (deg == 1)
			g_assert_cmpint(db, ==, 0);
		g_assert_cmpint(db, <=, (int64_t)floor(0.2 * deg) + 1);
		g_assert_cmpint(db, >=, (int64_t)floor(0.2 * deg));
		/* disjoint, sorted, and their union is the row */
		int64_t i = a.indptr[u], j = b.indptr[u];
		for (int64_t e = r.indptr[u]; e < r.indptr[u + 1]; e++) {
			if (i < a.indptr[u + 1] && a.indices[i] == r.indices[e])
				i++;
			else {
				g_assert_cmpint(j, <, b.indptr[u + 1]);
				g_assert_cmpint(b.indices[j], ==, r.indices[e]);
				j++;
			}
		}
	}
	double share = (double)b.nnz / r.nnz;
	g_assert_cmpfloat(fabs(share - 0.2), <, 0.03);
	/* deterministic for any thread count; another seed differs */
	kith_set_threads(1);
	g_assert_true(kith_split_csr(&a2, &b2, &r, 0.2, 77, &err));
	kith_set_threads(2);
	g_assert_cmpint(b2.nnz, ==, b.nnz);
	g_assert_cmpmem(b2.indices, b.nnz * 4, b.indices, b.nnz * 4);
	g_assert_cmpmem(b2.indptr, (r.n_rows + 1) * 8, b.indptr,
	                (r.n_rows + 1) * 8);
	kith_csr_clear(&a2);
	kith_csr_clear(&b2);
	g_assert_true(kith_split_csr(&a2, &b2, &r, 0.2, 78, &err));
	g_assert_true(b2.nnz != b.nnz ||
	              memcmp(b2.indices, b.indices, b.nnz * 4) != 0);
	kith_csr_clear(&a2);
	kith_csr_clear(&b2);
	/* bad ratio */
	g_assert_false(kith_split_csr(&a2, &b2, &r, 1.0, 1, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&a);
	kith_csr_clear(&b);
	kith_csr_clear(&r);
}

static void
test_split_time(void)
{
	/* row 0: 5 entries, ts 50 10 40 40 20 -> ratio 0.4: h = 2 exactly:
	 * the latest (50) and, of the two at 40, the higher column (3);
	 * row 1: one entry, kept; row 2: two entries, ratio 0.4 -> 0.8:
	 * h is 0 or 1, and if 1 the later one */
	int64_t indptr[] = { 0, 5, 6, 8 };
	int32_t indices[] = { 0, 1, 2, 3, 4, 2, 0, 1 };
	int64_t ts[] = { 50, 10, 40, 40, 20, 99, 5, 7 };
	struct kith_csr r = { 3, 5, 8, indptr, indices, NULL, FALSE };
	uint8_t held[8];
	GError *err = NULL;
	g_assert_true(kith_split_mask(held, &r, ts, 0.4, 1, &err));
	uint8_t want0[] = { 1, 0, 0, 1, 0, 0 };
	g_assert_cmpmem(held, 6, want0, 6);
	g_assert_cmpint(held[6], ==, 0);
	int n1 = 0;
	for (uint64_t s = 0; s < 40; s++) {
		g_assert_true(kith_split_mask(held, &r, ts, 0.4, s, &err));
		g_assert_cmpint(held[6], ==, 0);
		n1 += held[7];
	}
	/* expected 0.8 * 40 = 32 */
	g_assert_cmpint(n1, >, 20);
	g_assert_cmpint(n1, <, 40);
}

static void
test_logreg(void)
{
	/* three Gaussian blobs in 2-D plus a noise column: a linear model
	 * separates them almost perfectly */
	const int64_t n = 600;
	const int d = 3;
	float *X = g_new(float, n * d);
	int32_t *y = g_new(int32_t, n), *pred = g_new(int32_t, n);
	int64_t *idx = g_new(int64_t, n);
	struct kith_rng rng;
	kith_rng_seed(&rng, 5, 0);
	const float cx[] = { 0, 4, -4 }, cy[] = { 4, -2, -2 };
	for (int64_t i = 0; i < n; i++) {
		y[i] = (int32_t)(i % 3);
		X[i * d] = cx[y[i]] + (float)kith_rng_normal(&rng);
		X[i * d + 1] = cy[y[i]] + (float)kith_rng_normal(&rng);
		X[i * d + 2] = 100 + 50 * (float)kith_rng_normal(&rng);
		idx[i] = i;
	}
	float W[4 * 3], mean[3], scale[3];
	GError *err = NULL;
	g_assert_true(kith_logreg_fit(W, mean, scale, X, d, idx, 300, y, 3,
	                              1e-3, 300, &err));
	g_assert_no_error(err);
	kith_logreg_predict(pred, W, mean, scale, X, d, idx + 300, 300, 3);
	int correct = 0;
	for (int i = 0; i < 300; i++)
		correct += pred[i] == y[300 + i];
	g_assert_cmpint(correct, >=, 290);
	/* deterministic */
	float W2[12];
	g_assert_true(kith_logreg_fit(W2, mean, scale, X, d, idx, 300, y, 3,
	                              1e-3, 300, &err));
	g_assert_cmpmem(W, sizeof(W), W2, sizeof(W2));
	g_free(X); g_free(y); g_free(pred); g_free(idx);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	kith_set_threads(2);
	g_test_add_func("/metrics/hand-ranking", test_hand_ranking);
	g_test_add_func("/metrics/auc", test_auc);
	g_test_add_func("/metrics/classify", test_classify);
	g_test_add_func("/metrics/rank-eval-naive", test_rank_eval_naive);
	g_test_add_func("/metrics/split-csr", test_split_csr);
	g_test_add_func("/metrics/split-time", test_split_time);
	g_test_add_func("/metrics/logreg", test_logreg);
	return g_test_run();
}
