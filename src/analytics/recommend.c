/*
 * Recommendation lists: for each query user the top-K items by U[u]·V[j]
 * among the items u has no interaction with (kith_topk_dot() with the
 * store's user-item matrix as mask), or the top-K most similar users /
 * items by cosine, excluding the node itself (kith_topk_cosine()).
 * Queries run in chunks of 16384 rows, each written out before the next,
 * so memory stays O(chunk · K) besides the GEMM blocks.  Output
 * "user\trank\titem\tscore" (or "user\trank\tsimilar_user\tscore",
 * "item\trank\tsimilar_item\tscore"), original ids, rank from 1, written
 * atomically.  Cost: that of the top-K kernels.
 */
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/store.h"
#include "analytics/analytics-internal.h"

#define CHUNK 16384

gboolean
kith_recommend_write(const char *path, const struct kith_store *s,
                     enum kith_rec_mode mode, const float *users,
                     const float *items, int d, const int64_t *query,
                     int64_t n_query, int k, int64_t *rows_out,
                     GError **error)
{
	int64_t n_rows = mode == KITH_REC_SIMILAR_ITEMS ? s->n_items
	                                                : s->n_users;
	int64_t n_cand = mode == KITH_REC_SIMILAR_USERS ? s->n_users
	                                                : s->n_items;
	char *const *qid = mode == KITH_REC_SIMILAR_ITEMS ? s->item_ids
	                                                  : s->user_ids;
	char *const *cid = mode == KITH_REC_SIMILAR_USERS ? s->user_ids
	                                                  : s->item_ids;
	static const char *const header[] = {
		"user\trank\titem\tscore",
		"user\trank\tsimilar_user\tscore",
		"item\trank\tsimilar_item\tscore"
	};
	if (k <= 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "k must be positive (got %d)", k);
		return FALSE;
	}
	if (n_cand == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "the store has no %s to recommend",
		            mode == KITH_REC_SIMILAR_USERS ? "users" : "items");
		return FALSE;
	}
	g_autofree int64_t *all = NULL;
	if (!query) {
		all = kith_alloc_n((size_t)MAX(n_rows, 1), sizeof(int64_t),
		                   error);
		if (!all)
			return FALSE;
		for (int64_t i = 0; i < n_rows; i++)
			all[i] = i;
		query = all;
		n_query = n_rows;
	}
	for (int64_t q = 0; q < n_query; q++)
		if (query[q] < 0 || query[q] >= n_rows) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "query row %" G_GINT64_FORMAT " out of range",
			            query[q]);
			return FALSE;
		}
	int64_t chunk = MIN(MAX(n_query, 1), (int64_t)CHUNK);
	g_autofree int32_t *top = kith_alloc_n((size_t)chunk, (size_t)k *
	                                       sizeof(int32_t), error);
	g_autofree float *sc = kith_alloc_n((size_t)chunk, (size_t)k *
	                                    sizeof(float), error);
	if (!top || !sc)
		return FALSE;
	struct kith_i_atomic af;
	if (!kith_i_atomic_open(&af, path, error))
		return FALSE;
	fprintf(af.fp, "%s\n", header[mode]);
	int64_t rows = 0;
	for (int64_t c0 = 0; c0 < n_query; c0 += chunk) {
		int64_t nc = MIN(chunk, n_query - c0);
		gboolean ok;
		if (mode == KITH_REC_ITEMS)
			ok = kith_topk_dot(top, sc, users, items, s->n_items, d,
			                   query + c0, nc, k, &s->ui, error);
		else
			ok = kith_topk_cosine(top, sc,
			                      mode == KITH_REC_SIMILAR_USERS ?
			                      users : items, n_rows, d,
			                      query + c0, nc, k, error);
		if (!ok) {
			kith_i_atomic_abort(&af);
			return FALSE;
		}
		for (int64_t i = 0; i < nc; i++)
			for (int r = 0; r < k; r++) {
				int32_t j = top[i * k + r];
				if (j < 0)
					break;
				fprintf(af.fp, "%s\t%d\t%s\t%.6g\n",
				        qid[query[c0 + i]], r + 1, cid[j],
				        sc[i * k + r]);
				rows++;
			}
	}
	if (rows_out)
		*rows_out = rows;
	return kith_i_atomic_commit(&af, error);
}
