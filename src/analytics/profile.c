/*
 * User profiles: behavioural features, category preferences, RFM scores
 * and segments (kith profile).
 *
 * Events.  With an event log (store n_log > 0) every accepted event row
 * counts once, with its own type, time and value.  Without one the merged
 * pairs stand in: a pair counts as ui_count events, weighs ui.weight (the
 * sum of its events' type weights), is dated by ui_ts_last (rhythm,
 * recency, decay) and ui_ts_first (first activity), and its active days
 * are those of its first and last events; monetary sums ui_value of the
 * pairs with a purchase-like event (so a cart value merged into a bought
 * pair also counts).  Event-type counts come from user_type_count.
 *
 * Category preference of user u (T = the store's last timestamp, h the
 * half-life in seconds, w the type weight from the manifest's
 * "event_weights", C(i) the categories of item i):
 *   pref[u][c] ∝ Σ_{e of u, c ∈ C(item e)} w(e) 2^(-(T - ts e)/h) / |C(item e)|
 * normalised to sum 1 (zero row without categorised events).
 *
 * Features: events; distinct items; recency_days = (T - last)/86400;
 * frequency = events / active_days (active days: distinct UTC dates);
 * monetary = Σ value of purchase-like events (types whose name contains
 * purchase, buy, order, checkout, transaction, sale or payment; when the
 * store has no such type, every event); tenure_days = (last - first)/86400;
 * repeat_rate = share of distinct items with >= 2 events; entropy (bits)
 * and Gini impurity 1 - Σ p² of the category preference; shares of
 * events by UTC hour band (night 0-6, morning 6-12, afternoon 12-18,
 * evening 18-24) and on Saturday/Sunday; social degree = links in the
 * user's uu row.
 *
 * RFM: among users with >= 1 event, R ranks last activity (more recent =
 * higher), F the event count, M monetary.  Users are sorted by the key;
 * a group of equal keys occupying 0-based ranks a..b gets the midrank
 * m = (a + b)/2 and the score min(5, 1 + floor(5 (m + 0.5) / n)), so ties
 * share one score whatever the user order.  Segments: see
 * kith_segment_rules().  Cold: confidence = 1 - exp(-events / k) < 0.5,
 * i.e. fewer than k ln 2 events (k = --cold-k, default 10: 7 events).
 *
 * Cost: O(E + nnz + Σ_e |C(item e)| + n log n), OpenMP over users;
 * memory O(n (16 + c + t) doubles) beyond the mapped store.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/profile.h"
#include "kith/store.h"
#include "analytics/profile-internal.h"

#define DAY 86400.0

/* ------------------------------------------------------------ helpers */

