/*
 * Full-ranking evaluation (the LightGCN reference protocol): every user u
 * with at least one test row gets the top-K of U[u]·V over all items with
 * u's training items masked; recall, NDCG, precision and hit (metrics.c)
 * are averaged over those users; coverage is the share of items that occur
 * in at least one of the evaluated top-K lists.
 *
 * Several cut-offs share one top-max(K) ranking: the top-k list is the
 * first k entries of the top-max(K) list, as the order is total.
 * Users are processed in chunks of at most 65536 so that the top-K lists
 * take bounded memory.  Cost: that of kith_topk_dot() for the evaluated
 * users plus O(users * K log |T|) for the metrics.
 */
#include <string.h>

#include "kith/eval.h"
#include "kith/core.h"
#include "kith/dist.h"

#define CHUNK 65536

gboolean
kith_rank_eval_multi(struct kith_rank_metrics *out, const int *ks, int n_k,
                     const float *U, const float *V, int64_t n_users,
                     int64_t n_items, int d, const struct kith_csr *train,
                     const struct kith_csr *test,
                     const int32_t *extra_misses, GError **error)
{
	int kmax = 0;
	memset(out, 0, sizeof(*out) * (size_t)MAX(n_k, 0));
	if (n_k < 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "no cut-off k given");
		return FALSE;
	}
	for (int q = 0; q < n_k; q++) {
		out[q].k = ks[q];
		if (ks[q] <= 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "k must be positive (got %d)", ks[q]);
			return FALSE;
		}
		kmax = MAX(kmax, ks[q]);
	}
	if (test->n_rows != n_users || (train && train->n_rows != n_users) ||
	    test->n_cols != n_items || (train && train->n_cols != n_items)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "evaluation matrices are %" G_GINT64_FORMAT " x %"
		            G_GINT64_FORMAT ", embeddings %" G_GINT64_FORMAT
		            " users x %" G_GINT64_FORMAT " items",
		            test->n_rows, test->n_cols, n_users, n_items);
		return FALSE;
	}

	g_autofree int64_t *users = kith_alloc_n(MAX(n_users, 1),
	                                         sizeof(int64_t), error);
	if (!users)
		return FALSE;
	int64_t n_eval = 0;
	for (int64_t u = 0; u < n_users; u++) {
		int64_t nt = test->indptr[u + 1] - test->indptr[u];
		if (nt > 0 || (extra_misses && extra_misses[u] > 0))
			users[n_eval++] = u;
	}
	for (int q = 0; q < n_k; q++)
		out[q].users_evaluated = n_eval;
	if (n_eval == 0)
		return TRUE;

	int64_t chunk = MIN(n_eval, (int64_t)CHUNK);
	g_autofree int32_t *top = kith_alloc_n((size_t)chunk, (size_t)kmax *
	                                       sizeof(int32_t), error);
	if (!top)
		return FALSE;
	/* per item, the smallest rank at which it was recommended */
	g_autofree int32_t *best_rank = kith_alloc_n(MAX(n_items, 1),
	                                             sizeof(int32_t), error);
	if (!best_rank)
		return FALSE;
	for (int64_t j = 0; j < n_items; j++)
		best_rank[j] = INT32_MAX;
	g_autofree double *per = kith_alloc_n((size_t)chunk, (size_t)n_k * 4 *
	                                      sizeof(double), error);
	g_autofree double *sum = kith_alloc0_n((size_t)n_k * 4,
	                                       sizeof(double), error);
	if (!per || !sum)
		return FALSE;

	for (int64_t c0 = 0; c0 < n_eval; c0 += chunk) {
		int64_t nc = MIN(chunk, n_eval - c0);
		if (!kith_topk_dot(top, NULL, U, V, n_items, d, users + c0, nc,
		                   kmax, train, error))
			return FALSE;
#pragma omp parallel for schedule(static)
		for (int64_t i = 0; i < nc; i++) {
			int64_t u = users[c0 + i];
			const int32_t *t = test->indices + test->indptr[u];
			int64_t nt = test->indptr[u + 1] - test->indptr[u];
			int64_t tot = nt + (extra_misses ? extra_misses[u] : 0);
			const int32_t *tk = top + i * (int64_t)kmax;
			double *pp = per + i * 4 * (int64_t)n_k;
			for (int q = 0; q < n_k; q++) {
				int k = ks[q];
				pp[4 * q] = kith_metric_recall(tk, k, t, nt, tot);
				pp[4 * q + 1] = kith_metric_ndcg(tk, k, t, nt,
				                                 tot);
				pp[4 * q + 2] = kith_metric_precision(tk, k, t,
				                                      nt);
				pp[4 * q + 3] = kith_metric_hit(tk, k, t, nt);
			}
		}
		/* summed serially in user order: identical for any thread
		 * count */
		for (int64_t i = 0; i < nc * 4 * (int64_t)n_k; i++)
			sum[i % (4 * n_k)] += per[i];
		for (int64_t i = 0; i < nc; i++)
			for (int r = 0; r < kmax; r++) {
				int32_t j = top[i * (int64_t)kmax + r];
				if (j >= 0 && r < best_rank[j])
					best_rank[j] = r;
			}
	}
	for (int q = 0; q < n_k; q++) {
		int64_t distinct = 0;
		for (int64_t j = 0; j < n_items; j++)
			distinct += best_rank[j] < ks[q];
		out[q].recall = sum[4 * q] / n_eval;
		out[q].ndcg = sum[4 * q + 1] / n_eval;
		out[q].precision = sum[4 * q + 2] / n_eval;
		out[q].hit = sum[4 * q + 3] / n_eval;
		out[q].coverage = n_items > 0 ? (double)distinct / n_items
		                              : 0.0;
	}
	return TRUE;
}

