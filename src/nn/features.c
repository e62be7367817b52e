/*
 * Node input features of a store for GCN and GraphSAGE, with a schema that
 * makes the computation repeatable on a newer store (inductive use).
 *
 * Row i < n is user i, row n + j item j (when items are included).
 * Columns, in this order:
 *   uf:NAME      sparse user features, row-normalised  x / Σ|x|
 *   attr:NAME    dense user attributes                  standardised
 *   stats        log1p(degree in ui / iu), log1p(social degree),
 *                log1p(events), share of each event type, is_item
 *                                                       standardised
 *   cat:NAME     category shares: of the user's items (users), of the
 *                item's own categories (items)          row-normalised
 * Standardised columns use z = (x - mean)·scale with mean and
 * scale = 1/sd fitted on the store the model was trained on (scale 1 when
 * sd = 0); the sparse blocks have mean 0 and scale 1.  Applying a schema
 * to another store matches uf, attr, cat and event-type columns by name:
 * unknown names are dropped, missing ones read as zero.
 * Cost O(nnz(uf) + nnz(ui)·|cats per item| + rows·dense width); a fit
 * passes twice over every row's dense values, one row at a time, so a
 * rank of an MPI job builds its rows alone (kith_features_build_rows())
 * with the schema one process fits.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/models.h"
#include "kith/store.h"

void
kith_feature_schema_clear(struct kith_feature_schema *sc)
{
	g_strfreev(sc->uf_names);
	g_strfreev(sc->attr_names);
	g_strfreev(sc->cat_names);
	g_strfreev(sc->stat_names);
	g_free(sc->mean);
	g_free(sc->scale);
	memset(sc, 0, sizeof *sc);
}

static char **
copy_names(char *const *names, int64_t n)
{
	char **out = g_new0(char *, n + 1);
	for (int64_t i = 0; i < n; i++)
		out[i] = g_strdup(names && names[i] ? names[i] : "");
	return out;
}

/* Index of each name of `from` (n of them) in `to` (NULL-terminated), -1
 * when absent. */
static int64_t *
name_map(char *const *from, int64_t n, char *const *to)
{
	GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
	int64_t *map = g_new(int64_t, MAX(n, 1));
	for (int64_t k = 0; to && to[k]; k++)
		if (!g_hash_table_contains(h, to[k]))
			g_hash_table_insert(h, to[k], GINT_TO_POINTER(k + 1));
	for (int64_t i = 0; i < n; i++) {
		gpointer v = from && from[i] ? g_hash_table_lookup(h, from[i])
		                             : NULL;
		map[i] = v ? GPOINTER_TO_INT(v) - 1 : -1;
	}
	g_hash_table_destroy(h);
	return map;
}

struct colval {
	int32_t col;
	float val;
};

static int
colval_cmp(const void *a, const void *b)
{
	const struct colval *x = a, *y = b;
	return (x->col > y->col) - (x->col < y->col);
}

/* What building the features of one store needs. */
struct fbuild {
	const struct kith_store *s;
	struct kith_feature_schema *sc;
	int64_t n, R;           /* users, rows (users + items) */
	int64_t r0, r1;         /* the rows built */
	int64_t nd;             /* width of the dense block (attr + stats) */
	int64_t base_d, base_c; /* first column of the dense, cat blocks */
	int64_t *uf_map, *attr_map, *cat_map, *type_map;  /* store -> schema */
	int64_t c_deg, c_soc, c_ev, c_item;     /* stats columns, -1: none */
};

static char *
type_share_name(const struct kith_store *s, int64_t t)
{
	return g_strdup_printf("type_share:%s", s->event_type_names &&
	                       s->event_type_names[t] ? s->event_type_names[t]
	                                              : "");
}

