/*
 * report.html: one self-contained page (no scripts, fonts, images or
 * style sheets from elsewhere): a summary card row, then one section per
 * figure with inline SVG charts from svg.c, tables, and a note for every
 * section whose input was not given.  Every string from data is escaped.
 * The layout is sized for a 1200 px window and prints on A4/Letter
 * (sections do not break across pages).
 *
 * Element ids the tests look for: chart-degree, chart-community-sizes,
 * chart-category-mix, chart-segments, chart-projection, chart-curve-N,
 * chart-prefs-eval, chart-rejects, table-communities, table-segments,
 * table-influencers, cards.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "report/report-internal.h"

#define CHART_W 1020

static const char css[] =
	":root{--ink:#1f2933;--muted:#5f6b7a;--line:#e3e7ec;--bg:#f4f6f9;"
	"--accent:#4e79a7}\n"
	"*{box-sizing:border-box}\n"
	"html{-webkit-text-size-adjust:100%}\n"
	"body{margin:0;background:var(--bg);color:var(--ink);"
	"font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"Helvetica Neue\",Arial,\"Noto Sans\",\"Liberation Sans\",sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:28px 24px 40px}\n"
	"header h1{font-size:28px;line-height:1.2;margin:0 0 6px;"
	"letter-spacing:-.01em}\n"
	".meta{color:var(--muted);font-size:13px;margin:0 0 18px}\n"
	".meta code,p code,li code{font:12.5px ui-monospace,\"SFMono-Regular\","
	"Menlo,Consolas,\"Liberation Mono\",monospace;background:#eef1f5;"
	"padding:1px 4px;border-radius:4px}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(124px,1fr));gap:10px;margin:0 0 16px}\n"
	".card{background:#fff;border:1px solid var(--line);border-radius:10px;"
	"padding:12px 14px;border-top:3px solid var(--accent)}\n"
	".card .k{color:var(--muted);font-size:11.5px;text-transform:uppercase;"
	"letter-spacing:.05em}\n"
	".card .v{font-size:22px;font-weight:650;line-height:1.25;"
	"font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	".card .s{color:var(--muted);font-size:12px}\n"
	"nav.toc{font-size:13px;margin:0 0 18px;color:var(--muted)}\n"
	"nav.toc a{color:var(--accent);text-decoration:none;margin-right:14px}\n"
	"section{background:#fff;border:1px solid var(--line);border-radius:12px;"
	"padding:20px 24px 14px;margin:0 0 18px}\n"
	"h2{font-size:20px;margin:0 0 4px}\n"
	"h3{font-size:15px;margin:18px 0 4px}\n"
	".lede{color:var(--muted);margin:0 0 12px;max-width:88ch}\n"
	"figure{margin:6px 0 14px}\n"
	"figcaption{font-size:12.5px;color:var(--muted);margin-top:4px;"
	"max-width:100ch}\n"
	"svg.chart{display:block;max-width:100%;height:auto}\n"
	"svg.chart text{font-family:inherit}\n"
	".tick-label{font-size:11px;fill:#52606d}\n"
	".axis-label{font-size:12px;fill:#323f4b;font-weight:600}\n"
	".bar-label,.legend,.col-label{font-size:12px;fill:#323f4b}\n"
	".bar-value{font-size:11.5px;fill:#52606d}\n"
	".cell-label{font-size:10.5px;fill:#1f2933}\n"
	".cell-label.dark{fill:#fff}\n"
	"line.axis,line.tick{stroke:#9aa5b1;stroke-width:1}\n"
	"line.grid{stroke:#e9edf1;stroke-width:1}\n"
	"line.grid.minor{stroke:#f4f6f8}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px;"
	"font-variant-numeric:tabular-nums;margin:4px 0 12px}\n"
	"th{text-align:left;font-weight:600;color:#52606d;font-size:12px;"
	"border-bottom:2px solid var(--line);padding:6px 8px;white-space:nowrap}\n"
	"td{padding:5px 8px;border-bottom:1px solid var(--line);"
	"vertical-align:top}\n"
	"td.n,th.n{text-align:right;white-space:nowrap}\n"
	"td.id{font:12.5px ui-monospace,\"SFMono-Regular\",Menlo,Consolas,"
	"\"Liberation Mono\",monospace}\n"
	"td.name{white-space:nowrap}\n"
	"tbody tr:nth-child(even) td{background:#fafbfc}\n"
	".sw{display:inline-block;width:10px;height:10px;border-radius:2px;"
	"margin-right:6px}\n"
	".legend-list{list-style:none;padding:0;margin:4px 0 8px;display:flex;"
	"flex-wrap:wrap;gap:4px 18px;font-size:13px}\n"
	".note{background:#fffbea;border:1px solid #efe0a3;border-radius:8px;"
	"padding:9px 14px;margin:0 0 12px;font-size:13.5px}\n"
	".warn{background:#fff3ef;border-color:#f3c0b0}\n"
	".muted{color:var(--muted)}\n"
	".small-multiples{display:grid;grid-template-columns:repeat(auto-fill,"
	"minmax(440px,1fr));gap:10px 24px}\n"
	".small-multiples h3{margin:4px 0 0;font-size:13px}\n"
	"ul.omitted{margin:4px 0 8px;padding-left:20px}\n"
	"footer{color:var(--muted);font-size:12.5px;margin-top:8px}\n"
	"@media print{body{background:#fff;font-size:12px}main{max-width:none;"
	"padding:0}section{border:none;padding:0;margin:0 0 16px;"
	"break-inside:avoid}nav.toc{display:none}.card{break-inside:avoid}"
	"h2{break-after:avoid}}\n";

static void
esc(GString *o, const char *s)
{
	kith_html_escape(o, s);
}

static void
pct_s(GString *o, double v)
{
	rp_put_pct(o, v, "&#8239;");
}

static void
card(GString *o, const char *key, const char *value, const char *sub)
{
	g_string_append(o, "<div class=\"card\"><div class=\"k\">");
	esc(o, key);
	g_string_append(o, "</div><div class=\"v\">");
	esc(o, value);
	g_string_append(o, "</div>");
	if (sub) {
		g_string_append(o, "<div class=\"s\">");
		esc(o, sub);
		g_string_append(o, "</div>");
	}
	g_string_append(o, "</div>\n");
}

static void
card_count(GString *o, const char *key, double v, const char *sub)
{
	char b[64];
	if (v >= 1e6)
		rp_fmt_short(b, sizeof(b), v);
	else
		rp_fmt_count(b, sizeof(b), v);
	card(o, key, b, sub);
}

static void
pipe_list(GString *o, const char *v, int max)
{
	rp_put_list(o, v, max, esc, "<span class=\"muted\">–</span>");
}

static void
swatch(GString *o, int colour)
{
	g_string_append_printf(o, "<span class=\"sw\" style=\"background:%s\">"
	                       "</span>", rp_colour(colour));
}

/* ------------------------------------------------------------ sections */

