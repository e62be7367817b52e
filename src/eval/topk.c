/*
 * Top-K by dot product: for each query user u, the K items j with the
 * largest s(u, j) = U[u] · V[j], skipping the items in mask row u.
 *
 * Scores are computed a block of B query users at a time with
 * kith_dense_scores (B x n_items = B x d times d x n_items, every score a
 * sum over the d terms in order, so the same bits on any CPU; OpenBLAS's
 * sgemm gave other last bits by CPU and could move an item across the
 * K-th place, and so a validation choice), OpenMP over blocks; each row of the block is then
 * selected by the same thread: a K-entry min-heap keyed by
 * (score, -index) keeps the best K, so ties go to the lower item index and
 * the result does not depend on the thread count.  NaN scores rank below
 * every number.  B depends only on n_items, d and the budget of
 * kith_topk_block_floats() (a block of scores stays near 32 MB per thread
 * by default), never on the thread count; the scores do not depend on B
 * either.
 *
 * Cost: O(n_query * n_items * d) flops for the GEMM plus
 * O(n_query * n_items + n_query * K log K) for masking and selection;
 * memory O(B * (n_items + d)).
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "kith/eval.h"
#include "kith/core.h"
#include "kith/dense.h"
#include "eval/eval-internal.h"

/* TRUE when (sa, ja) ranks above (sb, jb). */
static inline gboolean
better(float sa, int32_t ja, float sb, int32_t jb)
{
	return sa > sb || (sa == sb && ja < jb);
}

static void
heap_sift_down(float *hs, int32_t *hi, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, w = i;
		/* min-heap on rank: the worst entry sits at the root */
		if (l < n && better(hs[w], hi[w], hs[l], hi[l]))
			w = l;
		if (r < n && better(hs[w], hi[w], hs[r], hi[r]))
			w = r;
		if (w == i)
			return;
		float ts = hs[i]; hs[i] = hs[w]; hs[w] = ts;
		int32_t ti = hi[i]; hi[i] = hi[w]; hi[w] = ti;
		i = w;
	}
}

static void
heap_sift_up(float *hs, int32_t *hi, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (!better(hs[p], hi[p], hs[i], hi[i]))
			return;
		float ts = hs[i]; hs[i] = hs[p]; hs[p] = ts;
		int32_t ti = hi[i]; hi[i] = hi[p]; hi[p] = ti;
		i = p;
	}
}

/* Offers (s, j) to the heap of the best k (c entries so far). */
static inline void
heap_offer(float *hs, int32_t *hi, int *c, int k, float s, int32_t j)
{
	if (s != s)
		s = -INFINITY;
	if (*c < k) {
		hs[*c] = s;
		hi[*c] = j;
		heap_sift_up(hs, hi, *c);
		(*c)++;
	} else if (better(s, j, hs[0], hi[0])) {
		hs[0] = s;
		hi[0] = j;
		heap_sift_down(hs, hi, *c, 0);
	}
}

/* The heap of c entries sorted best first, padded to k with -1 / -inf. */
static void
heap_finish(float *hs, int32_t *hi, int c, int k)
{
	/* heap sort: repeatedly move the worst entry to the end */
	for (int e = c - 1; e > 0; e--) {
		float ts = hs[0]; hs[0] = hs[e]; hs[e] = ts;
		int32_t ti = hi[0]; hi[0] = hi[e]; hi[e] = ti;
		heap_sift_down(hs, hi, e, 0);
	}
	for (int e = c; e < k; e++) {
		hs[e] = -INFINITY;
		hi[e] = -1;
	}
}

void
kith_i_topk_row(int32_t *out_items, float *out_scores, const float *row,
                int64_t n_items, int k, const int32_t *skip, int64_t n_skip,
                int64_t self)
{
	/* the output arrays double as the heap storage */
	int c = 0;
	int64_t m = 0;

	for (int64_t j = 0; j < n_items; j++) {
		while (m < n_skip && skip[m] < j)
			m++;
		if ((m < n_skip && skip[m] == j) || j == self)
			continue;
		heap_offer(out_scores, out_items, &c, k, row[j], (int32_t)j);
	}
	heap_finish(out_scores, out_items, c, k);
}

void
kith_topk_pairs(int32_t *out_items, float *out_scores, const int32_t *items,
                const float *scores, int64_t n, int k)
{
	int c = 0;

	for (int64_t q = 0; q < n; q++)
		heap_offer(out_scores, out_items, &c, k, scores[q], items[q]);
	heap_finish(out_scores, out_items, c, k);
}

static int64_t block_floats = KITH_TOPK_BLOCK_FLOATS;

int64_t
kith_topk_block_floats(int64_t floats)
{
	int64_t old = block_floats;
	if (floats > 0)
		block_floats = floats;
	return old;
}

int64_t
kith_i_topk_block_rows(int64_t n_items, int d)
{
	int64_t per = n_items + d;
	int64_t b = block_floats / (per > 0 ? per : 1);
	if (b > 1024)
		b = 1024;
	if (b < 1)
		b = 1;
	return b;
}