FILE *
kith_i_tsv_open(const struct kith_outdir *od, const char *name,
                GError **error)
{
	g_autofree char *path = kith_outdir_path(od, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s': %s", name, g_strerror(errno));
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s': %s", name, g_strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

gboolean
kith_i_tsv_close(FILE *f, const char *name, GError **error)
{
	gboolean bad = ferror(f) != 0;
	if (fclose(f) != 0)
		bad = TRUE;
	if (bad) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot write '%s': %s", name, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

void
kith_i_put_num(GString *g, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (isnan(v))
		return;
	if (v == 0.0)
		v = 0.0;   /* no "-0" */
	if (v == floor(v) && fabs(v) < 1e6) {
		/* integers print the same under %.6g: skip printf (3x faster
		 * on a million-row profiles.tsv) */
		char *p = buf + sizeof(buf);
		int64_t x = (int64_t)fabs(v);
		*--p = 0;
		do {
			*--p = (char)('0' + x % 10);
			x /= 10;
		} while (x);
		if (v < 0)
			*--p = '-';
		g_string_append(g, p);
		return;
	}
	g_string_append(g, g_ascii_formatd(buf, sizeof(buf), "%.6g", v));
}

void
kith_i_manifest_store(JsonBuilder *b, const struct kith_store *s,
                      const char *store_path)
{
	json_builder_set_member_name(b, "store");
	json_builder_add_string_value(b, store_path ? store_path
	                                            : (s->path ? s->path : ""));
	json_builder_set_member_name(b, "store_created");
	const char *created = NULL;
	if (s->manifest && JSON_NODE_HOLDS_OBJECT(s->manifest))
		created = json_object_get_string_member_with_default(
		        json_node_get_object(s->manifest), "created", NULL);
	if (created)
		json_builder_add_string_value(b, created);
	else
		json_builder_add_null_value(b);
}

void
kith_i_copy_members(JsonObject *dst, JsonObject *src)
{
	if (src == NULL)
		return;
	g_autoptr(GList) names = json_object_get_members(src);
	for (GList *l = names; l; l = l->next)
		if (!json_object_has_member(dst, l->data))
			json_object_set_member(dst, l->data, json_node_copy(
			        json_object_get_member(src, l->data)));
}

gboolean
kith_i_manifest_finish(struct kith_outdir *od, JsonBuilder *b,
                       JsonObject *options, GError **error)
{
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	kith_i_copy_members(json_node_get_object(root), options);
	g_autofree char *mpath = kith_outdir_path(od, "manifest.json");
	if (!kith_json_write(mpath, root, error))
		return FALSE;
	return kith_outdir_commit(od, error);
}

void
kith_profile_params_init(struct kith_profile_params *p)
{
	p->half_life_days = 90.0;
	p->cold_k = 10.0;
	p->new_days = 30.0;
}

double *
kith_store_type_weights(const struct kith_store *s, GError **error)
{
	int64_t nt = s->n_event_types;
	double *w = kith_alloc_n((size_t)MAX(nt, 1), sizeof(double), error);
	if (!w)
		return NULL;
	JsonObject *ew = NULL;
	if (s->manifest && JSON_NODE_HOLDS_OBJECT(s->manifest)) {
		JsonObject *root = json_node_get_object(s->manifest);
		JsonNode *n = json_object_get_member(root, "event_weights");
		if (n && JSON_NODE_HOLDS_OBJECT(n))
			ew = json_node_get_object(n);
	}
	for (int64_t t = 0; t < nt; t++) {
		w[t] = 1.0;
		const char *name = s->event_type_names ? s->event_type_names[t]
		                                       : NULL;
		if (ew && name && json_object_has_member(ew, name)) {
			JsonNode *v = json_object_get_member(ew, name);
			if (JSON_NODE_HOLDS_VALUE(v) &&
			    json_node_get_value_type(v) != G_TYPE_STRING)
				w[t] = json_node_get_double(v);
		}
	}
	return w;
}

int64_t
kith_store_last_ts_rows(const struct kith_store *s, int64_t lo, int64_t hi)
{
	int64_t t = INT64_MIN;
	if (s->n_log > 0) {
		int64_t e0 = lo == 0 ? 0 : kith_store_log_lower(s, lo);
		int64_t e1 = lo == 0 && hi == s->n_users
			? s->n_log : kith_store_log_lower(s, hi);
		for (int64_t e = e0; e < e1; e++)
			if (s->ev_ts[e] > t)
				t = s->ev_ts[e];
	} else if (s->ui_ts_last) {
		for (int64_t e = s->ui.indptr[lo]; e < s->ui.indptr[hi]; e++)
			if (s->ui_ts_last[e] > t)
				t = s->ui_ts_last[e];
	}
	return t;
}

int64_t
kith_store_last_ts(const struct kith_store *s)
{
	return kith_store_last_ts_rows(s, 0, s->n_users);
}

/* Row pointers of the event log by user, for the users [lo, hi): p[u -
 * lo] .. p[u - lo + 1] are u's rows (hi - lo + 1 entries); the log is
 * read only between the rows of lo and hi (found by bisection). */
static int64_t *
log_rows(const struct kith_store *s, int64_t lo, int64_t hi, GError **error)
{
	int64_t *p = kith_alloc0_n((size_t)(hi - lo) + 1, sizeof(int64_t),
	                           error);
	int64_t e0 = lo == 0 ? 0 : kith_store_log_lower(s, lo);
	int64_t e1 = lo == 0 && hi == s->n_users
		? s->n_log : kith_store_log_lower(s, hi);

	if (!p)
		return NULL;
	p[0] = e0;
	for (int64_t e = e0; e < e1; e++) {
		int32_t u = s->ev_user[e];
		if (u >= lo && u < hi)
			p[u - lo + 1]++;
	}
	for (int64_t u = lo; u < hi; u++)
		p[u - lo + 1] += p[u - lo];
	return p;
}

static inline double
decay_of(int64_t ts, int64_t T, double h)
{
	if (h <= 0 || ts == INT64_MIN || T == INT64_MIN || ts >= T)
		return 1.0;
	return exp2(-(double)(T - ts) / h);
}

/* order of a user's pairs by (ts_first, item) for the pair-mode limit */
static int
cmp_pair_time(const void *a, const void *b, void *ctx)
{
	const int64_t *ts = ctx;
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	if (ts[x] != ts[y])
		return ts[x] < ts[y] ? -1 : 1;
	return (x > y) - (x < y);   /* same row: index order = item order */
}

gboolean
kith_user_events(int64_t *out, const struct kith_store *s, GError **error)
{
	if (s->n_log > 0) {
		memset(out, 0, sizeof(int64_t) * s->n_users);
		for (int64_t e = 0; e < s->n_log; e++)
			if (s->ev_user[e] >= 0 && s->ev_user[e] < s->n_users)
				out[s->ev_user[e]]++;
		return TRUE;
	}
#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < s->n_users; u++) {
		int64_t n = 0;
		for (int64_t e = s->ui.indptr[u]; e < s->ui.indptr[u + 1]; e++)
			n += s->ui_count ? s->ui_count[e] : 1;
		out[u] = n;
	}
	return TRUE;
}

gboolean
kith_catpref(float *out, double *evidence, const struct kith_store *s,
             double half_life_days, const int64_t *limit, GError **error)
{
	return kith_catpref_rows(out, evidence, s, half_life_days, limit, 0,
	                         s->n_users, kith_store_last_ts(s), error);
}

gboolean
kith_catpref_rows(float *out, double *evidence, const struct kith_store *s,
                  double half_life_days, const int64_t *limit, int64_t lo,
                  int64_t hi, int64_t T, GError **error)
{
	int64_t c = s->n_categories;
	double h = half_life_days > 0 ? half_life_days * DAY : 0;
	gboolean from_log = s->n_log > 0;
	g_autofree double *tw = kith_store_type_weights(s, error);
	g_autofree int64_t *lp = NULL;
	g_autofree int64_t *order = NULL;
	int nt = omp_get_max_threads();
	g_autofree double *acc = NULL;

	if (!tw)
		return FALSE;
	if (from_log && !(lp = log_rows(s, lo, hi, error)))
		return FALSE;
	if (!(acc = kith_alloc0_n((size_t)nt * (size_t)MAX(c, 1),
	                          sizeof(double), error)))
		return FALSE;
	if (!from_log && limit) {
		/* pairs of each row sorted by first time, then item */
		order = kith_alloc_n((size_t)MAX(s->ui.nnz, 1), sizeof(int64_t),
		                     error);
		if (!order)
			return FALSE;
		const int64_t *tsf = s->ui_ts_first;
#pragma omp parallel for schedule(dynamic, 512)
		for (int64_t u = lo; u < hi; u++) {
			int64_t a = s->ui.indptr[u], b = s->ui.indptr[u + 1];
			for (int64_t e = a; e < b; e++)
				order[e] = e;
			if (tsf)
				qsort_r(order + a, (size_t)(b - a), sizeof(int64_t),
				        cmp_pair_time, (void *)tsf);
		}
	}
	const struct kith_csr *ic = &s->item_cat;

#pragma omp parallel num_threads(nt)
	{
		double *row = acc + (size_t)omp_get_thread_num() * MAX(c, 1);
#pragma omp for schedule(dynamic, 256)
		for (int64_t u = lo; u < hi; u++) {
			double ev = 0, tot = 0;
			for (int64_t k = 0; k < c; k++)
				row[k] = 0;
			int64_t a, b;
			if (from_log) {
				a = lp[u - lo];
				b = lp[u - lo + 1];
			} else {
				a = s->ui.indptr[u];
				b = s->ui.indptr[u + 1];
			}
			if (limit && limit[u] >= 0 && b - a > limit[u])
				b = a + limit[u];
			for (int64_t q = a; q < b; q++) {
				int64_t item, ts;
				double w, cnt;
				if (from_log) {
					item = s->ev_item[q];
					ts = s->ev_ts ? s->ev_ts[q] : INT64_MIN;
					uint8_t t = s->ev_type ? s->ev_type[q] : 255;
					w = t < s->n_event_types ? tw[t] : 1.0;
					cnt = 1;
				} else {
					int64_t e = order ? order[q] : q;
					item = s->ui.indices[e];
					ts = s->ui_ts_last ? s->ui_ts_last[e]
					                   : INT64_MIN;
					w = s->ui.values ? s->ui.values[e] : 1.0;
					cnt = s->ui_count ? s->ui_count[e] : 1;
				}
				if (item < 0 || item >= ic->n_rows)
					continue;
				int64_t k0 = ic->indptr[item], k1 = ic->indptr[item + 1];
				if (k1 == k0)
					continue;
				double x = w * decay_of(ts, T, h) / (double)(k1 - k0);
				for (int64_t k = k0; k < k1; k++)
					row[ic->indices[k]] += x;
				ev += cnt;
				tot += x * (double)(k1 - k0);
			}
			float *o = out + (u - lo) * c;
			if (tot > 0) {
				for (int64_t k = 0; k < c; k++)
					o[k] = (float)(row[k] / tot);
			} else {
				for (int64_t k = 0; k < c; k++)
					o[k] = 0.0f;
			}
			if (evidence)
				evidence[u - lo] = ev;
		}
	}
	return TRUE;
}

void
kith_top3(int32_t *out, const float *row, int64_t c)
{
	out[0] = out[1] = out[2] = -1;
	for (int64_t k = 0; k < c; k++) {
		float v = row[k];
		if (!(v > 0))
			continue;
		int pos = 3;
		while (pos > 0 && (out[pos - 1] < 0 || row[out[pos - 1]] < v))
			pos--;
		if (pos >= 3)
			continue;
		for (int r = 2; r > pos; r--)
			out[r] = out[r - 1];
		out[pos] = (int32_t)k;
	}
}

/* ------------------------------------------------------------ segments */

static const char *const seg_names[KITH_SEG_COUNT] = {
	"champions", "loyal", "new", "potential", "at_risk", "hibernating",
	"lost", "inactive"
};

const char *
kith_segment_name(enum kith_segment s)
{
	return s < KITH_SEG_COUNT ? seg_names[s] : "?";
}

const char *
kith_segment_rules(void)
{
	return "first rule that matches, on RFM scores 1-5: "
	       "champions: R>=4 and F>=4 and M>=4; "
	       "loyal: R>=3 and F>=4; "
	       "new: R>=4 and first event at most new_days before the store's "
	       "last timestamp; "
	       "potential: R>=3; "
	       "at_risk: R<=2 and F>=3; "
	       "hibernating: R=2; "
	       "lost: R=1; "
	       "inactive: no event at all (scores 1)";
}

static enum kith_segment
segment_of(int r, int f, int m, gboolean recent_start)
{
	if (r >= 4 && f >= 4 && m >= 4)
		return KITH_SEG_CHAMPIONS;
	if (r >= 3 && f >= 4)
		return KITH_SEG_LOYAL;
	if (r >= 4 && recent_start)
		return KITH_SEG_NEW;
	if (r >= 3)
		return KITH_SEG_POTENTIAL;
	if (f >= 3)
		return KITH_SEG_AT_RISK;
	if (r == 2)
		return KITH_SEG_HIBERNATING;
	return KITH_SEG_LOST;
}

static const char *const pcol_names[KITH_P_COUNT] = {
	"events", "distinct_items", "recency_days", "frequency", "monetary",
	"tenure_days", "active_days", "repeat_rate", "entropy", "gini",
	"night_share", "morning_share", "afternoon_share", "evening_share",
	"weekend_share", "social_degree"
};

const char *
kith_pcol_name(enum kith_pcol c)
{
	return c < KITH_P_COUNT ? pcol_names[c] : "?";
}

/* quintile scores by midrank of key over the users idx[0..m) */
static int
cmp_key_r(const void *a, const void *b, void *ctx)
{
	const double *key = ctx;
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	if (key[x] != key[y])
		return key[x] < key[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static void
quintiles(uint8_t *score, int stride, const double *key, int64_t *idx,
          int64_t m)
{
	qsort_r(idx, (size_t)m, sizeof(int64_t), cmp_key_r, (void *)key);
	for (int64_t a = 0; a < m;) {
		int64_t b = a;
		while (b + 1 < m && key[idx[b + 1]] == key[idx[a]])
			b++;
		double mid = 0.5 * (double)(a + b);
		int sc = 1 + (int)floor(5.0 * (mid + 0.5) / (double)m);
		if (sc > 5)
			sc = 5;
		for (int64_t q = a; q <= b; q++)
			score[idx[q] * 3 + stride] = (uint8_t)sc;
		a = b + 1;
	}
}

static gboolean
purchase_like(const char *name)
{
	static const char *const words[] = {
		"purchase", "buy", "order", "checkout", "transaction", "sale",
		"payment", NULL
	};
	g_autofree char *low = g_ascii_strdown(name ? name : "", -1);
	for (int i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return TRUE;
	return FALSE;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static inline int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

void
kith_profiles_clear(struct kith_profiles *pr)
{
	g_free(pr->feat);
	g_free(pr->catprefs);
	g_free(pr->type_share);
	g_free(pr->top);
	g_free(pr->rfm);
	g_free(pr->segment);
	g_free(pr->cold);
	g_free(pr->confidence);
	memset(pr, 0, sizeof(*pr));
}

gboolean
kith_profile_compute(struct kith_profiles *out, const struct kith_store *s,
                     const struct kith_profile_params *p, GError **error)
{
	int64_t n = s->n_users, c = s->n_categories, nt = s->n_event_types;
	gboolean from_log = s->n_log > 0;
	g_autofree int64_t *lp = NULL;
	g_autofree int64_t *last = NULL;
	g_autofree int64_t *first = NULL;
	g_autofree int64_t *idx = NULL;
	g_autofree double *key = NULL;
	g_autofree int64_t *days = NULL;
	int nthr = omp_get_max_threads();
	uint32_t purchase_mask = 0;
	gboolean all_value = TRUE;

	memset(out, 0, sizeof(*out));
	out->n_users = n;
	out->n_categories = c;
	out->n_types = nt;
	out->from_log = from_log;
	out->last_ts = kith_store_last_ts(s);
	for (int64_t t = 0; t < nt && t < 32; t++)
		if (purchase_like(s->event_type_names[t])) {
			purchase_mask |= 1u << t;
			all_value = FALSE;
		}

	size_t nf, nc, ntt;
	if (!kith_mul_size((size_t)n, KITH_P_COUNT, &nf) ||
	    !kith_mul_size((size_t)n, (size_t)MAX(c, 1), &nc) ||
	    !kith_mul_size((size_t)n, (size_t)MAX(nt, 1), &ntt)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "too many users for profiles");
		return FALSE;
	}
	if (!(out->feat = kith_alloc_n(nf, sizeof(double), error)) ||
	    !(out->catprefs = kith_alloc0_n(nc, sizeof(float), error)) ||
	    !(out->type_share = kith_alloc0_n(ntt, sizeof(double), error)) ||
	    !(out->top = kith_alloc_n((size_t)n * 3 + 1, sizeof(int32_t),
	                              error)) ||
	    !(out->rfm = kith_alloc0_n((size_t)n * 3 + 1, 1, error)) ||
	    !(out->segment = kith_alloc0_n((size_t)n + 1, 1, error)) ||
	    !(out->cold = kith_alloc0_n((size_t)n + 1, 1, error)) ||
	    !(out->confidence = kith_alloc_n((size_t)n + 1, sizeof(float),
	                                     error)) ||
	    !(last = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) ||
	    !(first = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)))
		goto fail;
	if (from_log && !(lp = log_rows(s, 0, s->n_users, error)))
		goto fail;
	if (!kith_catpref(out->catprefs, NULL, s, p->half_life_days, NULL,
	                  error))
		goto fail;

	/* scratch for distinct days in pair mode: 2 x max degree per thread */
	int64_t maxdeg = 0;
	if (!from_log)
		for (int64_t u = 0; u < n; u++)
			maxdeg = MAX(maxdeg, s->ui.indptr[u + 1] - s->ui.indptr[u]);
	if (!(days = kith_alloc_n((size_t)nthr * (size_t)(2 * maxdeg + 1),
	                          sizeof(int64_t), error)))
		goto fail;

	int64_t T = out->last_ts;
#pragma omp parallel num_threads(nthr)
	{
		int64_t *dscr = days + (size_t)omp_get_thread_num() *
		                (size_t)(2 * maxdeg + 1);
#pragma omp for schedule(dynamic, 256)
		for (int64_t u = 0; u < n; u++) {
			double *f = out->feat + u * KITH_P_COUNT;
			double events = 0, money = 0, band[4] = { 0, 0, 0, 0 };
			double weekend = 0, timed = 0;
			int64_t lo = INT64_MAX, hi = INT64_MIN, nd = 0;
			int64_t i0 = s->ui.indptr[u], i1 = s->ui.indptr[u + 1];

			if (from_log) {
				int64_t prev_day = INT64_MIN;
				gboolean have_day = FALSE;
				for (int64_t e = lp[u]; e < lp[u + 1]; e++) {
					int64_t ts = s->ev_ts ? s->ev_ts[e] : INT64_MIN;
					uint8_t t = s->ev_type ? s->ev_type[e] : 255;
					events += 1;
					if (all_value || t == 255 ||
					    (t < 32 && (purchase_mask >> t & 1)))
						money += s->ev_value ? s->ev_value[e] : 0;
					if (ts == INT64_MIN)
						continue;
					lo = MIN(lo, ts);
					hi = MAX(hi, ts);
					int64_t day = floor_div(ts, 86400);
					int64_t sec = ts - day * 86400;
					band[sec / 21600] += 1;
					int wd = (int)(((day + 3) % 7 + 7) % 7);
					weekend += wd >= 5;
					timed += 1;
					/* the log is sorted by time within a user */
					if (!have_day || day != prev_day)
						nd++;
					have_day = TRUE;
					prev_day = day;
				}
			} else {
				int64_t m = 0;
				for (int64_t e = i0; e < i1; e++) {
					double cnt = s->ui_count ? s->ui_count[e] : 1;
					int64_t t1 = s->ui_ts_last ? s->ui_ts_last[e]
					                           : INT64_MIN;
					int64_t t0 = s->ui_ts_first ? s->ui_ts_first[e]
					                            : INT64_MIN;
					uint32_t ty = s->ui_types ? s->ui_types[e] : 0;
					events += cnt;
					if (all_value || (ty & purchase_mask))
						money += s->ui_value ? s->ui_value[e] : 0;
					if (t1 == INT64_MIN)
						continue;
					if (t0 == INT64_MIN)
						t0 = t1;
					lo = MIN(lo, t0);
					hi = MAX(hi, t1);
					int64_t day = floor_div(t1, 86400);
					int64_t sec = t1 - day * 86400;
					band[sec / 21600] += cnt;
					int wd = (int)(((day + 3) % 7 + 7) % 7);
					weekend += (wd >= 5) * cnt;
					timed += cnt;
					dscr[m++] = day;
					dscr[m++] = floor_div(t0, 86400);
				}
				qsort(dscr, (size_t)m, sizeof(int64_t), cmp_i64);
				for (int64_t q = 0; q < m; q++)
					nd += q == 0 || dscr[q] != dscr[q - 1];
			}
			int64_t distinct = i1 - i0, rep = 0;
			for (int64_t e = i0; e < i1; e++)
				rep += (s->ui_count ? s->ui_count[e] : 1) >= 2;

			f[KITH_P_EVENTS] = events;
			f[KITH_P_DISTINCT_ITEMS] = (double)distinct;
			gboolean timed_u = hi != INT64_MIN && T != INT64_MIN;
			f[KITH_P_RECENCY_DAYS] = timed_u ? (double)(T - hi) / DAY
			                                 : NAN;
			f[KITH_P_TENURE_DAYS] = timed_u ? (double)(hi - lo) / DAY
			                                : NAN;
			f[KITH_P_ACTIVE_DAYS] = (double)nd;
			f[KITH_P_FREQUENCY] = nd > 0 ? events / (double)nd : NAN;
			f[KITH_P_MONETARY] = money;
			f[KITH_P_REPEAT_RATE] = distinct > 0
			        ? (double)rep / (double)distinct : 0.0;
			const float *cp = out->catprefs + u * c;
			double ent = 0, sq = 0, sum = 0;
			for (int64_t k = 0; k < c; k++) {
				double q = cp[k];
				sum += q;
				sq += q * q;
				if (q > 0)
					ent -= q * log2(q);
			}
			f[KITH_P_ENTROPY] = ent;
			f[KITH_P_GINI] = sum > 0 ? 1.0 - sq : 0.0;
			for (int b = 0; b < 4; b++)
				f[KITH_P_NIGHT + b] = timed > 0 ? band[b] / timed : 0.0;
			f[KITH_P_WEEKEND] = timed > 0 ? weekend / timed : 0.0;
			f[KITH_P_SOCIAL_DEGREE] = u < s->uu.n_rows
			        ? (double)(s->uu.indptr[u + 1] - s->uu.indptr[u])
			        : 0.0;
			kith_top3(out->top + u * 3, cp, c);
			if (nt > 0 && s->user_type_count) {
				double tot = 0;
				for (int64_t t = 0; t < nt; t++)
					tot += s->user_type_count[u * nt + t];
				for (int64_t t = 0; t < nt; t++)
					out->type_share[u * nt + t] = tot > 0
					        ? s->user_type_count[u * nt + t] / tot
					        : 0.0;
			}
			last[u] = hi;
			first[u] = lo;
			double conf = 1.0 - exp(-events / p->cold_k);
			out->confidence[u] = (float)conf;
			out->cold[u] = conf < 0.5;
		}
	}

	/* RFM over active users */
	if (!(idx = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) ||
	    !(key = kith_alloc_n((size_t)n + 1, sizeof(double), error)))
		goto fail;
	int64_t m = 0;
	for (int64_t u = 0; u < n; u++)
		if (out->feat[u * KITH_P_COUNT + KITH_P_EVENTS] > 0)
			idx[m++] = u;
	for (int64_t u = 0; u < n; u++)
		key[u] = last[u] == INT64_MIN ? -INFINITY : (double)last[u];
	quintiles(out->rfm, 0, key, idx, m);
	for (int64_t u = 0; u < n; u++)
		key[u] = out->feat[u * KITH_P_COUNT + KITH_P_EVENTS];
	quintiles(out->rfm, 1, key, idx, m);
	for (int64_t u = 0; u < n; u++)
		key[u] = out->feat[u * KITH_P_COUNT + KITH_P_MONETARY];
	quintiles(out->rfm, 2, key, idx, m);
	for (int64_t u = 0; u < n; u++) {
		enum kith_segment sg;
		if (out->feat[u * KITH_P_COUNT + KITH_P_EVENTS] <= 0) {
			out->rfm[u * 3] = out->rfm[u * 3 + 1] =
			        out->rfm[u * 3 + 2] = 1;
			sg = KITH_SEG_INACTIVE;
		} else {
			gboolean recent = T != INT64_MIN &&
			        first[u] != INT64_MAX && first[u] != INT64_MIN &&
			        (double)(T - first[u]) <= p->new_days * DAY;
			sg = segment_of(out->rfm[u * 3], out->rfm[u * 3 + 1],
			                out->rfm[u * 3 + 2], recent);
		}
		out->segment[u] = (uint8_t)sg;
		out->segment_count[sg]++;
		out->n_cold += out->cold[u];
	}
	return TRUE;
fail:
	kith_profiles_clear(out);
	return FALSE;
}

/* ------------------------------------------------------------- writing */

/* The counts stored in profiles.npy as log1p (monetary too, signed). */
static gboolean
log_count_column(int col)
{
	switch (col) {
	case KITH_P_EVENTS:
	case KITH_P_DISTINCT_ITEMS:
	case KITH_P_FREQUENCY:
	case KITH_P_ACTIVE_DAYS:
	case KITH_P_SOCIAL_DEGREE:
		return TRUE;
	default:
		return FALSE;
	}
}

/* numeric column c of profiles.npy before standardisation */
static double
npy_value(const struct kith_profiles *pr, int64_t u, int col)
{
	const double *f = pr->feat + u * KITH_P_COUNT;
	if (log_count_column(col))
		return isnan(f[col]) ? NAN : log1p(MAX(f[col], 0.0));
	if (col == KITH_P_MONETARY)
		return copysign(log1p(fabs(f[col])), f[col]);
	if (col < KITH_P_COUNT)
		return f[col];
	col -= KITH_P_COUNT;
	if (col < 3)
		return pr->rfm[u * 3 + col];
	if (col == 3)
		return pr->confidence[u];
	return pr->type_share[u * pr->n_types + (col - 4)];
}

static char *
npy_column_name(const struct kith_profiles *pr, const struct kith_store *s,
                int col)
{
	if (log_count_column(col) || col == KITH_P_MONETARY)
		return g_strconcat(pcol_names[col], "_log1p", NULL);
	if (col < KITH_P_COUNT)
		return g_strdup(pcol_names[col]);
	col -= KITH_P_COUNT;
	static const char *const extra[] = { "rfm_r", "rfm_f", "rfm_m",
	                                     "confidence" };
	if (col < 4)
		return g_strdup(extra[col]);
	return g_strconcat("type_", s->event_type_names[col - 4], "_share",
	                   NULL);
}

gboolean
kith_profile_write(const char *path, const struct kith_profiles *pr,
                   const struct kith_store *s, const struct kith_emb *emb,
                   const char *store_path, JsonObject *options,
                   GError **error)
{
	int64_t n = pr->n_users, c = pr->n_categories;
	int nnum = KITH_P_COUNT + 4 + (int)pr->n_types;
	int d = emb ? emb->dim : 0;
	int ncol = nnum + d;
	g_autoptr(kith_outdir) od = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autofree float *X = NULL;
	g_autoptr(GString) line = g_string_sized_new(512);

	if (emb && emb->n_users != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "embedding has %" G_GINT64_FORMAT " users, the store %"
		            G_GINT64_FORMAT, emb->n_users, n);
		return FALSE;
	}
	size_t nx;
	if (!kith_mul_size((size_t)MAX(n, 1), (size_t)ncol, &nx)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "profile matrix too large");
		return FALSE;
	}
	if (!(X = kith_alloc_n(nx, sizeof(float), error)))
		return FALSE;
	/* standardise each numeric column; unknown values become the mean */
	for (int col = 0; col < nnum; col++) {
		double sum = 0, sq = 0;
		int64_t cnt = 0;
		for (int64_t u = 0; u < n; u++) {
			double v = npy_value(pr, u, col);
			if (isnan(v))
				continue;
			sum += v;
			cnt++;
		}
		double mean = cnt ? sum / cnt : 0;
		for (int64_t u = 0; u < n; u++) {
			double v = npy_value(pr, u, col);
			if (!isnan(v))
				sq += (v - mean) * (v - mean);
		}
		double sd = cnt ? sqrt(sq / cnt) : 0;
		for (int64_t u = 0; u < n; u++) {
			double v = npy_value(pr, u, col);
			X[u * ncol + col] = isnan(v) || !(sd > 1e-12)
			        ? 0.0f : (float)((v - mean) / sd);
		}
	}
	for (int64_t u = 0; u < n && d > 0; u++)
		memcpy(X + u * ncol + nnum, emb->users + u * (int64_t)d,
		       sizeof(float) * d);

	if (!(od = kith_outdir_begin(path, error)))
		return FALSE;
	b = kith_manifest_begin("kith-profiles", 1);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	if (!kith_outdir_npy(od, b, "profiles.npy", KITH_DT_F32, n, ncol, X,
	                     0600, error) ||
	    !kith_outdir_npy(od, b, "catprefs.npy", KITH_DT_F32, n, c,
	                     pr->catprefs, 0600, error) ||
	    !kith_outdir_ids(od, b, "users.tsv", "user", s->user_ids, n, 0600,
	                     error))
		return FALSE;
	json_builder_end_object(b);

	/* columns.tsv */
	FILE *f = kith_i_tsv_open(od, "columns.tsv", error);
	if (!f)
		return FALSE;
	fputs("column\n", f);
	for (int col = 0; col < nnum; col++) {
		g_autofree char *nm = npy_column_name(pr, s, col);
		fprintf(f, "%s\n", nm);
	}
	for (int k = 0; k < d; k++)
		fprintf(f, "emb_%d\n", k);
	if (!kith_i_tsv_close(f, "columns.tsv", error))
		return FALSE;

	/* profiles.tsv */
	if (!(f = kith_i_tsv_open(od, "profiles.tsv", error)))
		return FALSE;
	fputs("user\tevents\tdistinct_items\trecency_days\tfrequency\t"
	      "monetary\ttenure_days\tactive_days\trepeat_rate\ttop1\ttop2\t"
	      "top3\tentropy\tgini\tnight_share\tmorning_share\t"
	      "afternoon_share\tevening_share\tweekend_share\tsocial_degree\t"
	      "rfm_r\trfm_f\trfm_m\tsegment\tcold\tconfidence\n", f);
	for (int64_t u = 0; u < n; u++) {
		const double *x = pr->feat + u * KITH_P_COUNT;
		g_string_truncate(line, 0);
		g_string_append(line, s->user_ids[u]);
		for (int col = KITH_P_EVENTS; col <= KITH_P_REPEAT_RATE; col++) {
			g_string_append_c(line, '\t');
			kith_i_put_num(line, x[col]);
		}
		for (int r = 0; r < 3; r++) {
			int32_t k = pr->top[u * 3 + r];
			g_string_append_c(line, '\t');
			if (k >= 0)
				g_string_append(line, s->category_names[k]);
		}
		for (int col = KITH_P_ENTROPY; col < KITH_P_COUNT; col++) {
			g_string_append_c(line, '\t');
			kith_i_put_num(line, x[col]);
		}
		g_string_append_printf(line, "\t%d\t%d\t%d\t%s\t%d\t",
		                       pr->rfm[u * 3], pr->rfm[u * 3 + 1],
		                       pr->rfm[u * 3 + 2],
		                       seg_names[pr->segment[u]], pr->cold[u]);
		kith_i_put_num(line, pr->confidence[u]);
		g_string_append_c(line, '\n');
		fwrite(line->str, 1, line->len, f);
	}
	if (!kith_i_tsv_close(f, "profiles.tsv", error))
		return FALSE;

	kith_i_manifest_store(b, s, store_path);
	json_builder_set_member_name(b, "users");
	json_builder_add_int_value(b, n);
	json_builder_set_member_name(b, "categories");
	json_builder_add_int_value(b, c);
	json_builder_set_member_name(b, "columns");
	json_builder_add_int_value(b, ncol);
	json_builder_set_member_name(b, "numeric_columns");
	json_builder_add_int_value(b, nnum);
	json_builder_set_member_name(b, "embedding_columns");
	json_builder_add_int_value(b, d);
	json_builder_set_member_name(b, "source");
	json_builder_add_string_value(b, pr->from_log ? "event_log" : "pairs");
	json_builder_set_member_name(b, "segments");
	json_builder_begin_object(b);
	for (int g = 0; g < KITH_SEG_COUNT; g++) {
		json_builder_set_member_name(b, seg_names[g]);
		json_builder_add_int_value(b, pr->segment_count[g]);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "segment_rules");
	json_builder_add_string_value(b, kith_segment_rules());
	json_builder_set_member_name(b, "cold_users");
	json_builder_add_int_value(b, pr->n_cold);
	return kith_i_manifest_finish(od, b, options, error);
}
