/*
 * Per-user train/test splits of a store (the masks themselves are
 * src/eval/split-mask.c).
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
 * kith_store_split() turns such a mask into a training store: the same
 * users, items, categories, social graph and attributes (so every index
 * stays valid for the held-out rows), with the user-item CSR, its
 * transpose, the per-pair arrays and the event log filtered (an event is
 * dropped when its pair is held out).  user_type_count is kept as it was
 * (it counts events of the full log).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/store.h"
#include "analytics/analytics-internal.h"

/* Copies the entries e with held[e] == 0 of one pair array. */
#define FILTER(dst, src, type)                                              \
	do {                                                                \
		if (src) {                                                  \
			dst = kith_store_own(t, kith_alloc_n(               \
				(size_t)MAX(n_keep, 1), sizeof(type), error)); \
			if (!dst)                                           \
				goto fail;                                  \
			for (int64_t e = 0, o = 0; e < s->ui.nnz; e++)      \
				if (!held[e])                               \
					dst[o++] = src[e];                  \
		}                                                           \
	} while (0)

struct kith_store *
kith_store_split(const struct kith_store *s, const uint8_t *held,
                 GError **error)
{
	struct kith_store *t = kith_store_new();
	int64_t n_keep = 0, held_events = 0;
	for (int64_t e = 0; e < s->ui.nnz; e++) {
		if (!held[e])
			n_keep++;
		else
			held_events += s->ui_count ? s->ui_count[e] : 1;
	}
	t->n_users = s->n_users;
	t->n_items = s->n_items;
	t->n_events = MAX(0, s->n_events - held_events);
	t->n_categories = s->n_categories;
	t->n_event_types = s->n_event_types;
	t->n_user_attrs = s->n_user_attrs;
	t->n_user_feats = s->n_user_feats;
	t->directed_social = s->directed_social;
	/* borrowed views: owned = FALSE, so kith_store_free() leaves them */
	t->uu = s->uu;
	t->uu.owned = FALSE;
	t->item_cat = s->item_cat;
	t->item_cat.owned = FALSE;
	t->uf = s->uf;
	t->uf.owned = FALSE;
	t->user_attr = s->user_attr;
	t->user_type_count = s->user_type_count;
	t->user_ids = s->user_ids;
	t->item_ids = s->item_ids;
	t->category_names = s->category_names;
	t->event_type_names = s->event_type_names;
	t->user_attr_names = s->user_attr_names;
	t->user_feat_names = s->user_feat_names;

	if (!kith_csr_select(&t->ui, &s->ui, held, 0, error) ||
	    !kith_csr_transpose(&t->iu, &t->ui, error))
		goto fail;
	FILTER(t->ui_count, s->ui_count, int32_t);
	FILTER(t->ui_ts_first, s->ui_ts_first, int64_t);
	FILTER(t->ui_ts_last, s->ui_ts_last, int64_t);
	FILTER(t->ui_types, s->ui_types, uint32_t);
	FILTER(t->ui_value, s->ui_value, float);

	/* the event log loses the events of held pairs */
	if (s->n_log > 0) {
		g_autofree uint8_t *drop = kith_alloc0_n((size_t)s->n_log, 1,
		                                         error);
		if (!drop)
			goto fail;
		int64_t n_ev = 0;
		for (int64_t r = 0; r < s->n_log; r++) {
			int64_t u = s->ev_user[r];
			int64_t lo = s->ui.indptr[u], hi = s->ui.indptr[u + 1];
			while (lo < hi) {
				int64_t mid = lo + (hi - lo) / 2;
				if (s->ui.indices[mid] < s->ev_item[r])
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < s->ui.indptr[u + 1] &&
			    s->ui.indices[lo] == s->ev_item[r] && held[lo])
				drop[r] = 1;
			else
				n_ev++;
		}
#define FILTER_LOG(dst, src, type)                                          \
		do {                                                        \
			dst = kith_store_own(t, kith_alloc_n(               \
				(size_t)MAX(n_ev, 1), sizeof(type), error)); \
			if (!dst)                                           \
				goto fail;                                  \
			for (int64_t r = 0, o = 0; r < s->n_log; r++)       \
				if (!drop[r])                               \
					dst[o++] = src[r];                  \
		} while (0)
		FILTER_LOG(t->ev_user, s->ev_user, int32_t);
		FILTER_LOG(t->ev_item, s->ev_item, int32_t);
		FILTER_LOG(t->ev_ts, s->ev_ts, int64_t);
		FILTER_LOG(t->ev_type, s->ev_type, uint8_t);
		FILTER_LOG(t->ev_value, s->ev_value, float);
#undef FILTER_LOG
		t->n_log = n_ev;
		t->n_events = n_ev;
	}
	return t;
fail:
	kith_store_free(t);
	return NULL;
}

