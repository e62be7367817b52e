/*
 * kith report: builds the report model from a store and the analytics
 * folders, then writes report.json, report.md, report.html and
 * manifest.json into an atomic output folder.
 *
 * Figures and their cost (n users, m items, nnz interactions):
 *   counts, time span                      O(nnz)
 *   degree distributions (users, items, social): histogram of CSR row
 *     lengths, log-binned (20 bins per decade) past 60 distinct values
 *                                          O(n + m)
 *   communities: sizes from membership.npy, details from communities.tsv;
 *     category mix = per community, events on items of each category
 *     (an item's events split evenly over its categories), row-normalised
 *                                          O(nnz)
 *   segments: counts and mean recency / frequency / monetary per segment
 *     from profiles.tsv                    O(n)
 *   influencers: top by PageRank from influence.npy, share of PageRank
 *     held by the top 1 % and 10 % of users        O(n log n)
 *   projection: PCA of up to 20000 sampled embedding rows, max_points
 *     users drawn by selection sampling    O(r d^2 + n)
 *   data quality: the store manifest's ingest summary, else rejects.tsv
 *
 * Privacy: a community or segment smaller than min_group is never shown on
 * its own; such groups are merged into "other (suppressed)", which is shown
 * only when it holds at least min_group users.  Only the named folders are
 * read (never a pseudonymisation key).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/csv.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "report/report-internal.h"

#define MAX_COMMUNITIES_SHOWN 24
#define MAX_MIX_CATEGORIES 16
#define COV_ROWS 20000
#define MAX_CURVE_SERIES 8

void
kith_report_options_init(struct kith_report_options *o)
{
	memset(o, 0, sizeof(*o));
	o->min_group = 10;
	o->top = 20;
	o->max_points = 3000;
	o->seed = 42;
}

/* ------------------------------------------------------------ helpers */

static JsonNode *
member(JsonObject *o, const char *k)
{
	return o && json_object_has_member(o, k) ? json_object_get_member(o, k)
	                                         : NULL;
}

static const char *
jstr(JsonObject *o, const char *k)
{
	JsonNode *n = member(o, k);
	return n && JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_STRING
	               ? json_node_get_string(n) : NULL;
}

static gboolean
jnum(JsonObject *o, const char *k, double *out)
{
	return kith_json_node_num(member(o, k), out);
}

static double
jnum_or(JsonObject *o, const char *k, double def)
{
	double v;
	return jnum(o, k, &v) ? v : def;
}

static gboolean
jbool(JsonObject *o, const char *k)
{
	JsonNode *n = member(o, k);
	return n && JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
	       json_node_get_boolean(n);
}

static JsonObject *
jobj(JsonObject *o, const char *k)
{
	JsonNode *n = member(o, k);
	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *
jarr(JsonObject *o, const char *k)
{
	JsonNode *n = member(o, k);
	return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static struct rp_group *
group_new(const char *label, int64_t size)
{
	struct rp_group *g = g_new0(struct rp_group, 1);
	g->label = g_strdup(label);
	g->size = size;
	g->id = -1;
	g->colour = -1;
	g->density = g->conductance = g->mean_rfm = NAN;
	g->recency = g->frequency = g->monetary = NAN;
	return g;
}

static void
group_free(gpointer p)
{
	struct rp_group *g = p;
	g_free(g->label);
	g_free(g->top_categories);
	g_free(g->top_items);
	g_free(g->central);
	g_free(g);
}

static struct rp_series_data *
series_new(const char *name)
{
	struct rp_series_data *s = g_new0(struct rp_series_data, 1);
	s->name = g_strdup(name);
	s->x = g_array_new(FALSE, FALSE, sizeof(double));
	s->y = g_array_new(FALSE, FALSE, sizeof(double));
	return s;
}

static void
series_clear(struct rp_series_data *s)
{
	g_free(s->name);
	if (s->x)
		g_array_unref(s->x);
	if (s->y)
		g_array_unref(s->y);
}

static void
series_free(gpointer p)
{
	series_clear(p);
	g_free(p);
}

static void
influencer_free(gpointer p)
{
	struct rp_influencer *r = p;
	g_free(r->user);
	g_free(r);
}

void
rp_model_free(struct rp_model *m)
{
	g_free(m->title);
	g_free(m->created);
	g_free(m->store_path);
	g_free(m->store_created);
	for (int k = 0; k < RP_DEG_N; k++)
		series_clear(&m->deg[k]);
	g_free(m->comm_path);
	g_free(m->comm_method);
	g_free(m->comm_graph);
	if (m->comms)
		g_ptr_array_unref(m->comms);
	if (m->mix_row_labels)
		g_strfreev(m->mix_row_labels);
	if (m->mix_col_labels)
		g_strfreev(m->mix_col_labels);
	g_free(m->mix_row_colour);
	g_free(m->mix);
	g_free(m->prof_path);
	g_free(m->segment_rules);
	if (m->segs)
		g_ptr_array_unref(m->segs);
	g_free(m->infl_path);
	g_free(m->betweenness);
	if (m->top)
		g_ptr_array_unref(m->top);
	g_free(m->prefs_path);
	g_free(m->prefs_graph);
	g_free(m->emb_path);
	g_free(m->emb_model);
	if (m->px)
		g_array_unref(m->px);
	if (m->py)
		g_array_unref(m->py);
	if (m->pc)
		g_array_unref(m->pc);
	if (m->legend)
		g_ptr_array_unref(m->legend);
	if (m->curve)
		g_ptr_array_unref(m->curve);
	g_free(m->dq_source);
	if (m->reasons)
		g_ptr_array_unref(m->reasons);
	if (m->dq_files)
		g_ptr_array_unref(m->dq_files);
	if (m->unknown_types)
		g_ptr_array_unref(m->unknown_types);
	if (m->notes)
		g_ptr_array_unref(m->notes);
	if (m->warnings)
		g_ptr_array_unref(m->warnings);
	memset(m, 0, sizeof(*m));
}

/* Reads DIR/manifest.json and checks its format.  Caller unrefs. */
static JsonNode *
open_folder(const char *dir, const char *format, const char *option,
            const struct rp_model *m, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "manifest.json", NULL);
	GError *e = NULL;
	JsonNode *root;
	const char *f, *sc;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "%s '%s' is not a folder", option, dir);
		return NULL;
	}
	root = kith_json_read(path, &e);
	if (root == NULL) {
		g_set_error(error, KITH_ERROR, e->code == KITH_ERROR_IO
		                                       ? KITH_ERROR_USAGE
		                                       : KITH_ERROR_CORRUPT,
		            "%s '%s': %s", option, dir, e->message);
		g_error_free(e);
		return NULL;
	}
	f = jstr(json_node_get_object(root), "format");
	if (f == NULL || strcmp(f, format) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "%s '%s' is not a '%s' folder (format '%s')", option, dir,
		            format, f ? f : "none");
		json_node_unref(root);
		return NULL;
	}
	sc = jstr(json_node_get_object(root), "store_created");
	if (sc && m->store_created && strcmp(sc, m->store_created) != 0)
		g_ptr_array_add(m->warnings,
		                g_strdup_printf("%s '%s' was made from a store "
		                                "created %s, not from this one "
		                                "(created %s); its figures may not "
		                                "match", option, dir, sc,
		                                m->store_created));
	return root;
}

