/*
 * report.json: every figure of the report, for scripts.  Top-level keys
 * (schema_version 1): format, schema_version, kith_version, title,
 * created, store, min_group, counts, degree_distribution, communities,
 * segments, influence, propagation, embedding, data_quality, omitted,
 * warnings.  A section whose input was not given is null; unknown numbers
 * are null.  O(size of the model).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "report/report-internal.h"

static void
null(JsonBuilder *b, const char *k)
{
	json_builder_set_member_name(b, k);
	json_builder_add_null_value(b);
}

/* '|'-joined list as a JSON array of strings */
static void
split_list(JsonBuilder *b, const char *k, const char *v)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_array(b);
	if (v && *v) {
		g_auto(GStrv) parts = g_strsplit(v, "|", -1);
		for (int i = 0; parts[i]; i++)
			if (*parts[i])
				json_builder_add_string_value(b, parts[i]);
	}
	json_builder_end_array(b);
}

static void
points(JsonBuilder *b, const char *k, const struct rp_series_data *s)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_array(b);
	for (guint i = 0; s->x && i < s->x->len; i++) {
		json_builder_begin_array(b);
		json_builder_add_double_value(b, g_array_index(s->x, double, i));
		json_builder_add_double_value(b, g_array_index(s->y, double, i));
		json_builder_end_array(b);
	}
	json_builder_end_array(b);
}

static void
degree(JsonBuilder *b, const struct rp_model *m, int k, const char *key)
{
	json_builder_set_member_name(b, key);
	json_builder_begin_object(b);
	kith_json_put_bool(b, "binned", m->deg_binned[k]);
	kith_json_put_int(b, "zero", m->deg_zero[k]);
	kith_json_put_int(b, "max", m->deg_max[k]);
	kith_json_put_double(b, "mean", m->deg_mean[k]);
	points(b, "points", &m->deg[k]);
	json_builder_end_object(b);
}

static void
strings(JsonBuilder *b, const char *k, const GPtrArray *a)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_array(b);
	for (guint i = 0; a && i < a->len; i++)
		json_builder_add_string_value(b, a->pdata[i]);
	json_builder_end_array(b);
}

static void
suppressed(JsonBuilder *b, int64_t groups, int64_t users, gboolean shown,
           int64_t min_group)
{
	json_builder_set_member_name(b, "suppressed");
	json_builder_begin_object(b);
	kith_json_put_int(b, "groups", groups);
	/* the user count of a merged group below min_group is itself withheld */
	if (shown || groups == 0)
		kith_json_put_int(b, "users", users);
	else
		null(b, "users");
	kith_json_put_bool(b, "shown_as_other", shown);
	kith_json_put_int(b, "min_group", min_group);
	json_builder_end_object(b);
}

