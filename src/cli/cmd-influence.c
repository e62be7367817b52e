/* kith influence STORE -o INFL [--graph G] [--seeds FILE] [--samples N]
 * [--top N] */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/community.h"
#include "kith/dist.h"
#include "kith/store.h"

/* Column j of user u with fmt, "-" in width w when absent or not finite. */
static void
print_col(const struct kith_influence *r, int j, int64_t u, const char *fmt,
          int w)
{
	if (r->col[j] && isfinite(r->col[j][u]))
		printf(fmt, r->col[j][u]);
	else
		printf("%*s", w, "-");
}

int
cmd_influence(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *seeds_path = NULL, *graph = NULL;
	g_autofree int32_t *seeds = NULL;
	g_autofree int64_t *top = NULL;
	struct kith_influence_opts o;
	struct kith_influence r;
	gint64 samples = 0, exact_limit = 5000;
	int top_n = 20, neighbours = KITH_COINTERACTION_NEIGHBOURS;
	struct kith_csr ug = { 0 };
	gboolean json = FALSE, pagerank_only = FALSE;
	GError *err = NULL;
	double t0, secs;
	int64_t nt;

	kith_influence_opts_init(&o);
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "influence folder to write", "INFL" },
		{ "graph", 0, 0, G_OPTION_ARG_STRING, &graph,
		  "social or cointeraction (social when the store has links, "
		  "else cointeraction)", "G" },
		{ "neighbours", 'k', 0, G_OPTION_ARG_INT, &neighbours,
		  "neighbours per user of the cointeraction graph (30)", "K" },
		{ "seeds", 0, 0, G_OPTION_ARG_FILENAME, &seeds_path,
		  "user ids, one per line, for personalised PageRank", "FILE" },
		{ "damping", 0, 0, G_OPTION_ARG_DOUBLE, &o.damping,
		  "PageRank damping factor (0.85)", "D" },
		{ "samples", 0, 0, G_OPTION_ARG_INT64, &samples,
		  "betweenness source samples on large graphs (200, fewer "
		  "above 1.5M links)", "N" },
		{ "exact-limit", 0, 0, G_OPTION_ARG_INT64, &exact_limit,
		  "exact betweenness up to this many linked users (5000)", "N" },
		{ "window-days", 0, 0, G_OPTION_ARG_DOUBLE, &o.window_days,
		  "behavioural influence window in days (30)", "DAYS" },
		{ "top", 0, 0, G_OPTION_ARG_INT, &top_n,
		  "users listed in the summary and the manifest (20)", "N" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print the summary as JSON", NULL },
		{ "pagerank-only", 0, 0, G_OPTION_ARG_NONE, &pagerank_only,
		  "only PageRank (and personalised PageRank): what runs under "
		  "mpirun with several ranks", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"influence", "STORE", "rank users by influence",
		"Writes influence.tsv, influence.npy and manifest.json.\n"
		"See kith-influence(1).", entries, cli);
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 2)
		return kith_cli_usage("influence", "expected one STORE");
	if (!out)
		return kith_cli_usage("influence", "-o INFL is required");
	if (!(o.damping >= 0 && o.damping < 1))
		return kith_cli_usage("influence", "--damping must be in [0, 1)");
	if (graph && (!kith_ugraph_parse(&o.graph, graph) ||
	              o.graph == KITH_UGRAPH_KNN))
		return kith_cli_usage("influence", "unknown graph '%s' (social, "
		                      "cointeraction)", graph);
	if (neighbours < 1)
		return kith_cli_usage("influence", "--neighbours must be at "
		                      "least 1");
	if (samples < 0 || exact_limit < 0 || top_n < 0)
		return kith_cli_usage("influence", "--samples, --exact-limit and "
		                      "--top must not be negative");
	if (!(o.window_days >= 0) || !isfinite(o.window_days))
		return kith_cli_usage("influence", "--window-days must not be "
		                      "negative");
	if (kith_dist_size() > 1 && !pagerank_only)
		return kith_cli_usage("influence", "under mpirun with %d ranks "
		                      "only PageRank is distributed: add "
		                      "--pagerank-only (k-core, betweenness, "
		                      "two-hop reach and behavioural influence "
		                      "run on one machine)", kith_dist_size());
	o.pagerank_only = pagerank_only;
	o.samples = samples;
	o.exact_limit = exact_limit;
	o.seed = (uint64_t)cli->seed;

	t0 = kith_now();
	g_autoptr(kith_store) s = kith_store_open(argv[1], &err);
	if (!s)
		return kith_cli_fail("influence", err);
	if (!graph && s->uu.nnz == 0) {
		o.graph = KITH_UGRAPH_COINTERACTION;
		/* a warning, printed even with --quiet (by rank 0) */
		if (kith_dist_rank() == 0)
			fprintf(stderr, "kith influence: '%s' has no social links: "
		        "measuring influence on the co-interaction graph (k %d) "
		        "instead\n", argv[1], neighbours);
	}
	if (o.graph == KITH_UGRAPH_SOCIAL && s->uu.nnz == 0) {
		g_set_error(&err, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' has no social links (ingest with --social)",
		            argv[1]);
		return kith_cli_fail("influence", err);
	}
	if (o.graph == KITH_UGRAPH_COINTERACTION) {
		o.neighbours = neighbours;
		o.item_cap = kith_cointeraction_default_cap(s);
		if (!kith_cointeraction_graph(&ug, s, o.neighbours, o.item_cap,
		                              &err))
			return kith_cli_fail("influence", err);
		o.user_graph = &ug;
	}
	if (seeds_path) {
		int64_t unknown;
		if (!kith_read_user_list(&seeds, &o.n_seeds, &unknown, s,
		                         seeds_path, &err))
			return kith_cli_fail("influence", err);
		o.seeds = seeds;
		if (unknown > 0)
			kith_cli_info(cli, "influence", "%" G_GINT64_FORMAT " seed "
			              "users are not in the store", unknown);
	}
	rc = kith_influence_compute(&r, s, &o, &err) ? 0 : 1;
	kith_csr_clear(&ug);
	if (rc)
		return kith_cli_fail("influence", err);
	secs = kith_now() - t0;
	if (kith_dist_rank() != 0) {
		kith_influence_clear(&r);
		return 0;
	}
	if (!kith_influence_write(out, s, &r, &o, argv[1], seeds_path, top_n,
	                          secs, &err)) {
		kith_influence_clear(&r);
		return kith_cli_fail("influence", err);
	}
	top = g_new(int64_t, MAX(top_n, 1));
	nt = kith_influence_top(top, &r, top_n);
	if (json) {
		g_autofree char *mpath = g_build_filename(out, "manifest.json",
		                                          NULL);
		g_autofree char *text = NULL;
		if (!g_file_get_contents(mpath, &text, NULL, NULL)) {
			kith_influence_clear(&r);
			g_set_error(&err, KITH_ERROR, KITH_ERROR_IO,
			            "cannot read '%s'", mpath);
			return kith_cli_fail("influence", err);
		}
		fputs(text, stdout);
		if (text[0] && text[strlen(text) - 1] != '\n')
			putchar('\n');
	} else {
		printf("users %" G_GINT64_FORMAT "  links %" G_GINT64_FORMAT
		       " (%s%s%s)  betweenness %s", r.n_users, r.n_edges,
		       o.graph == KITH_UGRAPH_SOCIAL ? "" : "cointeraction, ",
		       r.directed ? "directed" : "undirected",
		       r.weighted ? ", weighted" : "",
		       pagerank_only ? "not computed"
		       : r.betweenness_sampled ? "sampled" : "exact");
		if (r.betweenness_sampled)
			printf(" (%" G_GINT64_FORMAT " sources, relative error %.3f)",
			       r.samples, r.betweenness_rse);
		if (r.distributed)
			printf("\nmpi ranks %d  pagerank iterations %d (%s)  halo "
			       "users %" G_GINT64_FORMAT "  bytes per iteration %"
			       G_GUINT64_FORMAT " (formula 8 H + 16 P: %"
			       G_GINT64_FORMAT ")", r.dist.ranks, r.dist.iterations,
			       r.dist.converged ? "converged" : "not converged",
			       r.dist.halo, r.dist.bytes_per_iteration,
			       kith_pagerank_dist_bytes_formula(&r.dist));
		printf("\n\n%4s %-20s %12s %8s %6s %12s %9s %12s\n", "rank",
		       "user", "pagerank", "degree", "kcore", "betweenness",
		       "two_hop", "behavioural");
		for (int64_t j = 0; j < nt; j++) {
			int64_t u = top[j];
			printf("%4" G_GINT64_FORMAT " %-20s", j + 1, s->user_ids[u]);
			print_col(&r, KITH_INFL_PAGERANK, u, " %12.6g", 12);
			print_col(&r, KITH_INFL_IN_DEGREE, u, " %8.0f", 8);
			print_col(&r, KITH_INFL_KCORE, u, " %6.0f", 6);
			print_col(&r, KITH_INFL_BETWEENNESS, u, " %12.6g", 12);
			print_col(&r, KITH_INFL_TWO_HOP, u, " %9.0f", 9);
			print_col(&r, KITH_INFL_BEHAVIOURAL, u, " %12.4g", 12);
			printf("\n");
		}
		printf("seconds %.2f\n", secs);
	}
	kith_influence_clear(&r);
	return 0;
}