/* A TSV file kith wrote (profiles.tsv, communities.tsv, rejects.tsv):
 * the CSV reader with tabs, a header and no quoting.  Close with
 * kith_csv_close(). */
static struct kith_csv *
tsv_open(const char *path, GError **error)
{
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	struct kith_csv *r;

	o.sep = '\t';
	o.header = KITH_CSV_HEADER_YES;
	o.no_quotes = TRUE;
	r = kith_csv_open(path, &o, error);
	if (r && kith_csv_header_names(r) == NULL) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' is empty",
		            path);
		kith_csv_close(r);
		return NULL;
	}
	return r;
}

/* The next record: 1, 0 at the end, -1 on a read error or a bad record
 * ("FILE:LINE: reason"). */
static int
tsv_next(struct kith_csv *r, struct kith_csv_record *rec, GError **error)
{
	int rc = kith_csv_next(r, rec, error);

	if (rc > 0 && rec->reason != KITH_CSV_OK) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "%s:%" G_GINT64_FORMAT ": %s", kith_csv_name(r),
		            rec->line, kith_csv_reason_text(rec->reason));
		return -1;
	}
	return rc;
}

/* Field c of rec as a number; NAN when empty, not a number, or c < 0. */
static double
field_num(const struct kith_csv_record *rec, int c)
{
	char *end;
	double v;
	if (c < 0 || rec->len[c] == 0 || rec->len[c] >= 64)
		return NAN;
	v = g_ascii_strtod(rec->field[c], &end);
	return *end == '\0' ? v : NAN;
}

/* Field c of rec, copied; NULL when empty or c < 0. */
static char *
field_dup(const struct kith_csv_record *rec, int c)
{
	return c >= 0 && rec->len[c] ? g_strndup(rec->field[c], rec->len[c])
	                             : NULL;
}

/* ------------------------------------------------------------ store */

static void
degree_series(struct rp_model *m, int k, const char *name,
              const int64_t *indptr, int64_t n, GError **error)
{
	struct rp_series_data *s = &m->deg[k];
	int64_t maxd = 0, distinct = 0, total = 0;
	g_autofree int64_t *hist = NULL;

	s->name = g_strdup(name);
	s->x = g_array_new(FALSE, FALSE, sizeof(double));
	s->y = g_array_new(FALSE, FALSE, sizeof(double));
	if (n == 0 || indptr == NULL)
		return;
	for (int64_t i = 0; i < n; i++)
		maxd = MAX(maxd, indptr[i + 1] - indptr[i]);
	hist = kith_alloc0_n((size_t)maxd + 1, sizeof(int64_t), error);
	if (hist == NULL)
		return;
	for (int64_t i = 0; i < n; i++)
		hist[indptr[i + 1] - indptr[i]]++;
	m->deg_zero[k] = hist[0];
	m->deg_max[k] = maxd;
	for (int64_t d = 1; d <= maxd; d++) {
		distinct += hist[d] > 0;
		total += hist[d] * d;
	}
	m->deg_mean[k] = (double)total / (double)n;
	if (distinct <= 60) {
		for (int64_t d = 1; d <= maxd; d++)
			if (hist[d]) {
				double x = (double)d, y = (double)hist[d];
				g_array_append_val(s->x, x);
				g_array_append_val(s->y, y);
			}
		return;
	}
	/* log bins: [10^(j/20), 10^((j+1)/20)); y = nodes per degree value */
	m->deg_binned[k] = TRUE;
	for (int j = 0;; j++) {
		int64_t lo = (int64_t)ceil(pow(10, j / 20.0) - 1e-9);
		int64_t hi = (int64_t)ceil(pow(10, (j + 1) / 20.0) - 1e-9);
		int64_t cnt = 0, sumd = 0;
		if (lo > maxd)
			break;
		if (hi <= lo)
			continue;
		for (int64_t d = lo; d < hi && d <= maxd; d++) {
			cnt += hist[d];
			sumd += hist[d] * d;
		}
		if (cnt > 0) {
			double x = (double)sumd / (double)cnt;
			double y = (double)cnt / (double)(hi - lo);
			g_array_append_val(s->x, x);
			g_array_append_val(s->y, y);
		}
	}
}

static gint
cmp_group_size(gconstpointer a, gconstpointer b)
{
	const struct rp_group *x = *(struct rp_group *const *)a;
	const struct rp_group *y = *(struct rp_group *const *)b;
	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return g_strcmp0(x->label, y->label);
}