static void
header(GString *o, const struct rp_model *m)
{
	g_string_append(o, "<header><h1>");
	esc(o, m->title);
	g_string_append(o, "</h1><p class=\"meta\">Store <code>");
	esc(o, m->store_path);
	g_string_append(o, "</code>");
	if (m->store_created) {
		g_string_append(o, " (built ");
		esc(o, m->store_created);
		g_string_append(o, ")");
	}
	g_string_append_printf(o, " · report made %s by kith %s", m->created,
	                       kith_version());
	if (m->pseudonymized)
		g_string_append(o, " · <strong>pseudonymised store</strong>: every "
		                "id shown is a pseudonym");
	g_string_append(o, "</p></header>\n");
	for (guint i = 0; i < m->warnings->len; i++) {
		g_string_append(o, "<p class=\"note warn\"><strong>Warning:</strong> ");
		esc(o, m->warnings->pdata[i]);
		g_string_append(o, "</p>\n");
	}

}

/* The key figures as cards, then the table of contents. */
static void
summary_section(GString *o, const struct rp_model *m)
{
	char d0[32], d1[32], b[96];

	g_string_append(o, "<div class=\"cards\" id=\"cards\">\n");
	g_snprintf(b, sizeof(b), "%s interactions",
	           (rp_fmt_count(d0, sizeof(d0), m->interactions), d0));
	card_count(o, "users", m->users, NULL);
	card_count(o, "items", m->items, NULL);
	card_count(o, "events", m->events, b);
	card_count(o, "social pairs", m->social_pairs,
	           m->social_pairs ? (m->directed ? "directed" : "undirected")
	                           : "no social file");
	if (m->ts_min != INT64_MIN) {
		double days = (double)(m->ts_max - m->ts_min) / 86400.0;
		char v[64];
		rp_fmt_date(d0, sizeof(d0), m->ts_min);
		rp_fmt_date(d1, sizeof(d1), m->ts_max);
		if (days >= 730) {
			char y[32];
			g_ascii_formatd(y, sizeof(y), "%.1f", days / 365.25);
			g_snprintf(v, sizeof(v), "%s yr", y);
		} else {
			g_snprintf(v, sizeof(v), "%.0f days", ceil(days));
		}
		g_snprintf(b, sizeof(b), "%s → %s", d0, d1);
		card(o, "time span", v, b);
	} else {
		card(o, "time span", "–", "no timestamps");
	}
	card_count(o, "categories", m->categories, NULL);
	if (m->has_comm) {
		char v[64];
		rp_fmt_g(v, sizeof(v), m->modularity, 3);
		g_snprintf(b, sizeof(b), "modularity %s", v);
		card_count(o, "communities", m->n_comm, b);
	}
	if (m->has_prefs && m->has_eval && isfinite(m->ndcg)) {
		char v[64], w[64];
		rp_fmt_g(v, sizeof(v), m->ndcg, 3);
		rp_fmt_g(w, sizeof(w), m->pop_ndcg, 3);
		g_snprintf(b, sizeof(b), "popularity baseline %s", w);
		card(o, "prefs NDCG@3", v, b);
	}
	g_string_append(o, "</div>\n");

	g_string_append(o, "<nav class=\"toc\">Sections: ");
	for (int i = RP_SEC_SUMMARY + 1; i < RP_SEC_N; i++)
		if (rp_section_present(m, i))
			g_string_append_printf(o, "<a href=\"#%s\">%s</a>",
			                       rp_sections[i].id,
			                       rp_sections[i].title);
	g_string_append(o, "</nav>\n");
}