/* The column names of a schema fitted on s (mean and scale come later). */
static void
schema_names(struct kith_feature_schema *sc, const struct kith_store *s)
{
	int64_t T = s->n_event_types;
	char **stats;

	memset(sc, 0, sizeof *sc);
	sc->uf_names = copy_names(s->user_feat_names, s->n_user_feats);
	sc->n_uf = s->n_user_feats;
	sc->attr_names = copy_names(s->user_attr_names, s->n_user_attrs);
	sc->n_attr = s->n_user_attrs;
	sc->cat_names = copy_names(s->category_names, s->n_categories);
	sc->n_cat = s->n_categories;
	sc->n_stats = 4 + T;
	stats = g_new0(char *, sc->n_stats + 1);
	stats[0] = g_strdup("log_degree");
	stats[1] = g_strdup("log_social_degree");
	stats[2] = g_strdup("log_events");
	for (int64_t t = 0; t < T; t++)
		stats[3 + t] = type_share_name(s, t);
	stats[3 + T] = g_strdup("is_item");
	sc->stat_names = stats;
	sc->n_cols = sc->n_uf + sc->n_attr + sc->n_stats + sc->n_cat;
}

/* Column maps from the store's names to the schema's, and the columns of
 * the named statistics. */
static void
fbuild_maps(struct fbuild *f)
{
	const struct kith_store *s = f->s;
	const struct kith_feature_schema *sc = f->sc;
	int64_t T = s->n_event_types;
	char **tn = g_new0(char *, T + 1);

	f->uf_map = name_map(s->user_feat_names, s->n_user_feats, sc->uf_names);
	f->attr_map = name_map(s->user_attr_names, s->n_user_attrs,
	                       sc->attr_names);
	f->cat_map = name_map(s->category_names, s->n_categories,
	                      sc->cat_names);
	for (int64_t t = 0; t < T; t++)
		tn[t] = type_share_name(s, t);
	f->type_map = name_map(tn, T, sc->stat_names);
	g_strfreev(tn);
	f->c_deg = f->c_soc = f->c_ev = f->c_item = -1;
	for (int64_t k = 0; k < sc->n_stats; k++) {
		const char *nm = sc->stat_names[k];
		int64_t c = sc->n_attr + k;
		if (!strcmp(nm, "log_degree"))
			f->c_deg = c;
		else if (!strcmp(nm, "log_social_degree"))
			f->c_soc = c;
		else if (!strcmp(nm, "log_events"))
			f->c_ev = c;
		else if (!strcmp(nm, "is_item"))
			f->c_item = c;
	}
}

/* The raw dense values of user i into d. */
static void
dense_user(const struct fbuild *f, float *d, int64_t i)
{
	const struct kith_store *s = f->s;
	int64_t T = s->n_event_types;
	double events = 0;

	for (int64_t a = 0; a < s->n_user_attrs && s->user_attr; a++)
		if (f->attr_map[a] >= 0)
			d[f->attr_map[a]] = s->user_attr[i * s->n_user_attrs + a];
	for (int64_t k = s->ui.indptr[i]; k < s->ui.indptr[i + 1]; k++)
		events += s->ui_count ? s->ui_count[k] : 1;
	if (f->c_deg >= 0)
		d[f->c_deg] = (float)log1p((double)(s->ui.indptr[i + 1] -
		                                    s->ui.indptr[i]));
	if (f->c_soc >= 0 && s->uu.indptr)
		d[f->c_soc] = (float)log1p((double)(s->uu.indptr[i + 1] -
		                                    s->uu.indptr[i]));
	if (f->c_ev >= 0)
		d[f->c_ev] = (float)log1p(events);
	if (s->user_type_count && T > 0) {
		double tot = 0;
		for (int64_t t = 0; t < T; t++)
			tot += s->user_type_count[i * T + t];
		for (int64_t t = 0; t < T && tot > 0; t++)
			if (f->type_map[t] >= 0)
				d[f->sc->n_attr + f->type_map[t]] = (float)(
				    s->user_type_count[i * T + t] / tot);
	}
}

/* The raw dense values of row i (a user or an item) into d (nd zeros). */
static void
dense_row(const struct fbuild *f, float *d, int64_t i)
{
	const struct kith_store *s = f->s;
	int64_t j = i - f->n;

	if (i < f->n) {
		dense_user(f, d, i);
		return;
	}
	if (f->c_deg >= 0)
		d[f->c_deg] = (float)log1p((double)(s->iu.indptr[j + 1] -
		                                    s->iu.indptr[j]));
	if (f->c_item >= 0)
		d[f->c_item] = 1.0f;
}

/* Fits mean and scale of the dense columns on every row of the store:
 * two passes (sums, then squared deviations), one row at a time, so the
 * fit needs no R x nd block whatever rows are built. */