static void
data_quality(struct rp_model *m, struct kith_store *s, JsonObject *man)
{
	JsonObject *ing = jobj(man, "ingest");
	JsonArray *files = jarr(ing, "files");
	g_autoptr(GHashTable) by = g_hash_table_new_full(g_str_hash, g_str_equal,
	                                                 g_free, g_free);
	g_autofree char *rej = s->path ? g_build_filename(s->path, "rejects.tsv",
	                                                  NULL) : NULL;
	GHashTableIter it;
	gpointer k, v;

	m->reasons = g_ptr_array_new_with_free_func(group_free);
	m->dq_files = g_ptr_array_new_with_free_func(group_free);
	m->unknown_types = g_ptr_array_new_with_free_func(g_free);
	if (ing) {
		JsonArray *ut = jarr(ing, "unknown_event_types");
		m->has_dq = TRUE;
		m->dq_source = g_strdup("store manifest (ingest summary)");
		m->dq_lines = (int64_t)jnum_or(ing, "lines", -1);
		m->dq_accepted = (int64_t)jnum_or(ing, "accepted", -1);
		m->dq_rejected = (int64_t)jnum_or(ing, "rejected", -1);
		for (guint i = 0; files && i < json_array_get_length(files); i++) {
			JsonNode *fn = json_array_get_element(files, i);
			JsonObject *f, *rbr;
			struct rp_group *g;
			if (!JSON_NODE_HOLDS_OBJECT(fn))
				continue;
			f = json_node_get_object(fn);
			g = group_new(jstr(f, "kind") ? jstr(f, "kind") : "file",
			              (int64_t)jnum_or(f, "accepted", -1));
			g->id = (int64_t)jnum_or(f, "rejected", -1);
			g->recency = jnum_or(f, "lines", NAN);
			g_ptr_array_add(m->dq_files, g);
			rbr = jobj(f, "rejected_by_reason");
			if (rbr) {
				g_autoptr(GList) names = json_object_get_members(rbr);
				for (GList *l = names; l; l = l->next) {
					double c;
					int64_t *slot;
					if (!jnum(rbr, l->data, &c))
						continue;
					slot = g_hash_table_lookup(by, l->data);
					if (slot == NULL) {
						slot = g_new0(int64_t, 1);
						g_hash_table_insert(by, g_strdup(l->data), slot);
					}
					*slot += (int64_t)c;
				}
			}
		}
		for (guint i = 0; ut && i < json_array_get_length(ut); i++) {
			JsonNode *n = json_array_get_element(ut, i);
			if (JSON_NODE_HOLDS_VALUE(n) &&
			    json_node_get_value_type(n) == G_TYPE_STRING)
				g_ptr_array_add(m->unknown_types,
				                g_strdup(json_node_get_string(n)));
		}
	} else if (rej && g_file_test(rej, G_FILE_TEST_IS_REGULAR)) {
		GError *e = NULL;
		g_autoptr(kith_csv) t = tsv_open(rej, &e);
		int rc = t ? kith_csv_column(t, "reason") : -1;
		struct kith_csv_record rec;
		if (t) {
			m->has_dq = TRUE;
			m->dq_source = g_strdup("rejects.tsv");
			m->dq_lines = m->dq_accepted = -1;
		}
		while (rc >= 0 && tsv_next(t, &rec, &e) > 0) {
			int64_t *slot = g_hash_table_lookup(by, rec.field[rc]);
			if (slot == NULL) {
				slot = g_new0(int64_t, 1);
				g_hash_table_insert(by, g_strdup(rec.field[rc]), slot);
			}
			(*slot)++;
			m->dq_rejected++;
		}
		if (e) {
			g_ptr_array_add(m->warnings, g_strdup_printf("data quality: "
			                "%s", e->message));
			g_error_free(e);
		}
	}
	if (!m->has_dq) {
		g_ptr_array_add(m->notes, g_strdup("Data quality: the store has no "
		                "ingest summary and no rejects.tsv; stores made by "
		                "`kith ingest` record both"));
		return;
	}
	g_hash_table_iter_init(&it, by);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(m->reasons, group_new(k, *(int64_t *)v));
	g_ptr_array_sort(m->reasons, cmp_group_size);
}

static gboolean
store_part(struct rp_model *m, struct kith_store *s, GError **error)
{
	JsonObject *man = s->manifest ? json_node_get_object(s->manifest) : NULL;

	m->store_path = g_strdup(s->path);
	m->store_created = g_strdup(jstr(man, "created"));
	m->pseudonymized = jbool(man, "pseudonymized") ||
	                   jbool(man, "pseudonymised");
	m->users = s->n_users;
	m->items = s->n_items;
	m->events = s->n_events;
	m->interactions = s->ui.nnz;
	m->directed = s->directed_social;
	m->social_pairs = s->directed_social ? s->uu.nnz : s->uu.nnz / 2;
	m->categories = s->n_categories;
	m->event_types = s->n_event_types;
	m->ts_min = m->ts_max = INT64_MIN;
	for (int64_t e = 0; e < s->ui.nnz; e++) {
		int64_t a = s->ui_ts_first ? s->ui_ts_first[e] : INT64_MIN;
		int64_t b = s->ui_ts_last ? s->ui_ts_last[e] : INT64_MIN;
		if (a != INT64_MIN && (m->ts_min == INT64_MIN || a < m->ts_min))
			m->ts_min = a;
		if (b != INT64_MIN && (m->ts_max == INT64_MIN || b > m->ts_max))
			m->ts_max = b;
	}
	degree_series(m, RP_DEG_USERS, "users (items per user)", s->ui.indptr,
	              s->n_users, error);
	degree_series(m, RP_DEG_ITEMS, "items (users per item)", s->iu.indptr,
	              s->iu.n_rows, error);
	degree_series(m, RP_DEG_SOCIAL, "users (social links)",
	              s->uu.nnz ? s->uu.indptr : NULL, s->uu.n_rows, error);
	if (error && *error)
		return FALSE;
	data_quality(m, s, man);
	return TRUE;
}

/* ------------------------------------------------------------ communities */

