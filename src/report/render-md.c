/*
 * report.md: the report as Markdown (GitHub flavour): the same sections
 * and figures as the HTML page, charts given as tables.  Cells from data
 * have '|', '\', '<', '>', '`', '*', '_', '[' and ']' escaped so that
 * names cannot change the markup.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "report/report-internal.h"

static void
esc(GString *o, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("|\\<>`*_[]#", *s))
			g_string_append_c(o, '\\');
		if (*s == '\n' || *s == '\r' || *s == '\t')
			g_string_append_c(o, ' ');
		else
			g_string_append_c(o, *s);
	}
}

static void
pct(GString *o, double v)
{
	rp_put_pct(o, v, " ");
}

static void
pipe_list(GString *o, const char *v, int max)
{
	rp_put_list(o, v, max, esc, "–");
}

static void
md_summary(GString *o, const struct rp_model *m)
{
	char d0[32], d1[32];

	g_string_append(o, "## Summary\n\n| | |\n|---|---:|\n");
	g_string_append(o, "| users | ");
	rp_put_count(o, m->users);
	g_string_append(o, " |\n| items | ");
	rp_put_count(o, m->items);
	g_string_append(o, " |\n| events | ");
	rp_put_count(o, m->events);
	g_string_append(o, " |\n| distinct user–item pairs | ");
	rp_put_count(o, m->interactions);
	g_string_append_printf(o, " |\n| social pairs (%s) | ",
	                       m->directed ? "directed" : "undirected");
	rp_put_count(o, m->social_pairs);
	g_string_append(o, " |\n| categories | ");
	rp_put_count(o, m->categories);
	rp_fmt_date(d0, sizeof(d0), m->ts_min);
	rp_fmt_date(d1, sizeof(d1), m->ts_max);
	g_string_append_printf(o, " |\n| time span | %s to %s |\n", d0, d1);
	if (m->has_comm) {
		g_string_append(o, "| communities | ");
		rp_put_count(o, m->n_comm);
		g_string_append(o, " |\n| modularity | ");
		rp_put_g(o, m->modularity, 4);
		g_string_append(o, " |\n");
	}
	g_string_append(o, "\n");
}

static void
md_degree(GString *o, const struct rp_model *m)
{
	g_string_append(o, "## Degree distribution\n\n| nodes | mean degree | "
	                "max degree | degree 0 |\n|---|---:|---:|---:|\n");
	for (int k = 0; k < RP_DEG_N; k++) {
		if (k == RP_DEG_SOCIAL && m->social_pairs == 0)
			continue;
		g_string_append_printf(o, "| %s | ", m->deg[k].name);
		rp_put_g(o, m->deg_mean[k], 4);
		g_string_append(o, " | ");
		rp_put_count(o, m->deg_max[k]);
		g_string_append(o, " | ");
		rp_put_count(o, m->deg_zero[k]);
		g_string_append(o, " |\n");
	}
	g_string_append(o, "\n");
}

static void
md_communities(GString *o, const struct rp_model *m)
{
	if (!(m->has_comm))
		return;
	g_string_append(o, "## Communities\n\n");
	g_string_append_printf(o, "%" G_GINT64_FORMAT " communities",
	                       m->n_comm);
	if (m->comm_method)
		g_string_append_printf(o, " found by %s", m->comm_method);
	if (m->comm_graph)
		g_string_append_printf(o, " on the %s graph", m->comm_graph);
	g_string_append(o, "; modularity ");
	rp_put_g(o, m->modularity, 4);
	if (isfinite(m->nmi)) {
		g_string_append(o, ", NMI ");
		rp_put_g(o, m->nmi, 4);
		g_string_append(o, " and ARI ");
		rp_put_g(o, m->ari, 4);
		g_string_append(o, " against the reference partition");
	}
	g_string_append(o, ".\n\n");
	if (m->comm_supp_groups)
		g_string_append_printf(o, "%" G_GINT64_FORMAT " communities "
		                       "smaller than %" G_GINT64_FORMAT " users "
		                       "are suppressed%s.\n\n",
		                       m->comm_supp_groups, m->min_group,
		                       m->comm_supp_shown
		                               ? " and merged into \"other "
		                                 "(suppressed)\""
		                               : " (together fewer than the "
		                                 "minimum, so not shown at all)");
	g_string_append(o, "| community | users | share | density | "
	                "conductance | top categories | central members |\n"
	                "|---|---:|---:|---:|---:|---|---|\n");
	for (guint i = 0; i < m->comms->len; i++) {
		const struct rp_group *g = m->comms->pdata[i];
		g_string_append(o, "| ");
		esc(o, g->label);
		g_string_append(o, " | ");
		rp_put_count(o, g->size);
		g_string_append(o, " | ");
		pct(o, m->n_assigned ? (double)g->size / m->n_assigned : NAN);
		g_string_append(o, " | ");
		rp_put_g(o, g->density, 3);
		g_string_append(o, " | ");
		rp_put_g(o, g->conductance, 3);
		g_string_append(o, " | ");
		pipe_list(o, g->top_categories, 3);
		g_string_append(o, " | ");
		pipe_list(o, g->central, 3);
		g_string_append(o, " |\n");
	}
	g_string_append(o, "\n");
	if (m->mix) {
		g_string_append(o, "### Category mix per community (share of "
		                "events)\n\n| community |");
		for (int j = 0; j < m->mix_cols; j++) {
			g_string_append_c(o, ' ');
			esc(o, m->mix_col_labels[j]);
			g_string_append(o, " |");
		}
		g_string_append(o, "\n|---|");
		for (int j = 0; j < m->mix_cols; j++)
			g_string_append(o, "---:|");
		g_string_append_c(o, '\n');
		for (int r = 0; r < m->mix_rows; r++) {
			g_string_append(o, "| ");
			esc(o, m->mix_row_labels[r]);
			g_string_append(o, " |");
			for (int j = 0; j < m->mix_cols; j++) {
				char b[32];
				g_ascii_formatd(b, sizeof(b), "%.1f",
				                100 * m->mix[(size_t)r * m->mix_cols + j]);
				g_string_append_printf(o, " %s |", b);
			}
			g_string_append_c(o, '\n');
		}
		g_string_append(o, "\n");
	}
}

static void
md_segments(GString *o, const struct rp_model *m)
{
	if (!(m->has_prof))
		return;
	g_string_append(o, "## RFM segments\n\n");
	g_string_append(o, "| segment | users | share | mean recency (days) | "
	                "mean frequency | mean monetary |\n"
	                "|---|---:|---:|---:|---:|---:|\n");
	for (guint i = 0; i < m->segs->len; i++) {
		const struct rp_group *g = m->segs->pdata[i];
		g_string_append(o, "| ");
		esc(o, g->label);
		g_string_append(o, " | ");
		rp_put_count(o, g->size);
		g_string_append(o, " | ");
		pct(o, m->prof_users ? (double)g->size / m->prof_users : NAN);
		g_string_append(o, " | ");
		rp_put_g(o, g->recency, 3);
		g_string_append(o, " | ");
		rp_put_g(o, g->frequency, 3);
		g_string_append(o, " | ");
		rp_put_g(o, g->monetary, 4);
		g_string_append(o, " |\n");
	}
	g_string_append(o, "\n");
	if (m->seg_supp_groups)
		g_string_append_printf(o, "%" G_GINT64_FORMAT " segments smaller "
		                       "than %" G_GINT64_FORMAT " users are "
		                       "suppressed%s.\n\n", m->seg_supp_groups,
		                       m->min_group,
		                       m->seg_supp_shown
		                               ? " and merged into \"other "
		                                 "(suppressed)\"" : "");
	g_string_append_printf(o, "Cold users (too few events for a "
	                       "confident profile): %" G_GINT64_FORMAT
	                       ".\n\n", m->cold_users);
	if (m->segment_rules) {
		g_string_append(o, "Segment rules: ");
		esc(o, m->segment_rules);
		g_string_append(o, "\n\n");
	}
}

static void
md_influence(GString *o, const struct rp_model *m)
{
	if (!(m->has_infl))
		return;
	g_string_append(o, "## Top influencers\n\n");
	if (isfinite(m->pr_top1)) {
		g_string_append(o, "The top 1 % of users hold ");
		pct(o, m->pr_top1);
		g_string_append(o, " of all PageRank, the top 10 % hold ");
		pct(o, m->pr_top10);
		g_string_append(o, ".\n\n");
	}
	g_string_append(o, "| # | user | PageRank | k-core | in-degree | "
	                "two-hop reach | behavioural | community |\n"
	                "|---:|---|---:|---:|---:|---:|---:|---|\n");
	for (guint i = 0; i < m->top->len; i++) {
		const struct rp_influencer *r = m->top->pdata[i];
		g_string_append_printf(o, "| %u | ", i + 1);
		esc(o, r->user);
		g_string_append(o, " | ");
		rp_put_g(o, r->v[0], 4);
		g_string_append(o, " | ");
		rp_put_g(o, r->v[6], 4);
		g_string_append(o, " | ");
		rp_put_g(o, r->v[2], 6);
		g_string_append(o, " | ");
		rp_put_g(o, r->v[8], 6);
		g_string_append(o, " | ");
		rp_put_g(o, r->v[9], 4);
		g_string_append(o, " | ");
		esc(o, r->community >= 0
		               ? ((const struct rp_group *)
		                  m->comms->pdata[r->community])->label : "–");
		g_string_append(o, " |\n");
	}
	g_string_append(o, "\n");
}

static void
md_propagation(GString *o, const struct rp_model *m)
{
	if (!(m->has_prefs))
		return;
	g_string_append(o, "## Preference propagation\n\n");
	g_string_append(o, "Graph ");
	esc(o, m->prefs_graph ? m->prefs_graph : "unknown");
	g_string_append(o, ", alpha ");
	rp_put_g(o, m->alpha, 3);
	g_string_append_printf(o, ", %" G_GINT64_FORMAT " iterations (%s).\n\n",
	                       m->iterations,
	                       m->converged ? "converged" : "not converged");
	if (m->has_eval) {
		g_string_append_printf(o, "Held-out evaluation on %"
		                       G_GINT64_FORMAT " users:\n\n"
		                       "| method | NDCG@3 | accuracy@1 |\n"
		                       "|---|---:|---:|\n| propagation | ",
		                       m->held_out);
		rp_put_g(o, m->ndcg, 4);
		g_string_append(o, " | ");
		rp_put_g(o, m->acc, 4);
		g_string_append(o, " |\n| global popularity | ");
		rp_put_g(o, m->pop_ndcg, 4);
		g_string_append(o, " | ");
		rp_put_g(o, m->pop_acc, 4);
		g_string_append(o, " |\n| own history only | ");
		rp_put_g(o, m->own_ndcg, 4);
		g_string_append(o, " | – |\n\n");
	}
}

static void
md_embedding(GString *o, const struct rp_model *m)
{
	if (!(m->has_emb))
		return;
	g_string_append(o, "## Embedding\n\n");
	g_string_append_printf(o, "Model %s, %d dimensions. ",
	                       m->emb_model ? m->emb_model : "unknown",
	                       m->dim);
	g_string_append(o, "The first two principal components explain ");
	pct(o, m->explained[0]);
	g_string_append(o, " and ");
	pct(o, m->explained[1]);
	g_string_append_printf(o, " of the variance (%u users plotted in "
	                       "the HTML report).\n\n", m->px->len);
	for (guint i = 0; i < m->curve->len; i++) {
		const struct rp_series_data *s = m->curve->pdata[i];
		guint n = s->x->len;
		g_string_append(o, "Training curve `");
		esc(o, s->name);
		g_string_append(o, "`: ");
		rp_put_g(o, g_array_index(s->y, double, 0), 4);
		g_string_append(o, " at epoch ");
		rp_put_g(o, g_array_index(s->x, double, 0), 6);
		g_string_append(o, ", ");
		rp_put_g(o, g_array_index(s->y, double, n - 1), 4);
		g_string_append(o, " at epoch ");
		rp_put_g(o, g_array_index(s->x, double, n - 1), 6);
		g_string_append(o, ".\n\n");
	}
}

static void
md_data_quality(GString *o, const struct rp_model *m)
{
	g_string_append(o, "## Data quality\n\n");
	if (m->has_dq) {
		g_string_append_printf(o, "From the %s: ", m->dq_source);
		if (m->dq_lines >= 0) {
			rp_put_count(o, m->dq_lines);
			g_string_append(o, " input lines, ");
		}
		if (m->dq_accepted >= 0) {
			rp_put_count(o, m->dq_accepted);
			g_string_append(o, " accepted, ");
		}
		rp_put_count(o, MAX(m->dq_rejected, 0));
		g_string_append(o, " rejected.\n\n");
		if (m->reasons->len) {
			g_string_append(o, "| reason | rows |\n|---|---:|\n");
			for (guint i = 0; i < m->reasons->len; i++) {
				const struct rp_group *g = m->reasons->pdata[i];
				g_string_append(o, "| ");
				esc(o, g->label);
				g_string_append(o, " | ");
				rp_put_count(o, g->size);
				g_string_append(o, " |\n");
			}
			g_string_append(o, "\n");
		}
	} else {
		g_string_append(o, "No ingest summary in the store.\n\n");
	}
}

static void
md_omitted(GString *o, const struct rp_model *m)
{
	if (!(m->notes->len))
		return;
	g_string_append(o, "## Not in this report\n\n");
	for (guint i = 0; i < m->notes->len; i++) {
		g_string_append(o, "- ");
		g_string_append(o, m->notes->pdata[i]);
		g_string_append_c(o, '\n');
	}
	g_string_append_c(o, '\n');
}

static void (*const md_sections[RP_SEC_N])(GString *,
                                             const struct rp_model *) = {
	[RP_SEC_SUMMARY] = md_summary,
	[RP_SEC_DEGREE] = md_degree,
	[RP_SEC_COMMUNITIES] = md_communities,
	[RP_SEC_SEGMENTS] = md_segments,
	[RP_SEC_INFLUENCE] = md_influence,
	[RP_SEC_PROPAGATION] = md_propagation,
	[RP_SEC_EMBEDDING] = md_embedding,
	[RP_SEC_DATA_QUALITY] = md_data_quality,
	[RP_SEC_OMITTED] = md_omitted,
};

char *
rp_render_markdown(const struct rp_model *m)
{
	GString *o = g_string_new(NULL);

	g_string_append(o, "# ");
	esc(o, m->title);
	g_string_append(o, "\n\n");
	g_string_append(o, "Store `");
	esc(o, m->store_path);
	g_string_append_printf(o, "`, report made %s by kith %s.", m->created,
	                       kith_version());
	if (m->pseudonymized)
		g_string_append(o, " The store is pseudonymised: every id shown "
		                "is a pseudonym.");
	g_string_append(o, "\n\n");
	for (guint i = 0; i < m->warnings->len; i++) {
		g_string_append(o, "> **Warning:** ");
		esc(o, m->warnings->pdata[i]);
		g_string_append(o, "\n\n");
	}

	for (int i = 0; i < RP_SEC_N; i++)
		md_sections[i](o, m);
	g_string_append_printf(o, "Privacy: groups smaller than %" G_GINT64_FORMAT
	                       " users are never shown on their own.\n",
	                       m->min_group);
	return g_string_free(o, FALSE);
}