static void
degree_section(GString *o, const struct rp_model *m)
{
	struct rp_series s[RP_DEG_N];
	int ns = 0;
	gboolean binned = FALSE;

	for (int k = 0; k < RP_DEG_N; k++) {
		if (k == RP_DEG_SOCIAL && m->social_pairs == 0)
			continue;
		s[ns].name = m->deg[k].name;
		s[ns].x = (const double *)m->deg[k].x->data;
		s[ns].y = (const double *)m->deg[k].y->data;
		s[ns].n = m->deg[k].x->len;
		s[ns].colour = k == RP_DEG_USERS ? 0 : k == RP_DEG_ITEMS ? 1 : 4;
		s[ns].dots = TRUE;
		binned |= m->deg_binned[k];
		ns++;
	}
	g_string_append(o, "<section id=\"degree\"><h2>Degree distribution</h2>"
	                "<p class=\"lede\">How many users and items have a "
	                "given number of connections, on log–log axes. A "
	                "straight falling line is a heavy tail: a few very "
	                "active users and very popular items.</p>\n<figure>");
	rp_chart_loglog(o, "chart-degree", "Degree distribution (log–log)",
	                CHART_W, 420, s, ns, "degree (distinct neighbours)",
	                binned ? "nodes per degree value" : "number of nodes");
	g_string_append(o, "<figcaption>Mean degree: users ");
	rp_put_g(o, m->deg_mean[RP_DEG_USERS], 3);
	g_string_append(o, ", items ");
	rp_put_g(o, m->deg_mean[RP_DEG_ITEMS], 3);
	if (m->social_pairs) {
		g_string_append(o, ", social ");
		rp_put_g(o, m->deg_mean[RP_DEG_SOCIAL], 3);
	}
	g_string_append(o, ". Maximum: users ");
	rp_put_count(o, m->deg_max[RP_DEG_USERS]);
	g_string_append(o, ", items ");
	rp_put_count(o, m->deg_max[RP_DEG_ITEMS]);
	g_string_append(o, ". Nodes of degree 0 (not drawn): users ");
	rp_put_count(o, m->deg_zero[RP_DEG_USERS]);
	g_string_append(o, ", items ");
	rp_put_count(o, m->deg_zero[RP_DEG_ITEMS]);
	g_string_append(o, ".");
	if (binned)
		g_string_append(o, " Wide ranges of degrees are grouped into "
		                "logarithmic bins (20 per decade); each point is "
		                "the mean count per degree value in its bin.");
	g_string_append(o, "</figcaption></figure></section>\n");
}