static gboolean
communities_part(struct rp_model *m, struct kith_store *s,
                 const struct kith_report_options *opt,
                 int32_t **member_out, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *man;
	struct kith_npy mem = { 0 };
	const int32_t *lab;
	g_autofree int64_t *size = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GHashTable) by_id = NULL;
	g_autofree char *tsvp = NULL;
	int64_t maxid = -1;
	int32_t *member;
	double v;

	root = open_folder(opt->communities, "kith-communities", "--communities",
	                   m, error);
	if (root == NULL)
		return FALSE;
	man = json_node_get_object(root);
	if (!kith_npy_map_rows(&mem, opt->communities, "membership.npy", KITH_DT_I32,
	               s->n_users, 0, error))
		return FALSE;
	lab = mem.data;
	for (int64_t u = 0; u < s->n_users; u++) {
		if (lab[u] < -1 || lab[u] >= MAX(s->n_users, 1)) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "'%s/membership.npy': community %d of user %"
			            G_GINT64_FORMAT " is out of range", opt->communities,
			            lab[u], u);
			kith_npy_unmap(&mem);
			return FALSE;
		}
		maxid = MAX(maxid, lab[u]);
	}
	m->has_comm = TRUE;
	m->comm_path = g_strdup(opt->communities);
	m->comm_method = g_strdup(jstr(man, "method"));
	m->comm_graph = g_strdup(jstr(man, "graph"));
	m->modularity = jnum_or(man, "modularity", NAN);
	m->resolution = jnum_or(man, "resolution", NAN);
	m->nmi = jnum_or(man, "nmi", NAN);
	m->ari = jnum_or(man, "ari", NAN);
	size = g_new0(int64_t, maxid + 2);
	for (int64_t u = 0; u < s->n_users; u++) {
		if (lab[u] >= 0) {
			size[lab[u]]++;
			m->n_assigned++;
		} else {
			m->n_unassigned++;
		}
	}
	all = g_ptr_array_new_with_free_func(group_free);
	by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (int64_t c = 0; c <= maxid; c++) {
		struct rp_group *g;
		g_autofree char *label = NULL;
		if (size[c] == 0)
			continue;
		label = g_strdup_printf("community %" G_GINT64_FORMAT, c);
		g = group_new(label, size[c]);
		g->id = c;
		g_ptr_array_add(all, g);
		g_hash_table_insert(by_id, &g->id, g);
		m->n_comm++;
	}
	if (jnum(man, "communities", &v) && (int64_t)v != m->n_comm)
		g_ptr_array_add(m->warnings, g_strdup_printf("the communities "
		                "manifest counts %.0f communities; membership.npy "
		                "holds %" G_GINT64_FORMAT, v, m->n_comm));
	/* details from communities.tsv, by header name */
	tsvp = g_build_filename(opt->communities, "communities.tsv", NULL);
	if (g_file_test(tsvp, G_FILE_TEST_IS_REGULAR)) {
		g_autoptr(kith_csv) t = tsv_open(tsvp, error);
		struct kith_csv_record rec;
		int ci, di, ki, ti, ii, ri, mi, rc = 0;
		if (t == NULL) {
			kith_npy_unmap(&mem);
			return FALSE;
		}
		ci = kith_csv_column(t, "community");
		di = kith_csv_column(t, "internal_density");
		ki = kith_csv_column(t, "conductance");
		ti = kith_csv_column(t, "top_categories");
		ii = kith_csv_column(t, "top_items");
		ri = kith_csv_column(t, "mean_rfm");
		mi = kith_csv_column(t, "central_members");
		while (ci >= 0 && (rc = tsv_next(t, &rec, error)) > 0) {
			double idv = field_num(&rec, ci);
			int64_t id = (int64_t)idv;
			struct rp_group *g = isfinite(idv)
			                             ? g_hash_table_lookup(by_id, &id)
			                             : NULL;
			if (g == NULL)
				continue;
			if (di >= 0)
				g->density = field_num(&rec, di);
			if (ki >= 0)
				g->conductance = field_num(&rec, ki);
			if (ri >= 0)
				g->mean_rfm = field_num(&rec, ri);
			g_free(g->top_categories);
			g_free(g->top_items);
			g_free(g->central);
			g->top_categories = field_dup(&rec, ti);
			g->top_items = field_dup(&rec, ii);
			g->central = field_dup(&rec, mi);
		}
		if (rc < 0) {
			kith_npy_unmap(&mem);
			return FALSE;
		}
	} else {
		g_ptr_array_add(m->warnings, g_strdup_printf("'%s' is missing: "
		                "community details are not shown", tsvp));
	}
	g_ptr_array_sort(all, cmp_group_size);
	/* shown rows, rest, suppressed */
	m->comms = g_ptr_array_new_with_free_func(group_free);
	for (guint i = 0; i < all->len; i++) {
		struct rp_group *g = all->pdata[i];
		if (g->size < opt->min_group) {
			m->comm_supp_groups++;
			m->comm_supp_users += g->size;
		} else if (m->comms->len >= MAX_COMMUNITIES_SHOWN) {
			m->comm_rest_groups++;
			m->comm_rest_users += g->size;
		} else {
			g->colour = m->comms->len < RP_PALETTE_N ? (int)m->comms->len
			                                         : -1;
			all->pdata[i] = NULL;
			g_ptr_array_add(m->comms, g);
		}
	}
	g_ptr_array_set_free_func(all, NULL);
	for (guint i = 0; i < all->len; i++)
		if (all->pdata[i])
			group_free(all->pdata[i]);
	if (m->comm_rest_groups) {
		g_autofree char *l = g_strdup_printf("%" G_GINT64_FORMAT
		                                     " smaller communities",
		                                     m->comm_rest_groups);
		struct rp_group *g = group_new(l, m->comm_rest_users);
		g->merged = TRUE;
		g->id = -2;
		g_ptr_array_add(m->comms, g);
	}
	m->comm_supp_shown = m->comm_supp_groups > 0 &&
	                     m->comm_supp_users >= opt->min_group;
	if (m->comm_supp_shown) {
		struct rp_group *g = group_new("other (suppressed)",
		                               m->comm_supp_users);
		g->merged = TRUE;
		g->id = -3;
		g_ptr_array_add(m->comms, g);
	}
	/* member[u]: row of m->comms the user is drawn in, -1 none */
	member = g_new(int32_t, MAX(s->n_users, 1));
	{
		g_autofree int32_t *row_of = g_new(int32_t, maxid + 2);
		int32_t rest_row = -1, supp_row = -1;
		for (guint i = 0; i < m->comms->len; i++) {
			struct rp_group *g = m->comms->pdata[i];
			if (g->id == -2)
				rest_row = i;
			else if (g->id == -3)
				supp_row = i;
		}
		for (int64_t c = 0; c <= maxid; c++)
			row_of[c] = size[c] < opt->min_group ? supp_row : rest_row;
		for (guint i = 0; i < m->comms->len; i++) {
			struct rp_group *g = m->comms->pdata[i];
			if (g->id >= 0)
				row_of[g->id] = i;
		}
		for (int64_t u = 0; u < s->n_users; u++)
			member[u] = lab[u] >= 0 ? row_of[lab[u]] : -1;
	}
	kith_npy_unmap(&mem);
	*member_out = member;

	/* category mix over the rows of m->comms */
	if (s->n_categories > 0 && s->item_cat.nnz > 0) {
		int R = m->comms->len, K = (int)s->n_categories, C;
		g_autofree double *full = g_new0(double, (size_t)R * K);
		g_autofree double *tot = g_new0(double, K);
		g_autofree int *order = g_new(int, K);
		g_autofree int *colmap = g_new(int, K);
		for (int64_t u = 0; u < s->n_users; u++) {
			int r = member[u];
			if (r < 0)
				continue;
			for (int64_t e = s->ui.indptr[u]; e < s->ui.indptr[u + 1]; e++) {
				int32_t it = s->ui.indices[e];
				int64_t a = s->item_cat.indptr[it];
				int64_t b = s->item_cat.indptr[it + 1];
				double w = s->ui_count ? s->ui_count[e] : 1;
				if (b == a)
					continue;
				w /= (double)(b - a);
				for (int64_t q = a; q < b; q++)
					full[(size_t)r * K + s->item_cat.indices[q]] += w;
			}
		}
		for (int r = 0; r < R; r++)
			for (int k = 0; k < K; k++)
				tot[k] += full[(size_t)r * K + k];
		for (int k = 0; k < K; k++)
			order[k] = k;
		/* categories by total volume, descending (stable by index) */
		for (int i = 1; i < K; i++) {
			int x = order[i], j = i;
			while (j > 0 && tot[order[j - 1]] < tot[x]) {
				order[j] = order[j - 1];
				j--;
			}
			order[j] = x;
		}
		C = K > MAX_MIX_CATEGORIES ? MAX_MIX_CATEGORIES + 1 : K;
		for (int k = 0; k < K; k++)
			colmap[k] = MAX_MIX_CATEGORIES;
		for (int j = 0; j < MIN(K, MAX_MIX_CATEGORIES); j++)
			colmap[order[j]] = j;
		m->mix_rows = R;
		m->mix_cols = C;
		m->mix = g_new0(double, (size_t)R * C);
		m->mix_row_labels = g_new0(char *, R + 1);
		m->mix_row_colour = g_new0(int, R);
		m->mix_col_labels = g_new0(char *, C + 1);
		for (int j = 0; j < C; j++)
			m->mix_col_labels[j] = g_strdup(j < MAX_MIX_CATEGORIES || K == C
			                                        ? s->category_names[order[j]]
			                                        : "other categories");
		for (int r = 0; r < R; r++) {
			struct rp_group *g = m->comms->pdata[r];
			double sum = 0;
			m->mix_row_labels[r] = g_strdup(g->label);
			m->mix_row_colour[r] = g->colour;
			for (int k = 0; k < K; k++) {
				m->mix[(size_t)r * C + colmap[k]] += full[(size_t)r * K + k];
				sum += full[(size_t)r * K + k];
			}
			for (int j = 0; j < C; j++)
				m->mix[(size_t)r * C + j] = sum > 0
				        ? m->mix[(size_t)r * C + j] / sum : 0;
		}
	}
	return TRUE;
}