#undef FILTER

gboolean
kith_split_store_mask(uint8_t *held, const struct kith_store *s,
                      gboolean by_time, double test_ratio, double val_ratio,
                      uint64_t seed, GError **error)
{
	const int64_t *ts = NULL;
	if (by_time) {
		gboolean any = FALSE;
		for (int64_t e = 0; s->ui_ts_last && e < s->ui.nnz && !any; e++)
			any = s->ui_ts_last[e] != INT64_MIN;
		if (!any) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "the store has no timestamps for a time "
			            "split");
			return FALSE;
		}
		ts = s->ui_ts_last;
	}
	if (!kith_split_mask(held, &s->ui, ts, test_ratio, seed, error))
		return FALSE;
	if (val_ratio <= 0)
		return TRUE;
	if (!(val_ratio < 1.0 && test_ratio + val_ratio < 1.0)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "test and validation ratios must sum to less than 1");
		return FALSE;
	}
	/* validation from what the test split left, at the share that makes
	 * it val_ratio of the whole */
	struct kith_csr rest = { 0 };
	g_autofree int64_t *pos = kith_alloc_n((size_t)MAX(s->ui.nnz, 1),
	                                       sizeof(int64_t), error);
	g_autofree int64_t *rts = NULL;
	g_autofree uint8_t *vh = NULL;
	if (!pos || !kith_csr_select(&rest, &s->ui, held, 0, error))
		return FALSE;
	int64_t o = 0;
	for (int64_t e = 0; e < s->ui.nnz; e++)
		if (!held[e])
			pos[o++] = e;
	if (ts) {
		rts = kith_alloc_n((size_t)MAX(o, 1), sizeof(int64_t), error);
		if (!rts) {
			kith_csr_clear(&rest);
			return FALSE;
		}
		for (int64_t i = 0; i < o; i++)
			rts[i] = ts[pos[i]];
	}
	vh = kith_alloc_n((size_t)MAX(o, 1), 1, error);
	if (!vh || !kith_split_mask(vh, &rest, rts, val_ratio /
	                            (1.0 - test_ratio), seed ^
	                            0x9e3779b97f4a7c15ULL, error)) {
		kith_csr_clear(&rest);
		return FALSE;
	}
	for (int64_t i = 0; i < o; i++)
		if (vh[i])
			held[pos[i]] = 2;
	kith_csr_clear(&rest);
	return TRUE;
}

gboolean
kith_write_pairs_tsv(const char *path, const struct kith_store *s,
                     const uint8_t *held, uint8_t which, int64_t *n_out,
                     GError **error)
{
	struct kith_i_atomic af;
	if (!kith_i_atomic_open(&af, path, error))
		return FALSE;
	int64_t n = 0;
	fputs("user\titem\n", af.fp);
	for (int64_t u = 0; u < s->n_users; u++)
		for (int64_t e = s->ui.indptr[u]; e < s->ui.indptr[u + 1]; e++)
			if (held[e] == which) {
				fprintf(af.fp, "%s\t%s\n", s->user_ids[u],
				        s->item_ids[s->ui.indices[e]]);
				n++;
			}
	if (n_out)
		*n_out = n;
	return kith_i_atomic_commit(&af, error);
}