static void
communities_section(GString *o, const struct rp_model *m)
{
	if (!m->has_comm)
		return;
	g_autofree struct rp_bar *bars = g_new0(struct rp_bar, m->comms->len + 1);

	g_string_append(o, "<section id=\"communities\"><h2>Communities</h2>"
	                "<p class=\"lede\">");
	rp_put_count(o, m->n_comm);
	g_string_append(o, " communities");
	if (m->comm_method) {
		g_string_append(o, " found by <strong>");
		esc(o, m->comm_method);
		g_string_append(o, "</strong>");
	}
	if (m->comm_graph) {
		g_string_append(o, " on the ");
		esc(o, m->comm_graph);
		g_string_append(o, " graph");
	}
	g_string_append(o, "; modularity <strong>");
	rp_put_g(o, m->modularity, 4);
	g_string_append(o, "</strong>");
	if (isfinite(m->nmi)) {
		g_string_append(o, "; against the reference partition NMI <strong>");
		rp_put_g(o, m->nmi, 4);
		g_string_append(o, "</strong>, ARI <strong>");
		rp_put_g(o, m->ari, 4);
		g_string_append(o, "</strong>");
	}
	g_string_append(o, ". ");
	rp_put_count(o, m->n_assigned);
	g_string_append(o, " users belong to a community");
	if (m->n_unassigned) {
		g_string_append(o, "; ");
		rp_put_count(o, m->n_unassigned);
		g_string_append(o, " are not in the graph used");
	}
	g_string_append(o, ".</p>\n");
	if (m->comm_supp_groups) {
		g_string_append(o, "<p class=\"note\"><strong>Suppressed:</strong> ");
		rp_put_count(o, m->comm_supp_groups);
		g_string_append_printf(o, " communities with fewer than %"
		                       G_GINT64_FORMAT " members are not shown on "
		                       "their own", m->min_group);
		if (m->comm_supp_shown) {
			g_string_append(o, "; their ");
			rp_put_count(o, m->comm_supp_users);
			g_string_append(o, " users are merged into "
			                "“other (suppressed)”.</p>\n");
		} else {
			g_string_append(o, "; together they are below the minimum "
			                "too, so they are left out entirely.</p>\n");
		}
	}
	for (guint i = 0; i < m->comms->len; i++) {
		const struct rp_group *g = m->comms->pdata[i];
		bars[i].label = g->label;
		bars[i].value = (double)g->size;
		bars[i].colour = g->colour;
	}
	g_string_append(o, "<h3>Community sizes</h3><figure>");
	rp_chart_hbars(o, "chart-community-sizes", "Community sizes", CHART_W,
	               bars, m->comms->len, "users");
	g_string_append(o, "<figcaption>Largest first; colours identify the "
	                "same communities in every chart of this report.");
	if (m->comm_rest_groups)
		g_string_append_printf(o, " Communities beyond the %u largest are "
		                       "grouped.", m->comms->len -
		                       (m->comm_rest_groups ? 1 : 0) -
		                       (m->comm_supp_shown ? 1 : 0));
	g_string_append(o, "</figcaption></figure>\n");

	if (m->mix) {
		g_string_append(o, "<h3>Category mix per community</h3><figure>");
		rp_chart_heatmap(o, "chart-category-mix",
		                 "Category mix per community",
		                 CHART_W, (const char *const *)m->mix_row_labels,
		                 m->mix_row_colour, m->mix_rows,
		                 (const char *const *)m->mix_col_labels, m->mix_cols,
		                 m->mix);
		g_string_append(o, "<figcaption>Share of each community's events by "
		                "item category (percent of the row; an item in "
		                "several categories counts in each for an equal "
		                "part). Darker cells: a larger share.");
		if (m->mix_cols > 16)
			g_string_append(o, " Categories beyond the 16 largest are "
			                "grouped.");
		g_string_append(o, "</figcaption></figure>\n");
	}

	g_string_append(o, "<h3>Details</h3><table id=\"table-communities\">"
	                "<thead><tr><th>community</th><th class=\"n\">users</th>"
	                "<th class=\"n\">share</th><th class=\"n\">internal "
	                "density</th><th class=\"n\">conductance</th>"
	                "<th class=\"n\">mean RFM</th><th>top categories</th>"
	                "<th>top items</th><th>central members</th></tr></thead>"
	                "<tbody>\n");
	for (guint i = 0; i < m->comms->len; i++) {
		const struct rp_group *g = m->comms->pdata[i];
		g_string_append(o, "<tr><td class=\"name\">");
		swatch(o, g->colour);
		esc(o, g->label);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_count(o, g->size);
		g_string_append(o, "</td><td class=\"n\">");
		pct_s(o, m->n_assigned ? (double)g->size / m->n_assigned : NAN);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, g->density, 3);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, g->conductance, 3);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, g->mean_rfm, 3);
		g_string_append(o, "</td><td>");
		pipe_list(o, g->top_categories, 3);
		g_string_append(o, "</td><td class=\"id\">");
		pipe_list(o, g->top_items, 3);
		g_string_append(o, "</td><td class=\"id\">");
		pipe_list(o, g->central, 3);
		g_string_append(o, "</td></tr>\n");
	}
	g_string_append(o, "</tbody></table>\n<p class=\"lede\">Internal density: "
	                "links inside the community over possible pairs. "
	                "Conductance: share of the community's link weight that "
	                "leaves it (lower is a tighter community).</p>"
	                "</section>\n");
}