/* ------------------------------------------------------------ profiles */

static gboolean
profiles_part(struct rp_model *m, struct kith_store *s,
              const struct kith_report_options *opt, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GHashTable) seg = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autofree char *path = NULL;
	JsonObject *man, *segs;
	int sc, rc, fc, mc, cc;

	root = open_folder(opt->profiles, "kith-profiles", "--profiles", m, error);
	if (root == NULL)
		return FALSE;
	man = json_node_get_object(root);
	m->has_prof = TRUE;
	m->prof_path = g_strdup(opt->profiles);
	m->segment_rules = g_strdup(jstr(man, "segment_rules"));
	seg = g_hash_table_new(g_str_hash, g_str_equal);
	all = g_ptr_array_new_with_free_func(group_free);
	path = g_build_filename(opt->profiles, "profiles.tsv", NULL);
	if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_autoptr(kith_csv) t = tsv_open(path, error);
		struct kith_csv_record rec;
		int rd = 0;
		if (t == NULL)
			return FALSE;
		sc = kith_csv_column(t, "segment");
		rc = kith_csv_column(t, "recency_days");
		fc = kith_csv_column(t, "frequency");
		mc = kith_csv_column(t, "monetary");
		cc = kith_csv_column(t, "cold");
		while ((rd = tsv_next(t, &rec, error)) > 0) {
			struct rp_group *g;
			m->prof_users++;
			if (cc >= 0 && strcmp(rec.field[cc], "1") == 0)
				m->cold_users++;
			if (sc < 0)
				continue;
			{
				const char *name = rec.len[sc] ? rec.field[sc] : "(none)";
				g = g_hash_table_lookup(seg, name);
				if (g == NULL) {
					g = group_new(name, 0);
					g->recency = g->frequency = g->monetary = 0;
					g_ptr_array_add(all, g);
					g_hash_table_insert(seg, g->label, g);
				}
			}
			g->size++;
			/* running sums; NAN fields poison the mean, as they should */
			if (rc >= 0)
				g->recency += field_num(&rec, rc);
			if (fc >= 0)
				g->frequency += field_num(&rec, fc);
			if (mc >= 0)
				g->monetary += field_num(&rec, mc);
		}
		if (rd < 0)
			return FALSE;
		for (guint i = 0; i < all->len; i++) {
			struct rp_group *g = all->pdata[i];
			g->recency = rc >= 0 ? g->recency / g->size : NAN;
			g->frequency = fc >= 0 ? g->frequency / g->size : NAN;
			g->monetary = mc >= 0 ? g->monetary / g->size : NAN;
		}
		if (m->prof_users != s->n_users)
			g_ptr_array_add(m->warnings, g_strdup_printf("'%s' has %"
			                G_GINT64_FORMAT " rows; the store has %"
			                G_GINT64_FORMAT " users", path, m->prof_users,
			                s->n_users));
	} else if ((segs = jobj(man, "segments"))) {
		g_autoptr(GList) names = json_object_get_members(segs);
		for (GList *l = names; l; l = l->next) {
			double c;
			if (jnum(segs, l->data, &c)) {
				g_ptr_array_add(all, group_new(l->data, (int64_t)c));
				m->prof_users += (int64_t)c;
			}
		}
	} else {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' has neither profiles.tsv nor a \"segments\" member "
		            "in its manifest", opt->profiles);
		return FALSE;
	}
	g_ptr_array_sort(all, cmp_group_size);
	m->segs = g_ptr_array_new_with_free_func(group_free);
	{
		struct rp_group *supp = group_new("other (suppressed)", 0);
		double r = 0, fsum = 0, mo = 0;
		supp->merged = TRUE;
		for (guint i = 0; i < all->len; i++) {
			struct rp_group *g = all->pdata[i];
			if (g->size < opt->min_group) {
				m->seg_supp_groups++;
				m->seg_supp_users += g->size;
				r += g->recency * g->size;
				fsum += g->frequency * g->size;
				mo += g->monetary * g->size;
			} else {
				g->colour = (int)m->segs->len;
				all->pdata[i] = NULL;
				g_ptr_array_add(m->segs, g);
			}
		}
		m->seg_supp_shown = m->seg_supp_groups > 0 &&
		                    m->seg_supp_users >= opt->min_group;
		if (m->seg_supp_shown) {
			supp->size = m->seg_supp_users;
			supp->recency = r / supp->size;
			supp->frequency = fsum / supp->size;
			supp->monetary = mo / supp->size;
			g_ptr_array_add(m->segs, supp);
		} else {
			group_free(supp);
		}
	}
	g_ptr_array_set_free_func(all, NULL);
	for (guint i = 0; i < all->len; i++)
		if (all->pdata[i])
			group_free(all->pdata[i]);
	return TRUE;
}