static void
dense_fit(const struct fbuild *f)
{
	struct kith_feature_schema *sc = f->sc;
	int64_t nd = f->nd, R = f->R;
	g_autofree double *sum = g_new0(double, MAX(nd, 1));
	g_autofree double *sq = g_new0(double, MAX(nd, 1));
	g_autofree double *mu = g_new0(double, MAX(nd, 1));
	g_autofree float *d = g_new(float, MAX(nd, 1));

	sc->mean = g_new0(float, MAX(sc->n_cols, 1));
	sc->scale = g_new(float, MAX(sc->n_cols, 1));
	for (int64_t c = 0; c < sc->n_cols; c++)
		sc->scale[c] = 1.0f;
	for (int pass = 0; pass < 2; pass++) {
		for (int64_t i = 0; i < R; i++) {
			memset(d, 0, MAX(nd, 1) * sizeof(float));
			dense_row(f, d, i);
			for (int64_t c = 0; c < nd; c++) {
				if (pass == 0) {
					sum[c] += d[c];
				} else {
					double x = d[c] - mu[c];
					sq[c] += x * x;
				}
			}
		}
		for (int64_t c = 0; pass == 0 && c < nd; c++)
			mu[c] = R ? sum[c] / R : 0;
	}
	for (int64_t c = 0; c < nd; c++) {
		double sd = R > 1 ? sqrt(sq[c] / R) : 0;
		sc->mean[f->base_d + c] = (float)mu[c];
		sc->scale[f->base_d + c] = sd > 1e-12 ? (float)(1.0 / sd) : 1.0f;
	}
}

/* The dense block D ((r1 - r0) x nd, zeros) of rows [r0, r1): raw values,
 * then (x - mean)·scale. */
static void
dense_block(const struct fbuild *f, float *D)
{
	const struct kith_feature_schema *sc = f->sc;
	int64_t nd = f->nd;

	for (int64_t i = f->r0; i < f->r1; i++) {
		float *d = D + (i - f->r0) * nd;
		dense_row(f, d, i);
		for (int64_t c = 0; c < nd; c++)
			d[c] = (d[c] - sc->mean[f->base_d + c]) *
			       sc->scale[f->base_d + c];
	}
}

/* An upper bound of the entries of the rows built. */
static int64_t
entries_bound(const struct fbuild *f)
{
	const struct kith_store *s = f->s;
	int64_t total = 0;

	for (int64_t i = f->r0; i < f->r1; i++) {
		int64_t c = 0;
		if (i < f->n) {
			for (int64_t k = s->uf.indptr ? s->uf.indptr[i] : 0;
			     s->uf.indptr && k < s->uf.indptr[i + 1]; k++)
				c += f->uf_map[s->uf.indices[k]] >= 0;
			for (int64_t k = s->ui.indptr[i]; k < s->ui.indptr[i + 1];
			     k++) {
				int32_t it = s->ui.indices[k];
				if (s->item_cat.indptr)
					c += s->item_cat.indptr[it + 1] -
					     s->item_cat.indptr[it];
			}
		} else if (s->item_cat.indptr) {
			c += s->item_cat.indptr[i - f->n + 1] -
			     s->item_cat.indptr[i - f->n];
		}
		total += c + f->nd;
	}
	return total;
}

/* Row i's uf block (row-normalised, by column) onto row. */
static void
row_uf(const struct fbuild *f, GArray *row, int64_t i)
{
	const struct kith_csr *uf = &f->s->uf;
	double tot = 0;

	for (int64_t k = uf->indptr[i]; k < uf->indptr[i + 1]; k++)
		tot += fabs(uf->values ? uf->values[k] : 1.0);
	for (int64_t k = uf->indptr[i]; k < uf->indptr[i + 1]; k++) {
		int64_t c = f->uf_map[uf->indices[k]];
		double v = uf->values ? uf->values[k] : 1.0;
		if (c < 0 || tot <= 0 || v == 0)
			continue;
		struct colval cv = { (int32_t)c, (float)(v / tot) };
		g_array_append_val(row, cv);
	}
	if (row->len > 1)
		qsort(row->data, row->len, sizeof(struct colval), colval_cmp);
}