static void
segments_section(GString *o, const struct rp_model *m)
{
	if (!m->has_prof)
		return;
	g_autofree struct rp_bar *bars = g_new0(struct rp_bar, m->segs->len + 1);
	g_autofree char **texts = g_new0(char *, m->segs->len + 1);

	g_string_append(o, "<section id=\"segments\"><h2>RFM segments</h2>"
	                "<p class=\"lede\">Users grouped by recency, frequency "
	                "and monetary value of their activity (quintile scores "
	                "1–5). ");
	rp_put_count(o, m->prof_users);
	g_string_append(o, " profiled users, of which ");
	rp_put_count(o, m->cold_users);
	g_string_append(o, " are cold (too few events for a confident "
	                "profile).</p>\n");
	if (m->seg_supp_groups) {
		g_string_append(o, "<p class=\"note\"><strong>Suppressed:</strong> ");
		rp_put_count(o, m->seg_supp_groups);
		g_string_append_printf(o, " segments with fewer than %"
		                       G_GINT64_FORMAT " users are not shown on "
		                       "their own%s.</p>\n", m->min_group,
		                       m->seg_supp_shown
		                               ? "; they are merged into “other "
		                                 "(suppressed)”"
		                               : " (and together they are below the "
		                                 "minimum too)");
	}
	for (guint i = 0; i < m->segs->len; i++) {
		const struct rp_group *g = m->segs->pdata[i];
		char c[64], p[64];
		rp_fmt_count(c, sizeof(c), g->size);
		g_ascii_formatd(p, sizeof(p), "%.1f",
		                m->prof_users ? 100.0 * g->size / m->prof_users : 0);
		texts[i] = g_strdup_printf("%s (%s %%)", c, p);
		bars[i].label = g->label;
		bars[i].value = (double)g->size;
		bars[i].colour = g->merged ? -1 : 0;
		bars[i].value_text = texts[i];
	}
	g_string_append(o, "<figure>");
	rp_chart_hbars(o, "chart-segments", "Users per RFM segment", CHART_W,
	               bars, m->segs->len, "users");
	g_string_append(o, "</figure>\n<table id=\"table-segments\"><thead><tr>"
	                "<th>segment</th><th class=\"n\">users</th>"
	                "<th class=\"n\">share</th><th class=\"n\">mean recency "
	                "(days)</th><th class=\"n\">mean frequency (events per "
	                "active day)</th><th class=\"n\">mean monetary</th></tr>"
	                "</thead><tbody>\n");
	for (guint i = 0; i < m->segs->len; i++) {
		const struct rp_group *g = m->segs->pdata[i];
		g_string_append(o, "<tr><td>");
		esc(o, g->label);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_count(o, g->size);
		g_string_append(o, "</td><td class=\"n\">");
		pct_s(o, m->prof_users ? (double)g->size / m->prof_users : NAN);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, g->recency, 3);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, g->frequency, 3);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, g->monetary, 4);
		g_string_append(o, "</td></tr>\n");
	}
	g_string_append(o, "</tbody></table>\n");
	if (m->segment_rules) {
		g_string_append(o, "<p class=\"lede\"><strong>Rules:</strong> ");
		esc(o, m->segment_rules);
		g_string_append(o, "</p>\n");
	}
	g_string_append(o, "</section>\n");
	for (guint i = 0; i < m->segs->len; i++)
		g_free(texts[i]);
}