gboolean
kith_rank_eval(struct kith_rank_metrics *out, const float *U, const float *V,
               int64_t n_users, int64_t n_items, int d, int k,
               const struct kith_csr *train, const struct kith_csr *test,
               const int32_t *extra_misses, GError **error)
{
	return kith_rank_eval_multi(out, &k, 1, U, V, n_users, n_items, d,
	                            train, test, extra_misses, error);
}

gboolean
kith_rank_eval_rows(struct kith_rank_metrics *out, const float *U,
                    const float *V, int64_t u0, int64_t u1, int64_t n_items,
                    int d, int k, const struct kith_csr *train,
                    const struct kith_csr *test, GError **error)
{
	double sum[3] = { 0, 0, 0 };

	memset(out, 0, sizeof *out);
	if (u1 > u0) {
		/* views of rows u0..u1 */
		struct kith_csr tr = { u1 - u0, train->n_cols, 0,
		                       train->indptr + u0, train->indices, NULL,
		                       FALSE };
		struct kith_csr te = { u1 - u0, test->n_cols, 0,
		                       test->indptr + u0, test->indices, NULL,
		                       FALSE };
		tr.nnz = tr.indptr[tr.n_rows] - tr.indptr[0];
		te.nnz = te.indptr[te.n_rows] - te.indptr[0];
		if (!kith_rank_eval(out, U, V, u1 - u0, n_items, d, k, &tr, &te,
		                    NULL, error))
			return FALSE;
	}
	if (!kith_dist_active())
		return TRUE;
	sum[0] = out->recall * (double)out->users_evaluated;
	sum[1] = out->ndcg * (double)out->users_evaluated;
	sum[2] = (double)out->users_evaluated;
	if (!kith_dist_allreduce_f64(sum, 3, KITH_DIST_SUM, error))
		return FALSE;
	out->recall = sum[2] > 0 ? sum[0] / sum[2] : 0;
	out->ndcg = sum[2] > 0 ? sum[1] / sum[2] : 0;
	out->users_evaluated = (int64_t)sum[2];
	return TRUE;
}