/* ------------------------------------------------------------ influence */

static int
cmp_desc_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

static gboolean
influence_part(struct rp_model *m, struct kith_store *s,
               const struct kith_report_options *opt, const int32_t *member,
               GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *man, *bt;
	struct kith_npy a = { 0 };
	g_autofree char *npy = NULL;
	double v;

	root = open_folder(opt->influence, "kith-influence", "--influence", m,
	                   error);
	if (root == NULL)
		return FALSE;
	man = json_node_get_object(root);
	m->has_infl = TRUE;
	m->infl_path = g_strdup(opt->influence);
	m->damping = jnum_or(man, "damping", NAN);
	m->pr_top1 = m->pr_top10 = NAN;
	if (jstr(man, "betweenness"))
		m->betweenness = g_strdup(jstr(man, "betweenness"));
	else if ((bt = jobj(man, "betweenness")) && jstr(bt, "mode"))
		m->betweenness = g_strdup(jstr(bt, "mode"));
	if (m->betweenness && strcmp(m->betweenness, "sampled") == 0 &&
	    jnum(man, "samples", &v)) {
		g_free(m->betweenness);
		m->betweenness = g_strdup_printf("sampled (%.0f samples)", v);
	}
	m->top = g_ptr_array_new_with_free_func(influencer_free);
	npy = g_build_filename(opt->influence, "influence.npy", NULL);
	if (g_file_test(npy, G_FILE_TEST_IS_REGULAR)) {
		const double *X;
		int64_t n = s->n_users, k = MAX(opt->top, 1), have = 0;
		g_autofree int64_t *best = NULL;
		g_autofree double *pr = NULL;
		double total = 0;
		if (!kith_npy_map_rows(&a, opt->influence, "influence.npy", KITH_DT_F64,
		               s->n_users, 10, error))
			return FALSE;
		X = a.data;
		best = g_new(int64_t, k);
		/* insertion into a k-slot list, pagerank desc then index asc */
		for (int64_t u = 0; u < n; u++) {
			double p = X[u * 10];
			int64_t j;
			if (!isfinite(p))
				continue;
			if (have == k && p <= X[best[k - 1] * 10])
				continue;
			j = have < k ? have++ : k - 1;
			while (j > 0 && X[best[j - 1] * 10] < p) {
				best[j] = best[j - 1];
				j--;
			}
			best[j] = u;
		}
		for (int64_t j = 0; j < have; j++) {
			struct rp_influencer *r = g_new0(struct rp_influencer, 1);
			int64_t u = best[j];
			r->user = g_strdup(s->user_ids[u]);
			memcpy(r->v, X + u * 10, sizeof(r->v));
			r->community = member ? member[u] : -1;
			r->colour = -1;
			if (member && member[u] >= 0)
				r->colour = ((struct rp_group *)
				             m->comms->pdata[member[u]])->colour;
			g_ptr_array_add(m->top, r);
		}
		/* concentration of PageRank */
		pr = kith_alloc_n(MAX(n, 1), sizeof(double), error);
		if (pr == NULL) {
			kith_npy_unmap(&a);
			return FALSE;
		}
		for (int64_t u = 0; u < n; u++) {
			pr[u] = isfinite(X[u * 10]) ? X[u * 10] : 0;
			total += pr[u];
		}
		kith_npy_unmap(&a);
		if (n > 0 && total > 0) {
			double acc = 0;
			int64_t n1 = MAX(1, (n + 99) / 100), n10 = MAX(1, (n + 9) / 10);
			qsort(pr, n, sizeof(double), cmp_desc_double);
			for (int64_t u = 0; u < n10; u++) {
				acc += pr[u];
				if (u + 1 == n1)
					m->pr_top1 = acc / total;
			}
			m->pr_top10 = acc / total;
		}
	} else {
		/* fall back on the manifest's "top" array */
		JsonArray *top = jarr(man, "top");
		for (guint i = 0; top && i < json_array_get_length(top) &&
		                  (int)i < opt->top; i++) {
			JsonNode *n = json_array_get_element(top, i);
			JsonObject *o;
			struct rp_influencer *r;
			const char *user;
			int64_t u;
			if (!JSON_NODE_HOLDS_OBJECT(n))
				continue;
			o = json_node_get_object(n);
			user = jstr(o, "user");
			if (user == NULL)
				continue;
			r = g_new0(struct rp_influencer, 1);
			r->user = g_strdup(user);
			for (int c = 0; c < 10; c++)
				r->v[c] = NAN;
			r->v[0] = jnum_or(o, "pagerank", NAN);
			r->v[6] = jnum_or(o, "kcore", NAN);
			r->v[9] = jnum_or(o, "behavioural", NAN);
			u = kith_store_user_index(s, user);
			r->community = member && u >= 0 ? member[u] : -1;
			r->colour = r->community >= 0
			                    ? ((struct rp_group *)
			                       m->comms->pdata[r->community])->colour
			                    : -1;
			g_ptr_array_add(m->top, r);
		}
		g_ptr_array_add(m->warnings, g_strdup_printf("'%s' is missing: the "
		                "influencer table comes from the manifest", npy));
	}
	return TRUE;
}

/* ------------------------------------------------------------ prefs */