static void
influencers_section(GString *o, const struct rp_model *m)
{
	if (!m->has_infl)
		return;
	gboolean have_ppr = FALSE, have_bt = FALSE;

	for (guint i = 0; i < m->top->len; i++) {
		const struct rp_influencer *r = m->top->pdata[i];
		have_ppr |= isfinite(r->v[1]);
		have_bt |= isfinite(r->v[7]) && r->v[7] != 0;
	}
	g_string_append(o, "<section id=\"influencers\"><h2>Top influencers"
	                "</h2><p class=\"lede\">Users ranked by PageRank on the "
	                "social graph");
	if (isfinite(m->damping)) {
		g_string_append(o, " (damping ");
		rp_put_g(o, m->damping, 3);
		g_string_append(o, ")");
	}
	g_string_append(o, ". ");
	if (isfinite(m->pr_top1)) {
		g_string_append(o, "The top 1&#8239;% of users hold <strong>");
		pct_s(o, m->pr_top1);
		g_string_append(o, "</strong> of all PageRank and the top "
		                "10&#8239;% hold <strong>");
		pct_s(o, m->pr_top10);
		g_string_append(o, "</strong>. ");
	}
	g_string_append(o, "Behavioural influence: how often a user's "
	                "neighbours interact with an item after the user did.");
	if (m->betweenness) {
		g_string_append(o, " Betweenness: ");
		esc(o, m->betweenness);
		g_string_append(o, ".");
	}
	g_string_append(o, "</p>\n<table id=\"table-influencers\"><thead><tr>"
	                "<th class=\"n\">#</th><th>user</th>"
	                "<th class=\"n\">PageRank</th>");
	if (have_ppr)
		g_string_append(o, "<th class=\"n\">personalised</th>");
	g_string_append(o, "<th class=\"n\">k-core</th><th class=\"n\">in-degree"
	                "</th><th class=\"n\">out-degree</th><th class=\"n\">"
	                "two-hop reach</th>");
	if (have_bt)
		g_string_append(o, "<th class=\"n\">betweenness</th>");
	g_string_append(o, "<th class=\"n\">behavioural</th><th>community</th>"
	                "</tr></thead><tbody>\n");
	for (guint i = 0; i < m->top->len; i++) {
		const struct rp_influencer *r = m->top->pdata[i];
		g_string_append_printf(o, "<tr><td class=\"n\">%u</td>"
		                       "<td class=\"id\">", i + 1);
		esc(o, r->user);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, r->v[0], 4);
		if (have_ppr) {
			g_string_append(o, "</td><td class=\"n\">");
			rp_put_g(o, r->v[1], 4);
		}
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, r->v[6], 6);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, r->v[2], 7);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, r->v[3], 7);
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, r->v[8], 7);
		if (have_bt) {
			g_string_append(o, "</td><td class=\"n\">");
			rp_put_g(o, r->v[7], 4);
		}
		g_string_append(o, "</td><td class=\"n\">");
		rp_put_g(o, r->v[9], 4);
		g_string_append(o, "</td><td class=\"name\">");
		if (r->community >= 0) {
			swatch(o, r->colour);
			esc(o, ((const struct rp_group *)
			        m->comms->pdata[r->community])->label);
		} else {
			g_string_append(o, "<span class=\"muted\">–</span>");
		}
		g_string_append(o, "</td></tr>\n");
	}
	g_string_append(o, "</tbody></table></section>\n");
}

static void
prefs_section(GString *o, const struct rp_model *m)
{
	if (!m->has_prefs)
		return;
	g_string_append(o, "<section id=\"propagation\"><h2>Preference "
	                "propagation</h2><p class=\"lede\">Category preferences "
	                "diffused over the ");
	esc(o, m->prefs_graph ? m->prefs_graph : "neighbour");
	g_string_append(o, " graph so that users with thin histories get a "
	                "profile from the people around them (alpha ");
	rp_put_g(o, m->alpha, 3);
	if (m->iterations >= 0)
		g_string_append_printf(o, ", %" G_GINT64_FORMAT " iterations, %s",
		                       m->iterations,
		                       m->converged ? "converged" : "not converged");
	g_string_append(o, ").</p>\n");
	if (m->has_eval) {
		struct rp_bar bars[3];
		char t[3][32];
		rp_fmt_g(t[0], sizeof(t[0]), m->ndcg, 4);
		rp_fmt_g(t[1], sizeof(t[1]), m->pop_ndcg, 4);
		rp_fmt_g(t[2], sizeof(t[2]), m->own_ndcg, 4);
		bars[0] = (struct rp_bar){ "propagation", isfinite(m->ndcg) ? m->ndcg : 0, 0, t[0] };
		bars[1] = (struct rp_bar){ "global popularity", isfinite(m->pop_ndcg) ? m->pop_ndcg : 0, -1, t[1] };
		bars[2] = (struct rp_bar){ "own history only", isfinite(m->own_ndcg) ? m->own_ndcg : 0, -1, t[2] };
		g_string_append(o, "<h3>Held-out evaluation</h3><figure>");
		rp_chart_hbars(o, "chart-prefs-eval", "NDCG@3 on held-out users",
		               CHART_W, bars, 3, "NDCG@3 (higher is better)");
		g_string_append(o, "<figcaption>The category histories of ");
		rp_put_count(o, m->held_out);
		g_string_append(o, " users were hidden; their top categories were "
		                "predicted from neighbours and compared with the "
		                "truth. Accuracy@1: propagation ");
		rp_put_g(o, m->acc, 4);
		g_string_append(o, ", popularity ");
		rp_put_g(o, m->pop_acc, 4);
		g_string_append(o, ".</figcaption></figure>\n");
	} else {
		g_string_append(o, "<p class=\"muted\">No held-out evaluation: run "
		                "<code>kith propagate</code> with "
		                "<code>--eval-holdout 0.2</code> to measure it.</p>\n");
	}
	g_string_append(o, "</section>\n");
}

