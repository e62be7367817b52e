/*
 * Per-user train/test split masks of a user x item CSR (layer eval).
 *
 * Row u of degree deg holds out h = floor(ρ·deg) + [x < frac(ρ·deg)]
 * entries (x uniform from the row's own stream (seed, u); stochastic
 * rounding keeps the expected held share at ρ even for short rows), at
 * most deg - 1, so every user keeps at least one training entry; rows of
 * degree 1 stay whole.
 *  - random: Knuth's selection sampling (algorithm S) walks the row once
 *    and keeps each entry with probability (h - chosen) / (deg - seen):
 *    a uniform h-subset in O(deg) with no scratch, so rows run in parallel
 *    and the result does not depend on the thread count;
 *  - time: the h entries with the latest timestamp (ties: higher column)
 *    are held; O(deg log deg) per row with a scratch of the largest row.
 * Cost O(nnz) (random) or O(nnz log maxdeg) (time).
 *
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/eval.h"

static int64_t
held_count(struct kith_rng *rng, int64_t deg, double ratio)
{
	if (deg < 2)
		return 0;
	double x = ratio * (double)deg;
	int64_t h = (int64_t)floor(x);
	if (kith_rng_uniform(rng) < x - (double)h)
		h++;
	return MIN(h, deg - 1);
}

struct ts_pos {
	int64_t ts;
	int32_t col;
	int64_t e;
};

/* latest first; ties: higher column first */
static int
cmp_ts_desc(const void *a, const void *b)
{
	const struct ts_pos *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? 1 : -1;
	return (x->col < y->col) - (x->col > y->col);
}

gboolean
kith_split_mask(uint8_t *held, const struct kith_csr *r, const int64_t *ts,
                double ratio, uint64_t seed, GError **error)
{
	if (!(ratio >= 0.0 && ratio < 1.0)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "split ratio must be in [0, 1) (got %g)", ratio);
		return FALSE;
	}
	if (r->nnz > 0)
		memset(held, 0, (size_t)r->nnz);
	if (!ts) {
#pragma omp parallel for schedule(dynamic, 256)
		for (int64_t u = 0; u < r->n_rows; u++) {
			struct kith_rng rng;
			int64_t a = r->indptr[u], deg = r->indptr[u + 1] - a;
			kith_rng_seed(&rng, seed, (uint64_t)u);
			int64_t h = held_count(&rng, deg, ratio);
			for (int64_t i = 0, chosen = 0; i < deg && chosen < h;
			     i++) {
				if ((double)(deg - i) * kith_rng_uniform(&rng) <
				    (double)(h - chosen)) {
					held[a + i] = 1;
					chosen++;
				}
			}
		}
		return TRUE;
	}

	int64_t maxdeg = 0;
	for (int64_t u = 0; u < r->n_rows; u++)
		maxdeg = MAX(maxdeg, r->indptr[u + 1] - r->indptr[u]);
	g_autofree struct ts_pos *tmp = kith_alloc_n(MAX(maxdeg, 1),
	                                             sizeof(*tmp), error);
	if (!tmp)
		return FALSE;
	for (int64_t u = 0; u < r->n_rows; u++) {
		struct kith_rng rng;
		int64_t a = r->indptr[u], deg = r->indptr[u + 1] - a;
		kith_rng_seed(&rng, seed, (uint64_t)u);
		int64_t h = held_count(&rng, deg, ratio);
		if (h == 0)
			continue;
		for (int64_t i = 0; i < deg; i++) {
			tmp[i].ts = ts[a + i];
			tmp[i].col = r->indices[a + i];
			tmp[i].e = a + i;
		}
		qsort(tmp, deg, sizeof(*tmp), cmp_ts_desc);
		for (int64_t i = 0; i < h; i++)
			held[tmp[i].e] = 1;
	}
	return TRUE;
}

gboolean
kith_csr_select(struct kith_csr *out, const struct kith_csr *r,
                const uint8_t *keep, uint8_t want, GError **error)
{
	int64_t nnz = 0;
	for (int64_t e = 0; e < r->nnz; e++)
		nnz += keep[e] == want;
	if (!kith_csr_alloc(out, r->n_rows, r->n_cols, nnz, r->values != NULL,
	                    error))
		return FALSE;
	int64_t o = 0;
	out->indptr[0] = 0;
	for (int64_t u = 0; u < r->n_rows; u++) {
		for (int64_t e = r->indptr[u]; e < r->indptr[u + 1]; e++) {
			if (keep[e] != want)
				continue;
			out->indices[o] = r->indices[e];
			if (r->values)
				out->values[o] = r->values[e];
			o++;
		}
		out->indptr[u + 1] = o;
	}
	return TRUE;
}

gboolean
kith_split_csr(struct kith_csr *train, struct kith_csr *held,
               const struct kith_csr *r, double ratio, uint64_t seed,
               GError **error)
{
	memset(train, 0, sizeof(*train));
	memset(held, 0, sizeof(*held));
	g_autofree uint8_t *mask = kith_alloc_n(MAX(r->nnz, 1), 1, error);
	if (!mask)
		return FALSE;
	if (!kith_split_mask(mask, r, NULL, ratio, seed, error))
		return FALSE;
	if (!kith_csr_select(train, r, mask, 0, error))
		return FALSE;
	if (!kith_csr_select(held, r, mask, 1, error)) {
		kith_csr_clear(train);
		return FALSE;
	}
	return TRUE;
}

gboolean
kith_split_validation(struct kith_csr *train, struct kith_csr *val,
                      const struct kith_csr *R, double ratio,
                      int64_t max_users, uint64_t seed, GError **error)
{
	g_autofree uint8_t *held = kith_alloc_n(MAX(R->nnz, 1), 1, error);
	if (!held)
		return FALSE;
	if (!kith_split_mask(held, R, NULL, ratio, seed, error))
		return FALSE;
	int64_t cand = 0;
	for (int64_t u = 0; u < R->n_rows; u++)
		cand += R->indptr[u + 1] - R->indptr[u] >= 2;
	if (cand > max_users) {
		/* keep user u iff its hash falls below the quantile */
		double keep = (double)max_users / (double)cand;
		for (int64_t u = 0; u < R->n_rows; u++) {
			struct kith_rng rng;
			kith_rng_seed(&rng, seed ^ 0x5a5a5a5aULL, (uint64_t)u);
			if (kith_rng_uniform(&rng) < keep)
				continue;
			for (int64_t k = R->indptr[u]; k < R->indptr[u + 1];
			     k++)
				held[k] = 0;
		}
	}
	if (!kith_csr_select(train, R, held, 0, error))
		return FALSE;
	if (!kith_csr_select(val, R, held, 1, error)) {
		kith_csr_clear(train);
		return FALSE;
	}
	return TRUE;
}