static gboolean
prefs_part(struct rp_model *m, const struct kith_report_options *opt,
           GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *man, *ev;
	JsonNode *g;

	root = open_folder(opt->prefs, "kith-prefs", "--prefs", m, error);
	if (root == NULL)
		return FALSE;
	man = json_node_get_object(root);
	m->has_prefs = TRUE;
	m->prefs_path = g_strdup(opt->prefs);
	g = member(man, "graph");
	if (g && JSON_NODE_HOLDS_VALUE(g) &&
	    json_node_get_value_type(g) == G_TYPE_STRING) {
		m->prefs_graph = g_strdup(json_node_get_string(g));
	} else if (g && JSON_NODE_HOLDS_ARRAY(g)) {
		GString *b = g_string_new(NULL);
		JsonArray *a = json_node_get_array(g);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonNode *e = json_array_get_element(a, i);
			if (JSON_NODE_HOLDS_VALUE(e) &&
			    json_node_get_value_type(e) == G_TYPE_STRING)
				g_string_append_printf(b, "%s%s", b->len ? "," : "",
				                       json_node_get_string(e));
		}
		m->prefs_graph = g_string_free(b, FALSE);
	}
	m->alpha = jnum_or(man, "alpha", NAN);
	m->iterations = (int64_t)jnum_or(man, "iterations", -1);
	m->converged = jbool(man, "converged");
	ev = jobj(man, "eval");
	if (ev) {
		m->has_eval = TRUE;
		m->ndcg = jnum_or(ev, "ndcg@3", NAN);
		m->acc = jnum_or(ev, "accuracy@1", NAN);
		m->pop_ndcg = jnum_or(ev, "baseline_popularity_ndcg@3", NAN);
		m->pop_acc = jnum_or(ev, "baseline_popularity_accuracy@1", NAN);
		m->own_ndcg = jnum_or(ev, "baseline_own_ndcg@3", NAN);
		m->held_out = (int64_t)jnum_or(ev, "users_held_out", -1);
	}
	return TRUE;
}

/* ------------------------------------------------------------ embedding */

/* The training curve of the folder: its first MAX_CURVE_SERIES series,
 * those with two points or more. */
static void
read_curve(struct rp_model *m, const struct kith_emb_summary *sum)
{
	m->curve = g_ptr_array_new_with_free_func(series_free);
	for (guint i = 0; i < sum->curve->len && i < MAX_CURVE_SERIES; i++) {
		const struct kith_emb_series *c = sum->curve->pdata[i];
		struct rp_series_data *s;
		if (c->epoch->len < 2)
			continue;
		s = series_new(c->name);
		g_array_append_vals(s->x, c->epoch->data, c->epoch->len);
		g_array_append_vals(s->y, c->value->data, c->value->len);
		g_ptr_array_add(m->curve, s);
	}
}

static gboolean
emb_part(struct rp_model *m, struct kith_store *s,
         const struct kith_report_options *opt, const int32_t *member,
         GError **error)
{
	g_autoptr(kith_emb) e = NULL;
	g_autofree int64_t *rows = NULL, *pick = NULL;
	g_autofree double *mean = NULL, *axes = NULL;
	struct kith_emb_summary sum;
	struct kith_rng rng;
	double eig[2], total;
	int64_t n_cov, eligible = 0, want, got = 0;
	GError *err = NULL;

	e = kith_emb_open(opt->emb, &err);
	if (e == NULL) {
		g_set_error(error, KITH_ERROR, err->code == KITH_ERROR_IO
		                                       ? KITH_ERROR_USAGE : err->code,
		            "--emb '%s': %s", opt->emb, err->message);
		g_error_free(err);
		return FALSE;
	}
	if (e->n_users != s->n_users) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "--emb '%s' has %" G_GINT64_FORMAT " users; the store "
		            "has %" G_GINT64_FORMAT, opt->emb, e->n_users,
		            s->n_users);
		return FALSE;
	}
	kith_emb_summary_read(&sum, e);
	if (sum.store_created && m->store_created &&
	    strcmp(sum.store_created, m->store_created) != 0)
		g_ptr_array_add(m->warnings, g_strdup_printf("--emb '%s' was "
		                "trained on a store created %s, not on this one",
		                opt->emb, sum.store_created));
	m->has_emb = TRUE;
	m->emb_path = g_strdup(opt->emb);
	m->emb_model = g_steal_pointer(&sum.model);
	m->dim = e->dim;
	read_curve(m, &sum);
	kith_emb_summary_clear(&sum);
	m->px = g_array_new(FALSE, FALSE, sizeof(double));
	m->py = g_array_new(FALSE, FALSE, sizeof(double));
	m->pc = g_array_new(FALSE, FALSE, sizeof(int));
	m->legend = g_ptr_array_new_with_free_func(group_free);
	m->explained[0] = m->explained[1] = NAN;
	if (e->n_users < 2 || e->dim < 1)
		return TRUE;
	kith_rng_seed(&rng, opt->seed, 0x7e9047);
	/* covariance rows: selection sampling of COV_ROWS of n */
	n_cov = MIN(e->n_users, (int64_t)COV_ROWS);
	rows = kith_alloc_n(n_cov, sizeof(int64_t), error);
	if (rows == NULL)
		return FALSE;
	for (int64_t u = 0, k = 0; u < e->n_users && k < n_cov; u++)
		if ((double)(e->n_users - u) * kith_rng_uniform(&rng) <
		    (double)(n_cov - k))
			rows[k++] = u;
	mean = g_new(double, e->dim);
	axes = g_new(double, 2 * (size_t)e->dim);
	if (!kith_pca2(e->users, e->n_users, e->dim, rows, n_cov, mean, axes,
	               eig, &total, error))
		return FALSE;
	m->cov_rows = n_cov;
	m->explained[0] = total > 0 ? eig[0] / total : NAN;
	m->explained[1] = total > 0 ? eig[1] / total : NAN;
	/* points: users in a community when communities were given */
	for (int64_t u = 0; u < e->n_users; u++)
		eligible += member == NULL || member[u] >= 0;
	want = MIN(eligible, (int64_t)MAX(opt->max_points, 0));
	pick = kith_alloc_n(MAX(want, 1), sizeof(int64_t), error);
	if (pick == NULL)
		return FALSE;
	for (int64_t u = 0, seen = 0; u < e->n_users && got < want; u++) {
		if (member && member[u] < 0)
			continue;
		if ((double)(eligible - seen) * kith_rng_uniform(&rng) <
		    (double)(want - got))
			pick[got++] = u;
		seen++;
	}
	for (int64_t k = 0; k < got; k++) {
		const float *x = e->users + (size_t)pick[k] * e->dim;
		double a = 0, b = 0;
		int c = member ? ((struct rp_group *)
		                  m->comms->pdata[member[pick[k]]])->colour : 0;
		for (int j = 0; j < e->dim; j++) {
			a += (x[j] - mean[j]) * axes[j];
			b += (x[j] - mean[j]) * axes[e->dim + j];
		}
		g_array_append_val(m->px, a);
		g_array_append_val(m->py, b);
		g_array_append_val(m->pc, c);
	}
	if (member) {
		int64_t grey = 0;
		for (guint i = 0; i < m->comms->len; i++) {
			struct rp_group *g = m->comms->pdata[i];
			if (g->colour >= 0) {
				struct rp_group *l = group_new(g->label, g->size);
				l->colour = g->colour;
				g_ptr_array_add(m->legend, l);
			} else {
				grey += g->size;
			}
		}
		if (grey) {
			struct rp_group *l = group_new("other communities", grey);
			l->merged = TRUE;
			g_ptr_array_add(m->legend, l);
		}
	}
	return TRUE;
}