static void
embedding_section(GString *o, const struct rp_model *m)
{
	if (!m->has_emb)
		return;
	char xl[96], yl[96], p[32];

	g_string_append(o, "<section id=\"embedding\"><h2>User embeddings</h2>"
	                "<p class=\"lede\">");
	if (m->emb_model) {
		g_string_append(o, "Model <strong>");
		esc(o, m->emb_model);
		g_string_append(o, "</strong>, ");
	}
	g_string_append_printf(o, "%d dimensions. Each point is a user, placed "
	                       "by the first two principal components of the "
	                       "embeddings", m->dim);
	if (m->has_comm)
		g_string_append(o, " and coloured by community: well separated "
		                "colours mean the embedding captures the community "
		                "structure");
	g_string_append(o, ".</p>\n");
	if (m->px->len > 0) {
		g_ascii_formatd(p, sizeof(p), "%.1f", 100 * m->explained[0]);
		g_snprintf(xl, sizeof(xl), "PC1 (%s %% of variance)", p);
		g_ascii_formatd(p, sizeof(p), "%.1f", 100 * m->explained[1]);
		g_snprintf(yl, sizeof(yl), "PC2 (%s %% of variance)", p);
		g_string_append(o, "<figure>");
		rp_chart_scatter(o, "chart-projection",
		                 "2-D projection of user embeddings", CHART_W, 560,
		                 (const double *)m->px->data,
		                 (const double *)m->py->data,
		                 (const int *)m->pc->data, m->px->len, xl, yl);
		if (m->legend->len) {
			g_string_append(o, "<ul class=\"legend-list\">");
			for (guint i = 0; i < m->legend->len; i++) {
				const struct rp_group *g = m->legend->pdata[i];
				g_string_append(o, "<li>");
				swatch(o, g->colour);
				esc(o, g->label);
				g_string_append(o, " <span class=\"muted\">(");
				rp_put_count(o, g->size);
				g_string_append(o, ")</span></li>");
			}
			g_string_append(o, "</ul>");
		}
		g_string_append(o, "<figcaption>");
		rp_put_count(o, m->px->len);
		g_string_append(o, " users drawn at random");
		if (m->has_comm)
			g_string_append(o, " among those in a community");
		g_string_append(o, "; axes from PCA (power iteration) on ");
		rp_put_count(o, m->cov_rows);
		g_string_append(o, " sampled rows.</figcaption></figure>\n");
	}
	if (m->curve->len) {
		g_string_append(o, "<h3>Training curve</h3><div class=\"small-"
		                "multiples\">\n");
		for (guint i = 0; i < m->curve->len; i++) {
			const struct rp_series_data *s = m->curve->pdata[i];
			struct rp_series rs = { s->name, (const double *)s->x->data,
			                        (const double *)s->y->data, s->x->len,
			                        (int)i, FALSE };
			g_autofree char *id = g_strdup_printf("chart-curve-%u", i);
			g_string_append(o, "<figure><h3>");
			esc(o, s->name);
			g_string_append(o, "</h3>");
			rp_chart_lines(o, id, s->name, 480, 250, &rs, 1, "epoch", NULL);
			g_string_append(o, "</figure>\n");
		}
		g_string_append(o, "</div>\n");
	} else {
		g_string_append(o, "<p class=\"muted\">The embedding manifest has no "
		                "training curve.</p>\n");
	}
	g_string_append(o, "</section>\n");
}