/* Row i's category shares (a user: of its items' categories; an item:
 * its own) onto row; catacc (n_cat zeros) is scratch, left zero. */
static void
row_cats(const struct fbuild *f, GArray *row, int64_t i, float *catacc)
{
	const struct kith_store *s = f->s;
	int32_t self = (int32_t)(i - f->n);
	int64_t k0 = i < f->n ? s->ui.indptr[i] : 0;
	int64_t k1 = i < f->n ? s->ui.indptr[i + 1] : 1;
	double tot = 0;

	for (int64_t k = k0; k < k1; k++) {
		int32_t it = i < f->n ? s->ui.indices[k] : self;
		for (int64_t q = s->item_cat.indptr[it];
		     q < s->item_cat.indptr[it + 1]; q++) {
			int64_t c = f->cat_map[s->item_cat.indices[q]];
			if (c >= 0) {
				catacc[c] += 1.0f;
				tot += 1;
			}
		}
	}
	for (int64_t c = 0; c < f->sc->n_cat && tot > 0; c++)
		if (catacc[c] != 0) {
			struct colval cv = { (int32_t)(f->base_c + c),
			                     (float)(catacc[c] / tot) };
			g_array_append_val(row, cv);
			catacc[c] = 0;
		}
}

/* Fills out (allocated) row by row: uf, dense, categories (rows r0..r1
 * of the store are rows 0.. of out, D's rows). */
static void
fill_rows(const struct fbuild *f, struct kith_csr *out, const float *D)
{
	const struct kith_store *s = f->s;
	GArray *row = g_array_new(FALSE, FALSE, sizeof(struct colval));
	float *catacc = g_new0(float, MAX(f->sc->n_cat, 1));
	int64_t p = 0;

	out->indptr[0] = 0;
	for (int64_t i = f->r0; i < f->r1; i++) {
		g_array_set_size(row, 0);
		if (i < f->n && s->uf.indptr)
			row_uf(f, row, i);
		for (int64_t c = 0; c < f->nd; c++) {
			float v = D[(i - f->r0) * f->nd + c];
			if (v != 0) {
				struct colval cv = { (int32_t)(f->base_d + c),
				                     v };
				g_array_append_val(row, cv);
			}
		}
		if (s->item_cat.indptr && f->sc->n_cat > 0)
			row_cats(f, row, i, catacc);
		for (guint q = 0; q < row->len; q++) {
			struct colval cv = g_array_index(row, struct colval, q);
			out->indices[p] = cv.col;
			out->values[p] = cv.val;
			p++;
		}
		out->indptr[i - f->r0 + 1] = p;
	}
	out->nnz = p;
	g_free(catacc);
	g_array_free(row, TRUE);
}

gboolean
kith_features_build_rows(struct kith_csr *out, struct kith_feature_schema *sc,
                         const struct kith_store *s, gboolean with_items,
                         gboolean fit, int64_t r0, int64_t r1, GError **error)
{
	struct fbuild f = { .s = s, .sc = sc, .n = s->n_users };
	gboolean ok = FALSE;
	float *D = NULL;

	memset(out, 0, sizeof *out);
	f.R = f.n + (with_items ? s->n_items : 0);
	if (r0 < 0 || r1 < r0 || r1 > f.R) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "feature rows "
		            "%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " outside "
		            "0..%" G_GINT64_FORMAT, r0, r1, f.R);
		return FALSE;
	}
	if (fit)
		schema_names(sc, s);
	f.r0 = r0;
	f.r1 = r1;
	f.nd = sc->n_attr + sc->n_stats;
	f.base_d = sc->n_uf;
	f.base_c = sc->n_uf + f.nd;
	fbuild_maps(&f);
	if (fit)
		dense_fit(&f);
	D = kith_alloc0_n(MAX((r1 - r0) * f.nd, 1), sizeof(float), error);
	if (!D)
		goto out;
	dense_block(&f, D);
	if (!kith_csr_alloc(out, r1 - r0, sc->n_cols, entries_bound(&f), TRUE,
	                    error))
		goto out;
	fill_rows(&f, out, D);
	ok = TRUE;