static void
communities(JsonBuilder *b, const struct rp_model *m)
{
	json_builder_set_member_name(b, "communities");
	if (!m->has_comm) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	kith_json_put_string(b, "folder", m->comm_path);
	kith_json_put_string(b, "method", m->comm_method);
	kith_json_put_string(b, "graph", m->comm_graph);
	kith_json_put_double(b, "resolution", m->resolution);
	kith_json_put_double(b, "modularity", m->modularity);
	kith_json_put_double(b, "nmi", m->nmi);
	kith_json_put_double(b, "ari", m->ari);
	kith_json_put_int(b, "count", m->n_comm);
	kith_json_put_int(b, "assigned_users", m->n_assigned);
	kith_json_put_int(b, "unassigned_users", m->n_unassigned);
	json_builder_set_member_name(b, "shown");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->comms->len; i++) {
		const struct rp_group *g = m->comms->pdata[i];
		json_builder_begin_object(b);
		if (g->id >= 0)
			kith_json_put_int(b, "community", g->id);
		else
			null(b, "community");
		kith_json_put_string(b, "label", g->label);
		kith_json_put_int(b, "size", g->size);
		kith_json_put_double(b, "share",
				     m->n_assigned ? (double)g->size / m->n_assigned
		                              : NAN);
		kith_json_put_int(b, "colour", g->colour);
		kith_json_put_bool(b, "merged", g->merged);
		kith_json_put_double(b, "internal_density", g->density);
		kith_json_put_double(b, "conductance", g->conductance);
		kith_json_put_double(b, "mean_rfm", g->mean_rfm);
		split_list(b, "top_categories", g->top_categories);
		split_list(b, "top_items", g->top_items);
		split_list(b, "central_members", g->central);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	suppressed(b, m->comm_supp_groups, m->comm_supp_users,
	           m->comm_supp_shown, m->min_group);
	json_builder_set_member_name(b, "not_shown");
	json_builder_begin_object(b);
	kith_json_put_int(b, "groups", m->comm_rest_groups);
	kith_json_put_int(b, "users", m->comm_rest_users);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "category_mix");
	if (m->mix == NULL) {
		json_builder_add_null_value(b);
	} else {
		json_builder_begin_object(b);
		kith_json_put_string(b, "unit",
				     "share of the community's events per category");
		json_builder_set_member_name(b, "categories");
		json_builder_begin_array(b);
		for (int j = 0; j < m->mix_cols; j++)
			json_builder_add_string_value(b, m->mix_col_labels[j]);
		json_builder_end_array(b);
		json_builder_set_member_name(b, "rows");
		json_builder_begin_array(b);
		for (int r = 0; r < m->mix_rows; r++) {
			json_builder_begin_object(b);
			kith_json_put_string(b, "label", m->mix_row_labels[r]);
			json_builder_set_member_name(b, "shares");
			json_builder_begin_array(b);
			for (int j = 0; j < m->mix_cols; j++)
				json_builder_add_double_value(b,
				        m->mix[(size_t)r * m->mix_cols + j]);
			json_builder_end_array(b);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

static void
segments(JsonBuilder *b, const struct rp_model *m)
{
	json_builder_set_member_name(b, "segments");
	if (!m->has_prof) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	kith_json_put_string(b, "folder", m->prof_path);
	kith_json_put_int(b, "users", m->prof_users);
	kith_json_put_int(b, "cold_users", m->cold_users);
	kith_json_put_string(b, "rules", m->segment_rules);
	json_builder_set_member_name(b, "shown");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->segs->len; i++) {
		const struct rp_group *g = m->segs->pdata[i];
		json_builder_begin_object(b);
		kith_json_put_string(b, "segment", g->label);
		kith_json_put_int(b, "size", g->size);
		kith_json_put_double(b, "share",
				     m->prof_users ? (double)g->size / m->prof_users
		                              : NAN);
		kith_json_put_bool(b, "merged", g->merged);
		kith_json_put_double(b, "mean_recency_days", g->recency);
		kith_json_put_double(b, "mean_frequency", g->frequency);
		kith_json_put_double(b, "mean_monetary", g->monetary);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	suppressed(b, m->seg_supp_groups, m->seg_supp_users, m->seg_supp_shown,
	           m->min_group);
	json_builder_end_object(b);
}

static const char *const infl_cols[10] = {
	"pagerank", "personalized_pagerank", "in_degree", "out_degree",
	"weighted_in", "weighted_out", "kcore", "betweenness", "two_hop_reach",
	"behavioural"
};

static void
influence(JsonBuilder *b, const struct rp_model *m)
{
	json_builder_set_member_name(b, "influence");
	if (!m->has_infl) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	kith_json_put_string(b, "folder", m->infl_path);
	kith_json_put_double(b, "damping", m->damping);
	kith_json_put_string(b, "betweenness", m->betweenness);
	kith_json_put_double(b, "pagerank_share_top1pct", m->pr_top1);
	kith_json_put_double(b, "pagerank_share_top10pct", m->pr_top10);
	json_builder_set_member_name(b, "top");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->top->len; i++) {
		const struct rp_influencer *r = m->top->pdata[i];
		json_builder_begin_object(b);
		kith_json_put_int(b, "rank", i + 1);
		kith_json_put_string(b, "user", r->user);
		for (int c = 0; c < 10; c++)
			kith_json_put_double(b, infl_cols[c], r->v[c]);
		if (r->community >= 0)
			kith_json_put_string(b, "community",
					     ((const struct rp_group *)
			                     m->comms->pdata[r->community])->label);
		else
			null(b, "community");
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static void
propagation(JsonBuilder *b, const struct rp_model *m)
{
	json_builder_set_member_name(b, "propagation");
	if (!m->has_prefs) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	kith_json_put_string(b, "folder", m->prefs_path);
	kith_json_put_string(b, "graph", m->prefs_graph);
	kith_json_put_double(b, "alpha", m->alpha);
	if (m->iterations >= 0)
		kith_json_put_int(b, "iterations", m->iterations);
	else
		null(b, "iterations");
	kith_json_put_bool(b, "converged", m->converged);
	json_builder_set_member_name(b, "eval");
	if (!m->has_eval) {
		json_builder_add_null_value(b);
	} else {
		json_builder_begin_object(b);
		kith_json_put_double(b, "ndcg@3", m->ndcg);
		kith_json_put_double(b, "accuracy@1", m->acc);
		kith_json_put_double(b, "baseline_popularity_ndcg@3",
				     m->pop_ndcg);
		kith_json_put_double(b, "baseline_popularity_accuracy@1",
				     m->pop_acc);
		kith_json_put_double(b, "baseline_own_ndcg@3", m->own_ndcg);
		if (m->held_out >= 0)
			kith_json_put_int(b, "users_held_out", m->held_out);
		else
			null(b, "users_held_out");
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

static void
embedding(JsonBuilder *b, const struct rp_model *m)
{
	json_builder_set_member_name(b, "embedding");
	if (!m->has_emb) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	kith_json_put_string(b, "folder", m->emb_path);
	kith_json_put_string(b, "model", m->emb_model);
	kith_json_put_int(b, "dim", m->dim);
	json_builder_set_member_name(b, "projection");
	json_builder_begin_object(b);
	kith_json_put_string(b, "method",
			     "pca (power iteration with deflation)");
	kith_json_put_int(b, "rows_for_covariance", m->cov_rows);
	json_builder_set_member_name(b, "explained_variance");
	json_builder_begin_array(b);
	for (int k = 0; k < 2; k++)
		if (isfinite(m->explained[k]))
			json_builder_add_double_value(b, m->explained[k]);
		else
			json_builder_add_null_value(b);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "points");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->px->len; i++) {
		json_builder_begin_array(b);
		json_builder_add_double_value(b, g_array_index(m->px, double, i));
		json_builder_add_double_value(b, g_array_index(m->py, double, i));
		json_builder_add_int_value(b, g_array_index(m->pc, int, i));
		json_builder_end_array(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "legend");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->legend->len; i++) {
		const struct rp_group *g = m->legend->pdata[i];
		json_builder_begin_object(b);
		kith_json_put_string(b, "label", g->label);
		kith_json_put_int(b, "size", g->size);
		kith_json_put_int(b, "colour", g->colour);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "training_curve");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->curve->len; i++) {
		const struct rp_series_data *s = m->curve->pdata[i];
		json_builder_begin_object(b);
		kith_json_put_string(b, "name", s->name);
		points(b, "points", s);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static void
data_quality(JsonBuilder *b, const struct rp_model *m)
{
	json_builder_set_member_name(b, "data_quality");
	if (!m->has_dq) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	kith_json_put_string(b, "source", m->dq_source);
#define OPT_INT(k, v) do { \
		if ((v) >= 0) \
			kith_json_put_int(b, k, v); \
		else \
			null(b, k); \
	} while (0)
	OPT_INT("lines", m->dq_lines);
	OPT_INT("accepted", m->dq_accepted);
	OPT_INT("rejected", m->dq_rejected);
	json_builder_set_member_name(b, "by_reason");
	json_builder_begin_object(b);
	for (guint i = 0; i < m->reasons->len; i++) {
		const struct rp_group *g = m->reasons->pdata[i];
		kith_json_put_int(b, g->label, g->size);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "files");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->dq_files->len; i++) {
		const struct rp_group *g = m->dq_files->pdata[i];
		json_builder_begin_object(b);
		kith_json_put_string(b, "kind", g->label);
		if (isfinite(g->recency))
			kith_json_put_int(b, "lines", (int64_t)g->recency);
		else
			null(b, "lines");
		OPT_INT("accepted", g->size);
		OPT_INT("rejected", g->id);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
#undef OPT_INT
	strings(b, "unknown_event_types", m->unknown_types);
	json_builder_end_object(b);
}

static void
summary(JsonBuilder *b, const struct rp_model *m)
{
	char d0[32], d1[32];

	json_builder_set_member_name(b, "counts");
	json_builder_begin_object(b);
	kith_json_put_int(b, "users", m->users);
	kith_json_put_int(b, "items", m->items);
	kith_json_put_int(b, "events", m->events);
	kith_json_put_int(b, "interactions", m->interactions);
	kith_json_put_int(b, "social_pairs", m->social_pairs);
	kith_json_put_bool(b, "social_directed", m->directed);
	kith_json_put_int(b, "categories", m->categories);
	kith_json_put_int(b, "event_types", m->event_types);
	rp_fmt_date(d0, sizeof(d0), m->ts_min);
	rp_fmt_date(d1, sizeof(d1), m->ts_max);
	kith_json_put_string(b, "time_min", m->ts_min == INT64_MIN ? NULL : d0);
	kith_json_put_string(b, "time_max", m->ts_max == INT64_MIN ? NULL : d1);
	kith_json_put_double(b, "time_span_days", m->ts_min == INT64_MIN ? NAN
	                         : (double)(m->ts_max - m->ts_min) / 86400.0);
	json_builder_end_object(b);
}

static void
degrees(JsonBuilder *b, const struct rp_model *m)
{
	json_builder_set_member_name(b, "degree_distribution");
	json_builder_begin_object(b);
	degree(b, m, RP_DEG_USERS, "users");
	degree(b, m, RP_DEG_ITEMS, "items");
	if (m->social_pairs > 0)
		degree(b, m, RP_DEG_SOCIAL, "social");
	else
		null(b, "social");
	json_builder_end_object(b);
}

static void
omitted(JsonBuilder *b, const struct rp_model *m)
{
	strings(b, "omitted", m->notes);
}

static void (*const json_sections[RP_SEC_N])(JsonBuilder *,
                                             const struct rp_model *) = {
	[RP_SEC_SUMMARY] = summary,
	[RP_SEC_DEGREE] = degrees,
	[RP_SEC_COMMUNITIES] = communities,
	[RP_SEC_SEGMENTS] = segments,
	[RP_SEC_INFLUENCE] = influence,
	[RP_SEC_PROPAGATION] = propagation,
	[RP_SEC_EMBEDDING] = embedding,
	[RP_SEC_DATA_QUALITY] = data_quality,
	[RP_SEC_OMITTED] = omitted,
};

JsonNode *
rp_render_json(const struct rp_model *m)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	kith_json_put_string(b, "format", KITH_REPORT_FORMAT);
	kith_json_put_int(b, "schema_version", KITH_REPORT_SCHEMA);
	kith_json_put_string(b, "kith_version", kith_version());
	kith_json_put_string(b, "title", m->title);
	kith_json_put_string(b, "created", m->created);
	json_builder_set_member_name(b, "store");
	json_builder_begin_object(b);
	kith_json_put_string(b, "path", m->store_path);
	kith_json_put_string(b, "created", m->store_created);
	kith_json_put_bool(b, "pseudonymized", m->pseudonymized);
	json_builder_end_object(b);
	kith_json_put_int(b, "min_group", m->min_group);

	for (int i = 0; i < RP_SEC_N; i++)
		json_sections[i](b, m);
	strings(b, "warnings", m->warnings);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