static void
dq_section(GString *o, const struct rp_model *m)
{
	g_string_append(o, "<section id=\"data-quality\"><h2>Data quality</h2>");
	if (!m->has_dq) {
		g_string_append(o, "<p class=\"muted\">The store records no ingest "
		                "summary and has no <code>rejects.tsv</code>.</p>"
		                "</section>\n");
		return;
	}
	g_string_append(o, "<p class=\"lede\">From the ");
	esc(o, m->dq_source);
	g_string_append(o, ": ");
	if (m->dq_lines >= 0) {
		rp_put_count(o, m->dq_lines);
		g_string_append(o, " input lines, ");
	}
	if (m->dq_accepted >= 0) {
		rp_put_count(o, m->dq_accepted);
		g_string_append(o, " rows accepted, ");
	}
	g_string_append(o, "<strong>");
	rp_put_count(o, MAX(m->dq_rejected, 0));
	g_string_append(o, "</strong> rejected");
	if (m->dq_lines > 0 && m->dq_rejected >= 0) {
		g_string_append(o, " (");
		pct_s(o, (double)m->dq_rejected / m->dq_lines);
		g_string_append(o, ")");
	}
	g_string_append(o, ".");
	if (m->unknown_types->len) {
		g_string_append(o, " Event types without a weight: ");
		for (guint i = 0; i < m->unknown_types->len; i++) {
			if (i)
				g_string_append(o, ", ");
			g_string_append(o, "<code>");
			esc(o, m->unknown_types->pdata[i]);
			g_string_append(o, "</code>");
		}
		g_string_append(o, ".");
	}
	g_string_append(o, "</p>\n");
	if (m->reasons->len) {
		g_autofree struct rp_bar *bars = g_new0(struct rp_bar,
		                                        m->reasons->len);
		for (guint i = 0; i < m->reasons->len; i++) {
			const struct rp_group *g = m->reasons->pdata[i];
			bars[i].label = g->label;
			bars[i].value = (double)g->size;
			bars[i].colour = 2;
		}
		g_string_append(o, "<figure>");
		rp_chart_hbars(o, "chart-rejects", "Rejected rows by reason",
		               CHART_W, bars, m->reasons->len, "rejected rows");
		g_string_append(o, "<figcaption>Every rejected row is listed with "
		                "its file, line and an excerpt in the store's "
		                "<code>rejects.tsv</code>.</figcaption></figure>\n");
	} else {
		g_string_append(o, "<p>No row was rejected.</p>\n");
	}
	if (m->dq_files->len) {
		g_string_append(o, "<table id=\"table-files\"><thead><tr><th>input"
		                "</th><th class=\"n\">lines</th><th class=\"n\">"
		                "accepted</th><th class=\"n\">rejected</th></tr>"
		                "</thead><tbody>\n");
		for (guint i = 0; i < m->dq_files->len; i++) {
			const struct rp_group *g = m->dq_files->pdata[i];
			g_string_append(o, "<tr><td>");
			esc(o, g->label);
			g_string_append(o, "</td><td class=\"n\">");
			if (isfinite(g->recency))
				rp_put_count(o, g->recency);
			else
				g_string_append(o, "–");
			g_string_append(o, "</td><td class=\"n\">");
			rp_put_count(o, g->size);
			g_string_append(o, "</td><td class=\"n\">");
			rp_put_count(o, g->id);
			g_string_append(o, "</td></tr>\n");
		}
		g_string_append(o, "</tbody></table>\n");
	}
	g_string_append(o, "</section>\n");
}

/* Notes are our own text with `code` spans in backquotes. */
static void
note_html(GString *o, const char *s)
{
	gboolean code = FALSE;
	for (; *s; s++) {
		if (*s == '`') {
			g_string_append(o, code ? "</code>" : "<code>");
			code = !code;
		} else {
			char c[2] = { *s, 0 };
			kith_html_escape(o, c);
		}
	}
	if (code)
		g_string_append(o, "</code>");
}

static void
omitted_section(GString *o, const struct rp_model *m)
{
	if (!m->notes->len)
		return;
	g_string_append(o, "<section id=\"omitted\"><h2>Not in this report"
	                "</h2><p class=\"lede\">These sections need inputs "
	                "that were not given:</p><ul class=\"omitted\">\n");
	for (guint i = 0; i < m->notes->len; i++) {
		g_string_append(o, "<li>");
		note_html(o, m->notes->pdata[i]);
		g_string_append(o, "</li>\n");
	}
	g_string_append(o, "</ul></section>\n");
}

static void (*const html_sections[RP_SEC_N])(GString *,
                                               const struct rp_model *) = {
	[RP_SEC_SUMMARY] = summary_section,
	[RP_SEC_DEGREE] = degree_section,
	[RP_SEC_COMMUNITIES] = communities_section,
	[RP_SEC_SEGMENTS] = segments_section,
	[RP_SEC_INFLUENCE] = influencers_section,
	[RP_SEC_PROPAGATION] = prefs_section,
	[RP_SEC_EMBEDDING] = embedding_section,
	[RP_SEC_DATA_QUALITY] = dq_section,
	[RP_SEC_OMITTED] = omitted_section,
};

char *
rp_render_html(const struct rp_model *m)
{
	GString *o = g_string_sized_new(256 * 1024);

	g_string_append(o, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	                "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	                "content=\"width=device-width,initial-scale=1\">\n"
	                "<meta name=\"generator\" content=\"kith ");
	esc(o, kith_version());
	g_string_append(o, "\">\n<title>");
	esc(o, m->title);
	g_string_append_printf(o, "</title>\n<style>\n%s</style>\n</head>\n"
	                       "<body><main>\n", css);
	header(o, m);
	for (int i = 0; i < RP_SEC_N; i++)
		html_sections[i](o, m);
	g_string_append_printf(o, "<footer><p><strong>Privacy:</strong> "
	                       "communities and segments with fewer than %"
	                       G_GINT64_FORMAT " users are never shown on their "
	                       "own (<code>--min-group</code>).",
	                       m->min_group);
	if (m->pseudonymized)
		g_string_append(o, " The store is pseudonymised; ids are pseudonyms.");
	g_string_append(o, "</p></footer>\n</main></body></html>\n");
	return g_string_free(o, FALSE);
}