/* ------------------------------------------------------------ build */

gboolean
rp_model_build(struct rp_model *m, struct kith_store *s,
               const struct kith_report_options *opt, GError **error)
{
	g_autofree int32_t *member = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	memset(m, 0, sizeof(*m));
	m->notes = g_ptr_array_new_with_free_func(g_free);
	m->warnings = g_ptr_array_new_with_free_func(g_free);
	m->min_group = opt->min_group;
	m->created = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
	m->modularity = m->resolution = m->nmi = m->ari = NAN;
	m->damping = m->alpha = NAN;
	m->pr_top1 = m->pr_top10 = NAN;
	if (opt->title) {
		m->title = g_strdup(opt->title);
	} else {
		g_autofree char *base = g_path_get_basename(s->path ? s->path
		                                                    : "store");
		m->title = g_strdup_printf("kith report: %s", base);
	}
	if (!store_part(m, s, error))
		return FALSE;
	if (opt->communities) {
		if (!communities_part(m, s, opt, &member, error))
			return FALSE;
	} else {
		g_ptr_array_add(m->notes, g_strdup("Communities, category mix per "
		                "community: run `kith communities STORE -o COMM` "
		                "and pass `--communities COMM`"));
	}
	if (opt->profiles) {
		if (!profiles_part(m, s, opt, error))
			return FALSE;
	} else {
		g_ptr_array_add(m->notes, g_strdup("RFM segments: run `kith profile "
		                "STORE -o PROFILES` and pass `--profiles PROFILES`"));
	}
	if (opt->influence) {
		if (!influence_part(m, s, opt, member, error))
			return FALSE;
	} else {
		g_ptr_array_add(m->notes, g_strdup("Influencers: run `kith influence "
		                "STORE -o INFL` and pass `--influence INFL`"));
	}
	if (opt->prefs) {
		if (!prefs_part(m, opt, error))
			return FALSE;
	} else {
		g_ptr_array_add(m->notes, g_strdup("Preference propagation: run "
		                "`kith propagate STORE -o PREFS` (with "
		                "`--eval-holdout 0.2` for its accuracy) and pass "
		                "`--prefs PREFS`"));
	}
	if (opt->emb) {
		if (!emb_part(m, s, opt, member, error))
			return FALSE;
	} else {
		g_ptr_array_add(m->notes, g_strdup("Embedding projection and "
		                "training curve: run `kith embed STORE -o EMB` and "
		                "pass `--emb EMB`"));
	}
	if (m->has_comm && m->categories == 0)
		g_ptr_array_add(m->notes, g_strdup("Category mix: the store has no "
		                "item categories; give `kith ingest` an items file "
		                "with a category column"));
	return TRUE;
}

/* ------------------------------------------------------------ write */

static gboolean
write_text(struct kith_outdir *od, const char *name, const char *text,
           GError **error)
{
	g_autofree char *p = kith_outdir_path(od, name);
	return kith_write_file(p, text, strlen(text), 0600, error);
}

gboolean
kith_report_write(const char *out, struct kith_store *s,
                  const struct kith_report_options *opt, GError **error)
{
	struct rp_model m;
	g_autoptr(kith_outdir) od = NULL;
	g_autoptr(JsonNode) json = NULL;
	g_autoptr(JsonGenerator) gen = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) mroot = NULL;
	g_autofree char *jtext = NULL, *md = NULL, *html = NULL, *mtext = NULL;
	gboolean ok = FALSE;

	if (opt->min_group < 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "--min-group must be at least 1");
		return FALSE;
	}
	if (!rp_model_build(&m, s, opt, error))
		goto out;
	json = rp_render_json(&m);
	md = rp_render_markdown(&m);
	html = rp_render_html(&m);
	gen = json_generator_new();
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, json);
	jtext = json_generator_to_data(gen, NULL);

	b = kith_manifest_begin(KITH_REPORT_FORMAT, 1);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "store");
	json_builder_add_string_value(b, s->path ? s->path : "");
	json_builder_set_member_name(b, "store_created");
	if (m.store_created)
		json_builder_add_string_value(b, m.store_created);
	else
		json_builder_add_null_value(b);
	{
		const char *names[] = { "profiles", "communities", "influence",
		                        "prefs", "emb" };
		const char *vals[] = { opt->profiles, opt->communities,
		                       opt->influence, opt->prefs, opt->emb };
		for (int i = 0; i < 5; i++) {
			json_builder_set_member_name(b, names[i]);
			if (vals[i])
				json_builder_add_string_value(b, vals[i]);
			else
				json_builder_add_null_value(b);
		}
	}
	json_builder_set_member_name(b, "min_group");
	json_builder_add_int_value(b, opt->min_group);
	json_builder_set_member_name(b, "title");
	json_builder_add_string_value(b, m.title);
	json_builder_set_member_name(b, "files");
	json_builder_begin_array(b);
	json_builder_add_string_value(b, "report.json");
	json_builder_add_string_value(b, "report.md");
	json_builder_add_string_value(b, "report.html");
	json_builder_end_array(b);
	json_builder_end_object(b);
	mroot = json_builder_get_root(b);
	json_generator_set_root(gen, mroot);
	mtext = json_generator_to_data(gen, NULL);

	od = kith_outdir_begin(out, error);
	if (od == NULL)
		goto out;
	if (!write_text(od, "report.json", jtext, error) ||
	    !write_text(od, "report.md", md, error) ||
	    !write_text(od, "report.html", html, error) ||
	    !write_text(od, "manifest.json", mtext, error) ||
	    !kith_outdir_commit(od, error))
		goto out;
	ok = TRUE;
out:
	rp_model_free(&m);
	return ok;
}

gboolean
kith_report_make(const char *out, const char *store_path,
                 const struct kith_report_options *opt, GError **error)
{
	g_autoptr(kith_store) s = kith_store_open(store_path, error);

	return s != NULL && kith_report_write(out, s, opt, error);
}