out:
	g_free(D);
	g_free(f.uf_map);
	g_free(f.attr_map);
	g_free(f.cat_map);
	g_free(f.type_map);
	if (!ok) {
		kith_csr_clear(out);
		if (fit)
			kith_feature_schema_clear(sc);
	}
	return ok;
}

gboolean
kith_features_build(struct kith_csr *out, struct kith_feature_schema *sc,
                    const struct kith_store *s, gboolean with_items,
                    gboolean fit, GError **error)
{
	return kith_features_build_rows(out, sc, s, with_items, fit, 0,
	                                s->n_users + (with_items ? s->n_items
	                                                         : 0), error);
}

static void
add_names(JsonBuilder *b, const char *key, char **names)
{
	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (int64_t i = 0; names && names[i]; i++)
		json_builder_add_string_value(b, names[i]);
	json_builder_end_array(b);
}

JsonNode *
kith_feature_schema_to_json(const struct kith_feature_schema *sc)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "n_cols");
	json_builder_add_int_value(b, sc->n_cols);
	add_names(b, "uf", sc->uf_names);
	add_names(b, "attr", sc->attr_names);
	add_names(b, "stats", sc->stat_names);
	add_names(b, "cat", sc->cat_names);
	/* Constants of the standardised (dense) columns only. */
	json_builder_set_member_name(b, "mean");
	json_builder_begin_array(b);
	for (int64_t c = sc->n_uf; c < sc->n_uf + sc->n_attr + sc->n_stats; c++)
		json_builder_add_double_value(b, sc->mean[c]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "scale");
	json_builder_begin_array(b);
	for (int64_t c = sc->n_uf; c < sc->n_uf + sc->n_attr + sc->n_stats; c++)
		json_builder_add_double_value(b, sc->scale[c]);
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static char **
get_names(JsonObject *o, const char *key, int64_t *n)
{
	JsonArray *a = json_object_has_member(o, key) ?
	    json_object_get_array_member(o, key) : NULL;
	int64_t len = a ? json_array_get_length(a) : 0;
	char **out = g_new0(char *, len + 1);
	for (int64_t i = 0; i < len; i++) {
		const char *s = json_array_get_string_element(a, i);
		out[i] = g_strdup(s ? s : "");
	}
	*n = len;
	return out;
}

gboolean
kith_feature_schema_from_json(struct kith_feature_schema *sc, JsonNode *node,
                              GError **error)
{
	JsonObject *o;
	JsonArray *mean, *scale;
	int64_t nd;

	memset(sc, 0, sizeof *sc);
	if (!node || !JSON_NODE_HOLDS_OBJECT(node))
		goto bad;
	o = json_node_get_object(node);
	sc->uf_names = get_names(o, "uf", &sc->n_uf);
	sc->attr_names = get_names(o, "attr", &sc->n_attr);
	sc->stat_names = get_names(o, "stats", &sc->n_stats);
	sc->cat_names = get_names(o, "cat", &sc->n_cat);
	sc->n_cols = sc->n_uf + sc->n_attr + sc->n_stats + sc->n_cat;
	nd = sc->n_attr + sc->n_stats;
	if (!json_object_has_member(o, "mean") ||
	    !json_object_has_member(o, "scale"))
		goto bad;
	mean = json_object_get_array_member(o, "mean");
	scale = json_object_get_array_member(o, "scale");
	if (!mean || !scale || (int64_t)json_array_get_length(mean) != nd ||
	    (int64_t)json_array_get_length(scale) != nd ||
	    json_object_get_int_member_with_default(o, "n_cols", -1) !=
	    sc->n_cols)
		goto bad;
	sc->mean = g_new0(float, MAX(sc->n_cols, 1));
	sc->scale = g_new(float, MAX(sc->n_cols, 1));
	for (int64_t c = 0; c < sc->n_cols; c++)
		sc->scale[c] = 1.0f;
	for (int64_t c = 0; c < nd; c++) {
		sc->mean[sc->n_uf + c] =
		    (float)json_array_get_double_element(mean, c);
		sc->scale[sc->n_uf + c] =
		    (float)json_array_get_double_element(scale, c);
	}
	return TRUE;
bad:
	kith_feature_schema_clear(sc);
	g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
	            "feature schema of the model is missing or malformed");
	return FALSE;
}