gboolean
kith_i_topk_generic(int32_t *out_items, float *out_scores, const float *Q,
                    const int64_t *query, int64_t n_query, const float *V,
                    int64_t n_items, int d, int k,
                    const struct kith_csr *mask, gboolean skip_self,
                    GError **error)
{
	if (k <= 0 || d <= 0 || n_items < 0 || n_query < 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "invalid top-k arguments (k %d, dim %d)", k, d);
		return FALSE;
	}
	if (n_items > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "too many items (%" G_GINT64_FORMAT ")", n_items);
		return FALSE;
	}
	for (int64_t q = 0; q < n_query; q++) {
		if (query[q] < 0 || (mask && query[q] >= mask->n_rows)) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "query row %" G_GINT64_FORMAT " out of range",
			            query[q]);
			return FALSE;
		}
	}
	if (n_query == 0)
		return TRUE;

	int64_t B = kith_i_topk_block_rows(n_items, d);
	if (B > n_query)
		B = n_query;
	int nt = omp_get_max_threads();
	int64_t n_blocks = (n_query + B - 1) / B;
	if (nt > n_blocks)
		nt = (int)n_blocks;
	size_t per_thread, total;
	if (!kith_mul_size((size_t)B, (size_t)n_items + d + k, &per_thread) ||
	    !kith_mul_size(per_thread, (size_t)nt, &total)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "score block too large");
		return FALSE;
	}
	/* per thread: B x n_items scores, B x d queries, B x k scores */
	g_autofree float *scratch = kith_alloc_n(total, sizeof(float), error);
	if (!scratch)
		return FALSE;

	/* the item vectors as columns (d x n_items), so that every score
	 * is a sum in a fixed order whatever the CPU (kith_dense_scores) */
	size_t vt_n;
	if (!kith_mul_size((size_t)MAX(n_items, 1), (size_t)d, &vt_n)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "item matrix too large");
		return FALSE;
	}
	g_autofree float *Vt = kith_alloc_n(vt_n, sizeof(float), error);
	if (!Vt)
		return FALSE;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < d; t++)
		for (int64_t j = 0; j < n_items; j++)
			Vt[t * n_items + j] = V[j * (int64_t)d + t];
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
	for (int64_t blk = 0; blk < n_blocks; blk++) {
		float *sc = scratch + (size_t)omp_get_thread_num() * per_thread;
		float *qb = sc + (size_t)B * n_items;
		float *ks = qb + (size_t)B * d;
		int64_t b0 = blk * B, nb = MIN(B, n_query - b0);
		for (int64_t r = 0; r < nb; r++)
			memcpy(qb + r * d, Q + query[b0 + r] * (int64_t)d,
			       sizeof(float) * d);
		kith_dense_scores(sc, n_items, qb, nb, d, Vt, n_items,
		                  n_items);
		for (int64_t r = 0; r < nb; r++) {
			int64_t u = query[b0 + r];
			const int32_t *skip = NULL;
			int64_t n_skip = 0;
			if (mask) {
				skip = mask->indices + mask->indptr[u];
				n_skip = mask->indptr[u + 1] - mask->indptr[u];
			}
			float *os = out_scores ? out_scores + (b0 + r) * k
			                       : ks + r * k;
			kith_i_topk_row(out_items + (b0 + r) * k, os,
			                sc + r * n_items, n_items, k, skip,
			                n_skip, skip_self ? u : -1);
		}
	}
	return TRUE;
}

gboolean
kith_topk_dot(int32_t *out_items, float *out_scores, const float *U,
              const float *V, int64_t n_items, int d,
              const int64_t *query, int64_t n_query, int k,
              const struct kith_csr *mask, GError **error)
{
	return kith_i_topk_generic(out_items, out_scores, U, query, n_query, V,
	                           n_items, d, k, mask, FALSE, error);
}

gboolean
kith_topk_cosine(int32_t *out_items, float *out_scores, const float *M,
                 int64_t n, int d, const int64_t *query, int64_t n_query,
                 int k, GError **error)
{
	for (int64_t q = 0; q < n_query; q++) {
		if (query[q] < 0 || query[q] >= n) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "query row %" G_GINT64_FORMAT " out of range",
			            query[q]);
			return FALSE;
		}
	}
	size_t nd;
	if (!kith_mul_size((size_t)MAX(n, 1), (size_t)MAX(d, 1), &nd)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "matrix too large");
		return FALSE;
	}
	g_autofree float *N = kith_alloc_n(nd, sizeof(float), error);
	if (!N)
		return FALSE;
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < n; i++) {
		const float *x = M + i * (int64_t)d;
		double s = 0.0;
		for (int c = 0; c < d; c++)
			s += (double)x[c] * x[c];
		float inv = s > 0.0 ? (float)(1.0 / sqrt(s)) : 0.0f;
		for (int c = 0; c < d; c++)
			N[i * (int64_t)d + c] = x[c] * inv;
	}
	return kith_i_topk_generic(out_items, out_scores, N, query, n_query, N,
	                           n, d, k, NULL, TRUE, error);
}
