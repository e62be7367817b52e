/*
 * Link-prediction evaluation: ROC-AUC of held-out user-user pairs against
 * as many sampled non-edges, scored by the dot product of the two user
 * embeddings.  Pairs are unordered: (u, v) and (v, u) count once.  A
 * non-edge is a uniform pair a != b that is neither a known edge (the
 * store's social graph, either direction) nor a held-out pair; sampling
 * uses the stream (seed, 0), so the figure is reproducible.
 * Cost: O(P·d + P log P) plus the rejection sampling, O(P log deg).
 */
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"

static gboolean
has_edge(const struct kith_csr *m, int64_t a, int64_t b)
{
	if (!m || m->nnz == 0 || a >= m->n_rows)
		return FALSE;
	int64_t lo = m->indptr[a], hi = m->indptr[a + 1];
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (m->indices[mid] < b)
			lo = mid + 1;
		else if (m->indices[mid] > b)
			hi = mid;
		else
			return TRUE;
	}
	return FALSE;
}

static float
dot(const float *U, int d, int64_t a, int64_t b)
{
	double s = 0;
	for (int t = 0; t < d; t++)
		s += (double)U[a * d + t] * U[b * d + t];
	return (float)s;
}

gboolean
kith_eval_link(struct kith_link_result *out, const float *U, int64_t n_users,
               int d, const struct kith_csr *pos, const struct kith_csr *known,
               uint64_t seed, GError **error)
{
	memset(out, 0, sizeof(*out));
	if (pos->n_rows != n_users || pos->n_cols != n_users) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "pair matrix does not match the %" G_GINT64_FORMAT
		            " users", n_users);
		return FALSE;
	}
	int64_t np = 0;
	for (int64_t u = 0; u < n_users; u++)
		for (int64_t e = pos->indptr[u]; e < pos->indptr[u + 1]; e++) {
			int64_t v = pos->indices[e];
			if (u < v || !has_edge(pos, v, u))
				np++;
		}
	if (np == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "no usable test pair");
		return FALSE;
	}
	g_autofree float *ps = kith_alloc_n((size_t)np, sizeof(float), error);
	g_autofree float *ns = kith_alloc_n((size_t)np, sizeof(float), error);
	if (!ps || !ns)
		return FALSE;
	int64_t i = 0;
	for (int64_t u = 0; u < n_users; u++)
		for (int64_t e = pos->indptr[u]; e < pos->indptr[u + 1]; e++) {
			int64_t v = pos->indices[e];
			if (u < v || !has_edge(pos, v, u)) {
				ps[i++] = dot(U, d, u, v);
				if (has_edge(known, u, v) ||
				    has_edge(known, v, u))
					out->in_train++;
			}
		}
	struct kith_rng rng;
	kith_rng_seed(&rng, seed, 0);
	int64_t tries = 0, max_tries = 100 * np + 1000;
	for (int64_t k = 0; k < np;) {
		if (++tries > max_tries) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "cannot sample %" G_GINT64_FORMAT " non-edges "
			            "among %" G_GINT64_FORMAT " users", np,
			            n_users);
			return FALSE;
		}
		int64_t a = (int64_t)kith_rng_below(&rng, (uint64_t)n_users);
		int64_t b = (int64_t)kith_rng_below(&rng, (uint64_t)n_users);
		if (a == b || has_edge(known, a, b) || has_edge(known, b, a) ||
		    has_edge(pos, a, b) || has_edge(pos, b, a))
			continue;
		ns[k++] = dot(U, d, a, b);
	}
	out->n_pos = np;
	out->n_neg = np;
	out->auc = kith_metric_auc(ps, np, ns, np);
	return TRUE;
}
