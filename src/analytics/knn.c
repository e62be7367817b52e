/*
 * Exact k-nearest-neighbour graph of the rows of an embedding matrix by
 * cosine similarity.
 *
 *   s(i, j) = x_i · x_j / (|x_i| |x_j|)    (0 when either row is zero)
 *   N_k(i)  = the k rows j != i with the largest s(i, j); ties go to the
 *             lower index (kith_topk_cosine()).
 *
 * The scores come from kith_topk_cosine(): rows are L2-normalised, then a
 * block of B rows at a time is multiplied by the whole matrix with one
 * cblas_sgemm (B x n = B x d · d x n), OpenMP over blocks, and each score
 * row is reduced to its best k by a k-entry heap.  Neighbours whose
 * similarity is not above min_sim are dropped, so every edge weight is
 * positive (community detection and row normalisation need that).
 *
 * Directed: row i lists N_k(i).  Symmetrised: the union of i -> j and
 * j -> i, weight max(s(i, j), s(j, i)) (the two differ only by float
 * rounding).  Rows are sorted by column, no duplicates, no diagonal.
 *
 * Cost: O(n² d) flops for the GEMMs, O(n² + n k log k) for the selection,
 * O(n k) memory for the result plus O(B (n + d)) scratch per thread.
 * Exact kNN is quadratic: about 2 s for n = 20 000, d = 64 on 2 cores;
 * impractical beyond a few hundred thousand rows.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/csr.h"

struct knn_entry {
	int32_t col;
	float w;
};

static int
cmp_entry(const void *a, const void *b)
{
	const struct knn_entry *x = a, *y = b;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	/* larger weight first, so dedup keeps the maximum */
	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return 0;
}

gboolean
kith_knn_graph(struct kith_csr *out, const float *X, int64_t n, int d, int k,
               double min_sim, gboolean symmetrise, GError **error)
{
	memset(out, 0, sizeof(*out));
	if (n < 0 || d <= 0 || k <= 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "invalid knn arguments (n %" G_GINT64_FORMAT
		            ", dim %d, k %d)", n, d, k);
		return FALSE;
	}
	if (n > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "too many rows for a knn graph (%" G_GINT64_FORMAT ")",
		            n);
		return FALSE;
	}
	if (k > n - 1)
		k = (int)MAX(n - 1, 0);
	if (k == 0)
		return kith_csr_alloc(out, n, n, 0, TRUE, error);

	size_t nk;
	if (!kith_mul_size((size_t)n, (size_t)k, &nk)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "knn graph too large");
		return FALSE;
	}
	g_autofree int32_t *nb = kith_alloc_n(nk, sizeof(int32_t), error);
	g_autofree float *sc = nb ? kith_alloc_n(nk, sizeof(float), error) : NULL;
	g_autofree int64_t *query = sc ? kith_alloc_n((size_t)n, sizeof(int64_t),
	                                              error) : NULL;
	if (!query)
		return FALSE;
	for (int64_t i = 0; i < n; i++)
		query[i] = i;
	if (!kith_topk_cosine(nb, sc, X, n, d, query, n, k, error))
		return FALSE;
	g_clear_pointer(&query, g_free);

	/* keep[e]: the entry is a real neighbour above the threshold */
	int64_t *deg = kith_alloc0_n((size_t)n + 1, sizeof(int64_t), error);
	if (!deg)
		return FALSE;
	for (int64_t i = 0; i < n; i++) {
		for (int e = 0; e < k; e++) {
			size_t p = (size_t)i * k + e;
			if (nb[p] < 0 || !(sc[p] > min_sim)) {
				nb[p] = -1;
				continue;
			}
			deg[i + 1]++;
			if (symmetrise)
				deg[nb[p] + 1]++;
		}
	}
	for (int64_t i = 0; i < n; i++)
		deg[i + 1] += deg[i];
	int64_t total = deg[n];
	struct knn_entry *ent = kith_alloc_n((size_t)MAX(total, 1),
	                                     sizeof(*ent), error);
	int64_t *next = ent ? kith_alloc_n((size_t)n, sizeof(int64_t), error)
	                    : NULL;
	if (!next) {
		g_free(ent);
		g_free(deg);
		return FALSE;
	}
	memcpy(next, deg, sizeof(int64_t) * n);
	for (int64_t i = 0; i < n; i++) {
		for (int e = 0; e < k; e++) {
			size_t p = (size_t)i * k + e;
			int32_t j = nb[p];
			if (j < 0)
				continue;
			ent[next[i]++] = (struct knn_entry){ j, sc[p] };
			if (symmetrise)
				ent[next[j]++] = (struct knn_entry){ (int32_t)i,
				                                     sc[p] };
		}
	}
	g_free(next);

	/* sort each row by column and drop duplicates (keeping the max) */
	int64_t *cnt = kith_alloc0_n((size_t)n + 1, sizeof(int64_t), error);
	if (!cnt) {
		g_free(ent);
		g_free(deg);
		return FALSE;
	}
#pragma omp parallel for schedule(dynamic, 256)
	for (int64_t i = 0; i < n; i++) {
		struct knn_entry *r = ent + deg[i];
		int64_t m = deg[i + 1] - deg[i], w = 0;
		qsort(r, (size_t)m, sizeof(*r), cmp_entry);
		for (int64_t e = 0; e < m; e++)
			if (w == 0 || r[e].col != r[w - 1].col)
				r[w++] = r[e];
		cnt[i + 1] = w;
	}
	for (int64_t i = 0; i < n; i++)
		cnt[i + 1] += cnt[i];
	if (!kith_csr_alloc(out, n, n, cnt[n], TRUE, error)) {
		g_free(cnt);
		g_free(ent);
		g_free(deg);
		return FALSE;
	}
	memcpy(out->indptr, cnt, sizeof(int64_t) * ((size_t)n + 1));
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < n; i++) {
		const struct knn_entry *r = ent + deg[i];
		int64_t o = cnt[i], m = cnt[i + 1] - cnt[i];
		for (int64_t e = 0; e < m; e++) {
			out->indices[o + e] = r[e].col;
			out->values[o + e] = r[e].w;
		}
	}
	g_free(cnt);
	g_free(ent);
	g_free(deg);
	return TRUE;
}
